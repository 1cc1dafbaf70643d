// The once-map contract (impls/once_map.hpp), written once and checked on
// every correct design (flaw::none), each over std_backend and over
// stress_backend (std_backend plus the watchdog's notes, what the stress
// binaries run). What is particular to one design (its primitive, its memory
// behaviour, its flaws shown deterministically) stays in that design's test
// file.
//
// Nothing here asserts speed. A test that needs waiters blocked spins on
// waiting() until they are, and every thread that may block runs in a `crew`
// (tests/test_support.hpp): a design that strands a caller fails the test
// instead of hanging ctest.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <latch>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "impls/sync/stress_backend.hpp"
#include "impls/atomic_wait_map.hpp"
#include "impls/condvar_map.hpp"
#include "impls/intrusive_map.hpp"
#include "impls/notify_map.hpp"
#include "impls/once_map.hpp"
#include "impls/sharded_entry_map.hpp"
#include "impls/shared_future_map.hpp"
#include "impls/sync/std_backend.hpp"
#include "tests/test_support.hpp"

namespace oncecheck {
namespace {

using namespace std::chrono_literals;
using test_support::crew;
using test_support::kHangTimeout;
using test_support::until_waiting;
using key_t = std::uint64_t;
using value_t = std::uint64_t;
using result = outcome<value_t>;

// WORKLOADS.md: the value of key k is 2k+1.
constexpr value_t value_of(key_t k) { return 2 * k + 1; }

// One result slot per thread, each written by its own thread only and read
// after the join, so the slots need no lock.
using results = std::vector<std::optional<result>>;

template <template <class, class, class, class> class Design, class Sync = sync::std_backend>
using correct = Design<key_t, value_t, Sync, flaw::none>;

template <template <class, class, class, class> class Design, class Flaw>
using flawed = Design<key_t, value_t, sync::std_backend, Flaw>;

// The contract's shape holds for every flaw too: a flaw is a wrong behaviour,
// never a missing operation.
static_assert(require_once_map<flawed<condvar_map, flaw::notify_one_unchained>>());
static_assert(require_once_map<flawed<condvar_map, flaw::check_then_act>>());
static_assert(require_once_map<flawed<sharded_entry_map, flaw::entry_held_across_wait>>());
static_assert(require_once_map<flawed<sharded_entry_map, flaw::get_while_entry_held>>());
static_assert(require_once_map<flawed<sharded_entry_map, flaw::no_wake_on_drop>>());
static_assert(require_once_map<flawed<notify_map, flaw::listener_after_check>>());
static_assert(require_once_map<flawed<intrusive_map, flaw::no_unlink_on_cancel>>());
static_assert(require_once_map<flawed<intrusive_map, flaw::wake_before_wait_lost>>());
static_assert(require_once_map<flawed<shared_future_map, flaw::remove_newer_entry>>());
static_assert(require_once_map<flawed<atomic_wait_map, flaw::relaxed_publish>>());
static_assert(!once_map<int>);

// The names the registry, the matrices and the report know the designs by.
static_assert(correct<condvar_map>::design_name == "condvar");
static_assert(correct<sharded_entry_map>::design_name == "sharded_entry");
static_assert(correct<notify_map>::design_name == "notify");
static_assert(correct<intrusive_map>::design_name == "intrusive");
static_assert(correct<shared_future_map>::design_name == "shared_future");
static_assert(correct<atomic_wait_map>::design_name == "atomic_wait");

template <class Map>
class OnceMapContract : public ::testing::Test {};

using designs = ::testing::Types<
    correct<condvar_map>, correct<sharded_entry_map>, correct<notify_map>, correct<intrusive_map>,
    correct<shared_future_map>, correct<atomic_wait_map>, correct<condvar_map, stress::stress_backend>,
    correct<sharded_entry_map, stress::stress_backend>, correct<notify_map, stress::stress_backend>,
    correct<intrusive_map, stress::stress_backend>, correct<shared_future_map, stress::stress_backend>,
    correct<atomic_wait_map, stress::stress_backend>>;

// Default (numbered) suite names: CTest's test discovery turns them into
// names that carry the full map type; custom names confuse its parser.
TYPED_TEST_SUITE(OnceMapContract, designs);

TYPED_TEST(OnceMapContract, DeclaresItsIdentityAndCapabilities) {
  static_assert(require_once_map<TypeParam>());
  EXPECT_FALSE(TypeParam::design_name.empty());
  // Every case below blocks in wait() and times out in wait_for().
  EXPECT_TRUE(TypeParam::traits.blocking_wait);
  EXPECT_TRUE(TypeParam::traits.timeouts);
  // async_wait is a promise of wait_async() (tests/async_wait_test.cpp).
  EXPECT_EQ(TypeParam::traits.async_wait, contract::has_wait_async<TypeParam>);
  EXPECT_FALSE(TypeParam::traits.on_close.empty());
  EXPECT_FALSE(TypeParam::traits.leader_failure.empty());
}

TYPED_TEST(OnceMapContract, ValueIsComputedOnceAndDeliveredToEveryWaiter) {
  constexpr int kThreads = 8;
  constexpr key_t k = 21;
  TypeParam m;
  std::atomic<int> computes{0};
  std::atomic<bool> saw_every_waiter{false};
  results got(kThreads);
  {
    crew c([&] { m.close(); });
    for (int t = 0; t < kThreads; ++t)
      c.spawn([&, t] {
        got[std::size_t(t)] = get_or_compute(m, k, [&] {
          computes.fetch_add(1);
          // Holding the compute until the other seven are blocked makes all
          // of them waiters, not late callers that find the value ready.
          saw_every_waiter.store(until_waiting(m, k, kThreads - 1));
          return value_of(k);
        });
      });
    EXPECT_TRUE(c.join());
  }
  EXPECT_EQ(computes.load(), 1);
  EXPECT_TRUE(saw_every_waiter.load()) << "waiting() never counted the other " << kThreads - 1 << " callers";
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(got[std::size_t(t)], result(value_of(k))) << "thread " << t;
  EXPECT_EQ(m.waiting(k), 0u);
  EXPECT_EQ(m.get(k), value_of(k));
  EXPECT_FALSE(m.register_key(k)) << "a ready key has no new round";
}

// Callers released together, nobody held: the race for register_key itself.
TYPED_TEST(OnceMapContract, CallersRacingForTheKeyComputeItOnce) {
  constexpr int kThreads = 8, kRounds = 50;
  constexpr key_t k = 7;
  for (int round = 0; round < kRounds; ++round) {
    TypeParam m;
    std::atomic<int> computes{0};
    std::latch start(kThreads);
    results got(kThreads);
    {
      crew c([&] { m.close(); });
      for (int t = 0; t < kThreads; ++t)
        c.spawn([&, t] {
          start.arrive_and_wait();
          got[std::size_t(t)] = get_or_compute(m, k, [&] {
            computes.fetch_add(1);
            return value_of(k);
          });
        });
      ASSERT_TRUE(c.join()) << "round " << round;
    }
    ASSERT_EQ(computes.load(), 1) << "round " << round;
    for (int t = 0; t < kThreads; ++t)
      ASSERT_EQ(got[std::size_t(t)], result(value_of(k))) << "round " << round << ", thread " << t;
    ASSERT_EQ(m.get(k), value_of(k)) << "round " << round;
  }
}

// More keys than any design has shards, several to each, and enough to make
// atomic_wait's table migrate twice while they are inserted: keys that share
// a shard are still told apart, and each is computed once.
constexpr key_t kManyKeys = 64;
static_assert(kManyKeys >= 8 * correct<sharded_entry_map>::shard_count);
static_assert(kManyKeys >= 4 * correct<atomic_wait_map>::initial_capacity);

TYPED_TEST(OnceMapContract, ManyKeysAreEachComputedOnce) {
  constexpr int kThreads = 4;
  constexpr key_t kKeys = kManyKeys;
  TypeParam m;
  std::vector<std::atomic<int>> computes(kKeys);
  std::atomic<int> wrong{0};
  std::latch start(kThreads);
  {
    crew c([&] { m.close(); });
    for (int t = 0; t < kThreads; ++t)
      c.spawn([&] {
        start.arrive_and_wait();
        for (key_t k = 0; k < kKeys; ++k) {
          const result r = get_or_compute(m, k, [&] {
            computes[k].fetch_add(1);
            return value_of(k);
          });
          if (r != result(value_of(k))) wrong.fetch_add(1);
        }
      });
    EXPECT_TRUE(c.join());
  }
  EXPECT_EQ(wrong.load(), 0);
  for (key_t k = 0; k < kKeys; ++k) {
    EXPECT_EQ(computes[k].load(), 1) << "key " << k;
    EXPECT_EQ(m.get(k), value_of(k)) << "key " << k;
  }
}

TYPED_TEST(OnceMapContract, ACompletedKeyAnswersLaterCallersAndHasNoNewRound) {
  constexpr key_t k = 4;
  TypeParam m;
  int computes = 0;
  auto compute = [&] {
    ++computes;
    return value_of(k);
  };
  EXPECT_EQ(get_or_compute(m, k, compute), result(value_of(k)));
  EXPECT_EQ(get_or_compute(m, k, compute), result(value_of(k)));
  EXPECT_EQ(computes, 1);
  // Completed before anyone waited: the value is kept for later waiters.
  EXPECT_EQ(m.wait(k), result(value_of(k)));
  EXPECT_EQ(m.wait(k), result(value_of(k)));
  EXPECT_EQ(m.wait_for(k, 1ms), result(value_of(k)));
  EXPECT_EQ(m.get(k), value_of(k));
  EXPECT_FALSE(m.register_key(k)) << "a ready key has no new round";
  EXPECT_EQ(m.waiting(k), 0u);
}

TYPED_TEST(OnceMapContract, DoneWithoutARoundStillPublishes) {
  constexpr key_t k = 5;
  TypeParam m;
  m.done(k, value_of(k));
  EXPECT_EQ(m.get(k), value_of(k));
  EXPECT_EQ(m.wait(k), result(value_of(k)));
  EXPECT_FALSE(m.register_key(k));
}

TYPED_TEST(OnceMapContract, GetNeverBlocksWhileTheKeyIsPending) {
  constexpr int kWaiters = 2;
  constexpr key_t k = 3;
  TypeParam m;
  EXPECT_EQ(m.get(k), std::nullopt) << "unknown key";
  ASSERT_TRUE(m.register_key(k));
  EXPECT_EQ(m.get(k), std::nullopt) << "pending, nobody waiting yet";
  results got(kWaiters);
  crew waiters([&] { m.close(); });
  for (int t = 0; t < kWaiters; ++t) waiters.spawn([&, t] { got[std::size_t(t)] = m.wait(k); });
  ASSERT_TRUE(until_waiting(m, k, kWaiters));
  std::atomic<bool> got_nothing{false};
  {
    // From another thread, while nobody completes the key and callers are
    // blocked on it: a get that waited for the value would never return.
    crew getter([&] { m.done(k, value_of(k)); });
    getter.spawn([&] { got_nothing.store(!m.get(k).has_value()); });
    EXPECT_TRUE(getter.join()) << "get() blocked on a pending key";
  }
  EXPECT_TRUE(got_nothing.load());
  EXPECT_EQ(m.get(k), std::nullopt);
  EXPECT_EQ(m.waiting(k), std::size_t(kWaiters)) << "get() is not a waiter";
  m.done(k, value_of(k));
  EXPECT_TRUE(waiters.join());
  for (int t = 0; t < kWaiters; ++t) EXPECT_EQ(got[std::size_t(t)], result(value_of(k))) << "waiter " << t;
  EXPECT_EQ(m.get(k), value_of(k));
}

TYPED_TEST(OnceMapContract, WaitOnAnUnknownKeyIsNotRegistered) {
  TypeParam m;
  EXPECT_EQ(m.wait(99), result(wait_error::not_registered));
  // Not a timeout either: nothing will ever come.
  EXPECT_EQ(m.wait_for(99, kHangTimeout), result(wait_error::not_registered));
  // Another key's round does not make this one known.
  ASSERT_TRUE(m.register_key(1));
  EXPECT_EQ(m.wait(2), result(wait_error::not_registered));
  m.done(1, value_of(1));
}

TYPED_TEST(OnceMapContract, RegisterKeyMakesExactlyOneLeaderPerRound) {
  TypeParam m;
  EXPECT_TRUE(m.register_key(5));
  EXPECT_FALSE(m.register_key(5));
  EXPECT_TRUE(m.register_key(6)) << "keys are independent";
  m.done(5, value_of(5));
  m.done(6, value_of(6));
  EXPECT_EQ(m.get(5), value_of(5));
  EXPECT_EQ(m.get(6), value_of(6));
}

// Two rounds fail, each with its own error (the one fail() was given, not a
// fixed leader_failed); the key is free again after each, and a third round
// completes for its own waiters.
TYPED_TEST(OnceMapContract, FailDeliversItsErrorToTheRoundsWaitersAndFreesTheKey) {
  constexpr int kWaiters = 4;
  constexpr key_t k = 7;
  TypeParam m;
  for (const wait_error e : {wait_error::cancelled, wait_error::leader_failed}) {
    SCOPED_TRACE(to_string(e));
    ASSERT_TRUE(m.register_key(k)) << "a failed key must be free to register again";
    EXPECT_FALSE(m.register_key(k));
    results got(kWaiters);
    {
      crew c([&] { m.close(); });
      for (int t = 0; t < kWaiters; ++t) c.spawn([&, t] { got[std::size_t(t)] = m.wait(k); });
      EXPECT_TRUE(until_waiting(m, k, kWaiters));
      m.fail(k, e);
      EXPECT_TRUE(c.join());
    }
    for (int t = 0; t < kWaiters; ++t) EXPECT_EQ(got[std::size_t(t)], result(e)) << "waiter " << t;
    EXPECT_EQ(m.waiting(k), 0u);
    EXPECT_EQ(m.get(k), std::nullopt);
  }

  ASSERT_TRUE(m.register_key(k));
  EXPECT_FALSE(m.register_key(k));
  std::optional<result> third;
  {
    crew c([&] { m.close(); });
    c.spawn([&] { third = m.wait(k); });
    EXPECT_TRUE(until_waiting(m, k, 1));
    m.done(k, value_of(k));
    EXPECT_TRUE(c.join());
  }
  EXPECT_EQ(third, result(value_of(k)));
  EXPECT_EQ(m.get(k), value_of(k));
}

TYPED_TEST(OnceMapContract, DroppedLeaderHandleFailsTheWaitersWithLeaderFailed) {
  constexpr int kWaiters = 3;
  constexpr key_t k = 8;
  TypeParam m;
  results got(kWaiters);
  {
    crew c([&] { m.close(); });
    {
      auto lead = try_lead(m, k);
      ASSERT_TRUE(lead.has_value());
      EXPECT_FALSE(try_lead(m, k).has_value()) << "the key already has a leader";
      EXPECT_FALSE(m.register_key(k));
      for (int t = 0; t < kWaiters; ++t) c.spawn([&, t] { got[std::size_t(t)] = m.wait(k); });
      EXPECT_TRUE(until_waiting(m, k, kWaiters));
      // An early return: the handle goes out of scope without complete().
    }
    EXPECT_TRUE(c.join());
  }
  for (int t = 0; t < kWaiters; ++t)
    EXPECT_EQ(got[std::size_t(t)], result(wait_error::leader_failed)) << "waiter " << t;
  EXPECT_TRUE(try_lead(m, k).has_value()) << "the failed key must be free to lead again";
}

TYPED_TEST(OnceMapContract, CompletedLeaderHandleDoesNotFailTheKey) {
  constexpr key_t k = 9;
  TypeParam m;
  {
    auto lead = try_lead(m, k);
    ASSERT_TRUE(lead.has_value());
    lead->complete(value_of(k));
  }
  EXPECT_EQ(m.get(k), value_of(k));
  EXPECT_EQ(m.wait(k), result(value_of(k)));
}

TYPED_TEST(OnceMapContract, ExceptionFromComputePropagatesAndWaitersGetLeaderFailed) {
  constexpr int kWaiters = 4;
  constexpr key_t k = 10;
  TypeParam m;
  std::atomic<int> waiter_computes{0};
  results got(kWaiters);
  {
    crew c([&] { m.close(); });
    // The waiters start inside the compute, so the key is pending for them
    // and every one of them is a waiter, never a second leader.
    EXPECT_THROW(get_or_compute(m, k,
                                [&]() -> value_t {
                                  for (int t = 0; t < kWaiters; ++t)
                                    c.spawn([&, t] {
                                      got[std::size_t(t)] = get_or_compute(m, k, [&] {
                                        waiter_computes.fetch_add(1);
                                        return value_of(k);
                                      });
                                    });
                                  EXPECT_TRUE(until_waiting(m, k, kWaiters));
                                  throw std::runtime_error("the network is down");
                                }),
                 std::runtime_error);
    EXPECT_TRUE(c.join());
  }
  EXPECT_EQ(waiter_computes.load(), 0);
  for (int t = 0; t < kWaiters; ++t)
    EXPECT_EQ(got[std::size_t(t)], result(wait_error::leader_failed)) << "waiter " << t;
  EXPECT_EQ(m.waiting(k), 0u);
  // The round is over; the next caller leads a new one.
  EXPECT_EQ(get_or_compute(m, k, [] { return value_of(k); }), result(value_of(k)));
}

TYPED_TEST(OnceMapContract, CloseWakesEveryWaiterWithClosedAndStaysClosed) {
  constexpr int kWaitersPerKey = 3;
  constexpr key_t k1 = 11, k2 = 12, ready = 13, published = 14, unknown = 77;
  TypeParam m;
  ASSERT_TRUE(m.register_key(k1));
  ASSERT_TRUE(m.register_key(k2));
  ASSERT_TRUE(m.register_key(ready));
  m.done(ready, value_of(ready));
  m.done(published, value_of(published));  // without a round
  results got(2 * kWaitersPerKey);
  {
    crew c([&] { m.close(); });
    // Per key, plain waiters and a timed one that would sleep for an hour.
    for (int t = 0; t < 2 * kWaitersPerKey; ++t)
      c.spawn([&, t] {
        const key_t k = t % 2 ? k2 : k1;
        got[std::size_t(t)] = t < 2 ? m.wait_for(k, 1h) : m.wait(k);
      });
    EXPECT_TRUE(until_waiting(m, k1, kWaitersPerKey));
    EXPECT_TRUE(until_waiting(m, k2, kWaitersPerKey));
    m.close();
    EXPECT_TRUE(c.join());
  }
  for (int t = 0; t < 2 * kWaitersPerKey; ++t)
    EXPECT_EQ(got[std::size_t(t)], result(wait_error::closed)) << "waiter " << t;
  EXPECT_EQ(m.waiting(k1), 0u);
  EXPECT_EQ(m.waiting(k2), 0u);

  EXPECT_EQ(m.wait(k1), result(wait_error::closed));
  EXPECT_EQ(m.wait_for(k2, kHangTimeout), result(wait_error::closed));
  EXPECT_EQ(m.wait(unknown), result(wait_error::closed)) << "an unknown key after close";
  EXPECT_FALSE(m.register_key(k1));
  EXPECT_FALSE(m.register_key(unknown));
  m.done(k1, value_of(k1));  // too late: must not publish
  m.done(unknown, value_of(unknown));
  EXPECT_EQ(m.get(k1), std::nullopt);
  EXPECT_EQ(m.get(unknown), std::nullopt);
  // Values published before the close stay readable.
  EXPECT_EQ(m.get(ready), value_of(ready));
  EXPECT_EQ(m.get(published), value_of(published));
  m.close();  // a second close is harmless
}

TYPED_TEST(OnceMapContract, DestroyingTheMapWakesBlockedWaitersWithClosed) {
  constexpr int kWaiters = 4;
  constexpr key_t k = 15;
  auto owner = std::make_unique<TypeParam>();
  // The waiters hold the raw pointer: reading the unique_ptr while it is
  // reset would itself be a race.
  TypeParam* m = owner.get();
  ASSERT_TRUE(m->register_key(k));  // a leader that never completes
  results got(kWaiters);
  {
    // Once the map is gone there is nothing left to rescue with.
    crew c([&] {
      if (owner) owner->close();
    });
    for (int t = 0; t < kWaiters; ++t)
      c.spawn([&got, m, t, k] { got[std::size_t(t)] = t % 2 ? m->wait_for(k, 1h) : m->wait(k); });
    EXPECT_TRUE(until_waiting(*m, k, kWaiters));
    owner.reset();
    EXPECT_TRUE(c.join());
  }
  for (int t = 0; t < kWaiters; ++t) EXPECT_EQ(got[std::size_t(t)], result(wait_error::closed)) << "waiter " << t;
}

TYPED_TEST(OnceMapContract, WaitForTimesOutAndLeavesNoWaiterBehind) {
  constexpr key_t k = 16;
  TypeParam m;
  ASSERT_TRUE(m.register_key(k));
  EXPECT_EQ(m.wait_for(k, 1ms), result(wait_error::timed_out));
  EXPECT_EQ(m.wait_for(k, 0ns), result(wait_error::timed_out));
  EXPECT_EQ(m.waiting(k), 0u);

  // Beside a waiter that stays: the timed-out one is uncounted, the other
  // still counted and still woken by done().
  std::optional<result> stayer, quitter;
  {
    crew stays([&] { m.close(); });
    stays.spawn([&] { stayer = m.wait(k); });
    EXPECT_TRUE(until_waiting(m, k, 1));
    {
      crew quits([&] { m.done(k, value_of(k)); });
      quits.spawn([&] { quitter = m.wait_for(k, 10ms); });
      EXPECT_TRUE(quits.join()) << "wait_for did not time out";
    }
    EXPECT_EQ(m.waiting(k), 1u);
    m.done(k, value_of(k));
    EXPECT_TRUE(stays.join());
  }
  EXPECT_EQ(quitter, result(wait_error::timed_out));
  EXPECT_EQ(stayer, result(value_of(k)));
  EXPECT_EQ(m.waiting(k), 0u);
  // A ready key answers a timed wait with its value.
  EXPECT_EQ(m.wait_for(k, 1ms), result(value_of(k)));
}

TYPED_TEST(OnceMapContract, WaitForIsWokenByDone) {
  constexpr key_t k = 17;
  TypeParam m;
  ASSERT_TRUE(m.register_key(k));
  std::optional<result> got;
  {
    crew c([&] { m.close(); });
    c.spawn([&] { got = m.wait_for(k, 1h); });
    EXPECT_TRUE(until_waiting(m, k, 1));
    m.done(k, value_of(k));
    EXPECT_TRUE(c.join()) << "done() did not wake a timed waiter";
  }
  EXPECT_EQ(got, result(value_of(k)));
}

TYPED_TEST(OnceMapContract, WaitingCountsBlockedWaiters) {
  constexpr int kWaiters = 5;
  constexpr key_t k = 18, other = 19;
  TypeParam m;
  EXPECT_EQ(m.waiting(k), 0u) << "unknown key";
  ASSERT_TRUE(m.register_key(k));
  ASSERT_TRUE(m.register_key(other));
  EXPECT_EQ(m.waiting(k), 0u) << "the leader is not a waiter";
  results got(kWaiters);
  {
    crew c([&] { m.close(); });
    for (int t = 0; t < kWaiters; ++t) {
      c.spawn([&, t] { got[std::size_t(t)] = m.wait(k); });
      // One at a time: the count must follow each arrival.
      EXPECT_TRUE(until_waiting(m, k, std::size_t(t) + 1)) << "after waiter " << t;
    }
    EXPECT_EQ(m.waiting(other), 0u) << "waiters are counted per key";
    m.done(k, value_of(k));
    EXPECT_TRUE(c.join());
  }
  EXPECT_EQ(m.waiting(k), 0u);
  for (int t = 0; t < kWaiters; ++t) EXPECT_EQ(got[std::size_t(t)], result(value_of(k))) << "waiter " << t;
  m.done(other, value_of(other));
}

// The other keys fill every shard twice, the pending key's own among them,
// and migrate atomic_wait's table while the key is pending.
TYPED_TEST(OnceMapContract, APendingKeyDoesNotHoldUpOtherKeys) {
  constexpr key_t k = 20, first_other = 100, others = 16;
  static_assert(others >= 2 * correct<sharded_entry_map>::shard_count);
  static_assert(others >= correct<atomic_wait_map>::initial_capacity);
  TypeParam m;
  ASSERT_TRUE(m.register_key(k));  // not completed before the other keys are
  std::optional<result> slow;
  crew waiter([&] { m.close(); });
  waiter.spawn([&] { slow = m.wait(k); });
  ASSERT_TRUE(until_waiting(m, k, 1));
  std::atomic<int> wrong{0};
  {
    // Completing k is the rescue: it frees whatever a design held for it.
    crew c([&] { m.done(k, value_of(k)); });
    c.spawn([&] {
      for (key_t o = first_other; o < first_other + others; ++o)
        if (get_or_compute(m, o, [o] { return value_of(o); }) != result(value_of(o))) wrong.fetch_add(1);
    });
    EXPECT_TRUE(c.join()) << "another key waited for the pending one";
  }
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(m.waiting(k), 1u);
  m.done(k, value_of(k));
  EXPECT_TRUE(waiter.join());
  EXPECT_EQ(slow, result(value_of(k)));
}

// The completion races the waiters' first look at the key on every round: a
// wake-up lost between a waiter's check and its sleep would strand it.
TYPED_TEST(OnceMapContract, CompletionRacingTheWaitersIsNeverLost) {
  constexpr int kRounds = 1000, kWaiters = 3;
  constexpr key_t k = 7;
  for (int round = 0; round < kRounds; ++round) {
    TypeParam m;
    ASSERT_TRUE(m.register_key(k));
    std::atomic<int> arrived{0};
    results got(kWaiters);
    {
      crew c([&] { m.close(); });
      for (int t = 0; t < kWaiters; ++t)
        c.spawn([&, t] {
          arrived.fetch_add(1);
          got[std::size_t(t)] = m.wait(k);
        });
      while (arrived.load() < kWaiters) std::this_thread::yield();
      m.done(k, value_of(k));
      ASSERT_TRUE(c.join()) << "round " << round << ": a waiter missed the completion";
    }
    for (int t = 0; t < kWaiters; ++t)
      ASSERT_EQ(got[std::size_t(t)], result(value_of(k))) << "round " << round << ", waiter " << t;
  }
}

}  // namespace
}  // namespace oncecheck
