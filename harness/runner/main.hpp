// main: the command line every engine's binary shares, and what it does
// with it. A binary is `int main(int argc, char** argv) { my_engine e;
// return oncecheck::runner::main(e, argc, argv); }`.
//
//   P --list                                  the catalogue
//   P --catalogue-json FILE                   designs.json
//   P --design D [--flaw F] --scenario S [--scheduler X] [engine options]
//     [--seed N] [--param name=value ...] [--json FILE] [--junit FILE]
//     [--expect VERDICT]
//                                             one cell (or every worker count
//                                             of an async scenario)
//   P --check-all [--expected models/expected.tsv] [--budget quick|default]
//     [--json FILE] [--junit FILE] [--design D] [--flaw F] [--scenario S]
//                                             the whole matrix (also --all),
//                                             or the cells the filters name
//   P --merge A.json B.json --json OUT        concatenate results files, joining
//     [--expected FILE]                       the parts of sharded cells; with
//                                             --expected, compare the joined
//                                             cells (exit 1 if any differ)
//   ... --shard I/N                           a single cell or --check-all:
//                                             only shard I's units of work
//                                             (harness/runner/shard.hpp)
//
// Exit codes: 0 pass (a single cell passed, or gave --expect; the matrix
// matched), 1 a failure, a differing cell, or a replay that did not
// reproduce, 2 bad input (one line naming it, before anything runs: see
// arguments.hpp), 130 / 143 interrupted by SIGINT / SIGTERM.
#pragma once

#include <algorithm>
#include <cstdio>
#include <optional>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <CLI/CLI.hpp>

#include "arguments.hpp"
#include "child_cell.hpp"
#include "engine.hpp"
#include "junit.hpp"
#include "matrix_run.hpp"
#include "output.hpp"
#include "join_parts.hpp"
#include "shard_units.hpp"
#include "shrink_programs.hpp"

namespace oncecheck::runner {

inline int usage_error(const std::string& message) {
  std::fprintf(stderr, "oncecheck: %s\n", one_line(message).c_str());
  return 2;
}

struct command {
  bool list = false, check_all = false, child = false, quiet = false;
  // Given on the command line: with --check-all, filters (an empty one is
  // bad input, not "every cell").
  bool design_named = false, flaw_named = false, scenario_named = false;
  std::optional<std::string> catalogue_json, json, junit, expect, shard;
  bool expected_named = false;
  std::string design, flaw = "none", scenario;
  std::vector<std::string> params, merge;
  std::optional<std::uint64_t> programs;
  run_request request;
  matrix_options matrix;
};

inline void add_common_options(CLI::App& app, command& c) {
  app.add_flag("--list", c.list, "list designs, flaws and scenarios");
  app.add_option("--catalogue-json", c.catalogue_json, "write designs.json (capabilities, flaws, scenarios) here");
  app.add_option("--design", c.design, "design to run");
  app.add_option("--flaw", c.flaw, "flaw of the design, or none");
  app.add_option("--scenario", c.scenario, "scenario to run (an async one without /1w or /2w: both)");
  app.add_option("--scheduler", c.request.scheduler, "scheduler to run it under");
  app.add_option("--seed", c.request.options.seed, "seed of the run (scenarios and schedulers that draw)")
      ->transform(whole_number(0, std::numeric_limits<std::uint64_t>::max()));
  app.add_option("--param", c.params, "name=value a scenario or the engine reads (repeatable)");
  app.add_option("--programs", c.programs, "random_programs: how many generated programs (--param programs=N)")
      ->check(CLI::PositiveNumber);
  app.add_option("--json", c.json, "write the result(s) as JSON to this file");
  app.add_option("--junit", c.junit, "write the result(s) as JUnit XML to this file (one testcase per cell)");
  app.add_option("--expect", c.expect, "exit 0 only if the verdict is this one (pinned replays)");
  app.add_flag("--quiet", c.quiet, "print nothing (with --json)");
  app.add_flag("--progress", c.request.progress, "print progress every few seconds");
  app.add_option("--display-name", c.matrix.display, "how replay commands name this program")->group("");
  app.add_flag("--child", c.child, "run the cell in this process (used by the runner)")->group("");
  app.add_flag("--check-all,--all", c.check_all, "run every cell and compare with the expected matrix");
  app.add_option("--expected", c.matrix.expected_path, "expected matrix (with --check-all)");
  app.add_option("--jobs", c.matrix.jobs, "cells run at once (with --check-all)")->transform(whole_number(1, 256));
  app.add_option("--budget", c.matrix.budget, "quick or default (with --check-all)");
  app.add_option("--expect-verdicts", c.matrix.expect_verdicts,
                 "a registered design's 'scenario=verdict ...' beside its registration's (with --check-all)");
  app.add_option("--schedulers", c.matrix.schedulers, "schedulers to run (with --check-all)")->delimiter(',');
  app.add_option("--detection-schedulers", c.matrix.detection_schedulers,
                 "schedulers run only on flawed cells, to time detection (with --check-all)")
      ->delimiter(',');
  app.add_option("--stress-results,--other-results", c.matrix.other_results,
                 "another engine's results for the time-to-detection table");
  app.add_option("--shard", c.shard, "run only shard I of N of the work (a part for --merge)")
      ->transform(shard_value());
  app.add_option("--merge", c.merge, "concatenate these results files into --json")->expected(1, -1);
}

// Every file the command would write, checked before it runs.
inline std::optional<std::string> check_outputs(const engine& e, const command& c) {
  if (c.catalogue_json)
    if (auto bad = check_output_path("--catalogue-json", *c.catalogue_json)) return bad;
  if (c.junit)
    if (auto bad = check_output_path("--junit", *c.junit)) return bad;
  if (c.json) return check_output_path("--json", *c.json);
  if (c.check_all) return check_output_path("--json (default)", e.default_results());
  return std::nullopt;
}

// Bad input, as one line; nullopt when the command can run.
inline std::optional<std::string> check_command(const engine& e, command& c) {
  for (const std::string& p : c.params) {
    const auto eq = p.find('=');
    if (eq == std::string::npos || eq == 0) return "--param " + p + ": not name=value";
    c.request.options.params[p.substr(0, eq)] = p.substr(eq + 1);
  }
  if (c.programs) c.request.options.params["programs"] = std::to_string(*c.programs);
  try {
    (void)scenarios::program_plan::of(c.request.options);  // a bad --param program= is bad input
  } catch (const std::invalid_argument& ex) {
    return ex.what();
  }
  const auto known = e.schedulers();
  std::vector<std::string> named = c.matrix.schedulers;
  named.insert(named.end(), c.matrix.detection_schedulers.begin(), c.matrix.detection_schedulers.end());
  if (!c.check_all) named.push_back(c.request.scheduler);
  for (const auto& s : named)
    if (std::find(known.begin(), known.end(), s) == known.end()) {
      std::string list;
      for (const auto& k : known) list += (list.empty() ? "" : ", ") + k;
      return "unknown scheduler '" + s + "' (known: " + list + ")";
    }
  if (c.expect && !parse_verdict(*c.expect)) return "unknown verdict '" + *c.expect + "' for --expect";
  if (c.matrix.budget != "quick" && c.matrix.budget != "default")
    return "unknown budget '" + c.matrix.budget + "' (known: quick, default)";
  if (c.request.replay && c.check_all) return "--replay runs one cell: not with --check-all";
  if (c.shard) {
    c.request.shard = parse_shard(*c.shard);
    if (c.request.replay) return "--replay runs one schedule: not with --shard";
    if (!c.merge.empty()) return "--merge joins shards' results: not with --shard";
  }
  if (c.check_all) {
    for (const auto& [named, value, option] : {std::tuple{c.design_named, c.design, "--design"},
                                               std::tuple{c.flaw_named, c.flaw, "--flaw"},
                                               std::tuple{c.scenario_named, c.scenario, "--scenario"}})
      if (named && value.empty()) return std::string(option) + ": an empty name";
    c.matrix.only_design = c.design, c.matrix.only_scenario = c.scenario;
    c.matrix.only_flaw = c.flaw_named ? c.flaw : "";
    if (auto bad = check_selection(c.matrix)) return bad;
  }
  if (!c.matrix.expect_verdicts.empty()) {
    if (!user_build) return "--expect-verdicts is for a registered design's build (ONCECHECK_USER_IMPL)";
    try {
      (void)user_overrides(c.matrix.expect_verdicts);
    } catch (const std::invalid_argument& ex) {
      return ex.what();
    }
  }
  return check_outputs(e, c);
}

// The cells a single run names, checked: one, or each worker count.
inline std::optional<std::string> single_cells(const command& c, std::vector<const cell*>& out) {
  const catalogue& cat = catalogue::get();
  std::vector<std::string> family = cat.family(c.scenario);
  if (family.empty()) family.push_back(c.scenario);
  for (const std::string& name : family) {
    if (auto bad = cat.validate(c.design, c.flaw, name)) return bad;
    out.push_back(cat.find(c.design, c.flaw, name));
  }
  return std::nullopt;
}

// Runs one cell in this process: the child side of every run, and a single
// run of an engine that needs no child. `cut_short` says whether an
// interrupt stopped the engine's run itself (its verdict then covers only
// part of the budget); an interrupt during the shrink after it only ends
// the shrink.
// A shard's part of a cell the engine does not split is the whole cell, run
// by the shard that unit 0 is dealt to, and an empty part elsewhere.
inline cell_result run_engine(engine& e, const cell& c, const run_request& r) {
  if (!r.shard || e.splits(c, r)) return e.run(c, r);
  run_request whole = r;
  whole.shard.reset();
  cell_result blank = c.blank(e.mode(), r.scheduler);
  return run_units(blank, *r.shard, 1, r.time_limit_s, [&](std::uint64_t, double) { return e.run(c, whole); });
}

inline cell_result run_here(engine& e, const cell& c, const run_request& r, const std::string& display,
                            bool* cut_short = nullptr) {
  scenarios::mutable_run_options() = r.options;
  scenarios::current_replay_note() = {};
  cell_result out = run_engine(e, c, r);
  if (cut_short) *cut_short = interrupt_requested();
  record_failing_program(c, r, out);
  add_replay(e, out, r, display, scenarios::current_replay_note().text);
  shrink_failing_program(e, c, r, out, display);
  return out;
}

// A replay names one schedule of one cell, and must parse as one.
inline std::optional<std::string> check_replay(const engine& e, const command& c,
                                               const std::vector<const cell*>& cells) {
  if (!c.request.replay) return std::nullopt;
  if (cells.size() != 1)
    return "--replay names one schedule of one cell: give the scenario with its worker count (" +
           cells.front()->scenario + ")";
  return e.check_replay(*c.request.replay, *cells.front(), c.request);
}

// Why a replay's child gave no verdict: the last line it wrote (the
// engine's word on where the schedule left the cell), or how it ended.
inline std::string why_no_replay(const cell_result& dead, const child_outcome& ended) {
  std::string last;
  std::istringstream lines(dead.trace);
  for (std::string line; std::getline(lines, line);)
    if (!line.empty()) last = line;
  if (!last.empty()) return last;
  return ended.signal ? "following it crashed the run (signal " + std::to_string(ended.signal) + ")"
                      : "its run ended with exit " + std::to_string(ended.exit_code) + " and no verdict";
}

// Interrupts: the runner (not a --child, whose parent passes the signal on)
// catches SIGINT / SIGTERM; a cell the interrupt cut short is dropped, the
// cells that finished before it are written to FILE.interrupted.json (FILE
// itself is left as it was), and it exits 128 + the signal.
inline int run_single(engine& e, const command& c, const std::vector<const cell*>& cells) {
  if (auto bad = check_replay(e, c, cells)) return usage_error(*bad);
  if (!c.child) install_interrupt_handler();
  std::vector<cell_result> results;
  for (const cell* one : cells) {
    run_request r = c.request;
    if (r.threads && r.threads < one->min_threads)
      return usage_error("--threads " + std::to_string(r.threads) + " is too few for " + one->scenario +
                         " (at least " + std::to_string(one->min_threads) + ")");
    const bool in_child = e.single_run_in_child(r) && !c.child;
    child_outcome ended;
    bool cut_short = true;  // a child stopped by the interrupt did not finish its cell
    results.push_back(in_child ? run_in_child(e, *one, r, c.matrix.display, c.quiet || r.replay, &ended)
                               : run_here(e, *one, r, c.matrix.display, &cut_short));
    if (g_interrupted) {  // the cells before this one, and this one if it ended first, are what finished
      if (cut_short) results.pop_back();
      else if (!c.child && !c.quiet) print_result_line(results.back(), e.iteration_unit(), false);
      std::string kept;
      if (c.json && !results.empty()) write_results(kept = *c.json + ".interrupted.json", results);
      std::fprintf(stderr, "%s: interrupted by %s; %zu cell(s) finished%s\n", std::string(e.program()).c_str(),
                   interrupt_name(), results.size(), kept.empty() ? "" : (", in " + kept).c_str());
      return interrupt_exit_code();
    }
    const bool gave_no_verdict = ended.signal ? !outside_signal(ended.signal) : ended.exit_code != 0;
    if (r.replay && in_child && !ended.by_runner() && gave_no_verdict)  // a kill from outside is `interrupted`
      return usage_error("--replay '" + *r.replay + "' is not a schedule of " + one->scenario + ": " +
                         why_no_replay(results.back(), ended));
    if (c.child || c.quiet) continue;
    print_result_line(results.back(), e.iteration_unit(), false);
    if (results.back().result != verdict::pass) print_counterexample(results.back());
    print_latency(results.back());
  }
  if (c.json) write_results(*c.json, results);
  if (c.junit && !c.child) write_junit(*c.junit, results, e.program(), c.expect, false);
  for (const cell_result& r : results) {
    const std::string got(to_string(r.result));
    if (c.expect && got != *c.expect) {
      std::fprintf(stderr, "%s: expected %s, got %s\n", std::string(e.program()).c_str(), c.expect->c_str(), got.c_str());
      return 1;
    }
    if (!c.expect && !c.child && r.result != verdict::pass) return 1;
    if (!c.expect && !c.child && c.request.replay) {
      std::fprintf(stderr, "%s: the replay did not reproduce a failure\n", std::string(e.program()).c_str());
      return 1;
    }
  }
  return 0;
}

// --merge: the files' cells, each sharded cell's parts joined
// (join_parts.hpp). Parts that do not add up (a shard missing) are named
// and make it exit 1; with --expected the joined cells are compared with
// the expected matrix as a matrix run compares them (shards leave that to
// the merge: a part alone may miss what the whole cell finds).
inline int merge_results(const engine& e, const command& c) {
  if (!c.json) return usage_error("--merge needs --json OUT");
  std::vector<cell_result> cells;
  for (const auto& m : c.merge)
    for (auto& r : read_results(m)) cells.push_back(std::move(r));
  std::vector<std::string> problems;
  cells = merge_parts(cells, problems);
  int differing = 0;
  if (c.expected_named) {
    const expected_matrix m = load_expected(c.matrix.expected_path);
    for (cell_result& r : cells)
      if (r.expected.empty()) attach_expected(e, m, r, false);
  }
  write_results(*c.json, cells);
  if (c.expected_named) {
    print_matrix(cells);
    differing = print_closing(cells, c.matrix.expected_path, *c.json);
  }
  for (const std::string& p : problems) std::fprintf(stderr, "%s --merge: %s\n", std::string(e.program()).c_str(), p.c_str());
  return differing || !problems.empty() ? 1 : 0;
}

inline int dispatch(engine& e, command& c) {
  if (c.list) {
    print_catalogue();
    return 0;
  }
  if (auto bad = check_command(e, c)) return usage_error(*bad);
  if (c.catalogue_json) {
    write_catalogue(*c.catalogue_json);
    if (!c.check_all) return 0;
  }
  if (!c.merge.empty()) return merge_results(e, c);
  c.request.progress = c.request.progress || !c.quiet;
  c.request.result_path = c.json.value_or("");
  if (c.check_all) {
    c.matrix.json_path = c.json.value_or(e.default_results());
    c.matrix.junit_path = c.junit.value_or("");
    c.matrix.shard = c.request.shard;
    c.request.shard.reset();  // the matrix deals it (matrix_run.hpp)
    if (c.matrix.other_results.empty()) c.matrix.other_results = e.companion_results();
    return run_matrix(e, c.matrix, c.request);
  }
  std::vector<const cell*> cells;
  if (auto bad = single_cells(c, cells)) return usage_error(*bad);
  return run_single(e, c, cells);
}

inline int main(engine& e, int argc, char** argv) {
  CLI::App app{std::string(e.program()) + ": once-map designs, one engine of oncecheck"};
  command c;
  c.matrix.display = argv[0];
  c.request.scheduler = e.schedulers().front();
  add_common_options(app, c);
  e.add_options(app, c.request);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& ex) {
    return app.exit(ex);
  } catch (const CLI::ParseError& ex) {
    return usage_error(ex.what());
  }
  c.design_named = app.count("--design") > 0;
  c.flaw_named = app.count("--flaw") > 0;
  c.scenario_named = app.count("--scenario") > 0;
  c.expected_named = app.count("--expected") > 0;
  try {
    return dispatch(e, c);
  } catch (const std::exception& ex) {
    std::fprintf(stderr, "%s: %s\n", std::string(e.program()).c_str(), one_line(ex.what()).c_str());
    return 2;
  }
}

}  // namespace oncecheck::runner
