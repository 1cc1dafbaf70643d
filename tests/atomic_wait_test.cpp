// atomic_wait_map: what is particular to the design, on real threads,
// std_backend: a key's rounds are separate nodes, so a waiter of a failed
// round keeps that round's error even after the key has been led and failed
// again; the table grows by migration while threads register and read, with
// one leader per key and every hit answered, never past three quarters full
// while the next table is built off the lock, and a failed round is replaced
// in its slot across a migration. The once-map contract (including many keys sharing a bucket list,
// and timed waiters released by the destructor) is checked on it in
// once_map_contract_test.cpp.
//
// No timing assertions: a test that needs waiters blocked spins on waiting()
// until they are, and every thread that may block runs in a crew
// (tests/test_support.hpp), so a stranded waiter fails instead of hanging.
#include "impls/atomic_wait_map.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

#include "tests/test_support.hpp"

namespace oncecheck {
namespace {

using test_support::crew;
using test_support::until_waiting;
using map_t = atomic_wait_map<std::uint64_t, std::uint64_t>;
using result = outcome<std::uint64_t>;

// A waiter of a failed round reports that round's error even when the key
// has been registered again (and failed differently) before it looked.
TEST(AtomicWaitMap, EachRoundKeepsItsOwnError) {
  constexpr int kWaiters = 2;
  map_t m;
  ASSERT_TRUE(m.register_key(1));
  std::vector<std::optional<result>> got(kWaiters);
  {
    crew c([&] { m.close(); });
    for (int t = 0; t < kWaiters; ++t) c.spawn([&, t] { got[std::size_t(t)] = m.wait(1); });
    ASSERT_TRUE(until_waiting(m, 1, kWaiters));
    m.fail(1, wait_error::cancelled);
    ASSERT_TRUE(m.register_key(1));
    m.fail(1, wait_error::leader_failed);
    EXPECT_TRUE(c.join());
  }
  for (const auto& r : got) EXPECT_EQ(r, result(wait_error::cancelled));
  EXPECT_EQ(m.wait(1), result(wait_error::leader_failed)) << "a later caller sees the newest round";
  ASSERT_TRUE(m.register_key(1));
  m.done(1, 3);
  EXPECT_EQ(m.wait(1), result(3));
}


// Several threads register disjoint and shared keys, far more than the
// initial table holds: every key has exactly one leader however many
// migrations happen while they insert, and every key's value is there after.
TEST(AtomicWaitMap, ResizesUnderManyKeysWithOneLeaderPerKey) {
  constexpr int kThreads = 4;
  constexpr std::uint64_t kKeys = 20'000;
  map_t m;
  const std::size_t initial = m.capacity();
  std::vector<std::atomic<int>> leaders(kKeys);
  {
    crew c([&] { m.close(); });
    for (int t = 0; t < kThreads; ++t)
      c.spawn([&, t] {
        // Every thread walks every key, from a different start, so each key
        // is raced for by all of them.
        for (std::uint64_t i = 0; i < kKeys; ++i) {
          const std::uint64_t k = (i + std::uint64_t(t) * (kKeys / kThreads)) % kKeys;
          if (m.register_key(k)) {
            leaders[k].fetch_add(1);
            m.done(k, k * 3);
          }
        }
      });
    EXPECT_TRUE(c.join());
  }
  for (std::uint64_t k = 0; k < kKeys; ++k) {
    ASSERT_EQ(leaders[k].load(), 1) << "key " << k;
    ASSERT_EQ(m.get(k), std::optional<std::uint64_t>(k * 3)) << "key " << k;
  }
  EXPECT_GE(m.capacity(), 2 * kKeys) << "the table stays at most half full";
  EXPECT_GT(m.capacity(), initial);
}

// On real threads the next table is built off the writer lock, and the
// other writers go on inserting into the current one past half full while
// it is: never past three quarters, however the threads interleave. Each
// thread counts a key after its insert and reads the count before the
// capacity, which only grows: count <= keys <= 3/4 of the capacity at that
// instant <= 3/4 of the capacity read after. Once every insert is over, the
// builder has published its table and the map is at most half full again.
TEST(AtomicWaitMap, NeverFillsPastThreeQuartersWhileTheNextTableIsBuilt) {
  constexpr int kThreads = 4;
  constexpr std::uint64_t kPerThread = 30'000;
  map_t m;
  std::atomic<std::uint64_t> inserted{0};
  std::atomic<std::uint64_t> no_leader{0}, past_three_quarters{0};
  {
    crew c([&] { m.close(); });
    for (int t = 0; t < kThreads; ++t)
      c.spawn([&, t] {
        for (std::uint64_t i = 0; i < kPerThread; ++i) {
          const std::uint64_t k = std::uint64_t(t) << 32 | i;
          if (!m.register_key(k)) {
            no_leader.fetch_add(1);  // each key is this thread's alone
            continue;
          }
          m.done(k, k);
          const std::uint64_t count = inserted.fetch_add(1) + 1;
          if (count * 4 > m.capacity() * 3) past_three_quarters.fetch_add(1);
        }
      });
    EXPECT_TRUE(c.join());
  }
  EXPECT_EQ(no_leader.load(), 0u);
  EXPECT_EQ(past_three_quarters.load(), 0u);
  for (int t = 0; t < kThreads; ++t)
    for (std::uint64_t i = 0; i < kPerThread; ++i) {
      const std::uint64_t k = std::uint64_t(t) << 32 | i;
      ASSERT_EQ(m.get(k), std::optional<std::uint64_t>(k)) << "key " << k;
    }
  EXPECT_GE(m.capacity(), 2 * kThreads * kPerThread);
}

// A round that failed is replaced by the next leader even when the table
// has migrated in between: the key's slot in the new table holds the failed
// round, register_key leads once, and the old round's waiter keeps its error.
TEST(AtomicWaitMap, FailedRoundIsReplacedAcrossAMigration) {
  map_t m;
  ASSERT_TRUE(m.register_key(0));
  std::optional<result> got;
  {
    crew c([&] { m.close(); });
    c.spawn([&] { got = m.wait(0); });
    ASSERT_TRUE(until_waiting(m, 0, 1));
    m.fail(0, wait_error::leader_failed);
    EXPECT_TRUE(c.join());
  }
  EXPECT_EQ(got, result(wait_error::leader_failed));
  const std::size_t before = m.capacity();
  for (std::uint64_t k = 1; k < 1000; ++k) {
    ASSERT_TRUE(m.register_key(k));
    m.done(k, k);
  }
  ASSERT_GT(m.capacity(), before) << "the test needs a migration between the failure and the new round";
  EXPECT_EQ(m.wait(0), result(wait_error::leader_failed)) << "the failed round moved with its key";
  ASSERT_TRUE(m.register_key(0)) << "a failed round is replaced";
  EXPECT_FALSE(m.register_key(0)) << "one leader per round";
  m.done(0, 42);
  EXPECT_EQ(m.get(0), std::optional<std::uint64_t>(42));
  for (std::uint64_t k = 1; k < 1000; ++k) ASSERT_EQ(m.get(k), std::optional<std::uint64_t>(k));
}

// Registers fresh keys from `next` until an insert begins a migration;
// returns the first key not registered.
std::uint64_t insert_until_migrating(map_t& m, std::uint64_t next) {
  while (!m.migrating()) {
    EXPECT_TRUE(m.register_key(next));
    m.done(next, next);
    ++next;
  }
  return next;
}

// A migration is copied a few slots per insert: while it is half done every
// key is found whichever table holds it, a failed round still in the older
// table is replaced there (and moves with the copy), and the round's key
// keeps one leader.
TEST(AtomicWaitMap, LookupsAndReplacementsWhileAMigrationIsHalfDone) {
  map_t m;
  ASSERT_TRUE(m.register_key(0));  // pending, in the table that will be replaced
  std::uint64_t next = insert_until_migrating(m, 1);
  ASSERT_TRUE(m.migrating());
  for (std::uint64_t k = 1; k < next; ++k) ASSERT_EQ(m.get(k), std::optional<std::uint64_t>(k)) << "key " << k;
  EXPECT_FALSE(m.register_key(0)) << "the pending round in the older table is found";
  m.fail(0, wait_error::leader_failed);
  ASSERT_TRUE(m.register_key(0)) << "the failed round is replaced";
  EXPECT_FALSE(m.register_key(0)) << "one leader per round";
  m.done(0, 42);
  while (m.migrating()) {
    ASSERT_TRUE(m.register_key(next));
    m.done(next, next);
    ++next;
  }
  EXPECT_EQ(m.get(0), std::optional<std::uint64_t>(42)) << "the replacement was copied";
  for (std::uint64_t k = 1; k < next; ++k) ASSERT_EQ(m.get(k), std::optional<std::uint64_t>(k)) << "key " << k;
}

// A map destroyed, or closed, with a migration half done: close() ends the
// rounds not yet copied, and the destructor frees them (the ASan build of
// this test reports a leak or a double free otherwise).
TEST(AtomicWaitMap, CloseAndDestroyWithAMigrationHalfDone) {
  auto m = std::make_unique<map_t>();
  ASSERT_TRUE(m->register_key(0));
  insert_until_migrating(*m, 1);
  ASSERT_TRUE(m->migrating());
  m->close();
  EXPECT_EQ(m->wait(0), result(wait_error::closed)) << "close ended the round still in the older table";
  m.reset();
}

// Readers hit keys that were inserted before while a writer inserts enough
// keys to migrate the table many times: a hit never misses and never sees a
// wrong value, whichever table (old or new) it reads.
TEST(AtomicWaitMap, HitsAreAnsweredDuringMigration) {
  constexpr int kReaders = 3;
  constexpr std::uint64_t kHot = 64, kCold = 50'000;
  map_t m;
  for (std::uint64_t k = 0; k < kHot; ++k) {
    ASSERT_TRUE(m.register_key(k));
    m.done(k, k + 7);
  }
  const std::size_t before = m.capacity();
  std::atomic<bool> writing{true};
  std::atomic<std::uint64_t> wrong{0}, hits{0};
  {
    crew c([&] { writing.store(false); });
    for (int r = 0; r < kReaders; ++r)
      c.spawn([&] {
        std::uint64_t mine = 0;
        while (writing.load(std::memory_order_relaxed)) {
          for (std::uint64_t k = 0; k < kHot; ++k, ++mine)
            if (m.get(k) != std::optional<std::uint64_t>(k + 7)) wrong.fetch_add(1);
        }
        hits.fetch_add(mine);
      });
    c.spawn([&] {
      for (std::uint64_t k = kHot; k < kHot + kCold; ++k)
        if (m.register_key(k)) m.done(k, k + 7);
      writing.store(false);
    });
    EXPECT_TRUE(c.join());
  }
  EXPECT_EQ(wrong.load(), 0u);
  EXPECT_GT(hits.load(), 0u);
  EXPECT_GE(m.capacity(), 16 * before) << "the writer migrated the table several times";
}

}  // namespace
}  // namespace oncecheck
