// What the unit tests share: the one way to run threads that may block (a
// test that would hang fails instead; nothing here asserts speed), and a
// gtest printer for outcome<V>.
//
//   crew c([&] { m.close(); });       // the rescue: what frees stuck threads
//   c.spawn([&] { got = m.wait(k); });
//   EXPECT_TRUE(until_waiting(m, k, 1));
//   m.done(k, v);
//   EXPECT_TRUE(c.join()) << "a waiter was stranded";
//
// join() is true when every thread returned on its own within kHangTimeout
// (generous: only a hang gets near it). Otherwise it runs the rescue so the
// threads can still be joined, and is false. If even the rescue does not free
// them, the process ends with a message: a thread stuck for good can be
// neither joined nor abandoned safely. A crew left without join() (an ASSERT
// returned early) runs the rescue at once and then joins the same way.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <ostream>
#include <thread>
#include <utility>
#include <vector>

#include "impls/once_map.hpp"

namespace oncecheck {

// Found by argument-dependent lookup: a failed EXPECT_EQ on outcomes reads
// `closed` or `15`, not a dump of bytes.
template <class V>
void PrintTo(const outcome<V>& o, std::ostream* os) {
  if (o.has_value()) *os << ::testing::PrintToString(o.value());
  else *os << to_string(o.error());
}

}  // namespace oncecheck

namespace oncecheck::test_support {

inline constexpr std::chrono::seconds kHangTimeout{30};

class crew {
 public:
  crew() = default;
  explicit crew(std::function<void()> rescue) : rescue_(std::move(rescue)) {}
  crew(const crew&) = delete;
  crew& operator=(const crew&) = delete;
  ~crew() {
    if (threads_.empty()) return;
    if (rescue_) rescue_();  // the test bailed out; its threads may be blocked
    finish();
  }

  template <class F>
  void spawn(F body) {
    threads_.emplace_back([this, body = std::move(body)]() mutable {
      body();
      std::lock_guard lock(mutex_);
      ++returned_;
      all_returned_.notify_all();
    });
  }

  // True when every thread returned on its own; see the top of the file.
  [[nodiscard]] bool join() {
    const bool on_their_own = all_returned_within(kHangTimeout);
    if (!on_their_own && rescue_) rescue_();
    finish();
    return on_their_own;
  }

 private:
  bool all_returned_within(std::chrono::nanoseconds d) {
    std::unique_lock lock(mutex_);
    return all_returned_.wait_for(lock, d, [&] { return returned_ == threads_.size(); });
  }

  void finish() {
    if (!all_returned_within(kHangTimeout)) {
      std::lock_guard lock(mutex_);
      std::fprintf(stderr, "crew: %zu thread(s) still blocked after the rescue; giving up\n",
                   threads_.size() - returned_);
      std::_Exit(3);
    }
    for (auto& t : threads_) t.join();
    threads_.clear();
    returned_ = 0;
  }

  std::function<void()> rescue_;
  std::vector<std::thread> threads_;  // only the test's own thread touches it
  std::mutex mutex_;
  std::condition_variable all_returned_;  // waited on with mutex_
  std::size_t returned_ = 0;              // guarded by mutex_
};

// Spins until `pred()` holds; false if it never does within kHangTimeout.
template <class Pred>
bool eventually(Pred pred) {
  const auto until = std::chrono::steady_clock::now() + kHangTimeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::yield();
  }
  return true;
}

// Until waiting(k) is exactly n: only then is every waiter known to be
// blocked, which is the state most contract cases are about.
template <class Map, class K>
bool until_waiting(const Map& m, const K& k, std::size_t n) {
  return eventually([&] { return m.waiting(k) == n; });
}

}  // namespace oncecheck::test_support
