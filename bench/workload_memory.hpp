// `memory`: what a design asks the heap for, per waiter and per key, counted
// by the replaced global allocator (counting_allocator.hpp). Not a timing:
// the counts are the same on any machine (for a given standard library).
//   allocs_per_waiter, bytes_per_waiter
//       W threads block on one registered key. Each waiter counts its own
//       allocations from just before wait() until the leader's done(); the
//       leader (the benchmark thread, not counting) takes the total once
//       map.waiting(k) == W, i.e. once every waiter has arrived and blocked,
//       and only then completes the key: what the waiters allocate while
//       they arrive and block, and nothing they do after being woken.
//       Divided by W. The `intrusive` design (a node in the waiter's own
//       frame) must show 0.
//   allocs_per_key, bytes_per_key
//       register_key + done for a batch of 1,024 fresh keys on a fresh map,
//       counted on the calling thread, divided by the batch: a design's
//       per-key node or entry, plus its share of the map's growth.
// Thread creation, the benchmark's vectors and the map's construction are
// made with counting off, so none of them is in the figures.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "../impls/once_map.hpp"
#include "barrier.hpp"
#include "counting_allocator.hpp"
#include "keys.hpp"

namespace oncecheck::bench {

inline constexpr std::size_t memory_keys_per_batch = 1024;

template <class Map>
heap::totals waiter_allocations(int waiters) {
  Map map;
  const key_t k = 1;
  (void)map.register_key(k);
  const heap::totals before = heap::snapshot();
  std::vector<std::thread> team;
  team.reserve(std::size_t(waiters));
  for (int w = 0; w < waiters; ++w) {
    team.emplace_back([&] {
      heap::counting_scope counting;
      (void)map.wait(k);
    });
  }
  spin_then_yield_until([&] { return map.waiting(k) == std::size_t(waiters); });
  // A waiter counts its allocations before it shows in waiting(), but some
  // designs keep that count with a relaxed atomic, which does not order the
  // counter's own relaxed increments before it: a millisecond lets them land.
  std::this_thread::sleep_for(std::chrono::milliseconds(1));
  const heap::totals blocked = heap::snapshot() - before;
  map.done(k, value_of(k));
  for (std::thread& waiter : team) waiter.join();
  return blocked;
}

template <class Map>
heap::totals key_allocations() {
  auto map = std::make_unique<Map>();
  const heap::totals before = heap::snapshot();
  {
    heap::counting_scope counting;
    for (key_t k = 1; k <= memory_keys_per_batch; ++k) {
      (void)map->register_key(k);
      map->done(k, value_of(k));
    }
  }
  return heap::snapshot() - before;
}

template <class Map>
void memory_design(benchmark::State& state, int waiters) {
  heap::totals per_waiters{}, per_keys{};
  double waits = 0, keys = 0;
  for (auto _ : state) {
    const heap::totals w = waiter_allocations<Map>(waiters);
    const heap::totals k = key_allocations<Map>();
    per_waiters.allocations += w.allocations;
    per_waiters.bytes += w.bytes;
    per_keys.allocations += k.allocations;
    per_keys.bytes += k.bytes;
    waits += waiters;
    keys += memory_keys_per_batch;
  }
  if (waits == 0) return;
  state.counters["allocs_per_waiter"] = double(per_waiters.allocations) / waits;
  state.counters["bytes_per_waiter"] = double(per_waiters.bytes) / waits;
  state.counters["allocs_per_key"] = double(per_keys.allocations) / keys;
  state.counters["bytes_per_key"] = double(per_keys.bytes) / keys;
}

}  // namespace oncecheck::bench
