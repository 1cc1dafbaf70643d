// atomic_wait_map: what is particular to the design, on real threads,
// std_backend: a key's rounds are separate nodes, so a waiter of a failed
// round keeps that round's error even after the key has been led and failed
// again. The once-map contract (including many keys sharing a bucket list,
// and timed waiters released by the destructor) is checked on it in
// once_map_contract_test.cpp.
//
// No timing assertions: a test that needs waiters blocked spins on waiting()
// until they are, and every thread that may block runs in a crew
// (tests/test_support.hpp), so a stranded waiter fails instead of hanging.
#include "impls/atomic_wait_map.hpp"

#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <optional>
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

}  // namespace
}  // namespace oncecheck
