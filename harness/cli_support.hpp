// What the command-line tools share: the catalogue listing, the check of a
// design/flaw/scenario triple against it, and the usage-error convention
// (one line naming the bad value, exit code 2).
#pragma once

#include <cstdio>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "cell_result.hpp"
#include "expected_matrix.hpp"
#include "registry.hpp"

namespace oncecheck {

inline int usage_error(const std::string& message) {
  std::fprintf(stderr, "oncecheck: %s\n", message.c_str());
  return 2;
}

inline std::string join(const std::set<std::string>& names) {
  std::string out;
  for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
  return out;
}

// nullopt when the cell exists; otherwise a message naming the bad value.
inline std::optional<std::string> validate_cell(const std::string& design, const std::string& flaw,
                                                const std::string& scenario) {
  std::set<std::string> designs, flaws_of_design, scenarios;
  for_each_cell([&]<class V, template <class, class> class S>() {
    designs.insert(std::string(V::design));
    if (V::design == design) flaws_of_design.insert(std::string(V::flaw));
    scenarios.insert(std::string(S<typename V::template map<sync::std_backend>, sync::std_backend>::name));
  });
  if (design.empty()) return "--design is required (known: " + join(designs) + ")";
  if (!designs.count(design)) return "unknown design '" + design + "' (known: " + join(designs) + ")";
  if (!flaws_of_design.count(flaw))
    return "unknown flaw '" + flaw + "' of design " + design + " (known: " + join(flaws_of_design) + ")";
  if (scenario.empty()) return "--scenario is required (known: " + join(scenarios) + ")";
  if (!scenarios.count(scenario)) return "unknown scenario '" + scenario + "' (known: " + join(scenarios) + ")";
  return std::nullopt;
}

// The scenarios a name on the command line stands for: itself, or every
// worker count of an async scenario (`notify_latency` for
// notify_latency/1w and /2w). Empty when it names none.
inline std::vector<std::string> scenario_family(const std::string& name) {
  std::set<std::string> found;
  for_each_cell([&]<class V, template <class, class> class S>() {
    const std::string s(S<typename V::template map<sync::std_backend>, sync::std_backend>::name);
    if (s == name || s.starts_with(name + "/")) found.insert(s);
  });
  return {found.begin(), found.end()};
}

// The expected matrix of this build: models/expected.tsv, or for a user's
// design (IMPL=...) what the project's correct designs get in each scenario
// (pass, but deadlock in recursive_keys, whose cycle no design can break)
// except where its registration says otherwise ("scenario=verdict ...").
inline expected_matrix load_expected(const std::string& path) {
  const expected_matrix project = expected_matrix::load(path);
  if (!user_build) return project;
  expected_matrix m;
  std::map<std::string, std::string> overrides;
  std::istringstream spec{std::string(user::expected_verdicts)};
  for (std::string item; spec >> item;) {
    const auto eq = item.find('=');
    if (eq == std::string::npos || !parse_verdict(item.substr(eq + 1)))
      throw std::runtime_error("ONCECHECK_REGISTER_DESIGN: '" + item + "' is not scenario=verdict");
    overrides[item.substr(0, eq)] = item.substr(eq + 1);
  }
  for_each_cell([&]<class V, template <class, class> class S>() {
    const std::string scenario(S<typename V::template map<sync::std_backend>, sync::std_backend>::name);
    expected_row row{"pass", "pass", "a correct design passes"};
    if (const expected_row* correct = project.find("condvar", "none", scenario)) row = *correct;
    if (overrides.count(scenario)) {
      const std::string& v = overrides[scenario];
      row = {v, v == "deadlock" ? "hang" : v, "from ONCECHECK_REGISTER_DESIGN"};
    }
    m.set(std::string(V::design), std::string(V::flaw), scenario, row);
  });
  return m;
}

inline void print_catalogue() {
  std::printf("designs and flaws:\n");
  for_each_variant([]<class V>() {
    if (V::flaw == "none") std::printf("  %s\n", std::string(V::design).c_str());
    else std::printf("  %s --flaw %s: %s\n", std::string(V::design).c_str(), std::string(V::flaw).c_str(),
                     std::string(V::bug).c_str());
  });
  std::printf("scenarios:\n");
  using any = first_variant;
  [&]<template <class, class> class... Ss>(scenario_list<Ss...>) {
    ((std::printf("  %s: %s\n",
                  std::string(Ss<any::map<sync::std_backend>, sync::std_backend>::name).c_str(),
                  std::string(Ss<any::map<sync::std_backend>, sync::std_backend>::summary).c_str())),
     ...);
  }(all_scenarios{});
}

// designs.json (docs/results.md): what each design supports, its flaws,
// and the scenarios, for the report's capability table.
inline void write_catalogue(const std::string& path) {
  nlohmann::json designs = nlohmann::json::array();
  for_each_variant([&]<class V>() {
    using map = typename V::template map<sync::std_backend>;
    if (V::flaw == "none") {
      constexpr capabilities t = map::traits;
      designs.push_back({{"design", std::string(V::design)},
                         {"traits",
                          {{"blocking_wait", t.blocking_wait},
                           {"async_wait", t.async_wait},
                           {"timeouts", t.timeouts},
                           {"allocates_per_waiter", t.allocates_per_waiter},
                           {"on_close", std::string(t.on_close)},
                           {"leader_failure", std::string(t.leader_failure)}}},
                         {"flaws", nlohmann::json::array()}});
    } else {
      for (auto& d : designs)
        if (d["design"] == std::string(V::design))
          d["flaws"].push_back({{"flaw", std::string(V::flaw)}, {"bug", std::string(V::bug)}});
    }
  });
  nlohmann::json scenarios = nlohmann::json::array();
  using any = first_variant;
  [&]<template <class, class> class... Ss>(scenario_list<Ss...>) {
    ((scenarios.push_back({{"scenario", std::string(Ss<any::map<sync::std_backend>, sync::std_backend>::name)},
                           {"summary", std::string(Ss<any::map<sync::std_backend>, sync::std_backend>::summary)}})),
     ...);
  }(all_scenarios{});
  write_json_file(path, nlohmann::json{{"designs", designs}, {"scenarios", scenarios}});
}

}  // namespace oncecheck
