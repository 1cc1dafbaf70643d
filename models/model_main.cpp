// oncecheck-model: the Relacy side of oncecheck.
//
//   oncecheck-model --list
//   oncecheck-model --design condvar --flaw check_then_act --scenario coalesce
//                   [--scheduler random|bound|full] [--iterations N] [--replay STATE]
//   oncecheck-model --check-all --expected models/expected.tsv --json build/results/models.json
//
// --check-all is `make check-models`: every cell under every scheduler, each
// in a child process of its own, compared with the expected matrix.
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>

#include <CLI/CLI.hpp>

#include "../harness/child_runner.hpp"
#include "../harness/cli_support.hpp"
#include "../harness/expected_matrix.hpp"
#include "../harness/registry.hpp"
#include "model_run.hpp"  // last: Relacy's macros break any header after it

namespace oncecheck::model {
namespace {

struct cell_name {
  std::string design, flaw, scenario;
};

std::vector<cell_name> all_cells() {
  std::vector<cell_name> out;
  for_each_cell([&]<class V, template <class, class> class S>() {
    out.push_back({std::string(V::design), std::string(V::flaw), std::string(model_scenario<V, S>::name)});
  });
  return out;
}

std::optional<cell_result> run_named(const cell_name& c, scheduler s, const budget& b,
                                     const std::optional<std::string>& replay) {
  std::optional<cell_result> out;
  for_each_cell([&]<class V, template <class, class> class S>() {
    if (!out && V::design == c.design && V::flaw == c.flaw && model_scenario<V, S>::name == c.scenario)
      out = run_cell<V, S>(s, b, replay);
  });
  return out;
}

std::string shell_quote(const std::string& s) {
  std::string out = "'";
  for (char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

std::string replay_command(const std::string& self, const cell_result& c, unsigned context_bound) {
  std::string cmd = self + " --design " + c.design + " --flaw " + c.flaw + " --scenario " + c.scenario +
                    " --scheduler " + c.scheduler;
  if (c.scheduler != "random") cmd += " --context-bound " + std::to_string(context_bound);
  return cmd + " --replay " + shell_quote(*c.replay);
}

void print_cell_line(const cell_result& c, bool with_expected) {
  const bool ok = !with_expected || c.matches_expected();
  std::printf("  %-38s %-18s %-7s %-18s %-18s %10llu it %9.0f ms  %s\n", (c.design + "/" + c.flaw).c_str(),
              c.scenario.c_str(), c.scheduler.c_str(), std::string(to_string(c.result)).c_str(),
              with_expected ? (c.expected.empty() ? "(no row)" : c.expected.c_str()) : "",
              static_cast<unsigned long long>(c.iterations), c.elapsed_ms,
              with_expected ? (ok ? (c.exhausted_search ? "ok, every schedule" : "ok") : "DIFFERS")
                            : (c.exhausted_search ? "every schedule" : ""));
  std::fflush(stdout);
}

void print_counterexample(const cell_result& c) {
  std::printf("\n=== %s: %s\n", c.name().c_str(), std::string(to_string(c.result)).c_str());
  if (!c.reason.empty()) std::printf("    %s\n", c.reason.c_str());
  if (c.first_failure_iteration)
    std::printf("    found at iteration %llu after %.0f ms\n",
                static_cast<unsigned long long>(*c.first_failure_iteration), c.elapsed_ms);
  std::printf("%s", c.trace.c_str());
  if (c.replay) std::printf("  replay: %s\n", c.replay->c_str());
}

int run_single(const cell_name& c, scheduler s, const budget& b, const std::optional<std::string>& replay,
               const std::optional<std::string>& json, bool quiet, const std::string& self,
               const std::optional<std::string>& expect) {
  std::optional<cell_result> r = run_named(c, s, b, replay);
  if (!r) return usage_error("no cell " + c.design + "/" + c.flaw + " x " + c.scenario);
  if (r->replay) r->replay = replay_command(self, *r, b.context_bound);
  if (json) write_results(*json, {*r});
  if (!quiet) {
    print_cell_line(*r, false);
    if (r->result != verdict::pass) print_counterexample(*r);
  }
  if (expect) {
    // A pinned replay: the schedule must keep giving this verdict.
    if (to_string(r->result) == *expect) return 0;
    std::fprintf(stderr, "oncecheck-model: expected %s, got %s\n", expect->c_str(),
                 std::string(to_string(r->result)).c_str());
    return 1;
  }
  return r->result == verdict::pass ? 0 : 1;
}

struct check_all_options {
  std::string expected_path = "models/expected.tsv";
  std::string json_path = "build/results/models.json";
  std::vector<std::string> schedulers{"random", "bound"};
  // Run only where a flaw is expected, to time its detection: a tree search
  // that does not reach the bug within its budget is recorded, not failed.
  std::vector<std::string> detection_schedulers{"full"};
  std::string stress_results = "build/results/stress.json";
  int jobs = 2;
  // Context bound 2: some lost wake-ups need two preemptions (the
  // notify/listener_after_check race). The slowest flaw to find under it
  // takes about 22,000 schedules (see the time-to-detection table); a
  // million, or 30 s, exhausts most correct cells and keeps the default run
  // under 5 minutes on 2 cores. A cut-short search is reported as such.
  budget random_budget{20000, 60, 2, false};
  budget search_budget{1000000, 30, 2, false};
  budget detection_budget{200000, 20, 2, false};
};

void print_matrix(const std::vector<cell_result>& cells, const std::vector<std::string>& schedulers) {
  std::vector<std::string> rows, cols;
  for (const auto& c : cells) {
    const std::string row = c.design + "/" + c.flaw;
    if (std::find(rows.begin(), rows.end(), row) == rows.end()) rows.push_back(row);
    if (std::find(cols.begin(), cols.end(), c.scenario) == cols.end()) cols.push_back(c.scenario);
  }
  auto text = [&](const std::string& row, const std::string& col) {
    std::string t;
    for (const auto& s : schedulers)
      for (const auto& c : cells)
        if (c.design + "/" + c.flaw == row && c.scenario == col && c.scheduler == s)
          t += (t.empty() ? "" : " / ") + std::string(to_string(c.result)) + (c.matches_expected() ? "" : "(!)");
    return t;
  };
  std::printf("\nVerdict matrix (");
  for (std::size_t i = 0; i < schedulers.size(); ++i) std::printf("%s%s", i ? " / " : "", schedulers[i].c_str());
  std::printf("; (!) differs from the expected matrix)\n  %-38s", "design/flaw");
  for (const auto& c : cols) std::printf(" %-40s", c.c_str());
  std::printf("\n");
  for (const auto& r : rows) {
    std::printf("  %-38s", r.c_str());
    for (const auto& c : cols) std::printf(" %-40s", text(r, c).c_str());
    std::printf("\n");
  }
}

// Time to detection: for every flaw and the scenarios that must catch it,
// the iterations (model) or rounds (stress) and the milliseconds to the first
// failure, per scheduler. Stress figures come from the last `make stress`.
void print_detection_table(const std::vector<cell_result>& model, const check_all_options& o) {
  std::vector<cell_result> stress;
  if (std::filesystem::exists(o.stress_results)) {
    try {
      stress = read_results(o.stress_results);
    } catch (const std::exception& e) {
      std::printf("\n(%s)\n", e.what());
    }
  }
  std::vector<std::string> columns = o.schedulers;
  columns.insert(columns.end(), o.detection_schedulers.begin(), o.detection_schedulers.end());
  const std::vector<std::string> stress_columns{"plain", "tsan"};
  auto figure = [](const cell_result* c) -> std::string {
    if (!c) return "-";
    char buf[64];
    if (c->first_failure_iteration && c->result != verdict::pass)
      std::snprintf(buf, sizeof buf, "%llu / %.0f ms", static_cast<unsigned long long>(*c->first_failure_iteration),
                    c->elapsed_ms);
    else
      std::snprintf(buf, sizeof buf, "none in %llu", static_cast<unsigned long long>(c->iterations));
    return buf;
  };
  std::printf("\nTime to detection (iterations or rounds / ms to the first failure)\n  %-38s %-18s", "design/flaw",
              "scenario");
  for (const auto& c : columns) std::printf(" %-18s", c.c_str());
  for (const auto& c : stress_columns) std::printf(" %-18s", ("stress " + c).c_str());
  std::printf("\n");
  // A scenario every design fails the same way (recursive_keys' cycle) says
  // nothing about a flaw: only cells where the correct design passes count.
  std::set<std::string> correct_fails;
  for (const auto& r : model)
    if (r.flaw == "none" && !r.expected.starts_with("pass")) correct_fails.insert(r.design + " " + r.scenario);
  std::set<std::string> rows;
  for (const auto& r : model) {
    if (r.flaw == "none" || r.expected.empty() || r.expected.starts_with("pass")) continue;
    if (correct_fails.count(r.design + " " + r.scenario)) continue;
    if (!rows.insert(r.design + "/" + r.flaw + " " + r.scenario).second) continue;
    std::printf("  %-38s %-18s", (r.design + "/" + r.flaw).c_str(), r.scenario.c_str());
    for (const auto& col : columns) {
      const cell_result* found = nullptr;
      for (const auto& m : model)
        if (m.design == r.design && m.flaw == r.flaw && m.scenario == r.scenario && m.scheduler == col) found = &m;
      std::printf(" %-18s", figure(found).c_str());
    }
    for (const auto& col : stress_columns) {
      const cell_result* found = nullptr;
      for (const auto& m : stress)
        if (m.design == r.design && m.flaw == r.flaw && m.scenario == r.scenario && m.scheduler == col) found = &m;
      std::printf(" %-18s", figure(found).c_str());
    }
    std::printf("\n");
  }
  if (stress.empty()) std::printf("  (stress columns: run `make stress` first)\n");
}

int run_check_all(const check_all_options& o, const std::string& self_display) {
  const expected_matrix expected = load_expected(o.expected_path);
  const auto cells = all_cells();
  char exe[4096];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) throw std::runtime_error("cannot find my own executable");
  exe[n] = 0;
  const auto tmpdir = std::filesystem::temp_directory_path() / ("oncecheck-models-" + std::to_string(getpid()));
  std::filesystem::create_directories(tmpdir);

  std::vector<child_job> jobs;
  std::vector<std::pair<cell_name, std::string>> job_cells;
  std::vector<std::string> json_of_job;
  auto flawed = [&](const cell_name& c) {
    const expected_row* row = expected.find(c.design, c.flaw, c.scenario);
    return row && row->model != "pass";
  };
  for (const auto& c : cells)
    for (const auto& s : o.schedulers) job_cells.push_back({c, s});
  for (const auto& c : cells)
    for (const auto& s : o.detection_schedulers)
      if (flawed(c)) job_cells.push_back({c, s});
  auto detection_only = [&](const std::string& s) {
    return std::find(o.schedulers.begin(), o.schedulers.end(), s) == o.schedulers.end();
  };
  for (const auto& [c, s] : job_cells) {
    {
      const budget& b = s == "random" ? o.random_budget : detection_only(s) ? o.detection_budget : o.search_budget;
      child_job j;
      std::string file = c.design + "." + c.flaw + "." + c.scenario + "." + s;
      std::replace(file.begin(), file.end(), '/', '_');  // hold_entry_across_await/1w
      const std::string stem = (tmpdir / file).string();
      j.argv = {exe, "--design", c.design, "--flaw", c.flaw, "--scenario", c.scenario, "--scheduler", s,
                "--iterations", std::to_string(b.iterations), "--time-limit", std::to_string(b.time_limit_s),
                "--context-bound", std::to_string(b.context_bound), "--json", stem + ".json", "--quiet",
                "--display-name", self_display};
      j.log_path = stem + ".log";
      j.timeout_s = b.time_limit_s * 2 + 60;
      j.label = c.design + "/" + c.flaw + " " + c.scenario + " [" + s + "]";
      jobs.push_back(j);
      json_of_job.push_back(stem + ".json");
    }
  }

  std::printf("oncecheck: %zu model runs (%zu design-or-flaw x scenario cells, schedulers:", jobs.size(),
              cells.size());
  for (const auto& s : o.schedulers) std::printf(" %s", s.c_str());
  std::printf("; to time detection:");
  for (const auto& s : o.detection_schedulers) std::printf(" %s", s.c_str());
  std::printf("), %d at a time\n", o.jobs);
  std::printf("  %-38s %-18s %-7s %-18s %-18s %13s %12s\n", "design/flaw", "scenario", "sched", "verdict",
              "expected", "iterations", "time");
  std::fflush(stdout);

  install_interrupt_handler();
  std::vector<std::optional<cell_result>> results(jobs.size());
  run_children(
      jobs, o.jobs,
      [&](std::size_t i, const child_outcome& outcome) {
        const auto& [c, s] = job_cells[i];
        cell_result r;
        const std::string& json = json_of_job[i];
        try {
          if (!outcome.timed_out && outcome.signal == 0 && std::filesystem::exists(json)) r = read_results(json).at(0);
          else throw std::runtime_error("");
        } catch (const std::exception&) {
          r.design = c.design, r.flaw = c.flaw, r.scenario = c.scenario, r.mode = "model", r.scheduler = s;
          r.result = outcome.timed_out ? verdict::hang : verdict::assert_failed;
          r.elapsed_ms = outcome.elapsed_ms;
          r.reason = outcome.timed_out ? "the model process did not finish in time"
                                       : "the model process ended without a result (exit " +
                                             std::to_string(outcome.exit_code) + ", signal " +
                                             std::to_string(outcome.signal) + "); log: " + jobs[i].log_path;
        }
        if (const expected_row* row = expected.find(c.design, c.flaw, c.scenario))
          r.expected = detection_only(s) ? row->model + "|pass" : row->model;
        results[i] = r;
        print_cell_line(r, true);
      },
      [&](const std::vector<std::string>& running, double seconds) {
        std::printf("  ... %.0f s, running:", seconds);
        for (const auto& l : running) std::printf(" %s;", l.c_str());
        std::printf("\n");
        std::fflush(stdout);
      });

  std::vector<cell_result> done;
  for (auto& r : results)
    if (r) done.push_back(*r);
  std::filesystem::create_directories(std::filesystem::path(o.json_path).parent_path().empty()
                                          ? std::filesystem::path(".")
                                          : std::filesystem::path(o.json_path).parent_path());
  write_results(o.json_path, done);
  if (g_interrupted) {
    std::printf("\ninterrupted: %zu of %zu cells ran; they are in %s\n", done.size(), jobs.size(),
                o.json_path.c_str());
    return 130;
  }
  std::filesystem::remove_all(tmpdir);

  print_matrix(done, o.schedulers);

  // One counterexample per caught flaw; every other one is in the JSON.
  std::set<std::string> shown;
  for (const auto& r : done)
    if (r.result != verdict::pass && r.matches_expected() && shown.insert(r.design + "/" + r.flaw).second)
      print_counterexample(r);

  print_detection_table(done, o);

  int differing = 0;
  for (const auto& r : done)
    if (!r.matches_expected()) {
      if (!differing) std::printf("\nCells that differ from %s:\n", o.expected_path.c_str());
      ++differing;
      std::printf("  %s: got %s, expected %s%s%s\n", r.name().c_str(), std::string(to_string(r.result)).c_str(),
                  r.expected.empty() ? "(no row)" : r.expected.c_str(), r.reason.empty() ? "" : ": ",
                  r.reason.c_str());
      if (r.result != verdict::pass && !r.trace.empty()) print_counterexample(r);
    }
  std::printf("\n%zu cells, %d differ from the expected matrix; results in %s\n", done.size(), differing,
              o.json_path.c_str());
  return differing ? 1 : 0;
}

}  // namespace
}  // namespace oncecheck::model

int main(int argc, char** argv) {
  using namespace oncecheck;
  using namespace oncecheck::model;
  CLI::App app{"oncecheck-model: explore once-map designs under Relacy's schedulers"};
  bool list = false, check_all = false, quiet = false, progress = false;
  cell_name cell{"", "none", ""};
  std::string sched_name = "random";
  budget b;
  std::optional<std::string> replay, json, expect;
  std::string display = argv[0];
  check_all_options all;
  std::string budget_name = "default";

  app.add_flag("--list", list, "list designs, flaws and scenarios");
  std::optional<std::string> catalogue_json;
  app.add_option("--catalogue-json", catalogue_json, "write designs.json (capabilities, flaws, scenarios) here");
  app.add_option("--design", cell.design, "design to check");
  app.add_option("--flaw", cell.flaw, "flaw of the design, or none");
  app.add_option("--scenario", cell.scenario, "scenario to run");
  app.add_option("--scheduler", sched_name, "random, bound (context-bound) or full (full search)");
  app.add_option("--iterations", b.iterations, "iteration budget")->check(CLI::PositiveNumber);
  app.add_option("--time-limit", b.time_limit_s, "seconds before a search stops (pass, not exhaustive)")
      ->check(CLI::PositiveNumber);
  app.add_option("--context-bound", b.context_bound, "preemptions per schedule for --scheduler bound");
  app.add_option("--replay", replay, "scheduler state printed by a failing run: re-run exactly that schedule");
  app.add_option("--json", json, "write the result(s) as JSON to this file");
  app.add_option("--expect", expect, "exit 0 only if the verdict is this one (pinned replays)");
  app.add_flag("--quiet", quiet, "print nothing (with --json)");
  app.add_flag("--progress", progress, "print progress every few seconds");
  app.add_option("--display-name", display, "how replay commands name this program")->group("");
  app.add_flag("--check-all", check_all, "run every cell and compare with the expected matrix");
  app.add_option("--expected", all.expected_path, "expected matrix (with --check-all)");
  app.add_option("--jobs", all.jobs, "cells run at once (with --check-all)")->check(CLI::PositiveNumber);
  app.add_option("--budget", budget_name, "quick or default (with --check-all)");
  app.add_option("--schedulers", all.schedulers, "schedulers to run (with --check-all)")->delimiter(',');
  app.add_option("--detection-schedulers", all.detection_schedulers,
                 "schedulers run only on flawed cells, to time detection (with --check-all)")
      ->delimiter(',');
  app.add_option("--stress-results", all.stress_results, "stress results for the time-to-detection table");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what());
  }

  try {
    if (list) {
      print_catalogue();
      return 0;
    }
    if (catalogue_json) {
      write_catalogue(*catalogue_json);
      if (!check_all) return 0;
    }
    for (const auto& s : all.detection_schedulers)
      if (!parse_scheduler(s)) return usage_error("unknown scheduler '" + s + "' (known: random, bound, full)");
    for (const auto& s : all.schedulers)
      if (!parse_scheduler(s)) return usage_error("unknown scheduler '" + s + "' (known: random, bound, full)");
    if (check_all) {
      if (budget_name == "quick") {
        all.random_budget = {3000, 20, 2, false};
        all.search_budget = {150000, 20, 2, false};
        all.detection_budget = {20000, 5, 2, false};
      } else if (budget_name != "default") {
        return usage_error("unknown budget '" + budget_name + "' (known: quick, default)");
      }
      if (json) all.json_path = *json;
      return run_check_all(all, display);
    }
    const auto sched = parse_scheduler(sched_name);
    if (!sched) return usage_error("unknown scheduler '" + sched_name + "' (known: random, bound, full)");
    if (auto bad = validate_cell(cell.design, cell.flaw, cell.scenario)) return usage_error(*bad);
    b.progress = progress || !quiet;
    if (expect && !parse_verdict(*expect)) return usage_error("unknown verdict '" + *expect + "' for --expect");
    return run_single(cell, *sched, b, replay, json, quiet, display, expect);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "oncecheck-model: %s\n", e.what());
    return 2;
  }
}
