// intrusive_map (maitake-sync's WaitMap, seed 003): what is particular to the
// design, over std_backend: waiters are nodes of one intrusive list (a
// timed-out one unlinks itself from the middle, done() unlinks its key's
// before it returns), blocking in wait() allocates nothing, a failure is kept
// for later callers, and its flaw shown deterministically. The once-map
// contract is checked on it in once_map_contract_test.cpp.
//
// Nothing here asserts speed. Tests that block threads wait for them to be
// linked through waiting(), and run them in a crew (tests/test_support.hpp):
// a stranded waiter fails the test instead of hanging ctest.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <new>
#include <optional>
#include <vector>

#include "impls/intrusive_map.hpp"
#include "impls/once_map.hpp"
#include "impls/sync/std_backend.hpp"
#include "tests/test_support.hpp"

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
using test_support::crew;
using test_support::eventually;
using test_support::until_waiting;
using key_t = std::uint64_t;
using value_t = std::uint64_t;
using map_t = intrusive_map<key_t, value_t>;
using result = outcome<value_t>;

constexpr value_t value_of(key_t k) { return 2 * k + 1; }

static_assert(!map_t::traits.allocates_per_waiter);

// One result slot per thread, read after the threads are joined.
using results = std::vector<std::optional<result>>;

// A timed waiter between two plain ones: its unlink must mend the list on
// both sides, or done() misses the last waiter (or walks a dead node).
TEST(IntrusiveMap, TimedOutWaiterUnlinksItsNodeFromTheMiddle) {
  map_t m;
  ASSERT_TRUE(m.register_key(1));
  results got(3);
  std::atomic<bool> timed_returned{false};
  {
    crew c([&] { m.close(); });
    c.spawn([&] { got[0] = m.wait(1); });
    ASSERT_TRUE(until_waiting(m, 1, 1));
    c.spawn([&] {
      got[1] = m.wait_for(1, 20ms);
      timed_returned.store(true);
    });
    // The timed waiter may already have given up; either way go on.
    ASSERT_TRUE(eventually([&] { return m.waiting(1) >= 2 || timed_returned.load(); }));
    c.spawn([&] { got[2] = m.wait(1); });
    ASSERT_TRUE(eventually([&] { return timed_returned.load(); }));
    ASSERT_TRUE(until_waiting(m, 1, 2));
    m.done(1, value_of(1));
    EXPECT_TRUE(c.join());
  }
  EXPECT_EQ(got[0], result(value_of(1)));
  EXPECT_EQ(got[1], result(wait_error::timed_out));
  EXPECT_EQ(got[2], result(value_of(1)));
  EXPECT_EQ(m.waiting(1), 0u);
}

TEST(IntrusiveMap, DoneUnlinksItsKeysNodesBeforeItReturns) {
  map_t m;
  ASSERT_TRUE(m.register_key(1));
  ASSERT_TRUE(m.register_key(2));
  results got(3);
  {
    crew c([&] { m.close(); });
    c.spawn([&] { got[0] = m.wait(1); });
    c.spawn([&] { got[1] = m.wait(1); });
    c.spawn([&] { got[2] = m.wait(2); });
    ASSERT_TRUE(until_waiting(m, 1, 2));
    ASSERT_TRUE(until_waiting(m, 2, 1));
    m.done(1, value_of(1));
    // Not "eventually": the woken waiters have not necessarily run yet.
    EXPECT_EQ(m.waiting(1), 0u);
    EXPECT_EQ(m.waiting(2), 1u) << "another key's nodes stay linked";
    m.done(2, value_of(2));
    EXPECT_TRUE(c.join());
  }
  EXPECT_EQ(got[0], result(value_of(1)));
  EXPECT_EQ(got[1], result(value_of(1)));
  EXPECT_EQ(got[2], result(value_of(2)));
}

// The failed round's error stays with the key until a new round starts.
TEST(IntrusiveMap, ACallerArrivingAfterAFailureLearnsOfIt) {
  map_t m;
  ASSERT_TRUE(m.register_key(1));
  m.fail(1, wait_error::leader_failed);
  EXPECT_EQ(m.wait(1), result(wait_error::leader_failed));
  EXPECT_EQ(m.wait_for(1, 1ms), result(wait_error::leader_failed));
  ASSERT_TRUE(m.register_key(1));
  EXPECT_EQ(m.wait_for(1, 0ns), result(wait_error::timed_out)) << "a new round is pending, not failed";
  m.done(1, value_of(1));
}

TEST(IntrusiveMap, BlockingInWaitAllocatesNothing) {
  map_t m;
  ASSERT_TRUE(m.register_key(1));
  std::size_t during_wait = ~std::size_t{0};
  std::size_t during_timed_wait = ~std::size_t{0};
  std::optional<result> got;
  std::atomic<bool> timed_part_over{false};
  {
    crew c([&] { m.close(); });
    c.spawn([&] {
      counting_allocations = true;
      allocations = 0;
      // The counter itself must work, or zero below would mean nothing. A
      // direct call: a new-expression may be optimised away.
      ::operator delete(::operator new(8));
      EXPECT_EQ(allocations, 1u);
      allocations = 0;
      const result timed = m.wait_for(1, 1ms);
      during_timed_wait = allocations;
      counting_allocations = false;
      timed_part_over.store(true);
      EXPECT_EQ(timed, result(wait_error::timed_out));
      counting_allocations = true;
      allocations = 0;
      got = m.wait(1);
      during_wait = allocations;
      counting_allocations = false;
    });
    // Not while the timed wait may still be linked: done() would end it.
    ASSERT_TRUE(eventually([&] { return timed_part_over.load(); }));
    ASSERT_TRUE(until_waiting(m, 1, 1));
    m.done(1, value_of(1));
    EXPECT_TRUE(c.join());
  }
  EXPECT_EQ(got, result(value_of(1)));
  EXPECT_EQ(during_timed_wait, 0u);
  EXPECT_EQ(during_wait, 0u);
}

// The flaws, shown on one thread where they are deterministic.
TEST(IntrusiveMapFlaws, WakeBeforeWaitLostDropsACompletionNobodyWaitsFor) {
  intrusive_map<key_t, value_t, sync::std_backend, flaw::wake_before_wait_lost> m;
  ASSERT_TRUE(m.register_key(1));
  m.done(1, value_of(1));
  EXPECT_EQ(m.get(1), std::nullopt);
  EXPECT_EQ(m.wait_for(1, 1ms), result(wait_error::timed_out));
  m.fail(1, wait_error::leader_failed);  // lets the map be dropped cleanly
}

}  // namespace
}  // namespace oncecheck
