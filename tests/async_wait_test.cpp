// The async half of the once-map contract: wait_async() on every design
// that has it (traits.async_wait), run by the executor on real threads,
// plain and under TSan. The async scenarios check the same under Relacy
// (hold_entry_across_await, async_waiter_cancel, notify_latency).
//
// Nothing here asserts speed; waits are bounded only so that a design that
// strands a task fails the test instead of hanging it.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <thread>
#include <vector>

#include "impls/executor.hpp"
#include "impls/sync/stress_backend.hpp"
#include "impls/intrusive_map.hpp"
#include "impls/notify_map.hpp"
#include "impls/sharded_entry_map.hpp"
#include "impls/shared_future_map.hpp"
#include "impls/sync/std_backend.hpp"
#include "tests/test_support.hpp"

namespace oncecheck {
namespace {

using namespace std::chrono_literals;
using test_support::until_waiting;
using key_t = std::uint64_t;
using value_t = std::uint64_t;
using result = outcome<value_t>;
using Sync = sync::std_backend;

constexpr value_t value_of(key_t k) { return 2 * k + 1; }

template <template <class, class, class, class> class Design, class Backend = Sync>
using correct = Design<key_t, value_t, Backend, flaw::none>;

template <class Pred>
bool eventually(Pred done) {
  const auto until = std::chrono::steady_clock::now() + test_support::kHangTimeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(100us);
  }
  return true;
}

template <class Map>
task<void> wait_into(Map& m, key_t k, std::optional<result>& out) {
  out = co_await m.wait_async(k);
}

template <class Map>
class AsyncWaitContract : public ::testing::Test {
 protected:
  // Declared in this order: the map outlives the executor's tasks.
  Map map;
  executor<Sync> ex{2};
};

using async_designs = ::testing::Types<correct<sharded_entry_map>, correct<notify_map>, correct<intrusive_map>,
                                       correct<shared_future_map>, correct<intrusive_map, stress::stress_backend>,
                                       correct<notify_map, stress::stress_backend>>;
TYPED_TEST_SUITE(AsyncWaitContract, async_designs);

TYPED_TEST(AsyncWaitContract, ParkedTasksOnEveryWorkerGetTheValue) {
  constexpr int n = 8;
  std::vector<std::optional<result>> got(n);
  ASSERT_TRUE(this->map.register_key(1));
  {
    worker_threads<Sync> workers(this->ex);
    for (int i = 0; i < n; ++i) this->ex.spawn(wait_into(this->map, 1, got[std::size_t(i)]), i);
    ASSERT_TRUE(until_waiting(this->map, key_t{1}, std::size_t(n))) << "the tasks did not all park";
    this->map.done(1, value_of(1));
  }
  for (const auto& r : got) EXPECT_EQ(r, result(value_of(1)));
  EXPECT_EQ(this->map.waiting(1), 0u);
}

TYPED_TEST(AsyncWaitContract, AValueAlreadyThereAnswersWithoutParking) {
  this->map.done(2, value_of(2));
  worker_threads<Sync> workers(this->ex);
  EXPECT_EQ(this->ex.block_on(this->map.wait_async(2)), result(value_of(2)));
  EXPECT_EQ(this->ex.block_on(this->map.wait_async(3)), result(wait_error::not_registered));
}

TYPED_TEST(AsyncWaitContract, AFailedRoundWakesItsTasksWithTheError) {
  std::optional<result> got;
  ASSERT_TRUE(this->map.register_key(4));
  {
    worker_threads<Sync> workers(this->ex);
    this->ex.spawn(wait_into(this->map, 4, got), 0);
    ASSERT_TRUE(until_waiting(this->map, key_t{4}, 1));
    this->map.fail(4, wait_error::leader_failed);
  }
  EXPECT_EQ(got, result(wait_error::leader_failed));
  EXPECT_TRUE(this->map.register_key(4)) << "a failed key is free for a new round";
}

TYPED_TEST(AsyncWaitContract, CloseWakesParkedTasksWithClosed) {
  std::optional<result> got;
  ASSERT_TRUE(this->map.register_key(5));
  {
    worker_threads<Sync> workers(this->ex);
    this->ex.spawn(wait_into(this->map, 5, got), 1);
    ASSERT_TRUE(until_waiting(this->map, key_t{5}, 1));
    this->map.close();
  }
  EXPECT_EQ(got, result(wait_error::closed));
}

TYPED_TEST(AsyncWaitContract, ACancelledParkedTaskLeavesNothingBehind) {
  std::optional<result> cancelled, kept;
  ASSERT_TRUE(this->map.register_key(6));
  {
    worker_threads<Sync> workers(this->ex);
    const task_handle doomed = this->ex.spawn(wait_into(this->map, 6, cancelled), 0);
    this->ex.spawn(wait_into(this->map, 6, kept), 1);
    ASSERT_TRUE(until_waiting(this->map, key_t{6}, 2));
    ASSERT_TRUE(eventually([&] { return this->ex.parked(doomed); }));
    this->ex.cancel(doomed);
    ASSERT_TRUE(eventually([&] { return this->ex.finished(doomed); }));
    EXPECT_EQ(this->map.waiting(6), 1u) << "the cancelled task is still counted as waiting";
    this->map.done(6, value_of(6));
  }
  EXPECT_FALSE(cancelled) << "a cancelled task returned";
  EXPECT_EQ(kept, result(value_of(6)));
  EXPECT_EQ(this->ex.cancelled(), 1u);
}

// The completion may land at any point of a task's way into its wait: no
// point may lose it.
TYPED_TEST(AsyncWaitContract, CompletionRacingTheTasksIsNeverLost) {
  for (key_t k = 100; k < 300; ++k) {
    std::optional<result> a, b;
    ASSERT_TRUE(this->map.register_key(k));
    executor<Sync> ex(2);
    {
      worker_threads<Sync> workers(ex);
      ex.spawn(wait_into(this->map, k, a), 0);
      ex.spawn(wait_into(this->map, k, b), 1);
      this->map.done(k, value_of(k));
    }
    ASSERT_EQ(a, result(value_of(k))) << "key " << k;
    ASSERT_EQ(b, result(value_of(k))) << "key " << k;
  }
}

}  // namespace
}  // namespace oncecheck
