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

}  // namespace oncecheck
