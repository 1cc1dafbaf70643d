// join_parts: the parts of one sharded cell (harness/runner/shard.hpp)
// joined into the result an unsharded run of the same units gives; used by
// a shard for the units it ran itself, and by `--merge` across shards.
//
// Rules, per cell (same design, flaw, scenario, mode, scheduler, threads):
//   iterations, executions, elapsed_ms   summed (elapsed is work done, not
//                                        wall time: shards run side by side)
//   units                                summed; the joined cell is whole
//                                        when it reaches units_total
//   exhausted_search                     every part that ran a unit is, and
//                                        the cell is whole
//   the failure                          the one of the lowest unit, with
//                                        its verdict, reason, trace and
//                                        replay (a replay names one whole
//                                        schedule: it runs unsharded)
//   estimated_fraction                   the mean over units
// A run ended from outside (interrupted, unfinished) in a part with no
// failure before it makes the joined cell that too: it has no verdict.
// Because each unit's result depends on the unit only, and a shard runs
// its units in unit order and stops at a failure, the lowest failing unit
// is the same whatever the number of shards.
#pragma once

#include <cstdio>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include "../cell_result.hpp"

namespace oncecheck::runner {

inline std::string part_key(const cell_result& r) {
  return r.design + "\t" + r.flaw + "\t" + r.scenario + "\t" + r.mode + "\t" + r.scheduler + "\t" +
         std::to_string(r.threads);
}

inline bool failed(const cell_result& r) { return r.result != verdict::pass && !outside_end(r.result); }

// The pass reason of a joined cell, from its figures.
inline std::string joined_reason(const cell_result& r) {
  const std::string units = std::to_string(r.units) + " of " + std::to_string(r.units_total.value_or(0)) + " units";
  if (r.exhausted_search)
    return "every schedule explored" + std::string(r.preemption_bound ? " within the bound" : "") + " (" + units + ")";
  return "no failure in " + std::to_string(r.executions.value_or(r.iterations)) + " " +
         (r.executions ? "executions" : "iterations") + " (" + units + ")";
}

// Joins `part` into `into`; `into` starts as the first part. A part that
// covers no unit (a shard that was dealt none of this cell's) adds nothing.
inline void join_part(cell_result& into, const cell_result& part) {
  if (part.units == 0) return;
  if (into.units == 0) {
    const std::string expected = into.expected;
    into = part;
    if (into.expected.empty()) into.expected = expected;
    return;
  }
  auto fraction = [](const cell_result& r) { return r.estimated_fraction.value_or(r.exhausted_search ? 1.0 : 0.0); };
  const double fraction_sum = fraction(into) * double(into.units) + fraction(part) * double(part.units);
  const bool tree = into.estimated_fraction || part.estimated_fraction || into.exhausted_search || part.exhausted_search;
  into.iterations += part.iterations;
  if (part.executions) into.executions = into.executions.value_or(0) + *part.executions;
  into.elapsed_ms += part.elapsed_ms;
  into.exhausted_search = into.exhausted_search && part.exhausted_search;
  into.units += part.units;
  if (into.expected.empty()) into.expected = part.expected, into.counts_for_detection = part.counts_for_detection;
  const bool part_first = failed(part) && (!failed(into) || part.first_failure_unit < into.first_failure_unit);
  const bool part_outside = outside_end(part.result) && !failed(into);
  if (part_first || part_outside) {
    into.result = part.result, into.reason = part.reason, into.trace = part.trace, into.replay = part.replay;
    into.replay_state = part.replay_state, into.first_failure_iteration = part.first_failure_iteration;
    into.first_failure_unit = part.first_failure_unit, into.program = part.program, into.shrunk = part.shrunk;
  }
  into.estimated_fraction = std::nullopt;
  if (tree && !into.exhausted_search && into.result == verdict::pass)
    into.estimated_fraction = fraction_sum / double(into.units_total.value_or(into.units));
  if (into.result == verdict::pass) into.reason = joined_reason(into);
}

// Every result as it was, except the parts of a sharded cell, each cell's
// parts joined into one (in the place of its first part). `problems` gets
// a line for each cell whose parts do not add up to all of its units (a
// shard missing or run twice) and each shard I/N missing altogether.
inline std::vector<cell_result> merge_parts(const std::vector<cell_result>& all, std::vector<std::string>& problems) {
  std::vector<cell_result> out;
  std::map<std::string, std::size_t> at;
  std::map<unsigned, std::vector<bool>> shards_seen;  // N -> which I were seen
  for (const cell_result& r : all) {
    if (const auto slash = r.shard.find('/'); slash != std::string::npos) {
      const unsigned i = unsigned(std::stoul(r.shard.substr(0, slash))), n = unsigned(std::stoul(r.shard.substr(slash + 1)));
      auto& seen = shards_seen[n];
      seen.resize(n + 1);
      if (i <= n) seen[i] = true;
    }
    cell_result part = r;
    part.shard.clear();
    if (!part.units_total) {
      out.push_back(std::move(part));
      continue;
    }
    const auto [it, fresh] = at.emplace(part_key(part), out.size());
    if (fresh) out.push_back(std::move(part));
    else join_part(out[it->second], part);
  }
  for (auto& [key, index] : at) {
    cell_result& r = out[index];
    if (r.units != *r.units_total) {
      problems.push_back(r.name() + ": its parts cover " + std::to_string(r.units) + " of " +
                         std::to_string(*r.units_total) + " units");
      r.exhausted_search = false;
      if (r.result == verdict::pass) r.reason = joined_reason(r);
    }
  }
  for (const auto& [n, seen] : shards_seen)
    for (unsigned i = 1; i <= n; ++i)
      if (!seen[i]) problems.push_back("no result from shard " + std::to_string(i) + "/" + std::to_string(n));
  return out;
}

}  // namespace oncecheck::runner
