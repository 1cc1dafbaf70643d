// spin_wait: the bounded spin a sleeping design or a worker does before it
// parks, so that a wait shorter than a kernel wake-up costs no kernel sleep.
//
//   if (sync::spin_wait<Sync>([&] { return word.load(acquire) != pending; })) ...
//   else park (atomic::wait, a condition variable): the spin did not see it.
//
// Real threads (Sync::real_time): poll `ready` for at most `spin_budget`,
// with a CPU pause between polls and a yield of the processor after every
// `pauses_per_yield` pauses, the cadence WORKLOADS.md fixes for its
// barriers. The yield matters when threads outnumber cores (W2 at T=8 on 2
// cores): a spinner must not hold the core of the thread that would end
// its wait.
//
// Why `spin_budget` is 20 microseconds. Parking pays for itself only when
// the wait is longer than a park and its wake cost (spinning for as long as
// that costs is never more than twice the best choice made in hindsight).
// `make bench`'s W3 floors measure the wake on this machine (2 cores,
// 2026-11-30): notify/floor.futex wakes one sleeping thread in 5.7 us p50
// (88 us p99), eight in 53 us p50, while a spinning waiter
// (notify/floor.spin) sees the store in 3.0 us p50. 20 us is above one
// wake's median and below the median of eight, and it covers W2's round
// (a 10 us compute): a coalesced waiter sees its value without sleeping,
// and a wait that outlasts the budget pays at most 20 us more than a plain
// park.
//
// Model backends (Relacy, the explorer): no spin at all, not even a poll:
// spin_wait returns false at once and the caller parks, so the searched
// schedules and their replays are those of a design without the spin.
// A poll would be a scheduling point (one poll per wait on `notify` made the
// explorer's notify x coalesce tree grow from 63,978 to 107,304 executions
// and moved 27 pinned replays), and a yield would change verdicts: the
// explorer parks a yielding thread until something it read changes, and a
// spin nothing can answer is a livelock there, so a waiter whose round never
// ends would be a livelock instead of the deadlock it is. Nothing is lost to
// the models if the caller keeps the rule below; the spin's own path runs
// on real threads, under TSan, in the stress cells.
//
// The rule for callers: what follows a successful spin must be what follows
// a park that returned at once (the same re-check of the state, under the
// same lock if there is one). Then the spin only decides how long a waiter
// waits, never what it sees.
#pragma once

#include <chrono>
#include <mutex>
#include <source_location>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

namespace oncecheck::sync {

inline constexpr std::chrono::nanoseconds spin_budget{20'000};
inline constexpr int pauses_per_yield = 64;

// One CPU pause: tells the core it is in a spin loop (frees the pipeline for
// the sibling hyperthread, and avoids the memory-order flush on exit).
inline void cpu_pause() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  _mm_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Polls `ready` until it returns true (then true) or the budget is spent
// (then false; the caller parks). A model backend does not poll.
template <class Sync, class Ready>
bool spin_wait(Ready&& ready) {
  if constexpr (!Sync::real_time) {
    return false;
  } else {
    if (ready()) return true;
    const auto until = Sync::clock::now() + spin_budget;
    for (;;) {
      for (int i = 0; i < pauses_per_yield; ++i) {
        cpu_pause();
        if (ready()) return true;
      }
      if (Sync::clock::now() >= until) return false;
      Sync::yield();
    }
  }
}

// The guard of `m`, taken after spinning on try_lock for at most the spin
// budget (real threads); a model backend locks at once, as spin_wait does
// not poll there, and its guard names the caller's line. For a lock whose
// critical sections are a few loads and stores: a contended std::mutex puts
// the caller to sleep in the kernel and makes the holder pay a futex wake
// on unlock, microseconds for a section of tens of nanoseconds
// (atomic_wait's writer lock: W4 at T=2 went from 436 to 290 ns a miss at
// 10^4 keys).
template <class Sync>
typename Sync::unique_lock lock_spinning(typename Sync::mutex& m,
                                         std::source_location where = std::source_location::current()) {
  if constexpr (Sync::real_time) {
    (void)where;
    if (!spin_wait<Sync>([&] { return m.try_lock(); })) m.lock();
    return typename Sync::unique_lock(m, std::adopt_lock);
  } else {
    return typename Sync::unique_lock(m, where);
  }
}

// lock_spinning for a guard that let go of its lock and takes it again
// (a worker's loop re-locks after each task it ran). A model backend
// re-locks at once, naming the caller's line.
template <class Sync>
void relock_spinning(typename Sync::unique_lock& lock, std::source_location where = std::source_location::current()) {
  if constexpr (Sync::real_time) {
    (void)where;
    if (!spin_wait<Sync>([&] { return lock.try_lock(); })) lock.lock();
  } else {
    lock.lock(where);
  }
}

}  // namespace oncecheck::sync
