// shard_units: one shard's share of a split cell (harness/runner/shard.hpp)
// run in this process: the units dealt to it, in unit order, joined into
// one part (harness/runner/join_parts.hpp). An engine gives the number of
// units, how to run unit u in the seconds left, and optionally the shard
// of each unit (deal_by_size; none: round-robin); this does the rest.
//
// A shard stops at its first failing unit (the units after it are counted
// as covered, not run: the cell has failed, and the lowest failing unit,
// the one the joined result keeps, is among those it ran). Units left when
// the time limit or an interrupt ends the run are covered and not run, so
// the part is not exhausted and says how many it did not start.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#include "../interrupt.hpp"
#include "join_parts.hpp"
#include "shard.hpp"

namespace oncecheck::runner {

template <class RunUnit>
cell_result run_units(const cell_result& blank, const shard_spec& s, std::uint64_t units, double time_limit_s,
                      RunUnit run_unit, const std::vector<unsigned>& owner = {}) {
  const auto start = std::chrono::steady_clock::now();
  auto left_s = [&] {
    return time_limit_s - std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  cell_result out = blank;
  out.units_total = units;
  std::uint64_t not_started = 0;
  bool stop = false;
  for (std::uint64_t u = 0; u < units; ++u) {
    if (owner.empty() ? !s.owns(u) : owner[u] != s.index) continue;
    cell_result part;
    if (stop || left_s() <= 0 || interrupt_requested()) {
      part = blank;  // covered, not run
      ++not_started;
    } else {
      part = run_unit(u, left_s());
      if (failed(part)) part.first_failure_unit = u, stop = true;
    }
    part.units_total = units, part.units = 1;
    join_part(out, part);
  }
  out.units_total = units;
  out.shard = s.text();
  if (out.units == 0) out.reason = "no unit of this cell was dealt to shard " + s.text();
  else if (not_started && !failed(out))
    out.exhausted_search = false,
    out.reason += "; " + std::to_string(not_started) + " unit(s) not started (time limit or interrupt)";
  return out;
}

}  // namespace oncecheck::runner
