// shared_future_map (seed 002): what is particular to the design, its flaw,
// shown deterministically on one thread over std_backend. The once-map
// contract (a completed future stays in the map; a failed round's
// entry is removed so the key can lead again) is checked on it in
// once_map_contract_test.cpp.
#include "impls/shared_future_map.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>

namespace oncecheck {
namespace {

// The seed's bug, shown without threads: once the leader has published, the
// flawed map has forgotten the value and hands the key to a second leader.
TEST(SharedFutureMap, FlawRemoveNewerEntryForgetsTheCompletedValue) {
  shared_future_map<std::uint64_t, std::uint64_t, sync::std_backend, flaw::remove_newer_entry> m;
  ASSERT_TRUE(m.register_key(1));
  m.done(1, 3);
  EXPECT_EQ(m.get(1), std::nullopt);
  EXPECT_TRUE(m.register_key(1)) << "the flaw computes the key again";
}

}  // namespace
}  // namespace oncecheck
