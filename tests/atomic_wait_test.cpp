// Unit tests of atomic_wait_map on real threads (std_backend): the once-map
// contract, plus what is particular to this design (nodes of many keys share
// a bucket list; a failed round keeps its node and its error while the key
// leads again on a fresh node; timed waits go through the bucket's condition
// variable).
//
// No timing assertions: a test that needs waiters to be blocked polls
// waiting() until they are, and the only bound is a generous one that turns
// a broken design into a failure instead of a hung test binary.
#include "impls/atomic_wait_map.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <latch>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace oncecheck {
namespace {

using map_t = atomic_wait_map<std::uint64_t, std::uint64_t>;
static_assert(require_once_map<map_t>());
static_assert(require_once_map<atomic_wait_map<std::uint64_t, std::uint64_t, sync::std_backend,
                                               flaw::relaxed_publish>>());

// Polls `pred` until it holds; false only if it never does (a broken design),
// so the test fails instead of hanging.
template <class Pred>
bool eventually(Pred pred) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!pred()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::yield();
  }
  return true;
}

// Starts `n` threads blocked in m.wait(key) and waits until all are counted.
struct blocked_waiters {
  blocked_waiters(map_t& m, std::uint64_t key, int n) : results(std::size_t(n)) {
    for (int i = 0; i < n; ++i)
      threads.emplace_back([&m, key, this, i] { results[std::size_t(i)] = m.wait(key); });
  }
  void join() {
    for (auto& t : threads) t.join();
    threads.clear();
  }
  ~blocked_waiters() { join(); }
  std::vector<std::optional<outcome<std::uint64_t>>> results;
  std::vector<std::thread> threads;
};

TEST(AtomicWaitMap, ValueIsComputedOnceAndDeliveredToEveryone) {
  constexpr int threads = 8;
  for (int round = 0; round < 50; ++round) {
    map_t m;
    std::atomic<int> computes{0};
    std::latch start(threads);
    std::vector<std::optional<outcome<std::uint64_t>>> got(threads);
    std::vector<std::thread> pool;
    for (int i = 0; i < threads; ++i)
      pool.emplace_back([&, i] {
        start.arrive_and_wait();
        got[std::size_t(i)] = get_or_compute(m, 7, [&] {
          computes.fetch_add(1);
          return std::uint64_t(15);
        });
      });
    for (auto& t : pool) t.join();
    EXPECT_EQ(computes.load(), 1);
    for (const auto& r : got) {
      ASSERT_TRUE(r && r->has_value());
      EXPECT_EQ(r->value(), 15u);
    }
    EXPECT_EQ(m.get(7), std::optional<std::uint64_t>(15));
  }
}

TEST(AtomicWaitMap, CompletedKeyGetsNoSecondLeader) {
  map_t m;
  ASSERT_TRUE(m.register_key(1));
  m.done(1, 3);
  EXPECT_FALSE(m.register_key(1)) << "a completed key must not get a second leader";
  EXPECT_EQ(m.wait(1), outcome<std::uint64_t>(3));
  EXPECT_EQ(m.get(1), std::optional<std::uint64_t>(3));
}

TEST(AtomicWaitMap, FailDeliversTheErrorAndTheKeyCanBeRegisteredAgain) {
  map_t m;
  ASSERT_TRUE(m.register_key(1));
  {
    blocked_waiters w(m, 1, 3);
    ASSERT_TRUE(eventually([&] { return m.waiting(1) == 3; }));
    m.fail(1, wait_error::leader_failed);
    w.join();
    for (const auto& r : w.results) EXPECT_EQ(r, outcome<std::uint64_t>(wait_error::leader_failed));
  }
  EXPECT_EQ(m.get(1), std::nullopt);
  ASSERT_TRUE(m.register_key(1)) << "a failed key must be free to lead again";
  EXPECT_FALSE(m.register_key(1));
  m.done(1, 3);
  EXPECT_EQ(m.get(1), std::optional<std::uint64_t>(3));
  EXPECT_EQ(m.wait(1), outcome<std::uint64_t>(3));
}

TEST(AtomicWaitMap, DroppedLeaderHandleFailsTheKey) {
  map_t m;
  // On the heap, so the test decides when it dies (as try_lead's handle
  // would at the end of a leader's scope or on an exception).
  ASSERT_TRUE(m.register_key(1));
  auto lead = std::make_unique<leader<map_t>>(m, 1);
  EXPECT_FALSE(m.register_key(1));
  blocked_waiters w(m, 1, 2);
  ASSERT_TRUE(eventually([&] { return m.waiting(1) == 2; }));
  lead.reset();  // never completed: its destructor fails the key
  w.join();
  for (const auto& r : w.results) EXPECT_EQ(r, outcome<std::uint64_t>(wait_error::leader_failed));
  EXPECT_TRUE(m.register_key(1));
}

TEST(AtomicWaitMap, CloseWakesEveryBlockedWaiterWithClosed) {
  map_t m;
  ASSERT_TRUE(m.register_key(1));
  ASSERT_TRUE(m.register_key(2));
  blocked_waiters w1(m, 1, 3);
  blocked_waiters w2(m, 2, 2);
  ASSERT_TRUE(eventually([&] { return m.waiting(1) == 3 && m.waiting(2) == 2; }));
  m.close();
  w1.join();
  w2.join();
  for (const auto& r : w1.results) EXPECT_EQ(r, outcome<std::uint64_t>(wait_error::closed));
  for (const auto& r : w2.results) EXPECT_EQ(r, outcome<std::uint64_t>(wait_error::closed));
  EXPECT_EQ(m.wait(1), outcome<std::uint64_t>(wait_error::closed));
  EXPECT_EQ(m.wait(9), outcome<std::uint64_t>(wait_error::closed));
  EXPECT_FALSE(m.register_key(9));
}

TEST(AtomicWaitMap, DestroyingTheMapReleasesBlockedWaitersWithClosed) {
  auto m = std::make_unique<map_t>();
  ASSERT_TRUE(m->register_key(1));
  constexpr int n = 4;
  std::vector<std::optional<outcome<std::uint64_t>>> got(n);
  std::vector<std::thread> pool;
  map_t* raw = m.get();
  for (int i = 0; i < n; ++i) pool.emplace_back([raw, &got, i] { got[std::size_t(i)] = raw->wait(1); });
  ASSERT_TRUE(eventually([&] { return m->waiting(1) == n; }));
  m.reset();
  for (auto& t : pool) t.join();
  for (const auto& r : got) EXPECT_EQ(r, outcome<std::uint64_t>(wait_error::closed));
}

TEST(AtomicWaitMap, WaitForTimesOutAndLeavesNothingBehind) {
  map_t m;
  ASSERT_TRUE(m.register_key(1));
  EXPECT_EQ(m.wait_for(1, std::chrono::milliseconds(1)), outcome<std::uint64_t>(wait_error::timed_out));
  EXPECT_EQ(m.waiting(1), 0u);
  m.done(1, 3);
  EXPECT_EQ(m.wait_for(1, std::chrono::milliseconds(1)), outcome<std::uint64_t>(3));
}

TEST(AtomicWaitMap, WaitForIsWokenByDone) {
  map_t m;
  ASSERT_TRUE(m.register_key(1));
  std::optional<outcome<std::uint64_t>> got;
  std::thread t([&] { got = m.wait_for(1, std::chrono::hours(1)); });
  ASSERT_TRUE(eventually([&] { return m.waiting(1) == 1; }));
  m.done(1, 3);
  t.join();
  EXPECT_EQ(got, outcome<std::uint64_t>(3));
}

TEST(AtomicWaitMap, GetNeverBlocks) {
  map_t m;
  EXPECT_EQ(m.get(1), std::nullopt);  // unknown key
  ASSERT_TRUE(m.register_key(1));
  EXPECT_EQ(m.get(1), std::nullopt);  // pending: returns at once, no value
  m.done(1, 3);
  EXPECT_EQ(m.get(1), std::optional<std::uint64_t>(3));
}

TEST(AtomicWaitMap, WaitOnAnUnknownKeyIsNotRegistered) {
  map_t m;
  EXPECT_EQ(m.wait(1), outcome<std::uint64_t>(wait_error::not_registered));
  EXPECT_EQ(m.wait_for(1, std::chrono::hours(1)), outcome<std::uint64_t>(wait_error::not_registered));
}

TEST(AtomicWaitMap, WaitingCountsBlockedCallers) {
  map_t m;
  EXPECT_EQ(m.waiting(1), 0u);
  ASSERT_TRUE(m.register_key(1));
  EXPECT_EQ(m.waiting(1), 0u);
  blocked_waiters w(m, 1, 5);
  ASSERT_TRUE(eventually([&] { return m.waiting(1) == 5; }));
  EXPECT_EQ(m.waiting(2), 0u);
  m.done(1, 3);
  w.join();
  EXPECT_EQ(m.waiting(1), 0u);
  for (const auto& r : w.results) EXPECT_EQ(r, outcome<std::uint64_t>(3));
}

// More keys than buckets: every list holds several keys, each found by its
// own key, concurrently.
TEST(AtomicWaitMap, ManyKeysShareBucketsWithoutMixingUp) {
  constexpr std::uint64_t keys = 8 * map_t::bucket_count;
  constexpr int threads = 4;
  map_t m;
  std::atomic<int> computes{0};
  std::latch start(threads);
  std::vector<std::thread> pool;
  std::atomic<int> wrong{0};
  for (int i = 0; i < threads; ++i)
    pool.emplace_back([&] {
      start.arrive_and_wait();
      for (std::uint64_t k = 0; k < keys; ++k) {
        auto r = get_or_compute(m, k, [&] {
          computes.fetch_add(1);
          return 2 * k + 1;
        });
        if (!r || r.value() != 2 * k + 1) wrong.fetch_add(1);
      }
    });
  for (auto& t : pool) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(computes.load(), int(keys));
  for (std::uint64_t k = 0; k < keys; ++k) EXPECT_EQ(m.get(k), std::optional<std::uint64_t>(2 * k + 1));
}

// A waiter of a failed round reports that round's error even when the key
// has been registered again (and failed differently) before it looked.
TEST(AtomicWaitMap, EachRoundKeepsItsOwnError) {
  map_t m;
  ASSERT_TRUE(m.register_key(1));
  blocked_waiters w(m, 1, 2);
  ASSERT_TRUE(eventually([&] { return m.waiting(1) == 2; }));
  m.fail(1, wait_error::cancelled);
  ASSERT_TRUE(m.register_key(1));
  m.fail(1, wait_error::leader_failed);
  w.join();
  for (const auto& r : w.results) EXPECT_EQ(r, outcome<std::uint64_t>(wait_error::cancelled));
  EXPECT_EQ(m.wait(1), outcome<std::uint64_t>(wait_error::leader_failed));
  ASSERT_TRUE(m.register_key(1));
  m.done(1, 3);
  EXPECT_EQ(m.wait(1), outcome<std::uint64_t>(3));
}

TEST(AtomicWaitMap, DestroyingTheMapReleasesTimedWaitersToo) {
  auto m = std::make_unique<map_t>();
  ASSERT_TRUE(m->register_key(1));
  constexpr int n = 4;
  std::vector<std::optional<outcome<std::uint64_t>>> got(n);
  std::vector<std::thread> pool;
  map_t* raw = m.get();
  for (int i = 0; i < n; ++i)
    pool.emplace_back([raw, &got, i] {
      got[std::size_t(i)] = i % 2 ? raw->wait(1) : raw->wait_for(1, std::chrono::hours(1));
    });
  ASSERT_TRUE(eventually([&] { return m->waiting(1) == n; }));
  m.reset();
  for (auto& t : pool) t.join();
  for (const auto& r : got) EXPECT_EQ(r, outcome<std::uint64_t>(wait_error::closed));
}

}  // namespace
}  // namespace oncecheck
