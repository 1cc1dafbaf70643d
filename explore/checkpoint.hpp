// checkpoint: a dpor search's place (dpor_scheduler::search_state) in a
// file, so that a search stopped by its budget, its time limit or SIGINT
// goes on later from there (`--checkpoint FILE`, `--resume FILE`; loom's
// LOOM_CHECKPOINT_FILE). The file is JSON:
//
//   {"checkpoint": 1, "cell": "condvar/none coalesce", "scheduler": "dpor",
//    "preemption_bound": null, "prefix": [], "executions": 1200,
//    "redundant": 40, "elapsed_ms": 812.5, "exhausted": false,
//    "path": [[enabled, backtrack, done, sleep, chosen, prev, preemptions,
//              [[kind, order, object, mutex, timed, spin, [watched...]], ...],
//              [[[object, write], ...] per thread: its tail], untold], ...]}
//
// `cell`, `scheduler`, `preemption_bound` and `prefix` name the search; a
// resume into another one is refused (the path would not fit). A step's
// source line is not kept: the search never reads it. Written to a
// temporary name and renamed, like every results file.
#pragma once

#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../harness/cell_result.hpp"  // write_json_file
#include "dpor.hpp"

namespace oncecheck::explore {

struct checkpoint {
  std::string cell, scheduler;
  std::optional<int> preemption_bound;
  std::vector<std::uint8_t> prefix;
  double elapsed_ms = 0;  // of the searches before this one
  dpor_scheduler::search_state search;
};

inline nlohmann::json to_json(const checkpoint& c) {
  nlohmann::json path = nlohmann::json::array();
  for (const auto& n : c.search.path) {
    nlohmann::json steps = nlohmann::json::array();
    for (const step& s : n.next)
      steps.push_back({int(s.kind), int(s.order), s.object, s.mutex, s.timed, s.spin, s.watch});
    nlohmann::json tails = nlohmann::json::array();
    for (const tail& t : n.tails) {
      nlohmann::json accesses = nlohmann::json::array();
      for (const access& a : t) accesses.push_back({a.object, a.write});
      tails.push_back(accesses);
    }
    path.push_back({n.enabled, n.backtrack, n.done, n.sleep, n.chosen, n.prev, n.preemptions, steps, tails, n.untold});
  }
  return {{"checkpoint", 1},
          {"cell", c.cell},
          {"scheduler", c.scheduler},
          {"preemption_bound", c.preemption_bound ? nlohmann::json(*c.preemption_bound) : nlohmann::json(nullptr)},
          {"prefix", c.prefix},
          {"executions", c.search.executions},
          {"redundant", c.search.redundant},
          {"elapsed_ms", c.elapsed_ms},
          {"started", c.search.started},
          {"exhausted", c.search.exhausted},
          {"path", path}};
}

inline checkpoint checkpoint_of(const nlohmann::json& j) {
  if (j.value("checkpoint", 0) != 1) throw std::invalid_argument("not an oncecheck checkpoint (version 1)");
  checkpoint c;
  j.at("cell").get_to(c.cell);
  j.at("scheduler").get_to(c.scheduler);
  if (!j.at("preemption_bound").is_null()) c.preemption_bound = j.at("preemption_bound").get<int>();
  j.at("prefix").get_to(c.prefix);
  j.at("executions").get_to(c.search.executions);
  j.at("redundant").get_to(c.search.redundant);
  c.elapsed_ms = j.value("elapsed_ms", 0.0);
  c.search.started = j.at("started").get<bool>();
  c.search.exhausted = j.at("exhausted").get<bool>();
  for (const auto& n : j.at("path")) {
    dpor_scheduler::node_state s{n.at(0).get<thread_set>(), n.at(1).get<thread_set>(), n.at(2).get<thread_set>(),
                                 n.at(3).get<thread_set>(), n.at(4).get<int>(),       n.at(5).get<int>(),
                                 n.at(6).get<int>(),       {},
                                 {},                       0};
    for (const auto& x : n.at(7)) {
      step st;
      st.kind = op(x.at(0).get<int>());
      st.order = std::memory_order(x.at(1).get<int>());
      st.object = x.at(2).get<object_id>();
      st.mutex = x.at(3).get<object_id>();
      st.timed = x.at(4).get<bool>();
      st.spin = x.at(5).get<bool>();
      x.at(6).get_to(st.watch);
      s.next.push_back(st);
    }
    for (const auto& t : n.at(8)) {
      tail& into = s.tails.emplace_back();
      for (const auto& a : t) into.push_back(access{a.at(0).get<object_id>(), a.at(1).get<bool>()});
    }
    s.untold = n.at(9).get<thread_set>();
    c.search.path.push_back(std::move(s));
  }
  return c;
}

inline void write_checkpoint(const std::string& path, const checkpoint& c) { write_json_file(path, to_json(c)); }

inline checkpoint read_checkpoint(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::invalid_argument("--resume " + path + ": cannot open");
  try {
    return checkpoint_of(nlohmann::json::parse(in));
  } catch (const std::exception& e) {
    throw std::invalid_argument("--resume " + path + ": " + e.what());
  }
}

}  // namespace oncecheck::explore
