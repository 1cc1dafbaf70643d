// The waiting primitives of the benchmark protocol (../../shared/WORKLOADS.md):
// "every barrier is a spin-then-yield cyclic barrier: 64 pause spins, then
// yield".
//
// Why spin-then-yield and not a std::barrier or a futex: a blocking barrier
// would put the release of every round behind an OS wake-up, the very cost
// W3 measures; pure spinning starves the threads that must still arrive when
// T (or W) exceeds the cores, as T=8 and W=64 do on a 2-core machine. 64
// spins cover a release that is already under way on another core; after
// that the waiter gives its core to whoever still has to arrive.
//
// Memory ordering. The barrier is a generation counter plus an arrival
// count. An arriver's fetch_add is acq_rel; the last arriver resets the count
// (relaxed) and then publishes the next generation with release, and the
// others leave only after an acquire load saw that generation: everything a
// thread did before arriving happens before everything any thread does after
// leaving, and the reset is visible before anyone can arrive again.
#pragma once

#include <atomic>
#include <cstdint>
#include <thread>

namespace oncecheck::bench {

inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Returns once `ready()` holds: 64 pause spins, then a yield before each
// further look.
template <class Ready>
void spin_then_yield_until(Ready&& ready) {
  constexpr int spins = 64;
  for (int i = 0; i < spins; ++i) {
    if (ready()) return;
    cpu_relax();
  }
  while (!ready()) std::this_thread::yield();
}

// A cyclic barrier for a fixed number of parties; reusable round after round.
class spin_barrier {
 public:
  explicit spin_barrier(int parties) : parties_(parties) {}
  spin_barrier(const spin_barrier&) = delete;
  spin_barrier& operator=(const spin_barrier&) = delete;

  void arrive_and_wait() noexcept {
    const std::uint64_t generation = generation_.load(std::memory_order_acquire);
    if (arrived_.fetch_add(1, std::memory_order_acq_rel) + 1 == parties_) {
      arrived_.store(0, std::memory_order_relaxed);
      generation_.store(generation + 1, std::memory_order_release);
      return;
    }
    spin_then_yield_until([&] { return generation_.load(std::memory_order_acquire) != generation; });
  }

 private:
  const int parties_;
  std::atomic<int> arrived_{0};
  std::atomic<std::uint64_t> generation_{0};
};

}  // namespace oncecheck::bench
