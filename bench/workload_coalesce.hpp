// W2 `coalesce` (WORKLOADS.md): T threads, R rounds. Each round: a barrier,
// then all T threads call get_or_compute on a fresh key; the compute counts
// itself in computes[r] and spins 10 microseconds. Reported:
//   rounds_per_sec  R / wall time (floor_ratio is taken of its inverse, the
//                   time of a round, against floor.barrier at the same T)
//   computes        total computes, must equal `rounds` (also reported)
//   violations      rounds whose compute count is not 1 or in which some
//                   thread got a wrong value or an error: must be 0 for a
//                   correct design; the smoke test (check_bench_json)
//                   fails the build's tests otherwise
// The floor `floor.barrier` is the same round with no map: the barrier and
// one 10 us compute, on thread 0.
//
// R = 1,000 rounds per iteration on a fresh map (built and destroyed outside
// the timed part), for the reason given in workload_distinct_miss.hpp.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "../impls/once_map.hpp"
#include "../impls/sync/std_backend.hpp"
#include "barrier.hpp"
#include "floor_table.hpp"
#include "keys.hpp"
#include "thread_team.hpp"

namespace oncecheck::bench {

inline constexpr std::size_t coalesce_rounds = 1000;
inline constexpr std::chrono::microseconds coalesce_compute_time{10};

inline std::string coalesce_floor_slot(int threads) { return "coalesce/threads:" + std::to_string(threads); }

// What one run's rounds did, written by the team and read after it joined.
struct coalesce_tally {
  coalesce_tally() : computes(coalesce_rounds), wrong(coalesce_rounds) {}
  std::vector<std::atomic<int>> computes;  // relaxed counters: computes of round r
  std::vector<std::atomic<bool>> wrong;    // relaxed: some thread of round r got a wrong outcome
};

// The figures of every run of one benchmark, summed across its iterations.
struct coalesce_totals {
  double wall_ns = 0, rounds = 0, computes = 0, violations = 0;

  // One run's tally (read after its callers ended) and its wall time.
  void add(const coalesce_tally& tally, double run_wall_ns) {
    wall_ns += run_wall_ns;
    rounds += coalesce_rounds;
    for (std::size_t r = 0; r < coalesce_rounds; ++r) {
      const int n = tally.computes[r].load(std::memory_order_relaxed);
      computes += n;
      violations += tally.wrong[r].load(std::memory_order_relaxed) || n != 1;
    }
  }

  // Sets the counters; returns the seconds per round (what floor_ratio
  // compares), 0 if nothing ran.
  double report(benchmark::State& state) const {
    if (rounds == 0 || wall_ns <= 0) return 0;
    state.counters["rounds_per_sec"] = rounds / (wall_ns * 1e-9);
    state.counters["rounds"] = rounds;
    state.counters["computes"] = computes;
    state.counters["violations"] = violations;
    return wall_ns * 1e-9 / rounds;
  }
};

// The compute of round r (key k): counts itself, then works for
// coalesce_compute_time.
inline value_t coalesce_compute(coalesce_tally& tally, std::size_t r, key_t k) {
  tally.computes[r].fetch_add(1, std::memory_order_relaxed);
  sync::std_backend::busy_for(coalesce_compute_time);
  return value_of(k);
}

// What a caller of round r got: anything but key k's value is a violation.
inline void coalesce_check(coalesce_tally& tally, std::size_t r, key_t k, const outcome<value_t>& got) {
  if (!got || got.value() != value_of(k)) tally.wrong[r].store(true, std::memory_order_relaxed);
}

// One run per iteration. start_run() builds what a run shares (a fresh map)
// and returns its round: a callable (tid, r, tally) that is what thread tid
// does in round r after the barrier. Returns the seconds per round over
// every run, the figure floor_ratio compares.
template <class StartRun>
double run_coalesce(benchmark::State& state, int threads, StartRun start_run) {
  coalesce_totals totals;
  for (auto _ : state) {
    coalesce_tally tally;
    auto round = start_run();
    spin_barrier each_round(threads);
    const team_timing run = run_team(threads, [&](int tid) {
      return [&, tid] {
        for (std::size_t r = 0; r < coalesce_rounds; ++r) {
          each_round.arrive_and_wait();
          round(tid, r, tally);
        }
      };
    });
    state.SetIterationTime(run.wall_ns * 1e-9);
    totals.add(tally, run.wall_ns);
  }
  return totals.report(state);
}

template <class Map>
void coalesce_design(benchmark::State& state, int threads) {
  const double seconds_per_round = run_coalesce(state, threads, [] {
    return [map = std::make_unique<Map>()](int, std::size_t r, coalesce_tally& tally) {
      const key_t k = key_t(r) + 1;  // fresh: every run has its own map
      coalesce_check(tally, r, k, get_or_compute(*map, k, [&] { return coalesce_compute(tally, r, k); }));
    };
  });
  floor_table::report_ratio(state, coalesce_floor_slot(threads), seconds_per_round);
}

inline void coalesce_floor(benchmark::State& state, int threads) {
  const double seconds_per_round = run_coalesce(state, threads, [] {
    return [](int tid, std::size_t r, coalesce_tally& tally) {
      if (tid == 0) coalesce_compute(tally, r, key_t(r) + 1);
    };
  });
  floor_table::record(coalesce_floor_slot(threads), seconds_per_round);
  floor_table::report_ratio(state, coalesce_floor_slot(threads), seconds_per_round);
}

}  // namespace oncecheck::bench
