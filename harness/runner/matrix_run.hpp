// matrix_run: `--check-all` (make check-models, make stress): every cell
// under the engine's matrix schedulers, and its detection schedulers where a
// flaw is expected, each in a child process, compared with the expected
// matrix as it ends; then the JSON, the verdict matrix, the counterexamples,
// the time-to-detection table and the cells that differ.
//
// Exit codes: 0 every cell gives its expected verdict, 1 some differ,
// 130 / 143 interrupted by SIGINT / SIGTERM. An interrupted run leaves the
// previous results file as it was (a part of the matrix must not replace a
// whole one) and writes the runs that ended to FILE.interrupted.json; the
// children are stopped and the temporary directory removed either way.
//
// With --shard I/N a matrix run is one shard of it (shard.hpp): every cell
// the engine splits runs as a child with --shard I/N (its share of the
// cell's units), every other run goes whole to one shard, round-robin in
// plan order. A shard does not compare: a part alone may miss what the
// whole cell finds, so `--merge --expected` compares the joined cells; a
// shard exits 0 once every run it was dealt has a result (a crash is a
// result too, `assert`), 130 / 143 when interrupted.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "child_cell.hpp"
#include "engine.hpp"
#include "expectations.hpp"
#include "junit.hpp"
#include "output.hpp"

namespace oncecheck::runner {

struct matrix_options {
  std::string expected_path = "models/expected.tsv";
  std::string json_path;
  std::string junit_path;  // --junit: the same cells as JUnit XML; empty: none
  // --expect-verdicts: a registered design's "scenario=verdict ..." beyond
  // its registration's (harness/runner/expectations.hpp).
  std::string expect_verdicts;
  std::string budget = "default";
  std::vector<std::string> schedulers, detection_schedulers;  // empty: the engine's
  std::string other_results;  // another engine's results for the detection table
  int jobs = 0;               // 0: the engine's
  std::string display;
  // --design, --flaw, --scenario beside --check-all: only the cells they
  // name (a scenario family name, notify_latency, names /1w and /2w); empty:
  // any.
  std::string only_design, only_flaw, only_scenario;
  std::optional<shard_spec> shard;  // --shard I/N: this shard's share of the plan

  bool selects(const cell& c) const {
    return (only_design.empty() || c.design == only_design) && (only_flaw.empty() || c.flaw == only_flaw) &&
           (only_scenario.empty() || c.scenario == only_scenario || c.scenario.starts_with(only_scenario + "/"));
  }
};

// nullopt when the filters name known things and select at least one cell.
inline std::optional<std::string> check_selection(const matrix_options& o) {
  const catalogue& cat = catalogue::get();
  std::set<std::string> designs, flaws, scenarios;
  std::size_t selected = 0;
  for (const cell& c : cat.cells()) {
    designs.insert(c.design), scenarios.insert(c.scenario);
    if (o.only_design.empty() || c.design == o.only_design) flaws.insert(c.flaw);
    selected += o.selects(c);
  }
  if (!o.only_design.empty() && !designs.count(o.only_design))
    return "unknown design '" + o.only_design + "' (known: " + catalogue::join(designs) + ")";
  if (!o.only_flaw.empty() && !flaws.count(o.only_flaw))
    return "unknown flaw '" + o.only_flaw + "'" + (o.only_design.empty() ? "" : " of design " + o.only_design) +
           " (known: " + catalogue::join(flaws) + ")";
  if (!o.only_scenario.empty() && cat.family(o.only_scenario).empty())
    return "unknown scenario '" + o.only_scenario + "' (known: " + catalogue::join(scenarios) + ")";
  if (!selected) return "--design/--flaw/--scenario select no cell";
  return std::nullopt;
}

struct planned_run {
  const cell* c;
  run_request request;
  bool detection_only;
};

// The matrix's expected verdicts for `r`, and whether its row counts for
// the time-to-detection table: a seeded flaw where it must show and the
// correct design passes; in a user's build every cell of the user's design
// (which scenario, under which scheduler, found what and how fast is what
// that user asks, whether it was expected or not).
inline void attach_expected(const engine& e, const expected_matrix& m, cell_result& r, bool detection_only) {
  const expected_row* row = m.find(r.design, r.flaw, r.scenario);
  if (!row) return;
  r.expected = e.expected_of(*row, r.scheduler) + (detection_only ? "|pass" : "");
  const expected_row* correct = m.find(r.design, "none", r.scenario);
  r.counts_for_detection = user_build || (r.flaw != "none" && !r.expected.starts_with("pass") &&
                                          !(correct && !e.expected_of(*correct, r.scheduler).starts_with("pass")));
}

// Shard `s`'s share of a plan: every split run, as its part; whole runs
// round-robin.
inline std::vector<planned_run> shard_of_plan(const engine& e, const std::vector<planned_run>& plan,
                                              const shard_spec& s) {
  std::vector<planned_run> out;
  std::uint64_t whole = 0;
  for (planned_run p : plan) {
    if (e.splits(*p.c, p.request)) {
      p.request.shard = s;
      out.push_back(std::move(p));
    } else if (s.owns(whole++)) {
      out.push_back(std::move(p));
    }
  }
  return out;
}

inline std::vector<planned_run> plan_matrix(const engine& e, const expected_matrix& m, const matrix_options& o,
                                            const run_request& base) {
  std::vector<planned_run> out;
  std::vector<const cell*> cells;
  for (const cell& c : catalogue::get().cells())
    if (o.selects(c)) cells.push_back(&c);
  auto request = [&](const cell& c, const std::string& s, bool detection) {
    run_request r = e.matrix_request(c, s, detection, o.budget, base);
    r.from_matrix = true;
    return r;
  };
  for (const cell* c : cells)
    for (const auto& s : o.schedulers) out.push_back({c, request(*c, s, false), false});
  for (const cell* cp : cells) {
    const cell& c = *cp;
    const expected_row* row = m.find(c.design, c.flaw, c.scenario);
    for (const auto& s : o.detection_schedulers)
      if (row && !e.expected_of(*row, s).starts_with("pass"))
        out.push_back({&c, request(c, s, true), true});
  }
  return o.shard ? shard_of_plan(e, out, *o.shard) : out;
}

inline void print_plan(const engine& e, const std::vector<planned_run>& plan, const matrix_options& o) {
  const auto& all = catalogue::get().cells();
  const auto cells = std::count_if(all.begin(), all.end(), [&](const cell& c) { return o.selects(c); });
  std::printf("%s: %zu %s runs (%zu design-or-flaw x scenario cells, schedulers:", std::string(e.program()).c_str(),
              plan.size(), std::string(e.mode()).c_str(), std::size_t(cells));
  for (const auto& s : o.schedulers) std::printf(" %s", s.c_str());
  if (!o.detection_schedulers.empty()) std::printf("; to time detection:");
  for (const auto& s : o.detection_schedulers) std::printf(" %s", s.c_str());
  std::printf("), %d at a time%s\n", o.jobs, o.shard ? (", shard " + o.shard->text()).c_str() : "");
  if (user_build) std::printf("expected: %s\n", user_rule);
  print_line_header(e.iteration_unit());
}

inline std::vector<cell_result> read_other_results(const std::string& path) {
  if (path.empty() || !std::filesystem::exists(path)) return {};
  try {
    return read_results(path);
  } catch (const std::exception& ex) {
    std::printf("\n(%s)\n", ex.what());
    return {};
  }
}

// Runs the plan in children, `jobs` at a time; each result in plan order.
inline std::vector<cell_result> run_plan(const engine& e, const expected_matrix& m,
                                         const std::vector<planned_run>& plan, const matrix_options& o) {
  const auto root = std::filesystem::temp_directory_path() /
                    ("oncecheck-" + std::string(e.mode()) + "-" + std::to_string(getpid()));
  std::vector<child_cell> children;
  std::vector<child_job> jobs;
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const auto dir = root / std::to_string(i);
    std::filesystem::create_directories(dir);
    children.push_back(plan_child(e, *plan[i].c, plan[i].request, o.display, dir, true));
    jobs.push_back(children.back().job);
  }
  std::vector<std::optional<cell_result>> results(plan.size());
  run_children(
      jobs, o.jobs, [&](std::size_t i) { e.before_child(children[i].dir); },
      [&](std::size_t i, const child_outcome& outcome) {
        cell_result r = result_of_child(e, *plan[i].c, plan[i].request, children[i], outcome, o.display);
        attach_expected(e, m, r, plan[i].detection_only);
        if (o.shard) r.shard = o.shard->text();
        print_result_line(r, e.iteration_unit(), !o.shard);  // a part is compared once merged
        results[i] = std::move(r);
      },
      [&](const std::vector<std::string>& running, double seconds) {
        std::printf("  ... %.0f s, running:", seconds);
        for (const auto& l : running) std::printf(" %s;", l.c_str());
        std::printf("\n");
        std::fflush(stdout);
      });
  std::error_code ignored;
  std::filesystem::remove_all(root, ignored);
  std::vector<cell_result> done;
  for (auto& r : results)
    if (r) done.push_back(std::move(*r));
  return done;
}

inline int run_matrix(const engine& e, matrix_options o, const run_request& base) {
  if (o.schedulers.empty()) o.schedulers = e.matrix_schedulers();
  if (o.detection_schedulers.empty()) o.detection_schedulers = e.detection_schedulers();
  if (o.jobs <= 0) o.jobs = e.matrix_parallelism();
  const expected_matrix expected = load_expected(o.expected_path, o.expect_verdicts);
  const std::vector<planned_run> plan = plan_matrix(e, expected, o, base);
  print_plan(e, plan, o);
  install_interrupt_handler();
  const std::vector<cell_result> done = run_plan(e, expected, plan, o);
  if (g_interrupted) {
    const std::string partial = o.json_path + ".interrupted.json";
    write_results(partial, done);
    std::printf("\ninterrupted by %s: %zu of %zu runs ended; they are in %s (%s is left as it was)\n",
                interrupt_name(), done.size(), plan.size(), partial.c_str(), o.json_path.c_str());
    return interrupt_exit_code();
  }
  write_results(o.json_path, done);
  if (!o.junit_path.empty()) write_junit(o.junit_path, done, e.program(), std::nullopt, true);
  if (o.shard) {
    std::printf("\nshard %s: %zu runs, results in %s; `--merge ... --expected %s` joins the shards and compares\n",
                o.shard->text().c_str(), done.size(), o.json_path.c_str(), o.expected_path.c_str());
    return 0;
  }
  print_matrix(done);
  print_detection_table(done, read_other_results(o.other_results));
  // A user's design is held to the rule printed with the plan, not to rows
  // of the file (harness/runner/expectations.hpp).
  const std::string expected_from =
      user_build ? "the expectations of a registered design (the rule above)" : o.expected_path;
  return print_closing(done, expected_from, o.json_path) ? 1 : 0;
}

}  // namespace oncecheck::runner
