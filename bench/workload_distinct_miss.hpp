// W4 `distinct_miss` (WORKLOADS.md): T threads, N get_or_compute calls each,
// every one on a key no one asked for before: thread t's keys are
// (t+1) << 40 | i, the compute is trivial (2k+1). What a design costs when
// it coalesces nothing: the miss, the registration, the publication, and the
// map growing under T writers.
//
// N = 4,096 per thread, on a fresh map each iteration (built and destroyed
// outside the timed part), so the figure does not depend on how many
// iterations Google Benchmark picks: a design whose cost grows with the
// number of keys (atomic_wait's lists, say) is measured on the same map size
// every time. Same figures as W1; floor_ratio is over W1's lock-free floor,
// the cost of finding a key at all. W4 in a map that already holds many keys
// is workload_miss_at_scale.hpp.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

#include <benchmark/benchmark.h>

#include "../impls/once_map.hpp"
#include "workload_hit.hpp"

namespace oncecheck::bench {

inline constexpr std::size_t distinct_miss_ops_per_thread = 4096;

inline constexpr key_t distinct_key(int tid, std::size_t i) noexcept { return (key_t(tid) + 1) << 40 | key_t(i); }

// One W4 run on `map`: thread t asks for distinct_key(t, first + i), i <
// per_thread, keys the map never saw as long as `first` moves past the
// previous runs'. Adds the misses that returned a wrong value to `wrong`.
template <class Map>
team_timing run_distinct_misses(Map& map, int threads, std::size_t per_thread, std::size_t first,
                                std::atomic<std::uint64_t>& wrong) {
  return run_team(threads, [&, per_thread, first](int tid) {
    return [&, tid, per_thread, first] {
      std::uint64_t bad = 0;
      for (std::size_t i = first; i < first + per_thread; ++i) {
        const key_t k = distinct_key(tid, i);
        const outcome<value_t> r = get_or_compute(map, k, [k] { return value_of(k); });
        bad += !r || r.value() != value_of(k);
      }
      // Relaxed: read after the team was joined.
      wrong.fetch_add(bad, std::memory_order_relaxed);
    };
  });
}

template <class Map>
void distinct_miss_design(benchmark::State& state, int threads) {
  std::atomic<std::uint64_t> wrong{0};
  const op_throughput figures =
      time_op_runs(state, threads, double(threads) * distinct_miss_ops_per_thread, [&] {
        auto map = std::make_unique<Map>();
        return run_distinct_misses(*map, threads, distinct_miss_ops_per_thread, 0, wrong);
      });
  if (wrong.load(std::memory_order_relaxed) != 0) state.SkipWithError("a miss returned a wrong value");
  floor_table::report_ratio(state, hit_floor_slot(threads), figures.core_ns_per_op());
}

}  // namespace oncecheck::bench
