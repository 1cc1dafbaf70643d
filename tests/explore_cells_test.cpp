// Real cells under the explorer: correct designs' searches end with every
// schedule explored, seeded flaws end with their expected verdict, through
// the same designs, scenarios and executor the other engines run.
#include <gtest/gtest.h>

#include "../explore/explore_cell.hpp"
#include "../harness/registry.hpp"
#include "../impls/sync/explore_backend.hpp"

namespace oncecheck::explore {
namespace {

using X = sync::explore_backend;
template <template <class, class, class, class> class Design, class Flaw, template <class, class> class Scenario>
using cell = Scenario<Design<scenarios::key_t, scenarios::value_t, X, Flaw>, X>;

explore_options dpor() {
  explore_options o;
  o.time_limit_s = 300;  // a hang guard: these searches end in well under a second
  return o;
}

TEST(ExploreCells, CorrectDesignsExhaustTheirTrees) {
  const explore_result lost = explore_cell<cell<condvar_map, flaw::none, scenarios::lost_wakeup>>(dpor());
  EXPECT_EQ(lost.result, verdict::pass) << lost.reason;
  EXPECT_TRUE(lost.exhausted);
  EXPECT_DOUBLE_EQ(lost.estimated_fraction, 1.0);
  EXPECT_GT(lost.executions, 1u);

  // An async cell: tasks on the executor, two workers.
  const explore_result async =
      explore_cell<cell<intrusive_map, flaw::none, scenarios::async_waiter_cancel_2w>>(dpor());
  EXPECT_EQ(async.result, verdict::pass) << async.reason;
  EXPECT_TRUE(async.exhausted);

  const explore_result cancel = explore_cell<cell<shared_future_map, flaw::none, scenarios::waiter_cancel>>(dpor());
  EXPECT_EQ(cancel.result, verdict::pass) << cancel.reason;
  EXPECT_TRUE(cancel.exhausted);
}

TEST(ExploreCells, SeededFlawsGiveTheirExpectedVerdicts) {
  const explore_result uaf = explore_cell<cell<intrusive_map, flaw::no_unlink_on_cancel, scenarios::waiter_cancel>>(dpor());
  EXPECT_EQ(uaf.result, verdict::use_after_free) << uaf.reason;

  const explore_result race = explore_cell<cell<atomic_wait_map, flaw::relaxed_publish, scenarios::coalesce>>(dpor());
  EXPECT_EQ(race.result, verdict::data_race) << race.reason;

  // Found by the stuck probe: done() returned while a waiter still sleeps.
  const explore_result lost =
      explore_cell<cell<notify_map, flaw::listener_after_check, scenarios::lost_wakeup>>(dpor());
  EXPECT_EQ(lost.result, verdict::lost_wakeup) << lost.reason;

  const explore_result held =
      explore_cell<cell<sharded_entry_map, flaw::entry_held_across_wait, scenarios::hold_entry_across_await_1w>>(dpor());
  EXPECT_EQ(held.result, verdict::deadlock) << held.reason;

  const explore_result twice = explore_cell<cell<condvar_map, flaw::check_then_act, scenarios::coalesce>>(dpor());
  EXPECT_EQ(twice.result, verdict::duplicate_compute) << twice.reason;
  ASSERT_TRUE(twice.replay);
  EXPECT_NE(twice.trace.find("[design] register key=1 -> leader"), std::string::npos) << twice.trace;
}

// A flaw that needs two preemptions (notify's listener enabled after the
// re-check) is out of reach at bound 1 and found at bound 2.
TEST(ExploreCells, APreemptionBoundIsHonouredAndReported) {
  explore_options o = dpor();
  o.preemption_bound = 1;
  const explore_result one = explore_cell<cell<notify_map, flaw::listener_after_check, scenarios::coalesce>>(o);
  EXPECT_EQ(one.result, verdict::pass);
  EXPECT_TRUE(one.exhausted);
  EXPECT_EQ(one.preemption_bound, 1);
  o.preemption_bound = 2;
  const explore_result two = explore_cell<cell<notify_map, flaw::listener_after_check, scenarios::coalesce>>(o);
  EXPECT_EQ(two.result, verdict::deadlock) << two.reason;
}

TEST(ExploreCells, PctFindsALostNotifyAndStatesItsGuarantee) {
  explore_options o = dpor();
  o.scheduler = "pct";
  o.max_executions = 100000;
  const explore_result r = explore_cell<cell<condvar_map, flaw::notify_one_unchained, scenarios::coalesce>>(o);
  EXPECT_EQ(r.result, verdict::deadlock) << r.reason;
  EXPECT_NE(r.guarantee.find("n=3 threads"), std::string::npos) << r.guarantee;
}

}  // namespace
}  // namespace oncecheck::explore
