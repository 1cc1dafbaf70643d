// model_checkpoint: where one of Relacy's tree searches (bound, full)
// stopped before its end, in a file, so that it goes on later from there
// (`oncecheck-model --checkpoint FILE`, `--resume FILE`; loom's
// LOOM_CHECKPOINT_FILE, explore/checkpoint.hpp for the explorer's dpor).
//
// Relacy's tree-search state (replay_state.hpp) is the place: its
// scheduler walks the tree depth first from the path the state gives, and a
// search stopped between two executions (its budget, its time limit,
// SIGINT: models/model_run.hpp stops it at the start of the next one)
// gives the path of the execution it did not run. Resumed there, it runs
// that execution first and walks on exactly as one run straight through
// would, its iterations numbered on from there: the same total, the same
// first failure at the same iteration. The file is JSON:
//
//   {"checkpoint": 1, "engine": "oncecheck-model", "cell": "condvar/none coalesce",
//    "scheduler": "bound", "context_bound": 2, "state": "20225 31 2 0 0 ...",
//    "iterations": 20224, "elapsed_ms": 812.5}
//
// `cell`, `scheduler` and `context_bound` name the search (a resume into
// another one is refused: the path would not fit); `iterations` and
// `elapsed_ms` are the sessions' before it. Written to a temporary name and
// renamed, like every results file. No Relacy here: the runner reads and
// writes it around a run (models/model_main.cpp).
#pragma once

#include <cstdint>
#include <fstream>
#include <stdexcept>
#include <string>

#include <nlohmann/json.hpp>

#include "../harness/cell_result.hpp"  // write_json_file

namespace oncecheck::model {

struct model_checkpoint {
  std::string cell, scheduler;
  unsigned context_bound = 0;
  std::string state;             // Relacy's: the next execution's path
  std::uint64_t iterations = 0;  // run before it, in every session so far
  double elapsed_ms = 0;
};

inline nlohmann::json to_json(const model_checkpoint& c) {
  return {{"checkpoint", 1},        {"engine", "oncecheck-model"}, {"cell", c.cell},
          {"scheduler", c.scheduler}, {"context_bound", c.context_bound}, {"state", c.state},
          {"iterations", c.iterations}, {"elapsed_ms", c.elapsed_ms}};
}

inline void write_model_checkpoint(const std::string& path, const model_checkpoint& c) {
  write_json_file(path, to_json(c));
}

inline model_checkpoint read_model_checkpoint(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("--resume " + path + ": cannot open");
  try {
    const nlohmann::json j = nlohmann::json::parse(in);
    if (j.value("checkpoint", 0) != 1 || j.value("engine", "") != "oncecheck-model")
      throw std::invalid_argument("not a checkpoint of oncecheck-model (version 1)");
    model_checkpoint c;
    j.at("cell").get_to(c.cell);
    j.at("scheduler").get_to(c.scheduler);
    j.at("context_bound").get_to(c.context_bound);
    j.at("state").get_to(c.state);
    j.at("iterations").get_to(c.iterations);
    c.elapsed_ms = j.value("elapsed_ms", 0.0);
    return c;
  } catch (const std::exception& e) {
    throw std::invalid_argument("--resume " + path + ": " + e.what());
  }
}

}  // namespace oncecheck::model
