// Sharded searches and checkpoints at the explorer's level: the subtrees
// of a split (explore/prefix_split.hpp) together explore each trace once,
// so on litmus programs their executions add up to the trace count (and
// reach every final state plain DFS reaches); dealing by size is balanced
// and the same on every call; parts join by the rules of join_parts.hpp;
// a search stopped and restored from its saved state ends where one run
// straight through ends.
#include <gtest/gtest.h>

#include <set>
#include <tuple>

#include "../explore/checkpoint.hpp"
#include "../harness/runner/join_parts.hpp"
#include "../harness/runner/shard.hpp"
#include "explore_litmus.hpp"

namespace oncecheck::explore::testing {
namespace {

struct one_mutex {
  X::mutex m;
  X::cell<int> counter{0};
};
struct one_atomic {
  X::atomic<int> x{0};
};

// Every subtree of a split, each searched on its own; their executions
// summed, and whether each was exhausted.
std::uint64_t split_total(program& p, bool* all_exhausted = nullptr, std::size_t target = 64) {
  const std::vector<prefix> prefixes = split_prefixes(p, std::nullopt, 20000, target);
  std::uint64_t total = 0;
  bool exhausted = true;
  for (const prefix& x : prefixes) {
    explore_options o;
    o.prefix = x;
    o.max_executions = 2'000'000;
    const explore_result r = explore_program(p, o);
    EXPECT_EQ(r.result, verdict::pass) << r.reason;
    total += r.executions;
    exhausted = exhausted && r.exhausted;
  }
  if (all_exhausted) *all_exhausted = exhausted;
  return total;
}

TEST(ExploreSplit, SubtreesOfAMutexProgramAddUpToItsTraces) {
  for (int n = 2; n <= 5; ++n) {
    litmus<one_mutex> p(n, [](one_mutex& s, int) {
      X::unique_lock lock(s.m);
      ++s.counter.mut();
    });
    for (const std::size_t target : {2u, 8u, 64u}) {
      bool exhausted = false;
      EXPECT_EQ(split_total(p, &exhausted, target), explore(p).executions) << n << " threads, " << target;
      EXPECT_TRUE(exhausted);
    }
  }
}

TEST(ExploreSplit, SubtreesOfTwoWritersAddUpToTheirTraces) {
  for (int k = 1; k <= 5; ++k) {
    litmus<one_atomic> p(2, [k](one_atomic& s, int tid) {
      for (int i = 0; i < k; ++i) s.x.store(tid * 100 + i, std::memory_order_relaxed);
    });
    EXPECT_EQ(split_total(p), explore(p).executions) << "k=" << k;
  }
}

// Readers commute: 4 traces. A split may explore one of them twice: a
// subtree never ran its earlier siblings' transitions, so it cannot know
// they are independent of its own (their tails, explore/step.hpp) and does
// not put them to sleep below the split. Every trace is still there: the
// unsplit count is a lower bound, and the final states are DFS's (below).
TEST(ExploreSplit, SubtreesKeepReadsCommuting) {
  litmus<one_atomic> p(3, [](one_atomic& s, int tid) {
    if (tid == 0) s.x.store(1);
    else (void)s.x.load();
  });
  ASSERT_EQ(explore(p).executions, 4u);
  for (const std::size_t target : {2u, 4u, 64u}) EXPECT_GE(split_total(p, nullptr, target), 4u) << target;
}

// Final states: the subtrees together reach every state plain DFS does.
struct mixed {
  X::mutex m;
  X::atomic<int> a{0}, b{0};
  X::cell<int> shared{0};
};

TEST(ExploreSplit, SubtreesReachEveryFinalStateDfsReaches) {
  std::set<std::tuple<int, int, int>> seen;
  auto body = [](mixed& s, int tid) {
    if (tid == 0) {
      s.a.store(1);
      const int b = s.b.load();
      X::unique_lock lock(s.m);
      s.shared.mut() = s.shared.get() * 10 + 1 + b;
    } else if (tid == 1) {
      s.b.store(s.a.load() + 1);
      X::unique_lock lock(s.m);
      s.shared.mut() = s.shared.get() * 10 + 2;
    } else {
      X::unique_lock lock(s.m);
      s.shared.mut() = s.shared.get() * 10 + 3;
      s.a.fetch_add(s.b.load());
    }
  };
  auto record = [&](mixed& s) { seen.insert({s.a.load(), s.b.load(), s.shared.get()}); };
  litmus<mixed> p(3, body, record);
  (void)explore(p, "dfs");
  const auto all = seen;
  seen.clear();
  split_total(p);
  EXPECT_EQ(seen, all);
  EXPECT_GT(all.size(), 3u);
}

// The same with a spin loop on yield and a timed wait.
TEST(ExploreSplit, SubtreesReachEveryFinalStateWithYieldAndTimedWait) {
  std::set<std::tuple<int, int, int>> seen;
  litmus<waits> p(3, notify_timed_wait_and_spin, [&](waits& s) { seen.insert({s.a.load(), s.b.load(), s.shared.get()}); });
  (void)explore(p, "dfs");
  const auto all = seen;
  for (const std::size_t target : {2u, 8u, 64u}) {
    seen.clear();
    split_total(p, nullptr, target);
    EXPECT_EQ(seen, all) << target;
  }
}

TEST(ExploreSplit, DealingBySizeIsBalancedAndDeterministic) {
  std::vector<double> sizes;
  for (int u = 0; u < 64; ++u) sizes.push_back(double((u * 7919) % 1000 + 1));
  for (const unsigned n : {1u, 2u, 4u, 8u}) {
    const auto owner = runner::deal_by_size(sizes, n);
    EXPECT_EQ(owner, runner::deal_by_size(sizes, n));
    std::vector<double> load(n + 1, 0.0);
    double sum = 0;
    for (std::size_t u = 0; u < sizes.size(); ++u) load[owner[u]] += sizes[u], sum += sizes[u];
    const double largest = *std::max_element(load.begin() + 1, load.end());
    EXPECT_LE(largest, 1.1 * sum / n) << n << " shards";
  }
}

cell_result part(std::uint64_t units, std::uint64_t executions, bool exhausted, std::optional<std::uint64_t> fails_at) {
  cell_result r;
  r.design = "d", r.scenario = "s", r.mode = "model", r.scheduler = "dpor", r.threads = 3;
  r.units_total = 6, r.units = units, r.iterations = executions, r.executions = executions;
  r.exhausted_search = exhausted;
  if (fails_at) r.result = verdict::deadlock, r.first_failure_unit = fails_at, r.replay = std::to_string(*fails_at);
  return r;
}

TEST(ExploreSplit, PartsJoinByTheirRules) {
  std::vector<std::string> problems;
  auto one = [&](std::vector<cell_result> parts) {
    problems.clear();
    const auto out = runner::merge_parts(parts, problems);
    EXPECT_EQ(out.size(), 1u);
    return out.front();
  };
  cell_result j = one({part(2, 10, true, {}), part(2, 20, true, {}), part(2, 30, true, {})});
  EXPECT_EQ(*j.executions, 60u);
  EXPECT_TRUE(j.exhausted_search);
  EXPECT_TRUE(problems.empty());
  j = one({part(2, 10, true, {}), part(2, 20, false, {}), part(2, 30, true, {})});
  EXPECT_FALSE(j.exhausted_search);
  j = one({part(2, 10, false, 4u), part(2, 20, false, 1u), part(2, 30, true, {})});
  EXPECT_EQ(j.result, verdict::deadlock);
  EXPECT_EQ(*j.first_failure_unit, 1u);
  EXPECT_EQ(*j.replay, "1");
  j = one({part(2, 10, true, {}), part(2, 20, true, {})});
  EXPECT_FALSE(j.exhausted_search);
  EXPECT_EQ(problems.size(), 1u);  // 4 of 6 units
}

// A search stopped after 30 executions, its state saved (through the
// checkpoint's JSON) and restored into a new scheduler, ends with 5! = 120.
TEST(ExploreSplit, ARestoredSearchEndsWhereOneStraightThroughEnds) {
  litmus<one_mutex> p(5, [](one_mutex& s, int) {
    X::unique_lock lock(s.m);
    ++s.counter.mut();
  });
  engine e(5);
  dpor_scheduler first;
  for (int i = 0; i < 30 && first.begin_execution(); ++i) e.run(p, first);
  const checkpoint saved{"litmus", "dpor", std::nullopt, {}, 0, first.save()};
  const checkpoint read = checkpoint_of(nlohmann::json::parse(to_json(saved).dump()));
  dpor_scheduler second;
  second.restore(read.search);
  while (second.begin_execution()) e.run(p, second);
  EXPECT_TRUE(second.exhausted());
  EXPECT_EQ(second.executions(), 120u);
}

}  // namespace
}  // namespace oncecheck::explore::testing
