// oncecheck-stress: every cell on real threads, built plain and with
// ThreadSanitizer.
//
//   oncecheck-stress --list
//   oncecheck-stress --design condvar --flaw none --scenario drop_with_waiters
//                    --threads 8 --rounds 100000 --seed 7 --timeout 10 --json out.json
//   oncecheck-stress --all --expected models/expected.tsv --json build/results/stress-plain.json
//   oncecheck-stress --merge a.json b.json --json build/results/stress.json
//
// A cell always runs in a child process: a sanitizer that halts the program,
// a crash or a hang ends the child, and this process still writes the
// verdict (the sanitizer's report goes to a log file it reads back).
#include <unistd.h>

#include <csignal>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include <CLI/CLI.hpp>

#include "child_runner.hpp"
#include "cli_support.hpp"
#include "expected_matrix.hpp"
#include "registry.hpp"
#include "stress_run.hpp"

#ifndef ONCECHECK_STRESS_LABEL
#define ONCECHECK_STRESS_LABEL "plain"
#endif

namespace oncecheck::stress {
namespace {

struct cell_args {
  std::string design, flaw = "none", scenario;
};

template <class V, template <class, class> class S>
using stress_scenario = S<typename V::template map<stress_backend>, stress_backend>;

// Runs the named cell in this process (the child side).
std::optional<cell_result> run_here(const cell_args& c, const stress_options& o) {
  std::optional<cell_result> out;
  for_each_cell([&]<class V, template <class, class> class S>() {
    using scn = stress_scenario<V, S>;
    if (out || V::design != c.design || V::flaw != c.flaw || scn::name != c.scenario) return;
    cell_result cell;
    cell.design = c.design;
    cell.flaw = c.flaw;
    cell.scenario = c.scenario;
    out = run_stress<scn>(cell, o);
  });
  return out;
}

int min_threads_of(const std::string& scenario) {
  int n = 1;
  for_each_cell([&]<class V, template <class, class> class S>() {
    if (stress_scenario<V, S>::name == scenario) n = stress_scenario<V, S>::min_threads;
  });
  return n;
}

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The first sanitizer report the child left in `dir`, as a verdict.
std::optional<cell_result> sanitizer_verdict(const std::filesystem::path& dir, cell_result cell) {
  std::string report;
  if (std::filesystem::exists(dir))
    for (const auto& f : std::filesystem::directory_iterator(dir))
      if (f.path().filename().string().starts_with("san")) report += read_file(f.path());
  if (report.empty()) return std::nullopt;
  if (report.find("data race") != std::string::npos) cell.result = verdict::data_race;
  else if (report.find("use-after-free") != std::string::npos || report.find("use-after-return") != std::string::npos ||
           report.find("use-after-scope") != std::string::npos || report.find("SEGV") != std::string::npos)
    cell.result = verdict::use_after_free;  // a crash too: see the SIGSEGV case in run_in_child
  else if (report.find("lock-order-inversion") != std::string::npos) cell.result = verdict::deadlock;
  else if (report.find("leak") != std::string::npos) cell.result = verdict::leak;
  else cell.result = verdict::assert_failed;
  const auto summary = report.find("SUMMARY: ");
  cell.reason = summary == std::string::npos ? "sanitizer report"
                                              : report.substr(summary + 9, report.find('\n', summary) - summary - 9);
  std::istringstream lines(report);
  std::string line;
  for (int i = 0; i < 60 && std::getline(lines, line); ++i) cell.trace += "  " + line + "\n";
  return cell;
}

std::string self_exe() {
  char exe[4096];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) throw std::runtime_error("cannot find my own executable");
  exe[n] = 0;
  return exe;
}

// The sanitizer options each child runs with: the caller's own (or the
// project's defaults) with the child's log file added. The caller's are read
// once, before the first child changes the variables: appending to what the
// previous child was given would pile up one log_path per cell.
void set_sanitizer_logs(const std::filesystem::path& dir) {
  static const auto callers = [](const char* name, const char* fallback) {
    const char* value = std::getenv(name);
    return std::string(value ? value : fallback);
  };
  static const std::string tsan = callers("TSAN_OPTIONS", "halt_on_error=1 detect_deadlocks=1 second_deadlock_stack=1");
  static const std::string asan = callers("ASAN_OPTIONS", "detect_stack_use_after_return=1");
  const std::string log = " log_path=" + (dir / "san").string();
  setenv("TSAN_OPTIONS", (tsan + log).c_str(), 1);
  setenv("ASAN_OPTIONS", (asan + log).c_str(), 1);
}

std::string command_line(const std::string& display, const cell_args& c, const stress_options& o) {
  std::ostringstream s;
  s << display << " --design " << c.design << " --flaw " << c.flaw << " --scenario " << c.scenario << " --threads "
    << o.threads << " --rounds " << o.rounds << " --seed " << o.seed << " --timeout " << o.timeout_s;
  return s.str();
}

// Runs one cell in a child and reads its verdict back.
cell_result run_in_child(const cell_args& c, const stress_options& o, const std::string& display, bool quiet_child,
                         double max_time_s) {
  static int counter = 0;
  const auto dir = std::filesystem::temp_directory_path() /
                   ("oncecheck-stress-" + std::to_string(getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  set_sanitizer_logs(dir);
  const std::string json = (dir / "cell.json").string();
  child_job job;
  job.argv = {self_exe(), "--child", "--design", c.design, "--flaw", c.flaw, "--scenario", c.scenario,
              "--threads", std::to_string(o.threads), "--rounds", std::to_string(o.rounds), "--seed",
              std::to_string(o.seed), "--timeout", std::to_string(o.timeout_s), "--json", json};
  if (quiet_child) job.argv.push_back("--quiet");
  job.log_path = quiet_child ? (dir / "log.txt").string() : "";
  job.timeout_s = max_time_s;
  child_outcome outcome;
  run_children({job}, 1, [&](std::size_t, const child_outcome& x) { outcome = x; },
               [](const std::vector<std::string>&, double) {});

  cell_result cell;
  cell.design = c.design, cell.flaw = c.flaw, cell.scenario = c.scenario, cell.mode = "stress";
  cell.scheduler = ONCECHECK_STRESS_LABEL, cell.threads = o.threads;
  cell.elapsed_ms = outcome.elapsed_ms;
  if (auto san = sanitizer_verdict(dir, cell)) {
    cell = *san;
  } else if (std::filesystem::exists(json)) {
    cell = read_results(json).at(0);
  } else if (outcome.signal == SIGSEGV || outcome.signal == SIGBUS) {
    // Nothing in a scenario dereferences a bad pointer of its own: a crash
    // is the design touching memory that was no longer its to touch.
    cell.result = verdict::use_after_free;
    cell.reason = std::string("the run crashed with ") + (outcome.signal == SIGSEGV ? "SIGSEGV" : "SIGBUS") +
                  ": it touched memory that was freed or out of scope";
    if (quiet_child) cell.trace = read_file(dir / "log.txt");
  } else if (outcome.timed_out) {
    cell.result = verdict::hang;
    cell.reason = "the stress run did not end within " + std::to_string(int(max_time_s)) + " s";
  } else {
    cell.result = verdict::assert_failed;
    cell.reason = "the stress process ended without a verdict (exit " + std::to_string(outcome.exit_code) +
                  ", signal " + std::to_string(outcome.signal) + ")";
    if (quiet_child) cell.trace = read_file(dir / "log.txt");
  }
  if (cell.result != verdict::pass) cell.replay = command_line(display, c, o);
  std::filesystem::remove_all(dir);
  return cell;
}

void print_line(const cell_result& c) {
  std::printf("  %-38s %-18s %-6s %-18s %-18s %8llu rounds %9.0f ms  %s\n", (c.design + "/" + c.flaw).c_str(),
              c.scenario.c_str(), c.scheduler.c_str(), std::string(to_string(c.result)).c_str(),
              c.expected.empty() ? "" : c.expected.c_str(), static_cast<unsigned long long>(c.iterations),
              c.elapsed_ms, c.expected.empty() ? "" : (c.matches_expected() ? "ok" : "DIFFERS"));
  std::fflush(stdout);
}

// The wake-up latency table of a notify_latency cell, and what the
// notifier's yield after done() changes for each kind of waiter.
void print_latency(const cell_result& c) {
  if (c.latency.empty()) return;
  std::printf("\n  wake-up latency, %s/%s %s [%s] (done() to resume, microseconds)\n", c.design.c_str(),
              c.flaw.c_str(), c.scenario.c_str(), c.scheduler.c_str());
  std::printf("    %-18s %-14s %8s %10s %10s %10s\n", "waiter", "notifier", "samples", "p50", "p99", "max");
  for (const latency_row& r : c.latency)
    std::printf("    %-18s %-14s %8zu %10.1f %10.1f %10.1f\n", r.waiter.c_str(),
                r.notifier_yields ? "yields" : "does not yield", r.samples, r.p50_us, r.p99_us, r.max_us);
  for (const latency_row& plain : c.latency) {
    if (plain.notifier_yields || plain.samples == 0) continue;
    for (const latency_row& yielding : c.latency)
      if (yielding.notifier_yields && yielding.waiter == plain.waiter && yielding.samples > 0)
        std::printf("    %s: a yield after done() takes p50 from %.1f to %.1f us (x%.2f)\n", plain.waiter.c_str(),
                    plain.p50_us, yielding.p50_us, plain.p50_us > 0 ? yielding.p50_us / plain.p50_us : 0.0);
  }
  std::fflush(stdout);
}

void print_failure(const cell_result& c) {
  std::printf("\n=== %s: %s\n    %s\n%s", c.name().c_str(), std::string(to_string(c.result)).c_str(),
              c.reason.c_str(), c.trace.c_str());
  if (c.replay) std::printf("  replay: %s\n", c.replay->c_str());
}

int run_all(const stress_options& o, const std::string& expected_path, const std::string& json_path,
            const std::string& display, double max_time_s) {
  const expected_matrix expected = load_expected(expected_path);
  std::vector<cell_args> cells;
  for_each_cell([&]<class V, template <class, class> class S>() {
    cells.push_back({std::string(V::design), std::string(V::flaw), std::string(stress_scenario<V, S>::name)});
  });
  std::printf("oncecheck-stress [%s]: %zu cells, %d threads, up to %llu rounds each, seed %llu\n",
              ONCECHECK_STRESS_LABEL, cells.size(), o.threads, static_cast<unsigned long long>(o.rounds),
              static_cast<unsigned long long>(o.seed));
  install_interrupt_handler();
  std::vector<cell_result> done;
  for (const auto& c : cells) {
    if (g_interrupted) break;
    stress_options one = o;
    one.threads = std::max(o.threads, min_threads_of(c.scenario));
    cell_result r = run_in_child(c, one, display, true, max_time_s);
    if (g_interrupted) break;
    if (const expected_row* row = expected.find(c.design, c.flaw, c.scenario))
      r.expected = row->stress_for(ONCECHECK_STRESS_LABEL);
    print_line(r);
    done.push_back(r);
  }
  write_results(json_path, done);
  if (g_interrupted) {
    std::printf("interrupted: %zu of %zu cells ran; they are in %s\n", done.size(), cells.size(), json_path.c_str());
    return 130;
  }
  int differing = 0;
  for (const auto& r : done)
    if (r.result != verdict::pass || !r.matches_expected()) print_failure(r);
  for (const auto& r : done)
    if (!r.matches_expected()) {
      ++differing;
      std::printf("DIFFERS: %s: got %s, expected %s\n", r.name().c_str(), std::string(to_string(r.result)).c_str(),
                  r.expected.empty() ? "(no row)" : r.expected.c_str());
    }
  std::printf("\n%zu cells, %d differ from %s; results in %s\n", done.size(), differing, expected_path.c_str(),
              json_path.c_str());
  return differing ? 1 : 0;
}

}  // namespace
}  // namespace oncecheck::stress

int main(int argc, char** argv) {
  using namespace oncecheck;
  using namespace oncecheck::stress;
  CLI::App app{"oncecheck-stress: once-map designs on real threads, with a hang watchdog"};
  bool list = false, all = false, child = false, quiet = false;
  cell_args cell;
  stress_options o;
  std::optional<std::string> json;
  std::string expected_path = "models/expected.tsv";
  std::vector<std::string> merge;
  std::string display = argv[0];
  double max_time_s = 1800;

  app.add_flag("--list", list, "list designs, flaws and scenarios");
  app.add_option("--design", cell.design, "design to run");
  app.add_option("--flaw", cell.flaw, "flaw of the design, or none");
  app.add_option("--scenario", cell.scenario, "scenario to run");
  app.add_option("--threads", o.threads, "threads per round")->check(CLI::Range(1, 256));
  app.add_option("--rounds", o.rounds, "rounds to run")->check(CLI::PositiveNumber);
  app.add_option("--seed", o.seed, "seed of the per-round arrival jitter");
  app.add_option("--timeout", o.timeout_s, "seconds without progress before a round is a hang")
      ->check(CLI::PositiveNumber);
  app.add_option("--json", json, "write the result(s) as JSON to this file");
  app.add_flag("--all", all, "run every cell and compare with the expected matrix (stress column)");
  app.add_option("--expected", expected_path, "expected matrix (with --all)");
  app.add_option("--max-time", max_time_s, "seconds a whole cell may take")->check(CLI::PositiveNumber);
  app.add_option("--merge", merge, "concatenate these results files into --json")->expected(1, -1);
  app.add_flag("--quiet", quiet, "no progress lines");
  app.add_flag("--child", child, "run the cell in this process (used by the runner)")->group("");
  app.add_option("--display-name", display, "how replay commands name this program")->group("");

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    return usage_error(e.what());
  }

  try {
    o.label = ONCECHECK_STRESS_LABEL;
    o.progress = !quiet;
    if (list) {
      print_catalogue();
      return 0;
    }
    if (!merge.empty()) {
      if (!json) return usage_error("--merge needs --json OUT");
      std::vector<cell_result> cells;
      for (const auto& m : merge)
        for (auto& c : read_results(m)) cells.push_back(std::move(c));
      write_results(*json, cells);
      return 0;
    }
    if (all) return run_all(o, expected_path, json.value_or("build/results/stress.json"), display, max_time_s);
    const std::vector<std::string> family = scenario_family(cell.scenario);
    if (family.size() <= 1)
      if (auto bad = validate_cell(cell.design, cell.flaw, cell.scenario)) return usage_error(*bad);
    for (const std::string& name : family)
      if (auto bad = validate_cell(cell.design, cell.flaw, name)) return usage_error(*bad);
    for (const std::string& name : family)
      if (const int need = min_threads_of(name); o.threads < need)
        return usage_error("--threads " + std::to_string(o.threads) + " is too few for " + name + " (at least " +
                           std::to_string(need) + ")");
    if (child) {
      o.json_on_hang = json.value_or("");
      std::optional<cell_result> r = run_here(cell, o);
      if (json) write_results(*json, {*r});
      return 0;
    }
    // One cell, or each worker count of an async scenario.
    std::vector<cell_result> results;
    for (const std::string& name : family) {
      cell_args one = cell;
      one.scenario = name;
      results.push_back(run_in_child(one, o, display, false, max_time_s));
      print_line(results.back());
      if (results.back().result != verdict::pass) print_failure(results.back());
      print_latency(results.back());
    }
    if (json) write_results(*json, results);
    for (const cell_result& r : results)
      if (r.result != verdict::pass) return 1;
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "oncecheck-stress: %s\n", e.what());
    return 2;
  }
}
