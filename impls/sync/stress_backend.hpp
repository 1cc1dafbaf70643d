// stress_backend: std_backend plus a black box for the watchdog.
//
// Designs call Sync::note() at the points that matter for a counterexample
// ("wait key=1 blocks"). Under std_backend that is free; here each stress
// worker keeps its last note in a status slot the watchdog can read without
// taking any lock of the design, so a hang is reported as "thread 3 is in
// wait key=1 blocks (condvar_map.hpp:236)" instead of silence.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <source_location>
#include <type_traits>

#include "std_backend.hpp"

namespace oncecheck::stress {

// One per worker. Written by its worker, read by the watchdog: relaxed
// atomics, since a torn picture of a stuck thread is still a useful one.
struct thread_status {
  std::atomic<const char*> op{nullptr};
  std::atomic<const char*> what{""};
  std::atomic<unsigned long long> key{0};
  std::atomic<const char*> file{""};
  std::atomic<unsigned> line{0};
  std::atomic<bool> in_scenario{false};
};

inline thread_local thread_status* current_status = nullptr;
// Seeded by each worker from the run's --seed.
inline thread_local std::uint64_t fuzz_state = 0;

inline std::uint64_t next_random(std::uint64_t& s) {  // splitmix64
  std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

struct stress_backend : sync::std_backend {
  // Work that may end before `done()` holds: half the time it waits for it
  // (so a lost wake-up has sleepers to lose), half the time it stops after a
  // random slice of `limit` (so a completion can land inside a waiter's
  // check-then-sleep window). The draw comes from the worker's seed.
  template <class Pred>
  static void busy_until(Pred&& done, std::chrono::nanoseconds limit) {
    const std::uint64_t r = next_random(fuzz_state);
    if (r & 1) {
      sync::std_backend::busy_until(done, limit);
      return;
    }
    busy_for(std::chrono::nanoseconds((r >> 1) % std::uint64_t(limit.count() / 64 + 1)));
  }

  template <class K>
  static void note(const char* op, const K& key, const char* what = "",
                   std::source_location where = std::source_location::current()) noexcept {
    thread_status* s = current_status;
    if (!s) return;
    s->op.store(op, std::memory_order_relaxed);
    s->what.store(what, std::memory_order_relaxed);
    if constexpr (std::is_integral_v<K>) s->key.store(static_cast<unsigned long long>(key), std::memory_order_relaxed);
    s->file.store(where.file_name(), std::memory_order_relaxed);
    s->line.store(where.line(), std::memory_order_relaxed);
  }
};

}  // namespace oncecheck::stress
