// The once-map contract (impls/once_map.hpp) checked on condvar_map over the
// real-thread backends: std_backend, and stress_backend (std_backend plus the
// watchdog's notes), which the stress binaries run the design on.
//
// Nothing here asserts speed. Every test that blocks threads joins them
// through `crew`, which gives up after a generous deadline: a design that
// strands a waiter fails the test instead of hanging ctest.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <thread>
#include <vector>

#include "harness/stress_backend.hpp"
#include "impls/condvar_map.hpp"
#include "impls/once_map.hpp"
#include "impls/sync/std_backend.hpp"

namespace oncecheck {
namespace {

using namespace std::chrono_literals;
using key_t = std::uint64_t;
using value_t = std::uint64_t;

// Generous: only a hang should ever get near it.
constexpr auto kHangTimeout = 30s;

// WORKLOADS.md: the value of key k is 2k+1.
constexpr value_t value_of(key_t k) { return 2 * k + 1; }

static_assert(require_once_map<condvar_map<key_t, value_t, sync::std_backend>>());
static_assert(require_once_map<condvar_map<key_t, value_t, stress::stress_backend>>());
static_assert(require_once_map<condvar_map<key_t, value_t, sync::std_backend, flaw::notify_one_unchained>>());
static_assert(require_once_map<condvar_map<key_t, value_t, sync::std_backend, flaw::check_then_act>>());

// Threads that are joined only once all of them have returned. A test calls
// `join_or_rescue`: if they have not all returned by the deadline, the test
// fails and the rescue (usually close()) gets a chance to free them so they
// can still be joined. If even that does not free them, the process ends
// with a message: a thread stuck forever cannot be joined or abandoned safely.
class crew {
 public:
  crew() = default;
  crew(const crew&) = delete;
  crew& operator=(const crew&) = delete;
  ~crew() {
    if (!all_returned_within(kHangTimeout)) {
      std::fprintf(stderr, "condvar_map_test: %d thread(s) still blocked; giving up\n",
                   int(threads_.size()) - returned_.load());
      std::_Exit(3);
    }
    for (auto& t : threads_) t.join();
  }

  template <class F>
  void spawn(F body) {
    threads_.emplace_back([this, body = std::move(body)]() mutable {
      body();
      returned_.fetch_add(1, std::memory_order_release);
    });
  }

  bool all_returned_within(std::chrono::nanoseconds d) const {
    const auto until = std::chrono::steady_clock::now() + d;
    while (returned_.load(std::memory_order_acquire) != int(threads_.size())) {
      if (std::chrono::steady_clock::now() >= until) return false;
      std::this_thread::sleep_for(1ms);
    }
    return true;
  }

  // True when every thread returned on its own; otherwise runs `rescue`.
  bool join_or_rescue(const std::function<void()>& rescue) {
    const bool ok = all_returned_within(kHangTimeout);
    if (!ok) rescue();
    return ok;
  }

 private:
  std::vector<std::thread> threads_;
  std::atomic<int> returned_{0};
};

// Spins until `waiting(k)` reaches n: only then is every waiter known to be
// blocked, which is the state the contract is about.
template <class Map>
bool until_waiting(const Map& m, key_t k, std::size_t n) {
  const auto until = std::chrono::steady_clock::now() + kHangTimeout;
  while (m.waiting(k) != n) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::yield();
  }
  return true;
}

// One result slot per thread, each written by its own thread only and read
// after the join, so the slots need no lock.
template <class V>
using results = std::vector<std::optional<outcome<V>>>;

template <class Map>
class CondvarMapTest : public ::testing::Test {};

using backends = ::testing::Types<condvar_map<key_t, value_t, sync::std_backend>,
                                  condvar_map<key_t, value_t, stress::stress_backend>>;

// Default (numbered) suite names: CTest's test discovery turns them into
// names that carry the full map type; custom names confuse its parser.
TYPED_TEST_SUITE(CondvarMapTest, backends);

TYPED_TEST(CondvarMapTest, DeclaresItsIdentityAndCapabilities) {
  EXPECT_EQ(TypeParam::design_name, "condvar");
  EXPECT_TRUE(TypeParam::traits.blocking_wait);
  EXPECT_TRUE(TypeParam::traits.timeouts);
  EXPECT_FALSE(TypeParam::traits.async_wait);
}

TYPED_TEST(CondvarMapTest, ValueIsComputedOnceAndDeliveredToEveryWaiter) {
  constexpr int kThreads = 8;
  constexpr key_t k = 21;
  TypeParam m;
  std::atomic<int> computes{0};
  std::atomic<bool> saw_every_waiter{false};
  results<value_t> got(kThreads);
  {
    crew c;
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
    EXPECT_TRUE(c.join_or_rescue([&] { m.close(); }));
  }
  EXPECT_EQ(computes.load(), 1);
  EXPECT_TRUE(saw_every_waiter.load()) << "waiting() never counted the other " << kThreads - 1 << " callers";
  for (int t = 0; t < kThreads; ++t) {
    ASSERT_TRUE(got[std::size_t(t)].has_value()) << "thread " << t;
    ASSERT_TRUE(got[std::size_t(t)]->has_value())
        << "thread " << t << " got " << to_string(got[std::size_t(t)]->error());
    EXPECT_EQ(got[std::size_t(t)]->value(), value_of(k)) << "thread " << t;
  }
  EXPECT_EQ(m.waiting(k), 0u);
  EXPECT_EQ(m.get(k), value_of(k));
}

TYPED_TEST(CondvarMapTest, LaterCallersGetTheValueWithoutComputing) {
  constexpr key_t k = 4;
  TypeParam m;
  int computes = 0;
  auto compute = [&] {
    ++computes;
    return value_of(k);
  };
  EXPECT_EQ(get_or_compute(m, k, compute), outcome<value_t>(value_of(k)));
  EXPECT_EQ(get_or_compute(m, k, compute), outcome<value_t>(value_of(k)));
  EXPECT_EQ(m.wait(k), outcome<value_t>(value_of(k)));
  EXPECT_EQ(m.wait_for(k, 1ms), outcome<value_t>(value_of(k)));
  EXPECT_FALSE(m.register_key(k)) << "a ready key has no new round";
  EXPECT_EQ(computes, 1);
}

TYPED_TEST(CondvarMapTest, GetNeverBlocksWhileTheKeyIsPending) {
  constexpr key_t k = 3;
  TypeParam m;
  EXPECT_EQ(m.get(k), std::nullopt) << "unknown key";
  ASSERT_TRUE(m.register_key(k));
  std::atomic<bool> got_nothing{false};
  {
    // From another thread, while nobody completes the key: a get that waited
    // for the value would never return.
    crew c;
    c.spawn([&] { got_nothing.store(!m.get(k).has_value()); });
    EXPECT_TRUE(c.join_or_rescue([&] { m.done(k, value_of(k)); })) << "get() blocked on a pending key";
  }
  EXPECT_TRUE(got_nothing.load());
  EXPECT_EQ(m.waiting(k), 0u) << "get() is not a waiter";
  m.done(k, value_of(k));
  EXPECT_EQ(m.get(k), value_of(k));
}

TYPED_TEST(CondvarMapTest, WaitOnAnUnknownKeyIsNotRegistered) {
  TypeParam m;
  const outcome<value_t> w = m.wait(99);
  ASSERT_FALSE(w.has_value());
  EXPECT_EQ(w.error(), wait_error::not_registered);
  const outcome<value_t> wf = m.wait_for(99, kHangTimeout);
  ASSERT_FALSE(wf.has_value());
  EXPECT_EQ(wf.error(), wait_error::not_registered);
  // Another key's round does not make this one known.
  ASSERT_TRUE(m.register_key(1));
  EXPECT_EQ(m.wait(2), outcome<value_t>(wait_error::not_registered));
  m.done(1, value_of(1));
}

TYPED_TEST(CondvarMapTest, RegisterKeyMakesExactlyOneLeaderPerRound) {
  TypeParam m;
  EXPECT_TRUE(m.register_key(5));
  EXPECT_FALSE(m.register_key(5));
  EXPECT_TRUE(m.register_key(6)) << "keys are independent";
  m.done(5, value_of(5));
  m.done(6, value_of(6));
  EXPECT_EQ(m.get(5), value_of(5));
  EXPECT_EQ(m.get(6), value_of(6));
}

TYPED_TEST(CondvarMapTest, FailDeliversTheErrorToBlockedWaitersAndFreesTheKey) {
  constexpr int kWaiters = 4;
  constexpr key_t k = 7;
  TypeParam m;
  ASSERT_TRUE(m.register_key(k));
  results<value_t> got(kWaiters);
  {
    crew c;
    for (int t = 0; t < kWaiters; ++t) c.spawn([&, t] { got[std::size_t(t)] = m.wait(k); });
    EXPECT_TRUE(until_waiting(m, k, kWaiters));
    // Not leader_failed: the waiters must get the error fail() was given.
    m.fail(k, wait_error::cancelled);
    EXPECT_TRUE(c.join_or_rescue([&] { m.close(); }));
  }
  for (int t = 0; t < kWaiters; ++t)
    EXPECT_EQ(got[std::size_t(t)], outcome<value_t>(wait_error::cancelled)) << "waiter " << t;
  EXPECT_EQ(m.waiting(k), 0u);
  EXPECT_EQ(m.get(k), std::nullopt);

  // A new round: a new leader, and its waiters get its value.
  ASSERT_TRUE(m.register_key(k)) << "a failed key must be free to register again";
  EXPECT_FALSE(m.register_key(k));
  std::optional<outcome<value_t>> second;
  {
    crew c;
    c.spawn([&] { second = m.wait(k); });
    EXPECT_TRUE(until_waiting(m, k, 1));
    m.done(k, value_of(k));
    EXPECT_TRUE(c.join_or_rescue([&] { m.close(); }));
  }
  EXPECT_EQ(second, outcome<value_t>(value_of(k)));
  EXPECT_EQ(m.get(k), value_of(k));
}

TYPED_TEST(CondvarMapTest, DroppedLeaderHandleFailsTheWaitersWithLeaderFailed) {
  constexpr int kWaiters = 3;
  constexpr key_t k = 8;
  TypeParam m;
  results<value_t> got(kWaiters);
  {
    crew c;
    {
      auto lead = try_lead(m, k);
      ASSERT_TRUE(lead.has_value());
      EXPECT_FALSE(try_lead(m, k).has_value()) << "the key already has a leader";
      for (int t = 0; t < kWaiters; ++t) c.spawn([&, t] { got[std::size_t(t)] = m.wait(k); });
      EXPECT_TRUE(until_waiting(m, k, kWaiters));
      // An early return: the handle goes out of scope without complete().
    }
    EXPECT_TRUE(c.join_or_rescue([&] { m.close(); }));
  }
  for (int t = 0; t < kWaiters; ++t)
    EXPECT_EQ(got[std::size_t(t)], outcome<value_t>(wait_error::leader_failed)) << "waiter " << t;
  EXPECT_TRUE(try_lead(m, k).has_value()) << "the failed key must be free to lead again";
}

TYPED_TEST(CondvarMapTest, CompletedLeaderHandleDoesNotFailTheKey) {
  constexpr key_t k = 9;
  TypeParam m;
  {
    auto lead = try_lead(m, k);
    ASSERT_TRUE(lead.has_value());
    lead->complete(value_of(k));
  }
  EXPECT_EQ(m.get(k), value_of(k));
  EXPECT_EQ(m.wait(k), outcome<value_t>(value_of(k)));
}

TYPED_TEST(CondvarMapTest, ExceptionFromComputePropagatesAndWaitersGetLeaderFailed) {
  constexpr int kWaiters = 4;
  constexpr key_t k = 10;
  TypeParam m;
  std::atomic<int> waiter_computes{0};
  results<value_t> got(kWaiters);
  {
    crew c;
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
    EXPECT_TRUE(c.join_or_rescue([&] { m.close(); }));
  }
  EXPECT_EQ(waiter_computes.load(), 0);
  for (int t = 0; t < kWaiters; ++t)
    EXPECT_EQ(got[std::size_t(t)], outcome<value_t>(wait_error::leader_failed)) << "waiter " << t;
  EXPECT_EQ(m.waiting(k), 0u);
  // The round is over; the next caller leads a new one.
  EXPECT_EQ(get_or_compute(m, k, [] { return value_of(k); }), outcome<value_t>(value_of(k)));
}

TYPED_TEST(CondvarMapTest, CloseWakesEveryWaiterWithClosedAndStaysClosed) {
  constexpr int kWaitersPerKey = 3;
  constexpr key_t k1 = 11, k2 = 12, ready = 13;
  TypeParam m;
  ASSERT_TRUE(m.register_key(k1));
  ASSERT_TRUE(m.register_key(k2));
  ASSERT_TRUE(m.register_key(ready));
  m.done(ready, value_of(ready));
  results<value_t> got(2 * kWaitersPerKey);
  {
    crew c;
    for (int t = 0; t < 2 * kWaitersPerKey; ++t)
      c.spawn([&, t] { got[std::size_t(t)] = m.wait(t % 2 ? k2 : k1); });
    EXPECT_TRUE(until_waiting(m, k1, kWaitersPerKey));
    EXPECT_TRUE(until_waiting(m, k2, kWaitersPerKey));
    m.close();
    // No rescue is left to try: close() was it.
    EXPECT_TRUE(c.join_or_rescue([] {}));
  }
  for (int t = 0; t < 2 * kWaitersPerKey; ++t)
    EXPECT_EQ(got[std::size_t(t)], outcome<value_t>(wait_error::closed)) << "waiter " << t;

  EXPECT_EQ(m.wait(k1), outcome<value_t>(wait_error::closed));
  EXPECT_EQ(m.wait_for(k2, kHangTimeout), outcome<value_t>(wait_error::closed));
  EXPECT_EQ(m.wait(77), outcome<value_t>(wait_error::closed)) << "an unknown key after close";
  EXPECT_FALSE(m.register_key(k1));
  EXPECT_FALSE(m.register_key(77));
  m.done(k1, value_of(k1));  // too late: must not publish
  EXPECT_EQ(m.get(k1), std::nullopt);
  EXPECT_EQ(m.get(77), std::nullopt);
  m.close();  // a second close is harmless
}

TYPED_TEST(CondvarMapTest, DestroyingTheMapWakesBlockedWaitersWithClosed) {
  constexpr int kWaiters = 4;
  constexpr key_t k = 14;
  auto owner = std::make_unique<TypeParam>();
  // The waiters hold the raw pointer: reading the unique_ptr while it is
  // reset would itself be a race.
  TypeParam* m = owner.get();
  ASSERT_TRUE(m->register_key(k));  // a leader that never completes
  results<value_t> got(kWaiters);
  {
    crew c;
    for (int t = 0; t < kWaiters; ++t) c.spawn([&got, m, t, k] { got[std::size_t(t)] = m->wait(k); });
    EXPECT_TRUE(until_waiting(*m, k, kWaiters));
    owner.reset();
    // A waiter that is still blocked now is past rescuing: the map is gone.
    EXPECT_TRUE(c.join_or_rescue([] {}));
  }
  for (int t = 0; t < kWaiters; ++t)
    EXPECT_EQ(got[std::size_t(t)], outcome<value_t>(wait_error::closed)) << "waiter " << t;
}

TYPED_TEST(CondvarMapTest, WaitForTimesOutAndLeavesNoWaiterBehind) {
  constexpr key_t k = 15;
  TypeParam m;
  ASSERT_TRUE(m.register_key(k));
  EXPECT_EQ(m.wait_for(k, 10ms), outcome<value_t>(wait_error::timed_out));
  EXPECT_EQ(m.waiting(k), 0u);

  // Beside a waiter that stays: the timed-out one is uncounted, the other
  // still counted and still woken by done().
  std::optional<outcome<value_t>> stayer, quitter;
  {
    crew stays;
    stays.spawn([&] { stayer = m.wait(k); });
    EXPECT_TRUE(until_waiting(m, k, 1));
    {
      crew quits;
      quits.spawn([&] { quitter = m.wait_for(k, 10ms); });
      EXPECT_TRUE(quits.join_or_rescue([&] { m.done(k, value_of(k)); })) << "wait_for did not time out";
    }
    EXPECT_EQ(m.waiting(k), 1u);
    m.done(k, value_of(k));
    EXPECT_TRUE(stays.join_or_rescue([&] { m.close(); }));
  }
  EXPECT_EQ(quitter, outcome<value_t>(wait_error::timed_out));
  EXPECT_EQ(stayer, outcome<value_t>(value_of(k)));
  EXPECT_EQ(m.waiting(k), 0u);
}

TYPED_TEST(CondvarMapTest, WaitingCountsBlockedWaiters) {
  constexpr int kWaiters = 5;
  constexpr key_t k = 16, other = 17;
  TypeParam m;
  EXPECT_EQ(m.waiting(k), 0u) << "unknown key";
  ASSERT_TRUE(m.register_key(k));
  ASSERT_TRUE(m.register_key(other));
  EXPECT_EQ(m.waiting(k), 0u) << "the leader is not a waiter";
  results<value_t> got(kWaiters);
  {
    crew c;
    for (int t = 0; t < kWaiters; ++t) {
      c.spawn([&, t] { got[std::size_t(t)] = m.wait(k); });
      // One at a time: the count must follow each arrival.
      EXPECT_TRUE(until_waiting(m, k, std::size_t(t) + 1)) << "after waiter " << t;
    }
    EXPECT_EQ(m.waiting(other), 0u) << "waiters are counted per key";
    m.done(k, value_of(k));
    EXPECT_TRUE(c.join_or_rescue([&] { m.close(); }));
  }
  EXPECT_EQ(m.waiting(k), 0u);
  for (int t = 0; t < kWaiters; ++t) EXPECT_EQ(got[std::size_t(t)], outcome<value_t>(value_of(k)));
  m.done(other, value_of(other));
}

}  // namespace
}  // namespace oncecheck
