// The floor of W3 with task waiters (`notify_task/floor.executor/...`): the
// same rounds, driver, executor and placements as the designs
// (workload_notify_task.hpp), against a "map" that is nothing but a list of
// parked tasks' wakers. What it measures is the executor's share of a
// design's figure: a waker called W times in a row by the leader's task, the
// leader's end, and the woken tasks resumed one after another, each through
// a wait_async frame as the designs' (task<outcome<V>>, once_map.hpp). No
// design with this interface, on this executor, can do better; so where it
// misses issue 14's 5 us the design alone cannot reach it.
//
// What it leaves out, against a design: a lookup of the key, any lock on
// the resume path (a woken task re-checks one atomic, not a map under its
// lock), and the unlinking of wait nodes (done() clears the list at once).
//
// Locking protocol. `lock_` guards `parked_`: a waiter adds its waker and
// done() takes them all under it. The waiter checks `published_` under
// `lock_` before it adds its waker, and done() stores it under `lock_`
// before it wakes, so a waiter either sees the round done or is in the
// list done() wakes: no wake is lost. After parking, a waiter re-checks
// `published_` without the lock: a resume may be spurious (task.hpp), and
// then it parks again, its waker still valid (the executor keeps a wake
// that lands while the task runs for its next suspension).
//
// Memory ordering. `value_` is plain: done() writes it before the release
// store of the round's key in `published_`, and a waiter reads it only after
// an acquire load saw that key. The next round's done() writes it again only
// after every task of this round has ended (the driver starts a round when
// the last one has), and a waiter reads it before it ends.
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string_view>
#include <vector>

#include "../impls/once_map.hpp"
#include "../impls/task.hpp"
#include "keys.hpp"

namespace oncecheck::bench {

class task_wake_floor {
 public:
  static constexpr std::string_view name = "floor.executor";

  // Keys are fresh round numbers: nothing to set up.
  bool register_key(key_t) { return true; }

  // Waiters parked on the round's key (the leader's "every waiter has
  // parked"): the list holds only the current round's, done() empties it.
  std::size_t waiting(key_t) const {
    const std::lock_guard guard(lock_);
    return parked_.size();
  }

  void done(key_t k, value_t v) {
    const std::lock_guard guard(lock_);
    value_ = v;
    published_.store(k, std::memory_order_release);
    for (const waker& w : parked_) w.wake();
    parked_.clear();
  }

  task<outcome<value_t>> wait_async(key_t k) {
    const waker me = co_await current_waker{};
    {
      const std::lock_guard guard(lock_);
      if (published_.load(std::memory_order_relaxed) != k) parked_.push_back(me);
    }
    while (published_.load(std::memory_order_acquire) != k) co_await park{};
    co_return outcome<value_t>(value_);
  }

 private:
  mutable std::mutex lock_;
  std::vector<waker> parked_;           // guarded by lock_; capacity kept across rounds
  std::atomic<key_t> published_{0};     // stored under lock_; loaded without it after a park
  value_t value_ = 0;                   // see "Memory ordering"
};

}  // namespace oncecheck::bench
