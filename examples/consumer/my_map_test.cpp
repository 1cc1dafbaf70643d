// The consumer's own GoogleTest binary: my_map's cells as GoogleTest cases
// (oncecheck_gtest_cells in CMakeLists.txt compiles this file around
// my_map.hpp), beside a plain test of its own.
#include <gtest/gtest.h>

#include "harness/gtest_cells.hpp"
#include "my_map.hpp"

ONCECHECK_GTEST_CELLS(MyMap);

TEST(MyMapPlain, LeaderPublishesToALaterGet) {
  my_map<int, int> m;
  ASSERT_TRUE(m.register_key(1));
  EXPECT_FALSE(m.register_key(1));
  m.done(1, 42);
  EXPECT_EQ(m.get(1), 42);
}
