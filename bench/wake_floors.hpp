// The floors of W3 (`notify`): one value handed from a leader to W blocked
// waiters with nothing but the wake mechanism, under the same protocol and
// driver as the designs (workload_notify.hpp), so the only difference left
// is the map.
//   futex_wake    std::atomic<uint32_t>::wait / notify_all (a futex on Linux)
//   condvar_wake  a mutex, a condition variable and notify_all
//   spin_wake     waiters poll the word, spin-then-yield (barrier.hpp): pure
//                 spinning with W=64 waiters on 2 cores would measure the
//                 scheduler's time slice, not a wake
// Each has the shape of the W3 target: arm(k) (nothing to do: the key of a
// round is fresh), publish(k, v), block(k) -> the value.
//
// Why a round is told apart by its key and nothing is reset: the leader
// starts round r+1 while waiters of round r may still be on their way out of
// block(); a reset would send them back to sleep. Keys only grow, so
// `published == k` means "round k is done" for ever after.
//
// Memory ordering. `value_` is plain: publish() writes it before the release
// store (or the unlock) that publishes k, and a waiter reads it only after
// its acquire load (or lock) saw k. The leader writes it again only in a
// later round, after every waiter has passed that round's start barrier,
// which they reach after reading it.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "barrier.hpp"
#include "keys.hpp"

namespace oncecheck::bench {

class futex_wake {
 public:
  bool arm(key_t) { return true; }
  void publish(key_t k, value_t v) {
    value_ = v;
    // 32 bits: the width libstdc++ hands straight to the futex. Keys of a
    // run are its round numbers, far below 2^32.
    published_.store(std::uint32_t(k), std::memory_order_release);
    published_.notify_all();
  }
  value_t block(key_t k) {
    for (std::uint32_t seen = published_.load(std::memory_order_acquire); seen != std::uint32_t(k);
         seen = published_.load(std::memory_order_acquire))
      published_.wait(seen, std::memory_order_acquire);
    return value_;
  }

 private:
  std::atomic<std::uint32_t> published_{0};
  value_t value_ = 0;
};

class condvar_wake {
 public:
  bool arm(key_t) { return true; }
  void publish(key_t k, value_t v) {
    {
      std::lock_guard<std::mutex> hold(lock_);
      value_ = v;
      published_ = k;
    }
    changed_.notify_all();
  }
  value_t block(key_t k) {
    std::unique_lock<std::mutex> hold(lock_);
    changed_.wait(hold, [&] { return published_ == k; });
    return value_;
  }

 private:
  std::mutex lock_;
  std::condition_variable changed_;  // waited on with lock_
  key_t published_ = 0;   // guarded by lock_
  value_t value_ = 0;     // guarded by lock_
};

class spin_wake {
 public:
  bool arm(key_t) { return true; }
  void publish(key_t k, value_t v) {
    value_ = v;
    published_.store(k, std::memory_order_release);
  }
  value_t block(key_t k) {
    spin_then_yield_until([&] { return published_.load(std::memory_order_acquire) == k; });
    return value_;
  }

 private:
  std::atomic<key_t> published_{0};
  value_t value_ = 0;
};

}  // namespace oncecheck::bench
