// child_cell: one cell run in a child process of the runner itself, and the
// result read back. The child is the same binary with `--child`: it runs the
// cell in-process and writes its result as JSON. When the child leaves no
// JSON (it crashed, a sanitizer halted it, the watchdog of children.hpp
// killed it), the engine may read a verdict from what it left
// (engine::verdict_of_child), else the result says how it ended: a child
// ended from outside (a signal nobody in the run sent, or the runner's time
// limit) is `interrupted` or `unfinished`, which say nothing about the
// design; any other end without a verdict is `assert`.
#pragma once

#include <unistd.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "engine.hpp"
#include "replay.hpp"

namespace oncecheck::runner {

inline std::string self_exe() {
  char exe[4096];
  const ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) throw std::runtime_error("cannot find my own executable");
  exe[n] = 0;
  return exe;
}

inline std::string read_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The arguments that give a child (or a replay) the run's settings.
inline std::vector<std::string> request_argv(const engine& e, const run_request& r) {
  std::vector<std::string> out{"--scheduler", r.scheduler};
  for (auto& a : e.request_args(r)) out.push_back(std::move(a));
  out.insert(out.end(), {"--seed", std::to_string(r.options.seed)});
  for (auto& a : param_args(r)) out.push_back(std::move(a));
  if (r.replay) out.insert(out.end(), {"--replay", *r.replay});
  if (r.shard) out.insert(out.end(), {"--shard", r.shard->text()});
  return out;
}

// A replay command for `result`, unless it passed. `noted`: what the
// scenario noted for this failure (run in this process only).
inline void add_replay(const engine& e, cell_result& result, const run_request& r, const std::string& display,
                       const std::string& noted = "") {
  if (result.result == verdict::pass || outside_end(result.result)) return;
  std::vector<std::string> args = cell_args(result);
  for (auto& a : e.replay_args(result, r)) args.push_back(std::move(a));
  for (auto& a : param_args(r, noted)) args.push_back(std::move(a));
  result.replay = command_line(display, args);
}

struct child_cell {
  child_job job;
  std::filesystem::path dir;  // its files: cell.json, log.txt, sanitizer logs
};

// `quiet`: the child's output goes to dir/log.txt instead of the terminal.
inline child_cell plan_child(const engine& e, const cell& c, const run_request& r, const std::string& display,
                             const std::filesystem::path& dir, bool quiet) {
  child_cell out;
  out.dir = dir;
  out.job.argv = {self_exe(), "--child", "--design", c.design, "--flaw", c.flaw, "--scenario", c.scenario};
  for (auto& a : request_argv(e, r)) out.job.argv.push_back(std::move(a));
  out.job.argv.insert(out.job.argv.end(), {"--json", (dir / "cell.json").string(), "--display-name", display});
  if (quiet) out.job.argv.push_back("--quiet");
  out.job.log_path = quiet ? (dir / "log.txt").string() : "";
  out.job.timeout_s = e.child_time_limit(r);
  out.job.label = c.row() + " " + c.scenario + " [" + r.scheduler + "]";
  return out;
}

inline cell_result result_of_child(const engine& e, const cell& c, const run_request& r, const child_cell& child,
                                   const child_outcome& outcome, const std::string& display) {
  cell_result base = c.blank(e.mode(), r.scheduler);
  base.threads = r.threads;
  base.elapsed_ms = outcome.elapsed_ms;
  const auto json = child.dir / "cell.json";
  std::optional<cell_result> found = e.verdict_of_child(child.dir, outcome, base);
  if (!found && std::filesystem::exists(json)) {
    try {
      found = read_results(json.string()).at(0);
    } catch (const std::exception&) {
    }
  }
  if (found) {
    if (!found->replay) add_replay(e, *found, r, display);  // a watchdog's or a sanitizer's verdict
    return *found;
  }
  cell_result dead = base;
  const std::string log = child.job.log_path.empty() ? "" : read_text(child.job.log_path);
  if (outcome.timed_out) {
    dead.result = verdict::unfinished;
    dead.reason = "stopped by the runner's time limit of " + number_arg(child.job.timeout_s) +
                  " s before it gave a verdict (not a verdict on the design)";
  } else if (outcome.interrupted || outside_signal(outcome.signal)) {
    dead.result = verdict::interrupted;
    dead.reason = "the " + std::string(e.mode()) + " process was ended from outside by signal " +
                  std::to_string(outcome.signal) + " (" + strsignal(outcome.signal) +
                  ") before it gave a verdict (not a verdict on the design)";
  } else {
    dead.result = verdict::assert_failed;
    dead.reason = "the " + std::string(e.mode()) + " process ended without a verdict (exit " +
                  std::to_string(outcome.exit_code) + ", signal " + std::to_string(outcome.signal) + ")";
    dead.trace = log.substr(log.size() > 4000 ? log.size() - 4000 : 0);
  }
  add_replay(e, dead, r, display);
  return dead;
}

// Runs one cell in a child now and reads its result back.
inline cell_result run_in_child(const engine& e, const cell& c, const run_request& r, const std::string& display,
                                bool quiet, child_outcome* ended = nullptr) {
  static int counter = 0;
  const auto dir = std::filesystem::temp_directory_path() / ("oncecheck-" + std::string(e.mode()) + "-" +
                                                             std::to_string(getpid()) + "-" + std::to_string(counter++));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const child_cell child = plan_child(e, c, r, display, dir, quiet);
  child_outcome outcome;
  run_children({child.job}, 1, [&](std::size_t) { e.before_child(dir); },
               [&](std::size_t, const child_outcome& x) { outcome = x; },
               [](const std::vector<std::string>&, double) {});
  cell_result out = result_of_child(e, c, r, child, outcome, display);
  std::filesystem::remove_all(dir);
  if (ended) *ended = outcome;
  return out;
}

}  // namespace oncecheck::runner
