// engine: what a way of running a cell plugs into the runner core.
//
// The core owns everything around a run (the catalogue, child processes and
// their watchdog, the expected matrix, result lines, counterexamples, replay
// commands, JSON, the summary and the exit codes); an engine owns only how
// one cell runs under one of its schedulers, and how its own settings are
// spelled on a command line. An engine is one object per binary: Relacy's
// (models/model_main.cpp), real threads' (harness/stress/stress_main.cpp),
// and any later one (an explorer: schedulers dpor and pct).
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "../cell_result.hpp"
#include "../expected_matrix.hpp"
#include "catalogue.hpp"
#include "children.hpp"
#include "run_request.hpp"

namespace CLI {
class App;
}

namespace oncecheck::runner {

class engine {
 public:
  virtual ~engine() = default;

  // The binary's name and the `mode` of its results ("model", "stress").
  virtual std::string_view program() const = 0;
  virtual std::string_view mode() const = 0;
  // Every scheduler it knows, and the ones a matrix run uses by default;
  // detection schedulers run only where a flaw is expected, to time it.
  virtual std::vector<std::string> schedulers() const = 0;
  virtual std::vector<std::string> matrix_schedulers() const = 0;
  virtual std::vector<std::string> detection_schedulers() const { return {}; }
  // What a result counts: "it" (schedules) or "rounds".
  virtual std::string_view iteration_unit() const = 0;
  // Where a matrix run writes its results by default, and another engine's
  // results whose figures its time-to-detection table shows beside its own.
  virtual std::string default_results() const = 0;
  virtual std::string companion_results() const { return ""; }

  // Its own command-line options, bound to fields of `r`.
  virtual void add_options(CLI::App& app, run_request& r) = 0;
  // The same settings as arguments: for a child process, and after the
  // cell's names in a replay command (with the failure's own `result`).
  virtual std::vector<std::string> request_args(const run_request& r) const = 0;
  virtual std::vector<std::string> replay_args(const cell_result& result, const run_request& r) const = 0;

  // A matrix run: the request for `c` under `scheduler`, with the budget
  // named by --budget (quick or default); the verdicts the expected matrix
  // row allows for this engine and scheduler.
  virtual run_request matrix_request(const cell& c, const std::string& scheduler, bool detection_only,
                                     const std::string& budget, const run_request& base) const = 0;
  virtual std::string expected_of(const expected_row& row, const std::string& scheduler) const = 0;

  // Whether a run of `c` under `r` is cut into units of work (shard.hpp):
  // then run() with r.shard set runs that shard's units and gives a part.
  // A cell it does not split is dealt whole to one shard of a matrix.
  virtual bool splits(const cell&, const run_request&) const { return false; }

  // Runs the cell in this process.
  virtual cell_result run(const cell& c, const run_request& r) = 0;

  // A --replay token, checked before anything runs: nullopt when it is one
  // this engine can follow in cell `c`; otherwise what is wrong, one line.
  virtual std::optional<std::string> check_replay(const std::string&, const cell&, const run_request&) const {
    return "this runner has no replay: its replay command is its own command line";
  }

  // Children: a single cell runs in a child too when the engine needs one
  // (a sanitizer that halts the program still leaves a verdict; a replay
  // that does not fit the cell may crash the simulator); how many run at
  // once in a matrix; how long one may take before it is killed.
  virtual bool single_run_in_child(const run_request&) const { return false; }
  virtual int matrix_parallelism() const { return 2; }
  virtual double child_time_limit(const run_request& r) const { return r.time_limit_s * 2 + 60; }
  // Called before a child starts, with the directory its files go to.
  virtual void before_child(const std::filesystem::path&) const {}
  // A verdict from what the child left behind other than its JSON (a
  // sanitizer's log, a crash); nullopt: the core's reading applies.
  virtual std::optional<cell_result> verdict_of_child(const std::filesystem::path&, const child_outcome&,
                                                      const cell_result&) const {
    return std::nullopt;
  }
};

}  // namespace oncecheck::runner
