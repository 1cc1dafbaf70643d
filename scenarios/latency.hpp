// Wake-up latency figures: the samples a scenario collects on real threads
// and the rows of the table stress.json carries (docs/results.md).
#pragma once

#include <algorithm>
#include <cstddef>
#include <string>
#include <vector>

#include "percentile.hpp"

namespace oncecheck {

struct latency_row {
  std::string waiter;  // thread, task_same_worker, task_other_worker
  bool notifier_yields = false;
  std::size_t samples = 0;
  double p50_us = 0, p99_us = 0, max_us = 0;
};

inline latency_row summarize(std::string waiter, bool notifier_yields, std::vector<double> samples_us) {
  std::sort(samples_us.begin(), samples_us.end());
  latency_row r{std::move(waiter), notifier_yields, samples_us.size(), 0, 0, 0};
  if (samples_us.empty()) return r;
  r.p50_us = percentile_of_sorted(samples_us, 0.50);
  r.p99_us = percentile_of_sorted(samples_us, 0.99);
  r.max_us = samples_us.back();
  return r;
}

}  // namespace oncecheck
