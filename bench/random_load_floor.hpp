// W4 at scale's floor, `distinct_miss/floor.random_load/threads:2/keys:N`:
// what a miss in a map of N keys cannot avoid on this machine once the map
// outgrows the caches, if the map sends each new key to a random place in
// its memory: one load from a place nothing predicts. What that load costs
// at 10^7 keys over 10^4 is the machine's, not the design's.
//
// The memory: one 64-byte line a key, N lines (a design keeps at least a
// node and a table slot for each key, so its memory is no smaller), from
// std_backend::allocate_large as atomic_wait's table is. The lines form one
// random cycle (Sattolo's shuffle); each of the two threads (W4 at scale's
// T) follows it from its own line, one load at a time, each load's address
// read by the one before, so every load waits for the memory as a probe at
// a hashed slot does. A thread goes on from where its last run stopped, so
// a run does not find the lines its previous run brought into the caches.
// Runs and loads are W4 at scale's (workload_miss_at_scale.hpp): as many
// loads a thread as misses, the same iterations. Figures are W4's
// (core_ns_per_op: core ns a load), and floor_ratio over the same floor as
// the designs' at scale (hit/floor.lockfree/threads:2), so the report draws
// it beside them at each N.
//
// A floor for random placement, not for every design: a table whose slots
// follow the keys' order finds them in the caches and can go under it.
// W4's keys count up, and std::hash is the identity on integers, so a
// design that indexes by std::hash modulo its bucket count (intrusive's
// std::unordered_map) walks its buckets in order. atomic_wait keeps the
// low 3 bits of the hash as a key's slot in a block of 8 and spreads the
// blocks by Fibonacci hashing (atomic_wait_map.hpp, "Placement"): W4's
// two threads' keys share their low bits, and linear probing on the hash
// modulo the capacity would cluster them into one run, while runs of 8
// consecutive keys share two cache lines.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <new>
#include <utility>
#include <vector>

#include <benchmark/benchmark.h>

#include "../impls/sync/std_backend.hpp"
#include "floor_table.hpp"
#include "op_throughput.hpp"
#include "thread_team.hpp"
#include "workload_hit.hpp"
#include "workload_miss_at_scale.hpp"

namespace oncecheck::bench {

// N cache lines, each naming the next line of one cycle through all of them.
class random_cycle {
 public:
  explicit random_cycle(std::size_t lines) : size_(lines) {
    // Sattolo's shuffle of the identity gives a permutation that is a single
    // cycle: line i's successor is order[i].
    std::vector<std::uint32_t> order(lines);
    for (std::size_t i = 0; i < lines; ++i) order[i] = std::uint32_t(i);
    std::uint64_t seed = 0x5eed;
    for (std::size_t i = lines - 1; i > 0; --i) {
      const std::size_t j = std::size_t((unsigned __int128)next_random(seed) * i >> 64);  // [0, i)
      std::swap(order[i], order[j]);
    }
    lines_ = static_cast<line*>(sync::std_backend::allocate_large(bytes()));
    for (std::size_t i = 0; i < lines; ++i) ::new (&lines_[i]) line{order[i]};
  }
  ~random_cycle() { sync::std_backend::deallocate_large(lines_, bytes()); }
  random_cycle(const random_cycle&) = delete;
  random_cycle& operator=(const random_cycle&) = delete;

  // The line after `i` on the cycle: a load the next one's address waits for.
  std::size_t next(std::size_t i) const { return lines_[i].successor; }

 private:
  struct alignas(64) line {
    std::size_t successor;
  };
  static_assert(sizeof(line) == 64);

  // splitmix64: a fixed seed, so every run walks the same cycle.
  static std::uint64_t next_random(std::uint64_t& state) {
    std::uint64_t z = (state += 0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
    z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
    return z ^ (z >> 31);
  }
  std::size_t bytes() const { return size_ * sizeof(line); }

  std::size_t size_;
  line* lines_ = nullptr;
};

inline void random_load_floor(benchmark::State& state, std::size_t keys) {
  constexpr int threads = miss_at_scale_threads;
  const std::size_t per_thread = miss_at_scale_per_thread(keys);
  const random_cycle cycle(keys);
  // Where each thread's next run starts; written by its thread, read by the
  // same thread's next run after the join.
  std::array<std::size_t, threads> at{};
  for (int t = 0; t < threads; ++t) at[std::size_t(t)] = std::size_t(t) % keys;
  const op_throughput figures = time_op_runs(state, threads, double(per_thread * threads), [&] {
    return run_team(threads, [&](int tid) {
      return [&, tid] {
        std::size_t i = at[std::size_t(tid)];
        for (std::size_t n = 0; n < per_thread; ++n) i = cycle.next(i);
        benchmark::DoNotOptimize(i);
        at[std::size_t(tid)] = i;
      };
    });
  });
  floor_table::report_ratio(state, hit_floor_slot(threads), figures.core_ns_per_op());
}

}  // namespace oncecheck::bench
