// pct: probabilistic concurrency testing (Burckhardt, Kothari, Musuvathi,
// Nagarakatte, "A Randomized Scheduler with Probabilistic Guarantees of
// Finding Bugs", ASPLOS 2010).
//
// Each execution gives the n threads distinct random priorities d..d+n-1
// and picks d-1 change points among the first k steps; the enabled thread
// of highest priority always runs, and at the i-th change point the thread
// about to run drops to priority d-i. A bug of depth d (d ordering
// constraints between steps) is then found by one execution with
// probability at least 1/(n k^(d-1)). k is the longest execution seen so
// far (the first execution's length to start with).
//
// Seeded: execution j of seed s is the same on every run.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <numeric>
#include <string>
#include <vector>

#include "scheduler.hpp"

namespace oncecheck::explore {

class pct_scheduler final : public scheduler {
 public:
  struct options {
    int depth = 3;                   // d: the bug depth aimed at
    std::uint64_t seed = 1;
    std::uint64_t executions = 1000;  // how many executions to run
  };

  pct_scheduler(int threads, options o) : n_(threads), o_(o), rng_(o.seed) {}

  std::string_view name() const override { return "pct"; }

  bool begin_execution() override {
    if (runs_ >= o_.executions) return false;
    ++runs_;
    priority_.resize(std::size_t(n_));
    std::iota(priority_.begin(), priority_.end(), o_.depth);
    for (int i = n_ - 1; i > 0; --i) std::swap(priority_[std::size_t(i)], priority_[next() % std::uint64_t(i + 1)]);
    change_points_.clear();
    const std::uint64_t k = std::max<std::uint64_t>(steps_seen_, 1);
    for (int i = 1; i < o_.depth; ++i) change_points_.push_back(int(next() % k));
    return true;
  }

  int choose(const engine_view& v) override {
    steps_seen_ = std::max<std::uint64_t>(steps_seen_, std::uint64_t(v.depth) + 1);
    int best = highest(v);
    for (std::size_t i = 0; i < change_points_.size(); ++i)
      if (change_points_[i] == v.depth) {
        priority_[std::size_t(best)] = o_.depth - 1 - int(i);
        best = highest(v);
      }
    return best;
  }

  std::uint64_t executions() const noexcept { return runs_; }
  std::uint64_t steps() const noexcept { return steps_seen_; }

  // The guarantee for n threads and k steps.
  static double probability(int n, std::uint64_t k, int d) { return 1.0 / (double(n) * std::pow(double(k), d - 1)); }

  std::string guarantee() const override {
    char buf[200];
    std::snprintf(buf, sizeof buf, "PCT d=%d: each execution finds a depth-%d bug with probability >= 1/(n k^(d-1)) = %.3g (n=%d threads, k=%llu steps)",
                  o_.depth, o_.depth, probability(n_, steps_seen_, o_.depth), n_,
                  static_cast<unsigned long long>(steps_seen_));
    return buf;
  }

 private:
  int highest(const engine_view& v) const {
    int best = -1;
    for (int t = 0; t < n_; ++t)
      if (has(v.enabled, t) && (best < 0 || priority_[std::size_t(t)] > priority_[std::size_t(best)])) best = t;
    return best;
  }
  std::uint64_t next() {  // splitmix64
    std::uint64_t z = (rng_ += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }

  int n_;
  options o_;
  std::uint64_t rng_;
  std::uint64_t runs_ = 0;
  std::uint64_t steps_seen_ = 0;
  std::vector<int> priority_;
  std::vector<int> change_points_;
};

}  // namespace oncecheck::explore
