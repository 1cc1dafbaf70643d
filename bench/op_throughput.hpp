// The figures of the per-operation workloads, W1 `hit` and W4
// `distinct_miss` (and the floors of W1), exactly as WORKLOADS.md defines
// them:
//   ns_per_op       (sum of per-thread elapsed) / total ops: what one call
//                   costs the thread that makes it, descheduled time included
//   ops_per_sec     total ops / wall time
//   core_ns_per_op  wall x min(T, cores) / ops: the core time an op takes;
//                   with T above the core count (T=8 on 2 cores) the first
//                   figure counts time spent waiting for a core, this one
//                   does not, so it stays comparable across T. It is the
//                   figure floor_ratio is taken of.
// Each benchmark iteration is one run of the workload by a fresh team; the
// iteration's manual time is the run's wall time, and the figures are taken
// over all iterations together.
#pragma once

#include <algorithm>
#include <string>
#include <thread>

#include <benchmark/benchmark.h>

#include "floor_table.hpp"
#include "thread_team.hpp"

namespace oncecheck::bench {

inline int machine_cores() { return std::max(1, int(std::thread::hardware_concurrency())); }

class op_throughput {
 public:
  explicit op_throughput(int threads) : threads_(threads) {}

  void add(const team_timing& run, double ops) {
    thread_ns_ += run.thread_ns_sum;
    wall_ns_ += run.wall_ns;
    ops_ += ops;
  }

  double core_ns_per_op() const { return ops_ > 0 ? wall_ns_ * std::min(threads_, machine_cores()) / ops_ : 0; }

  void report(benchmark::State& state) const {
    if (ops_ <= 0 || wall_ns_ <= 0) return;
    state.counters["ns_per_op"] = thread_ns_ / ops_;
    state.counters["ops_per_sec"] = ops_ / (wall_ns_ * 1e-9);
    state.counters["core_ns_per_op"] = core_ns_per_op();
  }

 private:
  int threads_;
  double thread_ns_ = 0;
  double wall_ns_ = 0;
  double ops_ = 0;
};

// Runs `one_run()` (-> team_timing, a whole run of `ops_per_run` ops) once
// per benchmark iteration and reports the figures; returns them too, for a
// floor to record or a design to compare.
template <class OneRun>
op_throughput time_op_runs(benchmark::State& state, int threads, double ops_per_run, OneRun one_run) {
  op_throughput figures(threads);
  for (auto _ : state) {
    const team_timing run = one_run();
    state.SetIterationTime(run.wall_ns * 1e-9);
    figures.add(run, ops_per_run);
  }
  figures.report(state);
  return figures;
}

}  // namespace oncecheck::bench
