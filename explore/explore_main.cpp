// oncecheck-explore: the project's cells under oncecheck's own explorer.
//
//   oncecheck-explore --list
//   oncecheck-explore --design condvar --flaw none --scenario coalesce
//                     [--scheduler dpor|dfs|pct] [--preemption-bound N]
//                     [--max-executions N] [--time-limit S] [--replay STRING]
//   oncecheck-explore --all [--filter TEXT] [--expected models/expected.tsv]
//
// --all runs every cell in this process, one after another, and compares
// each verdict with the expected matrix's model column; a cell whose search
// stopped at its budget says so. (The runner core will run these cells as
// its `dpor` and `pct` engines; this tool is the explorer on its own.)
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "../harness/expected_matrix.hpp"
#include "../harness/registry.hpp"
#include "../impls/sync/explore_backend.hpp"
#include "explore_cell.hpp"

namespace oncecheck::explore {
namespace {

using backend = sync::explore_backend;

template <class V, template <class, class> class S>
using cell_scenario = S<typename V::template map<backend>, backend>;

struct cell_name {
  std::string design, flaw, scenario;
};

std::vector<cell_name> all_cells() {
  std::vector<cell_name> out;
  for_each_cell([&]<class V, template <class, class> class S>() {
    out.push_back({std::string(V::design), std::string(V::flaw), std::string(cell_scenario<V, S>::name)});
  });
  return out;
}

std::optional<explore_result> run_named(const cell_name& c, const explore_options& o) {
  std::optional<explore_result> out;
  for_each_cell([&]<class V, template <class, class> class S>() {
    if (!out && V::design == c.design && V::flaw == c.flaw && cell_scenario<V, S>::name == c.scenario)
      out = explore_cell<cell_scenario<V, S>>(o);
  });
  return out;
}

std::string quote(const std::string& s) { return "'" + s + "'"; }

bool expected_has(const std::string& column, verdict v) {
  std::istringstream alternatives(column);
  for (std::string a; std::getline(alternatives, a, '|');)
    if (a == to_string(v)) return true;
  return false;
}

std::string figures(const explore_result& r) {
  char buf[200];
  std::snprintf(buf, sizeof buf, "%10llu ex %8.0f ms  %s", static_cast<unsigned long long>(r.executions), r.elapsed_ms,
                r.exhausted ? "exhausted" : (r.result == verdict::pass ? "STOPPED" : ""));
  std::string s = buf;
  if (!r.exhausted && r.result == verdict::pass) {
    std::snprintf(buf, sizeof buf, " (~%.2g of the tree)", r.estimated_fraction);
    s += buf;
  }
  if (r.preemption_bound) s += " pb=" + std::to_string(*r.preemption_bound);
  return s;
}

void print_failure(const cell_name& c, const explore_result& r, const explore_options& o) {
  std::printf("\n=== %s/%s x %s: %s\n    %s\n", c.design.c_str(), c.flaw.c_str(), c.scenario.c_str(),
              std::string(to_string(r.result)).c_str(), r.reason.c_str());
  if (r.first_failure_execution)
    std::printf("    found in execution %llu after %.0f ms\n", static_cast<unsigned long long>(*r.first_failure_execution),
                r.elapsed_ms);
  std::printf("%s", r.trace.c_str());
  if (r.replay)
    std::printf("  replay: oncecheck-explore --design %s --flaw %s --scenario %s --scheduler %s --replay %s\n",
                c.design.c_str(), c.flaw.c_str(), c.scenario.c_str(), o.scheduler.c_str(), quote(*r.replay).c_str());
}

int run_all(const explore_options& o, const std::string& filter, const std::string& expected_path, bool traces) {
  const expected_matrix expected = expected_matrix::load(expected_path);
  int differ = 0, stopped = 0, cells = 0;
  for (const cell_name& c : all_cells()) {
    const std::string name = c.design + "/" + c.flaw + " " + c.scenario;
    if (!filter.empty() && name.find(filter) == std::string::npos) continue;
    ++cells;
    const explore_result r = *run_named(c, o);
    const expected_row* row = expected.find(c.design, c.flaw, c.scenario);
    const bool ok = row && expected_has(row->model, r.result);
    if (!ok) ++differ;
    if (r.result == verdict::pass && !r.exhausted) ++stopped;
    std::printf("  %-38s %-24s %-16s %-18s %s  %s\n", (c.design + "/" + c.flaw).c_str(), c.scenario.c_str(),
                std::string(to_string(r.result)).c_str(), row ? row->model.c_str() : "(no row)", figures(r).c_str(),
                ok ? "" : "DIFFERS");
    std::fflush(stdout);
    if (traces && r.result != verdict::pass) print_failure(c, r, o);
  }
  std::printf("\n%d cells, %d differ from the expected model column, %d passing searches stopped by the budget\n",
              cells, differ, stopped);
  return differ == 0 ? 0 : 1;
}

}  // namespace
}  // namespace oncecheck::explore

int main(int argc, char** argv) {
  using namespace oncecheck::explore;
  CLI::App app{"oncecheck-explore: the cells under oncecheck's own explorer (DPOR, PCT)"};
  cell_name cell;
  explore_options o;
  int bound = -1;
  bool list = false, all = false, traces = false;
  std::string filter, expected_path = "models/expected.tsv", replay, expect;
  app.add_flag("--list", list, "list the cells");
  app.add_flag("--all", all, "run every cell and compare with the expected matrix");
  app.add_option("--filter", filter, "--all: only cells whose 'design/flaw scenario' contains this");
  app.add_option("--expected", expected_path, "the expected matrix");
  app.add_flag("--traces", traces, "--all: print each failure's trace");
  app.add_option("--design", cell.design);
  app.add_option("--flaw", cell.flaw)->default_val("none");
  app.add_option("--scenario", cell.scenario);
  app.add_option("--scheduler", o.scheduler, "dpor, dfs or pct")->check(CLI::IsMember({"dpor", "dfs", "pct"}));
  app.add_option("--preemption-bound", bound, "dpor: at most N preemptions per execution (default: none)");
  app.add_option("--max-executions", o.max_executions);
  app.add_option("--time-limit", o.time_limit_s, "seconds per cell");
  app.add_option("--pct-depth", o.pct_depth);
  app.add_option("--seed", o.seed);
  app.add_option("--max-steps", o.max_steps, "steps per execution before it is a livelock");
  app.add_option("--replay", replay, "run the one execution a failure's replay string names");
  app.add_option("--expect", expect, "exit 0 only if the verdict is this (a pinned replay)");
  CLI11_PARSE(app, argc, argv);
  if (bound >= 0) o.preemption_bound = bound;
  if (!replay.empty()) o.replay = replay;
  if (list) {
    for (const auto& c : all_cells()) std::printf("%s %s %s\n", c.design.c_str(), c.flaw.c_str(), c.scenario.c_str());
    return 0;
  }
  if (all) return run_all(o, filter, expected_path, traces);
  auto r = run_named(cell, o);
  if (!r) {
    std::fprintf(stderr, "oncecheck-explore: no cell %s/%s x %s (see --list)\n", cell.design.c_str(), cell.flaw.c_str(),
                 cell.scenario.c_str());
    return 2;
  }
  std::printf("  %-38s %-24s %-8s %-16s %s\n", (cell.design + "/" + cell.flaw).c_str(), cell.scenario.c_str(),
              o.scheduler.c_str(), std::string(to_string(r->result)).c_str(), figures(*r).c_str());
  if (!r->guarantee.empty()) std::printf("  %s\n", r->guarantee.c_str());
  if (r->result != oncecheck::verdict::pass) print_failure(cell, *r, o);
  if (!expect.empty()) return to_string(r->result) == expect ? 0 : 1;
  return r->result == oncecheck::verdict::pass ? 0 : 1;
}
