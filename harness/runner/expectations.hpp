// expectations: the expected matrix of this build, and the rule for a user's
// design.
//
// The project's own cells are models/expected.tsv. A user's design
// (make check-models IMPL=...) has no rows there; it is expected to give, in
// each scenario, what the project's correct designs of its own kind give:
// the correct async designs' rows (sharded_entry, notify, intrusive,
// shared_future) when its traits say async_wait, the blocking-only designs'
// rows (condvar, atomic_wait) otherwise. That is pass everywhere except the
// deadlock of recursive_keys (a cycle no design can break), and for a
// blocking-only design the async scenarios whose tasks block their worker.
// Its registration may override scenarios ("coalesce=deadlock": the model
// verdict; on real threads a model deadlock is expected as hang). The run
// prints this rule (user_rule()) so nobody has to look it up.
#pragma once

#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>

#include "../expected_matrix.hpp"
#include "../registry.hpp"
#include "catalogue.hpp"

namespace oncecheck::runner {

inline constexpr const char* user_rule =
    "a registered design is expected to give what the project's correct designs of its kind give "
    "(async_wait: sharded_entry, notify, intrusive, shared_future; blocking only: condvar, atomic_wait), "
    "except where ONCECHECK_REGISTER_DESIGN(design, \"scenario=verdict ...\") says otherwise";

// The row the correct project designs with this async_wait share for
// `scenario`; an error if they disagree (the rule would be ambiguous).
inline expected_row row_of_kind(const expected_matrix& project, bool async_wait, const std::string& scenario) {
  std::optional<expected_row> shared;
  std::string first;
  for_each_project_design([&]<class V>() {
    if (V::template map<sync::std_backend>::traits.async_wait != async_wait) return;
    const expected_row* row = project.find(std::string(V::design), "none", scenario);
    if (!row) throw std::runtime_error("expected matrix: no row for " + std::string(V::design) + "/none " + scenario);
    if (!shared) {
      shared = *row, first = std::string(V::design);
    } else if (row->model != shared->model || row->stress != shared->stress) {
      throw std::runtime_error("expected matrix: the correct designs " + first + " and " + std::string(V::design) +
                               " disagree on " + scenario + ": no rule for a user's design");
    }
  });
  if (!shared) throw std::runtime_error("no correct project design of this kind");
  shared->note = std::string("as the correct ") + (async_wait ? "async" : "blocking-only") + " designs";
  return *shared;
}

// A "scenario=verdict ..." list into `out`; `from` names it in an error.
inline void read_overrides(const std::string& list, const std::string& from, std::map<std::string, std::string>& out) {
  std::istringstream spec{list};
  for (std::string item; spec >> item;) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || eq == 0 || !parse_verdict(item.substr(eq + 1)))
      throw std::invalid_argument(from + ": '" + item + "' is not scenario=verdict");
    out[item.substr(0, eq)] = item.substr(eq + 1);
  }
}

// ONCECHECK_REGISTER_DESIGN's "scenario=verdict ..." list, then the run's
// own (--expect-verdicts: oncecheck_add_design's EXPECT), which wins.
inline std::map<std::string, std::string> user_overrides(const std::string& run_list = "") {
  std::map<std::string, std::string> out;
  read_overrides(std::string(user::expected_verdicts), "ONCECHECK_REGISTER_DESIGN", out);
  read_overrides(run_list, "--expect-verdicts", out);
  return out;
}

inline expected_matrix load_expected(const std::string& path, const std::string& run_overrides = "") {
  const expected_matrix project = expected_matrix::load(path);
  if (!user_build) return project;
  const auto overrides = user_overrides(run_overrides);
  expected_matrix m;
  for (const cell& c : catalogue::get().cells()) {
    expected_row row = row_of_kind(project, c.traits.async_wait, c.scenario);
    if (const auto it = overrides.find(c.scenario); it != overrides.end())
      row = {it->second, it->second == "deadlock" ? "hang" : it->second, "from ONCECHECK_REGISTER_DESIGN"};
    m.set(c.design, c.flaw, c.scenario, row);
  }
  return m;
}

}  // namespace oncecheck::runner
