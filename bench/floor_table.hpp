// The floors' figures, kept while the binary runs so that every design's
// benchmark can report `floor_ratio` (docs/results.md): its figure over the
// figure of its workload's floor at the same T or W. A ratio reads the same
// on any machine, where nanoseconds do not.
//
// Floors are registered before the designs and Google Benchmark runs
// benchmarks in registration order, so a floor's figure is here by the time
// a design needs it. When a filter left the floor out there is no figure and
// the design's benchmark simply has no floor_ratio. Google Benchmark may call
// a benchmark function several times while it sizes the run; the last call
// is the one it reports, and it is also the last to write here.
#pragma once

#include <map>
#include <optional>
#include <string>

#include <benchmark/benchmark.h>

namespace oncecheck::bench {

class floor_table {
 public:
  // `slot` names a workload's floor at one parameter: "hit/threads:4".
  static void record(const std::string& slot, double figure) { figures()[slot] = figure; }

  static std::optional<double> find(const std::string& slot) {
    const auto it = figures().find(slot);
    if (it == figures().end() || !(it->second > 0)) return std::nullopt;
    return it->second;
  }

  // Sets the `floor_ratio` counter when the floor ran; lower is better for
  // every figure the ratios are taken of.
  static void report_ratio(benchmark::State& state, const std::string& slot, double figure) {
    if (const auto floor = find(slot)) state.counters["floor_ratio"] = figure / *floor;
  }

 private:
  // Benchmarks run one at a time on the main thread: no lock.
  static std::map<std::string, double>& figures() {
    static std::map<std::string, double> table;
    return table;
  }
};

}  // namespace oncecheck::bench
