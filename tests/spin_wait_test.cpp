// sync::spin_wait: a bounded spin on real threads, no spin at all in a model.
#include <atomic>
#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "../impls/sync/spin_wait.hpp"
#include "../impls/sync/std_backend.hpp"

namespace {

using oncecheck::sync::spin_budget;
using oncecheck::sync::spin_wait;
using oncecheck::sync::std_backend;

// The shape spin_wait needs from a model backend: no real time, so it must
// not poll, loop, yield or read the clock (a poll would be a scheduling point).
struct model_like_backend {
  static constexpr bool real_time = false;
  static void yield() { ADD_FAILURE() << "a model's spin yielded"; }
};

TEST(SpinWait, SeesAStoreMadeWhileItSpins) {
  std::atomic<bool> flag{false};
  std::atomic<bool> spinning{false};
  std::thread setter([&] {
    while (!spinning.load()) std::this_thread::yield();
    flag.store(true, std::memory_order_release);
  });
  int polls = 0;
  const auto start = std::chrono::steady_clock::now();
  const bool seen = spin_wait<std_backend>([&] {
    spinning.store(true);
    ++polls;
    return flag.load(std::memory_order_acquire);
  });
  setter.join();
  // The setter may be descheduled past the budget on a loaded machine; then
  // the spin gives up, which is its contract too, but not before its budget.
  EXPECT_GE(polls, 1);
  if (seen) {
    EXPECT_TRUE(flag.load());
  } else {
    EXPECT_GE(std::chrono::steady_clock::now() - start, spin_budget);
  }
}

TEST(SpinWait, GivesUpAfterItsBudgetWhenNothingComes) {
  int polls = 0;
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(spin_wait<std_backend>([&] { return ++polls < 0; }));
  // A lower bound only (it spun for its budget, not less): never a speed check.
  EXPECT_GE(std::chrono::steady_clock::now() - start, spin_budget);
  EXPECT_GT(polls, 1);
}

TEST(SpinWait, ReturnsAtOnceWhenAlreadyReady) {
  int polls = 0;
  EXPECT_TRUE(spin_wait<std_backend>([&] { return ++polls > 0; }));
  EXPECT_EQ(polls, 1);
}

TEST(SpinWait, AModelBackendDoesNotSpin) {
  int polls = 0;
  EXPECT_FALSE(spin_wait<model_like_backend>([&] { return ++polls > 0; }));
  EXPECT_EQ(polls, 0);
}

}  // namespace
