// sharded_entry_map (uv's OnceMap, seed 000): what is particular to the
// design, on real threads, std_backend. The once-map contract is checked on
// it in once_map_contract_test.cpp.
//
// No test depends on timing: a test that needs waiters blocked spins on
// waiting() until they are, and every thread that may block runs in a crew
// (tests/test_support.hpp), so a stranded caller fails instead of hanging.
#include "impls/sharded_entry_map.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "tests/test_support.hpp"

namespace oncecheck {
namespace {

using test_support::crew;
using test_support::eventually;
using test_support::until_waiting;
using key_t = std::uint64_t;
using map_t = sharded_entry_map<key_t, std::uint64_t>;
using result = outcome<std::uint64_t>;

constexpr std::uint64_t value_of(key_t k) { return 2 * k + 1; }

// The first n keys from `from` on that share `key`'s shard (key excluded).
std::vector<key_t> shard_mates(key_t key, key_t from, std::size_t n) {
  const auto shard = [](key_t k) { return std::hash<key_t>{}(k) % map_t::shard_count; };
  std::vector<key_t> mates;
  for (key_t k = from; mates.size() < n; ++k)
    if (k != key && shard(k) == shard(key)) mates.push_back(k);
  return mates;
}

// A waiter drops its shard's guard before it sleeps (under
// flaw::entry_held_across_wait it keeps it, and the shard is stuck until the
// key completes). With a key pending and a caller blocked on it, another key
// of the same shard still has its own round, completed under the first one's
// nose, and further keys of the shard are computed and read.
TEST(ShardedEntryMap, APendingKeyDoesNotHoldUpItsShard) {
  constexpr key_t key = 7;
  const std::vector<key_t> mates = shard_mates(key, 100, 4);
  const key_t twin = mates.front();
  map_t m;
  ASSERT_TRUE(m.register_key(key));
  ASSERT_TRUE(m.register_key(twin));
  std::optional<result> slow, quick;
  crew waiters([&] { m.close(); });
  waiters.spawn([&] { slow = m.wait(key); });
  waiters.spawn([&] { quick = m.wait(twin); });
  ASSERT_TRUE(until_waiting(m, key, 1));
  ASSERT_TRUE(until_waiting(m, twin, 1));
  std::atomic<int> wrong{0};
  {
    // Completing `key` is the rescue: it frees whatever the shard held for it.
    crew c([&] { m.done(key, value_of(key)); });
    c.spawn([&] {
      m.done(twin, value_of(twin));
      for (const key_t k : mates)
        if (get_or_compute(m, k, [k] { return value_of(k); }) != result(value_of(k))) wrong.fetch_add(1);
    });
    EXPECT_TRUE(c.join()) << "the shard waited for its pending key";
  }
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_TRUE(eventually([&] { return m.waiting(twin) == 0; }));
  EXPECT_EQ(m.waiting(key), 1u) << "the twin's completion is not the key's";
  EXPECT_EQ(m.get(key), std::nullopt);
  m.done(key, value_of(key));
  EXPECT_TRUE(waiters.join());
  EXPECT_EQ(quick, result(value_of(twin)));
  EXPECT_EQ(slow, result(value_of(key)));
}

}  // namespace
}  // namespace oncecheck
