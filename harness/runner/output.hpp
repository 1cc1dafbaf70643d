// output: everything the runner prints about results, for every engine. The
// result line as each cell ends, the counterexample block of a failure, the
// wake-up latency table, the verdict matrix, the time-to-detection table, and
// the closing list of cells that differ from the expected matrix.
//
// tests/failure_recap.sh reads three of these shapes back from a CTest log:
// "=== <cell name>: <verdict>" opening a counterexample block (ended by an
// empty line), "DIFFERS: <cell name>: got ..." lines, and the section from
// "Cells that differ from" to the "N cells, D differ" summary line.
#pragma once

#include <algorithm>
#include <cstdio>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "../cell_result.hpp"

namespace oncecheck::runner {

inline std::string verdict_name(const cell_result& c) { return std::string(to_string(c.result)); }

// A verdict the expected matrix does not allow. A run ended from outside
// (interrupted, unfinished) has no verdict on the design, so it never
// differs: it is shown as what it is and left out of the count.
inline bool differs(const cell_result& c) { return !c.matches_expected() && !outside_end(c.result); }

inline void print_line_header(std::string_view unit) {
  std::printf("  %-38s %-18s %-7s %-18s %-18s %13s %12s\n", "design/flaw", "scenario", "sched", "verdict", "expected",
              unit == "it" ? "iterations" : "rounds", "time");
  std::fflush(stdout);
}

// `with_expected`: a matrix run, where every cell has a row (or says it has none).
inline void print_result_line(const cell_result& c, std::string_view unit, bool with_expected) {
  const char* status = c.exhausted_search ? "every schedule" : "";
  if (with_expected)
    status = outside_end(c.result) ? "not run to a verdict"
             : differs(c)          ? "DIFFERS"
             : c.exhausted_search  ? "ok, every schedule"
                                   : "ok";
  std::printf("  %-38s %-18s %-7s %-18s %-18s %10llu %s %9.0f ms  %s\n", (c.design + "/" + c.flaw).c_str(),
              c.scenario.c_str(), c.scheduler.c_str(), verdict_name(c).c_str(),
              with_expected ? (c.expected.empty() ? "(no row)" : c.expected.c_str()) : "",
              static_cast<unsigned long long>(c.iterations), std::string(unit).c_str(), c.elapsed_ms, status);
  std::fflush(stdout);
}

// random_programs: the failing generated program and its shrunk form.
inline void print_programs(const cell_result& c) {
  auto size = [](const program_text& p) {
    return std::to_string(p.threads) + " threads, " + std::to_string(p.steps) + " steps, " + std::to_string(p.keys) +
           (p.keys == 1 ? " key" : " keys");
  };
  if (c.program)
    std::printf("  program %llu (%s): %s\n", static_cast<unsigned long long>(c.program->seed),
                size(*c.program).c_str(), c.program->line.c_str());
  if (!c.shrunk) return;
  std::printf("  shrunk in %d runs to %s: %s\n", c.shrunk->runs, size(c.shrunk->program).c_str(),
              c.shrunk->program.line.c_str());
  std::printf("%s", c.shrunk->cpp.c_str());
  if (!c.shrunk->replay.empty()) std::printf("  replay the shrunk program: %s\n", c.shrunk->replay.c_str());
}

inline void print_counterexample(const cell_result& c) {
  std::printf("\n=== %s: %s\n", c.name().c_str(), verdict_name(c).c_str());
  if (!c.reason.empty()) std::printf("    %s\n", c.reason.c_str());
  if (c.first_failure_iteration)
    std::printf("    found at %s %llu after %.0f ms\n", c.mode == "stress" ? "round" : "iteration",
                static_cast<unsigned long long>(*c.first_failure_iteration), c.elapsed_ms);
  std::printf("%s", c.trace.c_str());
  if (c.replay) std::printf("  replay: %s\n", c.replay->c_str());
  print_programs(c);
  std::fflush(stdout);
}

// The wake-up latency table of a notify_latency cell, and what the
// notifier's yield after done() changes for each kind of waiter.
inline void print_latency(const cell_result& c) {
  if (c.latency.empty()) return;
  std::printf("\n  wake-up latency, %s/%s %s [%s] (done() to resume, microseconds)\n", c.design.c_str(),
              c.flaw.c_str(), c.scenario.c_str(), c.scheduler.c_str());
  std::printf("    %-18s %-14s %8s %10s %10s %10s\n", "waiter", "notifier", "samples", "p50", "p99", "max");
  for (const latency_row& r : c.latency)
    std::printf("    %-18s %-14s %8zu %10.1f %10.1f %10.1f\n", r.waiter.c_str(),
                r.notifier_yields ? "yields" : "does not yield", r.samples, r.p50_us, r.p99_us, r.max_us);
  for (const latency_row& plain : c.latency) {
    if (plain.notifier_yields || plain.samples == 0) continue;
    for (const latency_row& yielding : c.latency)
      if (yielding.notifier_yields && yielding.waiter == plain.waiter && yielding.samples > 0)
        std::printf("    %s: a yield after done() takes p50 from %.1f to %.1f us (x%.2f)\n", plain.waiter.c_str(),
                    plain.p50_us, yielding.p50_us, plain.p50_us > 0 ? yielding.p50_us / plain.p50_us : 0.0);
  }
  std::fflush(stdout);
}

// Names in order of first appearance.
template <class Key>
std::vector<std::string> in_order(const std::vector<cell_result>& cells, Key key) {
  std::vector<std::string> out;
  for (const auto& c : cells)
    if (std::find(out.begin(), out.end(), key(c)) == out.end()) out.push_back(key(c));
  return out;
}

inline void print_matrix(const std::vector<cell_result>& cells) {
  const auto rows = in_order(cells, [](const cell_result& c) { return c.design + "/" + c.flaw; });
  const auto cols = in_order(cells, [](const cell_result& c) { return c.scenario; });
  const auto schedulers = in_order(cells, [](const cell_result& c) { return c.scheduler; });
  auto text = [&](const std::string& row, const std::string& col) {
    std::string t;
    for (const auto& s : schedulers)
      for (const auto& c : cells)
        if (c.design + "/" + c.flaw == row && c.scenario == col && c.scheduler == s)
          t += (t.empty() ? "" : " / ") + verdict_name(c) + (differs(c) ? "(!)" : "");
    return t;
  };
  std::printf("\nVerdict matrix (");
  for (std::size_t i = 0; i < schedulers.size(); ++i) std::printf("%s%s", i ? " / " : "", schedulers[i].c_str());
  std::printf("; (!) differs from the expected matrix)\n  %-38s", "design/flaw");
  for (const auto& c : cols) std::printf(" %-40s", c.c_str());
  std::printf("\n");
  for (const auto& r : rows) {
    std::printf("  %-38s", r.c_str());
    for (const auto& c : cols) std::printf(" %-40s", text(r, c).c_str());
    std::printf("\n");
  }
}

inline std::string detection_figure(const cell_result* c) {
  if (!c) return "-";
  char buf[64];
  if (c->detected())
    std::snprintf(buf, sizeof buf, "%llu / %.0f ms", static_cast<unsigned long long>(*c->first_failure_iteration),
                  c->elapsed_ms);
  else
    std::snprintf(buf, sizeof buf, "none in %llu", static_cast<unsigned long long>(c->iterations));
  return buf;
}

// Time to detection: for every row that counts (cell_result::
// counts_for_detection), the iterations or rounds and the milliseconds to
// the first failure under each scheduler of this run and of `other` (the
// last results of another engine: the model run shows the stress figures).
inline void print_detection_table(const std::vector<cell_result>& cells, const std::vector<cell_result>& other) {
  std::vector<cell_result> all = cells;
  all.insert(all.end(), other.begin(), other.end());
  const auto columns = in_order(all, [](const cell_result& c) { return c.mode + " " + c.scheduler; });
  int width = 18;  // the scenario column: as wide as its longest name (hold_entry_across_await/1w)
  for (const auto& r : cells)
    if (r.counts_for_detection) width = std::max(width, int(r.scenario.size()));
  std::printf("\nTime to detection (iterations or rounds / ms to the first failure)\n  %-38s %-*s", "design/flaw",
              width, "scenario");
  for (const auto& c : columns) std::printf(" %-18s", c.c_str());
  std::printf("\n");
  std::set<std::string> rows;
  for (const auto& r : cells) {
    if (!r.counts_for_detection || !rows.insert(r.design + "/" + r.flaw + " " + r.scenario).second) continue;
    std::printf("  %-38s %-*s", (r.design + "/" + r.flaw).c_str(), width, r.scenario.c_str());
    for (const auto& col : columns) {
      const cell_result* found = nullptr;
      for (const auto& m : all)
        if (m.design == r.design && m.flaw == r.flaw && m.scenario == r.scenario && m.mode + " " + m.scheduler == col)
          found = &m;
      std::printf(" %-18s", detection_figure(found).c_str());
    }
    std::printf("\n");
  }
}

// The counterexample of every cell that differs first (what a user is
// looking for), then one per flaw caught as expected (every other one is in
// the JSON), then the list of cells that differ and the summary line.
// `expected_from` names where the expectations came from. Returns how many
// differ.
inline int print_closing(const std::vector<cell_result>& done, const std::string& expected_from,
                         const std::string& json_path) {
  for (const auto& r : done)
    if (differs(r) && r.result != verdict::pass) print_counterexample(r);
  std::set<std::string> shown;
  for (const auto& r : done)
    if (r.result != verdict::pass && r.matches_expected() && shown.insert(r.design + "/" + r.flaw).second) {
      if (shown.size() == 1) std::printf("\nFailures that were expected (one counterexample per design-or-flaw):\n");
      print_counterexample(r);
    }
  int differing = 0;
  for (const auto& r : done) {
    if (!differs(r)) continue;
    if (!differing++) std::printf("\nCells that differ from %s:\n", expected_from.c_str());
    std::printf("DIFFERS: %s: got %s, expected %s%s%s\n", r.name().c_str(), verdict_name(r).c_str(),
                r.expected.empty() ? "(no row)" : r.expected.c_str(), r.reason.empty() ? "" : ": ", r.reason.c_str());
  }
  const auto outside = std::count_if(done.begin(), done.end(), [](const cell_result& r) { return outside_end(r.result); });
  if (outside)
    std::printf("\n%zu runs ended from outside (interrupted, unfinished): no verdict on their designs\n",
                std::size_t(outside));
  std::printf("\n%zu cells, %d differ from %s; results in %s\n", done.size(), differing, expected_from.c_str(),
              json_path.c_str());
  return differing;
}

}  // namespace oncecheck::runner
