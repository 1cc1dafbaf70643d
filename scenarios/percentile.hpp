// Percentiles as WORKLOADS.md defines them, for the benchmarks and the
// stress latency figures alike, so every implementation measured under that
// protocol reads its tail the same way: percentile q of n sorted
// samples is sorted[floor(q*(n-1))] (no interpolation).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

namespace oncecheck {

// `sorted` must be in ascending order and non-empty.
template <class T>
T percentile_of_sorted(const std::vector<T>& sorted, double q) {
  const auto index = static_cast<std::size_t>(std::floor(q * static_cast<double>(sorted.size() - 1)));
  return sorted[std::min(index, sorted.size() - 1)];
}

// The median as Google Benchmark's `median` aggregate takes it (the mean of
// the middle two for an even count), not the protocol's p50 above: a floor's
// figure over its repetitions (bench/floor_table.hpp) must be this one for a
// design's median floor_ratio to be its median over the floor's median.
// `values` must be non-empty.
inline double median_of(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const std::size_t mid = values.size() / 2;
  return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

}  // namespace oncecheck
