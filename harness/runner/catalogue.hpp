// catalogue: every cell (design-or-flaw x scenario) built once from the type
// lists of harness/registry.hpp into plain descriptors, so that finding a
// cell by name is a map lookup and every listing, check and output reads the
// same vector. The typed side (which template instance runs a cell) stays
// with the engines: make_entries<Maker>() walks the same lists in the same
// order and gives each cell's entry point by its index.
#pragma once

#include <cstdio>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <vector>

#include <nlohmann/json.hpp>

#include "../cell_result.hpp"
#include "../registry.hpp"
#include "run_request.hpp"

namespace oncecheck::runner {

struct cell {
  std::size_t index = 0;  // in catalogue order (and in make_entries' order)
  std::string design, flaw, bug, scenario, summary;
  int model_threads = 0;  // the Relacy model's threads
  int model_operations = 0;  // the map operations of the model's threads
  int min_threads = 1;    // the fewest threads its body makes sense with
  int fixed_threads = 0;  // stress: the thread count the scenario's roles fix, 0 if none
  bool draws_programs = false;  // a generated program per round (scenarios/program_source.hpp)
  capabilities traits{};

  std::string row() const { return design + "/" + flaw; }
  // A result of this cell with nothing run yet.
  cell_result blank(std::string_view mode, const std::string& scheduler) const {
    cell_result r;
    r.design = design, r.flaw = flaw, r.scenario = scenario, r.mode = std::string(mode), r.scheduler = scheduler;
    return r;
  }
};

// The scenario S of variant V as the listings see it.
template <class V, template <class, class> class S>
using listed_scenario = S<typename V::template map<sync::std_backend>, sync::std_backend>;

class catalogue {
 public:
  static const catalogue& get() {
    static const catalogue c = build();
    return c;
  }

  const std::vector<cell>& cells() const { return cells_; }

  const cell* find(const std::string& design, const std::string& flaw, const std::string& scenario) const {
    const auto it = by_name_.find({design, flaw, scenario});
    return it == by_name_.end() ? nullptr : &cells_[it->second];
  }

  // nullopt when the cell exists; otherwise a message naming the bad value.
  std::optional<std::string> validate(const std::string& design, const std::string& flaw,
                                      const std::string& scenario) const {
    std::set<std::string> designs, flaws, scenarios;
    for (const cell& c : cells_) {
      designs.insert(c.design);
      if (c.design == design) flaws.insert(c.flaw);
      scenarios.insert(c.scenario);
    }
    if (design.empty()) return "--design is required (known: " + join(designs) + ")";
    if (!designs.count(design)) return "unknown design '" + design + "' (known: " + join(designs) + ")";
    if (!flaws.count(flaw)) return "unknown flaw '" + flaw + "' of design " + design + " (known: " + join(flaws) + ")";
    if (scenario.empty()) return "--scenario is required (known: " + join(scenarios) + ")";
    if (!scenarios.count(scenario)) return "unknown scenario '" + scenario + "' (known: " + join(scenarios) + ")";
    return std::nullopt;
  }

  // The scenarios a name on the command line stands for: itself, or every
  // worker count of an async scenario (`notify_latency` for notify_latency/1w
  // and /2w). Empty when it names none.
  std::vector<std::string> family(const std::string& name) const {
    std::set<std::string> found;
    for (const cell& c : cells_)
      if (c.scenario == name || c.scenario.starts_with(name + "/")) found.insert(c.scenario);
    return {found.begin(), found.end()};
  }

  // One cell per design-or-flaw, and one per scenario, in catalogue order.
  std::vector<const cell*> variants() const { return firsts([](const cell& c) { return c.row(); }); }
  std::vector<const cell*> scenarios() const { return firsts([](const cell& c) { return c.scenario; }); }

  static std::string join(const std::set<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
  }

 private:
  static catalogue build() {
    catalogue out;
    for_each_cell([&]<class V, template <class, class> class S>() {
      using scn = listed_scenario<V, S>;
      cell c;
      c.index = out.cells_.size();
      c.design = std::string(V::design), c.flaw = std::string(V::flaw), c.bug = std::string(V::bug);
      c.scenario = std::string(scn::name), c.summary = std::string(scn::summary);
      c.model_threads = scn::model_threads, c.min_threads = scn::min_threads;
      c.model_operations = scn::model_operations;
      if constexpr (requires { scn::stress_threads; }) c.fixed_threads = scn::stress_threads;
      c.draws_programs = scenarios::draws_programs<scn>;
      c.traits = V::template map<sync::std_backend>::traits;
      out.by_name_[{c.design, c.flaw, c.scenario}] = c.index;
      out.cells_.push_back(std::move(c));
    });
    return out;
  }

  template <class Key>
  std::vector<const cell*> firsts(Key key) const {
    std::vector<const cell*> out;
    std::set<std::string> seen;
    for (const cell& c : cells_)
      if (seen.insert(key(c)).second) out.push_back(&c);
    return out;
  }

  std::vector<cell> cells_;
  std::map<std::tuple<std::string, std::string, std::string>, std::size_t> by_name_;
};

// An engine's typed entry points, indexed like catalogue::cells():
// Maker::template entry<V, S>() gives the function that runs cell <V, S>.
using entry_point = cell_result (*)(const cell&, const run_request&);

template <class Maker>
std::vector<entry_point> make_entries() {
  std::vector<entry_point> out;
  for_each_cell([&]<class V, template <class, class> class S>() { out.push_back(Maker::template entry<V, S>()); });
  return out;
}

inline void print_catalogue() {
  const catalogue& cat = catalogue::get();
  std::printf("designs and flaws:\n");
  for (const cell* c : cat.variants()) {
    if (c->flaw == "none") std::printf("  %s\n", c->design.c_str());
    else std::printf("  %s --flaw %s: %s\n", c->design.c_str(), c->flaw.c_str(), c->bug.c_str());
  }
  std::printf("scenarios:\n");
  for (const cell* c : cat.scenarios()) std::printf("  %s: %s\n", c->scenario.c_str(), c->summary.c_str());
}

// designs.json (docs/results.md): what each design supports, its flaws, and
// the scenarios, for the report's capability table.
inline void write_catalogue(const std::string& path) {
  const catalogue& cat = catalogue::get();
  nlohmann::json designs = nlohmann::json::array();
  for (const cell* c : cat.variants()) {
    if (c->flaw == "none") {
      const capabilities& t = c->traits;
      designs.push_back({{"design", c->design},
                         {"traits",
                          {{"blocking_wait", t.blocking_wait},
                           {"async_wait", t.async_wait},
                           {"timeouts", t.timeouts},
                           {"allocates_per_waiter", t.allocates_per_waiter},
                           {"on_close", std::string(t.on_close)},
                           {"leader_failure", std::string(t.leader_failure)}}},
                         {"flaws", nlohmann::json::array()}});
      continue;
    }
    for (auto& d : designs)
      if (d["design"] == c->design) d["flaws"].push_back({{"flaw", c->flaw}, {"bug", c->bug}});
  }
  nlohmann::json scenarios = nlohmann::json::array();
  for (const cell* c : cat.scenarios())
    scenarios.push_back({{"scenario", c->scenario},
                         {"summary", c->summary},
                         {"model_threads", c->model_threads},
                         {"model_operations", c->model_operations}});
  write_json_file(path, nlohmann::json{{"designs", designs}, {"scenarios", scenarios}});
}

}  // namespace oncecheck::runner
