// What the command-line tools share: the catalogue listing, the check of a
// design/flaw/scenario triple against it, and the usage-error convention
// (one line naming the bad value, exit code 2).
#pragma once

#include <cstdio>
#include <optional>
#include <set>
#include <string>
#include <vector>

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

inline void print_catalogue() {
  std::printf("designs and flaws:\n");
  for_each_variant([]<class V>() {
    if (V::flaw == "none") std::printf("  %s\n", std::string(V::design).c_str());
    else std::printf("  %s --flaw %s: %s\n", std::string(V::design).c_str(), std::string(V::flaw).c_str(),
                     std::string(V::bug).c_str());
  });
  std::printf("scenarios:\n");
  using any = variant<condvar_map, flaw::none>;
  [&]<template <class, class> class... Ss>(scenario_list<Ss...>) {
    ((std::printf("  %s: %s\n",
                  std::string(Ss<any::map<sync::std_backend>, sync::std_backend>::name).c_str(),
                  std::string(Ss<any::map<sync::std_backend>, sync::std_backend>::summary).c_str())),
     ...);
  }(all_scenarios{});
}

}  // namespace oncecheck
