// W1 `hit` (WORKLOADS.md): T threads, N get_or_compute calls each, all hits.
//
// 1024 keys (0..1023) are computed before the clock starts. Each thread
// fills a table of 65,536 random indices into them (splitmix64, seed =
// thread index + 1) before the start barrier, then makes N = 65,536 calls,
// one pass over its table. The same run, with the lookup swapped for a plain
// table, is the floor: `floor.lockfree` (no lock), `floor.read_lock` (a read
// lock per lookup, each thread its own lock: the cost of the lock alone) and
// `floor.shared_read_lock` (one read lock shared by the T threads: the cost
// of the cache line every reader writes).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "../impls/once_map.hpp"
#include "floor_table.hpp"
#include "keys.hpp"
#include "lookup_floor.hpp"
#include "op_throughput.hpp"
#include "thread_team.hpp"

namespace oncecheck::bench {

inline constexpr std::size_t hit_keys = 1024;
inline constexpr std::size_t hit_indices_per_thread = 65536;
inline constexpr std::size_t hit_ops_per_thread = 65536;

inline std::vector<std::uint16_t> hit_indices(int tid) {
  std::uint64_t seed = std::uint64_t(tid) + 1;
  std::vector<std::uint16_t> indices(hit_indices_per_thread);
  for (auto& index : indices) index = std::uint16_t(splitmix64(seed) % hit_keys);
  return indices;
}

inline std::string hit_floor_slot(int threads) { return "hit/threads:" + std::to_string(threads); }

// One W1 run per iteration. lookup_for(tid) gives thread tid's lookup, a
// callable key -> value (0 when the lookup did not give the key's value).
template <class LookupFor>
op_throughput run_hit(benchmark::State& state, int threads, LookupFor lookup_for) {
  std::atomic<std::uint64_t> wrong{0};
  const op_throughput figures =
      time_op_runs(state, threads, double(threads) * hit_ops_per_thread, [&] {
        return run_team(threads, [&](int tid) {
          return [&, indices = hit_indices(tid), lookup = lookup_for(tid)]() mutable {
            std::uint64_t bad = 0;
            for (std::size_t i = 0; i < hit_ops_per_thread; ++i) {
              const key_t key = indices[i % hit_indices_per_thread];
              bad += lookup(key) != value_of(key);
            }
            // Relaxed: read after the team was joined.
            wrong.fetch_add(bad, std::memory_order_relaxed);
          };
        });
      });
  if (wrong.load(std::memory_order_relaxed) != 0) state.SkipWithError("a hit returned a wrong value");
  return figures;
}

template <class Map>
void hit_design(benchmark::State& state, int threads) {
  Map map;
  for (key_t k = 0; k < hit_keys; ++k) (void)get_or_compute(map, k, [k] { return value_of(k); });
  const op_throughput figures = run_hit(state, threads, [&map](int) {
    return [&map](key_t k) -> value_t {
      const outcome<value_t> r = get_or_compute(map, k, [k] { return value_of(k); });
      return r ? r.value() : 0;
    };
  });
  floor_table::report_ratio(state, hit_floor_slot(threads), figures.core_ns_per_op());
}

enum class lookup_lock { none, per_thread, shared };

template <lookup_lock Locking>
void hit_floor(benchmark::State& state, int threads) {
  auto table = std::make_unique<open_addressing_table>();
  for (key_t k = 0; k < hit_keys; ++k) table->insert(k, value_of(k));
  // One cache line per lock, so the per-thread locks share nothing.
  struct alignas(64) padded_lock {
    std::shared_mutex lock;
  };
  std::vector<padded_lock> locks(Locking == lookup_lock::per_thread ? std::size_t(threads) : 1);
  const open_addressing_table& t = *table;
  const op_throughput figures = run_hit(state, threads, [&](int tid) {
    std::shared_mutex& lock = locks[Locking == lookup_lock::per_thread ? std::size_t(tid) : 0].lock;
    return [&t, &lock](key_t k) -> value_t {
      if constexpr (Locking == lookup_lock::none) {
        return t.find(k);
      } else {
        std::shared_lock<std::shared_mutex> reading(lock);
        return t.find(k);
      }
    };
  });
  if constexpr (Locking == lookup_lock::none) floor_table::record(hit_floor_slot(threads), figures.core_ns_per_op());
  floor_table::report_ratio(state, hit_floor_slot(threads), figures.core_ns_per_op());
}

}  // namespace oncecheck::bench
