// W4 at scale: `distinct_miss/<design>/threads:2/keys:N`, N in 10^4, 10^6,
// 10^7 (issue 14). The W4 misses of workload_distinct_miss.hpp at T=2, in a
// map that already holds N keys: the figure is the cost of a miss in a map
// of that size, its share of the table's growth included, and a design
// whose table is sized to its keys keeps it flat across N (the report takes
// largest over smallest).
//
// Each timed run takes the map from N keys to 2N: its two threads make N/2
// misses each, on keys no run asked for before. Why a doubling and not a
// fixed number of misses: a table sized to its keys grows once each time
// its keys double, so a run that doubles the map pays exactly one growth,
// whatever N, and its figure holds the amortised cost of growth (about one
// move a key inserted). A fixed run pays it at one N and not at another:
// libstdc++ 12's unordered_map (max load 1) holds 10^4 keys in 10,273
// buckets and grows at the 10,274th, 10^6 in 1,447,153 and 10^7 in
// 12,117,689, so the earlier runs of 8,192 misses paid a rehash of the
// whole map at 10^4 (about 2 moves a miss) and none at 10^6 or 10^7
// (measured 2026-12-01: each of those maps, and sharded_entry's eighths,
// grows exactly once between N and 2N; atomic_wait's table doubles at
// 16,384, 2^20 and 2^24 keys). So every run starts at N: before each run
// but a benchmark's first, the map is built and filled again, outside the
// clock.
//
// The fill has fill_with_budget.hpp's budget: a design whose miss grows
// with the keys is skipped with the reason. Iterations are fixed, about
// 240,000 misses a benchmark (24 runs at 10^4, one at 10^6 and one at
// 10^7), so make bench's time does not depend on --benchmark_min_time
// here; each map is freed when its benchmark ends.
//
// Whenever a map is freed (before a rebuild, and when its benchmark ends,
// both outside the clock) the allocator is trimmed (malloc_trim). glibc
// keeps freed small nodes in its fast bins unmerged and merges them all at
// the next large allocation, which used to fall in the next benchmark's
// first timed run: after a benchmark at 10^7 freed its 2 x 10^7 nodes, the
// next one's first runs at 10^4 cost 2,300 to 12,800 core ns a miss
// against 200 to 1,700 (2026-12-01). Trimmed, every run also gets the
// memory it adds from the kernel, whatever ran before it: a run's figure
// includes the first touch of its nodes and of a grown table, as a map
// that grows in a real process pays it, and no design finds memory an
// earlier benchmark left in the heap. On this project's VM first touch
// can be dear, and what it costs moves between sittings as the host backs
// the VM's memory (a GiB on 4 KiB pages: 2.9 s in one sitting of
// 2026-12-02, 0.4 s in a later one), so at 10^6 and 10^7 it can be a
// large share of a miss that allocates a 48-byte node and a table's
// growth.
// Same figures and floor_ratio as W4 (over hit/floor.lockfree/threads:2).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <malloc.h>

#include <benchmark/benchmark.h>

#include "fill_with_budget.hpp"
#include "workload_distinct_miss.hpp"

namespace oncecheck::bench {

inline constexpr int miss_at_scale_threads = 2;
inline constexpr std::size_t miss_at_scale_keys[] = {10'000, 1'000'000, 10'000'000};
// Misses per benchmark: at least one run at every N, and enough runs at
// 10^4 (24, each about a millisecond) that the other processes' time slices
// do not decide the figure.
inline constexpr std::size_t miss_at_scale_total_misses = 240'000;

// Misses per thread in one run: together the threads insert N keys, so a
// run takes the map from N keys to 2N.
inline constexpr std::size_t miss_at_scale_per_thread(std::size_t keys) {
  return std::max<std::size_t>(1, keys / miss_at_scale_threads);
}

inline constexpr std::size_t miss_at_scale_iterations(std::size_t keys) {
  const std::size_t per_run = miss_at_scale_per_thread(keys) * miss_at_scale_threads;
  return (miss_at_scale_total_misses + per_run - 1) / per_run;
}

template <class Map>
void distinct_miss_at_scale(benchmark::State& state, std::size_t keys) {
  const int threads = miss_at_scale_threads;
  const std::size_t per_thread = miss_at_scale_per_thread(keys);
  const std::size_t per_run = per_thread * std::size_t(threads);
  std::unique_ptr<Map> map;
  std::size_t next_run = 0;  // the first index of the next run's keys
  std::string stopped;       // why a fill stopped, "" when none did
  fill_time filling;
  // Frees the map and gives its memory back to the kernel (see above).
  auto release = [&] {
    map.reset();
    ::malloc_trim(0);
  };
  auto build = [&] {
    release();  // the old map goes before the new one is filled: one at a time in memory
    map = std::make_unique<Map>();
    stopped = fill_with_budget(*map, keys, filling);
  };
  build();
  if (!stopped.empty()) {
    release();
    state.SkipWithError(stopped.c_str());
    return;
  }
  std::atomic<std::uint64_t> wrong{0};
  const op_throughput figures = time_op_runs(state, threads, double(per_run), [&] {
    if (next_run != 0) build();  // an earlier run took the map to 2N: back to N
    if (!stopped.empty()) return team_timing{};  // the benchmark ends in an error below
    const std::size_t first = next_run;
    next_run += per_thread;
    return run_distinct_misses(*map, threads, per_thread, first, wrong);
  });
  release();
  if (!stopped.empty()) state.SkipWithError(stopped.c_str());
  else if (wrong.load(std::memory_order_relaxed) != 0) state.SkipWithError("a miss returned a wrong value");
  floor_table::report_ratio(state, hit_floor_slot(threads), figures.core_ns_per_op());
}

}  // namespace oncecheck::bench
