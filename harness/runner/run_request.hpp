// run_request: how one cell is to be run, whatever the engine. The runner
// core fills it from the command line (or from a matrix plan) and hands it to
// an engine; an engine reads the fields it has a use for and ignores the
// rest. Engine- and scenario-specific settings travel in `options.params`
// (`--param name=value`) so a new one needs no new field here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "../../scenarios/run_options.hpp"
#include "shard.hpp"

namespace oncecheck::runner {

struct run_request {
  std::string scheduler;            // one of the engine's schedulers
  std::uint64_t iterations = 0;     // schedules (model) or rounds (stress); 0: the engine's default
  double time_limit_s = 60;         // a search stops here: a pass that says how far it got
  unsigned context_bound = 2;       // preemptions per schedule (bounded schedulers)
  int threads = 0;                  // threads per round (stress); 0: the scenario's own
  double stall_timeout_s = 10;      // stress: a round with no progress this long is a hang
  std::optional<std::string> replay;  // the engine's token for one failing schedule
  // --shard I/N: run only this shard's units of a cell the engine splits
  // (engine::splits); the result is a part for --merge (shard.hpp).
  std::optional<shard_spec> shard;
  bool from_matrix = false;         // a run of a --check-all plan (matrix_run.hpp), not one cell named
  bool progress = false;            // a progress line on stderr every few seconds
  // Where this process writes its result (a child's --json). An engine that
  // may have to end the process itself (the stress watchdog) writes there
  // first.
  std::string result_path;
  scenarios::run_options options;   // --seed and --param name=value, read by scenarios
};

}  // namespace oncecheck::runner
