// Relacy's tree searches cut into subtrees (models/tree_split.hpp): the
// subtrees under the listed prefixes must be the whole tree, each execution
// in one of them, so their executions add up to the unsplit search's and a
// failure the whole search finds is found under some prefix, with a state
// that replays it unsplit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "harness/cell_result.hpp"
#include "harness/registry.hpp"
#include "impls/sync/verdict.hpp"
#include "scenarios/check_then_act.hpp"
#include "scenarios/coalesce.hpp"
#include "scenarios/drop_with_waiters.hpp"

// Last: see tests/model_replay_test.cpp.
#include "models/model_run.hpp"

[[gnu::used]] static void (*const keep_relacy_delete)(void*) noexcept = &::operator delete;
[[gnu::used]] static void (*const keep_relacy_delete_array)(void*) noexcept = &::operator delete[];

namespace oncecheck {
namespace {

using model::scheduler;
using model::tree_prefix;

using correct = variant<condvar_map, flaw::none>;
using late_flaw = variant<notify_map, flaw::listener_after_check>;  // found after a few thousand schedules

std::string name(verdict v) { return std::string(to_string(v)); }

// Far above what the bound-1 trees below need: they end by exhaustion.
constexpr model::budget kWhole{2'000'000, 120, 1, false};

TEST(TreePrefix, NextPrefixWalksDepthFirstAndEnds) {
  tree_prefix p{{2, 0, 0}, {3, 1, 1}};
  EXPECT_FALSE(model::next_prefix({{2, 0, 0}, {3, 2, 1}}, 1)) << "the floor's decisions never move";
  auto n = model::next_prefix(p);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, (tree_prefix{{2, 0, 0}, {3, 2, 1}}));
  n = model::next_prefix(*n);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, (tree_prefix{{2, 1, 0}}));
  EXPECT_FALSE(model::next_prefix(*n));
}

TEST(TreePrefix, StateRoundTrips) {
  const tree_prefix p{{2, 1, 0}, {4, 3, 2}};
  EXPECT_EQ(model::state_of(p), "1 2 2 1 0 4 3 2");
  EXPECT_EQ(model::decisions_of(model::state_of(p)), p);
  EXPECT_EQ(model::state_of({}), "1 0");
}

// The sum of the subtrees' executions under a list of prefixes that
// covers the tree: the unsplit search's, every subtree exhausted.
template <class Variant, template <class, class> class Scenario>
std::uint64_t executions_under(scheduler sched, const std::vector<tree_prefix>& prefixes) {
  std::uint64_t sum = 0;
  for (const tree_prefix& p : prefixes) {
    model::budget b = kWhole;
    b.subtree = p;
    const cell_result part = model::run_cell<Variant, Scenario>(sched, b, std::nullopt);
    EXPECT_EQ(name(part.result), name(verdict::pass)) << model::state_of(p) << ": " << part.reason;
    EXPECT_TRUE(part.exhausted_search) << model::state_of(p);
    sum += part.iterations;
  }
  return sum;
}

// The prefixes of each depth, and the units split_tree gives: distinct,
// and their executions add up to the unsplit search's. The units' sizes
// are what the dealing sees: the walked ones exact.
template <class Variant, template <class, class> class Scenario>
void expect_subtrees_add_up(scheduler sched) {
  const cell_result whole = model::run_cell<Variant, Scenario>(sched, kWhole, std::nullopt);
  ASSERT_EQ(name(whole.result), name(verdict::pass)) << whole.reason;
  ASSERT_TRUE(whole.exhausted_search) << whole.reason;
  std::vector<tree_prefix> level{{}};
  for (std::size_t depth = 1; depth <= 3; ++depth) {
    std::vector<tree_prefix> deeper;
    for (const tree_prefix& p : level)
      for (tree_prefix& child : model::children_of<Variant, Scenario>(sched, kWhole, p)) deeper.push_back(child);
    level = deeper;
    ASSERT_EQ(std::set<tree_prefix>(level.begin(), level.end()).size(), level.size())
        << "a prefix listed twice at depth " << depth;
    const std::uint64_t sum = executions_under<Variant, Scenario>(sched, level);
    EXPECT_EQ(sum, whole.iterations) << level.size() << " subtrees at depth " << depth;
    std::printf("  depth %zu: %zu subtrees, %llu executions (unsplit %llu)\n", depth, level.size(),
                static_cast<unsigned long long>(sum), static_cast<unsigned long long>(whole.iterations));
  }
  const std::vector<model::tree_unit> units = model::split_tree<Variant, Scenario>(sched, kWhole, 64);
  std::vector<tree_prefix> prefixes;
  double largest = 0;
  for (const model::tree_unit& u : units) {
    prefixes.push_back(u.prefix);
    if (u.walked) {
      model::budget b = kWhole;
      b.subtree = u.prefix;
      EXPECT_EQ(u.size, double(model::run_cell<Variant, Scenario>(sched, b, std::nullopt).iterations));
    }
    largest = std::max(largest, u.size);
  }
  EXPECT_GE(units.size(), 64u);
  EXPECT_EQ((executions_under<Variant, Scenario>(sched, prefixes)), whole.iterations);
  std::printf("  split: %zu units, the largest estimated at %.0f executions\n", units.size(), largest);
}

TEST(TreeSplit, BoundSubtreesAddUpToTheWholeSearch) {
  expect_subtrees_add_up<correct, scenarios::drop_with_waiters>(scheduler::bound);
}

TEST(TreeSplit, BoundSubtreesAddUpOnCoalesce) { expect_subtrees_add_up<correct, scenarios::coalesce>(scheduler::bound); }

// Knuth's estimator is unbiased: over many random paths its mean comes
// near the tree's true size (a wrong product, a path not drawn uniformly,
// would not), and it depends on the prefix alone (every shard computes it).
TEST(TreeSplit, KnuthEstimateNearsTheTreeSize) {
  using scn = correct;
  const cell_result whole = model::run_cell<scn, scenarios::drop_with_waiters>(scheduler::bound, kWhole, std::nullopt);
  ASSERT_TRUE(whole.exhausted_search);
  const double truth = double(whole.iterations);
  const double estimate =
      model::knuth_estimate<scn, scenarios::drop_with_waiters>(scheduler::bound, kWhole, {}, 30000);
  std::printf("  Knuth's estimate from 30000 paths: %.0f executions, the search %.0f\n", estimate, truth);
  EXPECT_GT(estimate, 0.7 * truth);
  EXPECT_LT(estimate, 1.3 * truth);
  auto sixteen = [] {
    return model::knuth_estimate<correct, scenarios::drop_with_waiters>(scheduler::bound, kWhole, {}, 16);
  };
  EXPECT_EQ(sixteen(), sixteen());
}

// A flaw the whole search finds is found under some unit (the listing and
// the probes skip the failures they meet and go on), and that subtree's
// state replays it in an unsplit run.
TEST(TreeSplit, AFailingSubtreeReplaysUnsplit) {
  const model::budget kWhole{2'000'000, 120, 2, false};  // the race needs two preemptions
  const cell_result whole =
      model::run_cell<late_flaw, scenarios::check_then_act>(scheduler::bound, kWhole, std::nullopt);
  ASSERT_NE(name(whole.result), name(verdict::pass)) << whole.reason;
  ASSERT_GT(whole.first_failure_iteration.value_or(0), 64u) << "a failure the probes meet, not the first ones";
  const auto units = model::split_tree<late_flaw, scenarios::check_then_act>(scheduler::bound, kWhole, 32);
  ASSERT_GE(units.size(), 32u);
  std::optional<cell_result> found;
  for (const model::tree_unit& u : units) {
    model::budget b = kWhole;
    b.subtree = u.prefix;
    const cell_result part = model::run_cell<late_flaw, scenarios::check_then_act>(scheduler::bound, b, std::nullopt);
    if (part.result != verdict::pass) {
      found = part;
      break;
    }
  }
  ASSERT_TRUE(found) << "no subtree of " << units.size() << " finds what the whole search finds";
  EXPECT_EQ(name(found->result), name(whole.result));
  const cell_result replayed =
      model::run_cell<late_flaw, scenarios::check_then_act>(scheduler::bound, kWhole, found->replay_state);
  EXPECT_EQ(name(replayed.result), name(whole.result)) << replayed.reason;
  EXPECT_EQ(replayed.replay_state, found->replay_state);
}

// A search stopped by its budget gives the state it goes on from
// (models/model_checkpoint.hpp); resumed session after session, it walks
// what one run straight through walks, and finds the same first failure
// at the same iteration with the same replay state.
template <class Variant, template <class, class> class Scenario>
cell_result in_sessions(model::budget b, std::uint64_t per_session, int& sessions) {
  std::string stopped;
  b.stopped_state = &stopped;
  b.iterations = per_session;
  for (sessions = 1;; ++sessions) {
    stopped.clear();
    const cell_result r = model::run_cell<Variant, Scenario>(scheduler::bound, b, std::nullopt);
    if (stopped.empty() || sessions > 1000) return r;
    b.resume_state = stopped, b.earlier_iterations = r.iterations, b.earlier_ms = r.elapsed_ms;
    b.iterations = per_session;  // each session's own budget (on_iteration counts from 0)
  }
}

TEST(TreeResume, SessionsWalkWhatOneRunWalks) {
  const cell_result whole = model::run_cell<correct, scenarios::drop_with_waiters>(scheduler::bound, kWhole, std::nullopt);
  ASSERT_TRUE(whole.exhausted_search);
  int sessions = 0;
  const cell_result resumed = in_sessions<correct, scenarios::drop_with_waiters>(kWhole, 5000, sessions);
  EXPECT_GT(sessions, 5);
  EXPECT_TRUE(resumed.exhausted_search) << resumed.reason;
  EXPECT_EQ(resumed.iterations, whole.iterations) << "in " << sessions << " sessions";
}

TEST(TreeResume, SessionsFindTheSameFirstFailure) {
  const model::budget b{2'000'000, 120, 2, false};
  const cell_result whole = model::run_cell<late_flaw, scenarios::check_then_act>(scheduler::bound, b, std::nullopt);
  ASSERT_NE(name(whole.result), name(verdict::pass));
  ASSERT_GT(whole.first_failure_iteration.value_or(0), 512u);
  int sessions = 0;
  const cell_result resumed = in_sessions<late_flaw, scenarios::check_then_act>(b, 256, sessions);
  EXPECT_GT(sessions, 1);
  EXPECT_EQ(name(resumed.result), name(whole.result));
  EXPECT_EQ(resumed.first_failure_iteration, whole.first_failure_iteration);
  EXPECT_EQ(resumed.replay_state, whole.replay_state);
}

}  // namespace
}  // namespace oncecheck
