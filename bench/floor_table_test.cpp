// floor_table: a floor's figure is the median of its reported repetitions
// (its last R calls), whatever its sizing calls measured before them.
#include "floor_table.hpp"

#include <gtest/gtest.h>

namespace oncecheck::bench {
namespace {

TEST(FloorTable, OneRepetitionIsTheLastCall) {
  floor_table::set_repetitions(1);
  floor_table::record("t1/threads:1", 50.0);  // a sizing call
  floor_table::record("t1/threads:1", 7.0);
  EXPECT_EQ(floor_table::find("t1/threads:1"), 7.0);
}

TEST(FloorTable, RepetitionsGiveTheMedianOfTheLastR) {
  floor_table::set_repetitions(3);
  for (double sizing : {900.0, 90.0, 9.0}) floor_table::record("t3/threads:2", sizing);
  for (double repetition : {3.0, 4.0, 2.0}) floor_table::record("t3/threads:2", repetition);
  EXPECT_EQ(floor_table::find("t3/threads:2"), 3.0);  // the median, not the last (2)
  floor_table::record("t3/threads:2", 10.0);          // the window is now 4, 2, 10
  EXPECT_EQ(floor_table::find("t3/threads:2"), 4.0);
  floor_table::record("t3/threads:2", 11.0);          // 2, 10, 11
  EXPECT_EQ(floor_table::find("t3/threads:2"), 10.0);
}

TEST(FloorTable, AnEvenCountTakesTheMeanOfTheMiddleTwo) {
  floor_table::set_repetitions(4);
  for (double repetition : {8.0, 1.0, 2.0, 6.0}) floor_table::record("t4/waiters:8", repetition);
  EXPECT_EQ(floor_table::find("t4/waiters:8"), 4.0);
}

TEST(FloorTable, NoFigureWhenTheFloorDidNotRunOrMeasuredNothing) {
  floor_table::set_repetitions(1);
  EXPECT_FALSE(floor_table::find("never/threads:1"));
  floor_table::record("zero/threads:1", 0.0);
  EXPECT_FALSE(floor_table::find("zero/threads:1"));
}

}  // namespace
}  // namespace oncecheck::bench
