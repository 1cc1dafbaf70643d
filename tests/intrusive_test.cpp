// The once-map contract (impls/once_map.hpp) checked on intrusive_map over
// std_backend, plus what is particular to the design: a timed-out waiter
// leaves no node behind, and blocking in wait() allocates nothing.
//
// Nothing here asserts speed. Tests that block threads wait for them to be
// linked through waiting(), and join them through `group`, which gives up
// after a generous deadline: a stranded waiter fails the test instead of
// hanging ctest.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <new>
#include <optional>
#include <thread>
#include <vector>

#include "impls/intrusive_map.hpp"
#include "impls/once_map.hpp"
#include "impls/sync/std_backend.hpp"

// Allocations made by the current thread while it counts them. Replacing the
// global operator new is the only way to see allocations made inside the
// design and the standard library; counting is per thread so that the other
// threads of a test (and gtest itself) do not disturb it.
namespace {
thread_local bool counting_allocations = false;
thread_local std::size_t allocations = 0;
}  // namespace

// GCC pairs a replaced operator new with free() and warns; here the pair is
// malloc/free on purpose.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  if (counting_allocations) ++allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
#pragma GCC diagnostic pop

namespace oncecheck {
namespace {

using namespace std::chrono_literals;
using key_t = std::uint64_t;
using value_t = std::uint64_t;
using map_t = intrusive_map<key_t, value_t>;

// Generous: only a hang should ever get near it.
constexpr auto kHangTimeout = 30s;

constexpr value_t value_of(key_t k) { return 2 * k + 1; }

static_assert(require_once_map<map_t>());
static_assert(require_once_map<intrusive_map<key_t, value_t, sync::std_backend, flaw::no_unlink_on_cancel>>());
static_assert(require_once_map<intrusive_map<key_t, value_t, sync::std_backend, flaw::wake_before_wait_lost>>());
static_assert(!map_t::traits.allocates_per_waiter);
static_assert(map_t::design_name == "intrusive");

// Threads joined once all have returned; if they do not within the hang
// timeout the process ends, since a blocked thread cannot be joined.
class group {
 public:
  group() = default;
  group(const group&) = delete;
  group& operator=(const group&) = delete;
  ~group() {
    const auto until = std::chrono::steady_clock::now() + kHangTimeout;
    while (returned_.load() != int(threads_.size())) {
      if (std::chrono::steady_clock::now() >= until) {
        std::fprintf(stderr, "intrusive_test: %d thread(s) still blocked; giving up\n",
                     int(threads_.size()) - returned_.load());
        std::_Exit(3);
      }
      std::this_thread::sleep_for(1ms);
    }
    for (auto& t : threads_) t.join();
  }

  template <class F>
  void spawn(F body) {
    threads_.emplace_back([this, body = std::move(body)]() mutable {
      body();
      returned_.fetch_add(1);
    });
  }

 private:
  std::vector<std::thread> threads_;
  std::atomic<int> returned_{0};
};

// Until `n` callers are linked on `k` (or the hang timeout: then false).
template <class M>
bool until_waiting(const M& m, key_t k, std::size_t n) {
  const auto until = std::chrono::steady_clock::now() + kHangTimeout;
  while (m.waiting(k) < n) {
    if (std::chrono::steady_clock::now() >= until) return false;
    std::this_thread::yield();
  }
  return true;
}

// One result slot per thread, read after the threads are joined.
using results = std::vector<std::optional<outcome<value_t>>>;

TEST(IntrusiveMap, EveryRequesterGetsTheValueOfOneCompute) {
  constexpr int kThreads = 8;
  map_t m;
  std::atomic<int> computes{0};
  results got(kThreads);
  {
    group g;
    for (int t = 0; t < kThreads; ++t)
      g.spawn([&, t] {
        got[std::size_t(t)] = get_or_compute(m, 1, [&] {
          computes.fetch_add(1);
          return value_of(1);
        });
      });
  }
  EXPECT_EQ(computes.load(), 1);
  for (const auto& r : got) {
    ASSERT_TRUE(r && r->has_value());
    EXPECT_EQ(r->value(), value_of(1));
  }
  EXPECT_EQ(m.get(1), value_of(1));
}

TEST(IntrusiveMap, DoneBeforeAnyWaiterIsStoredForLaterWaiters) {
  map_t m;
  ASSERT_TRUE(m.register_key(1));
  m.done(1, value_of(1));
  EXPECT_EQ(m.wait(1), outcome<value_t>(value_of(1)));
  EXPECT_FALSE(m.register_key(1));
}

TEST(IntrusiveMap, FailDeliversTheErrorAndTheKeyCanBeRegisteredAgain) {
  map_t m;
  ASSERT_TRUE(m.register_key(1));
  results got(3);
  {
    group g;
    for (int t = 0; t < 3; ++t) g.spawn([&, t] { got[std::size_t(t)] = m.wait(1); });
    ASSERT_TRUE(until_waiting(m, 1, 3));
    m.fail(1, wait_error::leader_failed);
  }
  for (const auto& r : got) EXPECT_EQ(r, outcome<value_t>(wait_error::leader_failed));
  EXPECT_EQ(m.waiting(1), 0u);
  // A caller that arrives after the failure learns of it too.
  EXPECT_EQ(m.wait(1), outcome<value_t>(wait_error::leader_failed));

  ASSERT_TRUE(m.register_key(1));
  std::optional<outcome<value_t>> second;
  {
    group g;
    g.spawn([&] { second = m.wait(1); });
    ASSERT_TRUE(until_waiting(m, 1, 1));
    m.done(1, value_of(1));
  }
  EXPECT_EQ(second, outcome<value_t>(value_of(1)));
}

TEST(IntrusiveMap, DroppedLeaderHandleFailsTheWaiters) {
  map_t m;
  auto lead = try_lead(m, key_t{1});
  ASSERT_TRUE(lead);
  EXPECT_FALSE(try_lead(m, key_t{1}));
  std::optional<outcome<value_t>> got;
  {
    group g;
    g.spawn([&] { got = m.wait(1); });
    ASSERT_TRUE(until_waiting(m, 1, 1));
    lead.reset();
  }
  EXPECT_EQ(got, outcome<value_t>(wait_error::leader_failed));
  EXPECT_TRUE(m.register_key(1));
}

TEST(IntrusiveMap, CloseWakesEveryBlockedWaiterWithClosed) {
  map_t m;
  ASSERT_TRUE(m.register_key(1));
  ASSERT_TRUE(m.register_key(2));
  m.done(3, value_of(3));
  results got(4);
  {
    group g;
    for (int t = 0; t < 4; ++t) g.spawn([&, t] { got[std::size_t(t)] = m.wait(t % 2 == 0 ? 1 : 2); });
    ASSERT_TRUE(until_waiting(m, 1, 2));
    ASSERT_TRUE(until_waiting(m, 2, 2));
    m.close();
  }
  for (const auto& r : got) EXPECT_EQ(r, outcome<value_t>(wait_error::closed));
  EXPECT_EQ(m.wait(1), outcome<value_t>(wait_error::closed));
  EXPECT_FALSE(m.register_key(4));
  // A value published before the close stays readable.
  EXPECT_EQ(m.get(3), value_of(3));
}

TEST(IntrusiveMap, DestroyingTheMapWithBlockedWaitersReturnsClosed) {
  auto m = std::make_unique<map_t>();
  ASSERT_TRUE(m->register_key(1));
  map_t* raw = m.get();
  results got(4);
  {
    group g;
    for (int t = 0; t < 4; ++t) g.spawn([&, t] { got[std::size_t(t)] = raw->wait(1); });
    ASSERT_TRUE(until_waiting(*m, 1, 4));
    m.reset();  // returns only once every waiter has left the map
  }
  for (const auto& r : got) EXPECT_EQ(r, outcome<value_t>(wait_error::closed));
}

TEST(IntrusiveMap, TimedOutWaiterUnlinksItsNode) {
  map_t m;
  ASSERT_TRUE(m.register_key(1));
  EXPECT_EQ(m.wait_for(1, 1ms), outcome<value_t>(wait_error::timed_out));
  EXPECT_EQ(m.waiting(1), 0u);

  // A timed waiter between two plain ones: its unlink must mend the list
  // on both sides, or done() misses the last waiter (or walks a dead node).
  results got(3);
  std::atomic<bool> timed_returned{false};
  {
    group g;
    g.spawn([&] { got[0] = m.wait(1); });
    ASSERT_TRUE(until_waiting(m, 1, 1));
    g.spawn([&] {
      got[1] = m.wait_for(1, 20ms);
      timed_returned.store(true);
    });
    // The timed waiter may already have given up; either way go on.
    while (m.waiting(1) < 2 && !timed_returned.load()) std::this_thread::yield();
    g.spawn([&] { got[2] = m.wait(1); });
    while (!timed_returned.load()) std::this_thread::yield();
    ASSERT_TRUE(until_waiting(m, 1, 2));
    EXPECT_EQ(m.waiting(1), 2u);
    m.done(1, value_of(1));
  }
  EXPECT_EQ(got[0], outcome<value_t>(value_of(1)));
  EXPECT_EQ(got[1], outcome<value_t>(wait_error::timed_out));
  EXPECT_EQ(got[2], outcome<value_t>(value_of(1)));
  EXPECT_EQ(m.waiting(1), 0u);
}

TEST(IntrusiveMap, GetNeverBlocks) {
  map_t m;
  EXPECT_EQ(m.get(1), std::nullopt);
  ASSERT_TRUE(m.register_key(1));
  std::optional<outcome<value_t>> got;
  {
    group g;
    g.spawn([&] { got = m.wait(1); });
    ASSERT_TRUE(until_waiting(m, 1, 1));
    // Pending with a waiter blocked: get answers at once, without the value.
    EXPECT_EQ(m.get(1), std::nullopt);
    m.done(1, value_of(1));
  }
  EXPECT_EQ(m.get(1), value_of(1));
}

TEST(IntrusiveMap, WaitOnAnUnknownKeyIsNotRegistered) {
  map_t m;
  EXPECT_EQ(m.wait(7), outcome<value_t>(wait_error::not_registered));
  EXPECT_EQ(m.wait_for(7, 1ms), outcome<value_t>(wait_error::not_registered));
}

TEST(IntrusiveMap, WaitingCountsLinkedCallersPerKey) {
  map_t m;
  ASSERT_TRUE(m.register_key(1));
  ASSERT_TRUE(m.register_key(2));
  EXPECT_EQ(m.waiting(1), 0u);
  results got(3);
  {
    group g;
    g.spawn([&] { got[0] = m.wait(1); });
    g.spawn([&] { got[1] = m.wait(1); });
    g.spawn([&] { got[2] = m.wait(2); });
    ASSERT_TRUE(until_waiting(m, 1, 2));
    ASSERT_TRUE(until_waiting(m, 2, 1));
    EXPECT_EQ(m.waiting(1), 2u);
    EXPECT_EQ(m.waiting(2), 1u);
    EXPECT_EQ(m.waiting(3), 0u);
    m.done(1, value_of(1));
    // done() unlinks before it returns.
    EXPECT_EQ(m.waiting(1), 0u);
    EXPECT_EQ(m.waiting(2), 1u);
    m.done(2, value_of(2));
  }
  EXPECT_EQ(got[0], outcome<value_t>(value_of(1)));
  EXPECT_EQ(got[1], outcome<value_t>(value_of(1)));
  EXPECT_EQ(got[2], outcome<value_t>(value_of(2)));
}

TEST(IntrusiveMap, BlockingInWaitAllocatesNothing) {
  map_t m;
  ASSERT_TRUE(m.register_key(1));
  std::size_t during_wait = ~std::size_t{0};
  std::size_t during_timed_wait = ~std::size_t{0};
  std::optional<outcome<value_t>> got;
  std::atomic<bool> timed_part_over{false};
  {
    group g;
    g.spawn([&] {
      counting_allocations = true;
      allocations = 0;
      // The counter itself must work, or zero below would mean nothing. A
      // direct call: a new-expression may be optimised away.
      ::operator delete(::operator new(8));
      EXPECT_EQ(allocations, 1u);
      allocations = 0;
      const outcome<value_t> timed = m.wait_for(1, 1ms);
      during_timed_wait = allocations;
      counting_allocations = false;
      timed_part_over.store(true);
      EXPECT_EQ(timed, outcome<value_t>(wait_error::timed_out));
      counting_allocations = true;
      allocations = 0;
      got = m.wait(1);
      during_wait = allocations;
      counting_allocations = false;
    });
    // Not while the timed wait may still be linked: done() would end it.
    while (!timed_part_over.load()) std::this_thread::yield();
    ASSERT_TRUE(until_waiting(m, 1, 1));
    m.done(1, value_of(1));
  }
  EXPECT_EQ(got, outcome<value_t>(value_of(1)));
  EXPECT_EQ(during_timed_wait, 0u);
  EXPECT_EQ(during_wait, 0u);
}

// The flaws, shown on one thread where they are deterministic.
TEST(IntrusiveMapFlaws, WakeBeforeWaitLostDropsACompletionNobodyWaitsFor) {
  intrusive_map<key_t, value_t, sync::std_backend, flaw::wake_before_wait_lost> m;
  ASSERT_TRUE(m.register_key(1));
  m.done(1, value_of(1));
  EXPECT_EQ(m.get(1), std::nullopt);
  EXPECT_EQ(m.wait_for(1, 1ms), outcome<value_t>(wait_error::timed_out));
  m.fail(1, wait_error::leader_failed);  // lets the map be dropped cleanly
}

}  // namespace
}  // namespace oncecheck
