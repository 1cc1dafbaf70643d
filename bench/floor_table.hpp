// The floors' figures, kept while the binary runs so that every design's
// benchmark can report `floor_ratio` (docs/results.md): its figure over the
// figure of its workload's floor at the same T or W. A ratio reads the same
// on any machine, where nanoseconds do not.
//
// Floors are registered before the designs and Google Benchmark runs
// benchmarks in registration order, so a floor's figure is here by the time
// a design needs it. When a filter left the floor out there is no figure and
// the design's benchmark simply has no floor_ratio.
//
// Which of a floor's calls make its figure. Google Benchmark may call a
// benchmark function several times while it sizes the run, and with R
// repetitions (--benchmark_repetitions) it sizes only the first: the last
// R calls are the R repetitions it reports (checked against libbenchmark
// 1.7.1: calls with 1, 10, 100... iterations, then R - 1 more at the size
// found). The floor's figure is the median of those R, so a design's
// median floor_ratio over its own R repetitions is its median figure over
// the floor's median figure: one noisy floor run does not move every
// ratio taken against it. With R = 1 that is the last call, the reported one.
#pragma once

#include <algorithm>
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "../scenarios/percentile.hpp"

namespace oncecheck::bench {

class floor_table {
 public:
  // The run's --benchmark_repetitions (bench_main.cpp), before any benchmark runs.
  static void set_repetitions(int repetitions) { repetitions_() = std::max(repetitions, 1); }

  // `slot` names a workload's floor at one parameter: "hit/threads:4".
  // Keeps the last R figures: the repetitions, once the floor has run.
  static void record(const std::string& slot, double figure) {
    std::vector<double>& kept = figures()[slot];
    kept.push_back(figure);
    const auto keep = std::size_t(repetitions_());
    if (kept.size() > keep) kept.erase(kept.begin(), kept.end() - std::ptrdiff_t(keep));
  }

  // The median of the kept figures (the mean of the middle two for an even
  // count, as Google Benchmark's median aggregate); none when the floor did
  // not run or a figure is not positive.
  static std::optional<double> find(const std::string& slot) {
    const auto it = figures().find(slot);
    if (it == figures().end() || it->second.empty()) return std::nullopt;
    if (!(*std::min_element(it->second.begin(), it->second.end()) > 0)) return std::nullopt;
    return median_of(it->second);
  }

  // Sets the `floor_ratio` counter when the floor ran; lower is better for
  // every figure the ratios are taken of.
  static void report_ratio(benchmark::State& state, const std::string& slot, double figure) {
    if (const auto floor = find(slot)) state.counters["floor_ratio"] = figure / *floor;
  }

 private:
  // Benchmarks run one at a time on the main thread: no lock.
  static std::map<std::string, std::vector<double>>& figures() {
    static std::map<std::string, std::vector<double>> table;
    return table;
  }
  static int& repetitions_() {
    static int repetitions = 1;
    return repetitions;
  }
};

}  // namespace oncecheck::bench
