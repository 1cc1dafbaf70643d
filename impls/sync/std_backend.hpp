// std_backend: the sync backend of real runs (stress binaries, benchmarks,
// unit tests, users' programs). Every name here has a twin of the same shape in
// relacy_backend.hpp; design code reaches sync types only through `Sync::`.
//
// Shape of a backend (the contract design code relies on):
//   atomic<T>            std::atomic-like: load/store/exchange/compare_exchange_*/
//                        fetch_add/fetch_sub with std::memory_order, and
//                        wait(old, mo)/notify_one()/notify_all()
//   mutex, unique_lock   exclusive lock and its guard (lock/unlock/owns_lock)
//   shared_mutex,        reader-writer lock and its exclusive/shared guards
//   write_lock, read_lock
//   condition_variable   wait(unique_lock&), wait_until(unique_lock&, deadline)
//                        -> wait_status, notify_one(), notify_all()
//   clock                the clock deadlines are measured with
//   real_time            whether clock readings measure anything (false in
//                        a model, where every schedule is explored anyway)
//   cell<T>              shared plain data; get() reads, mut() writes
//   yield()              give up the processor (a scheduling point)
//   busy_for(d)          work that takes d on real threads, nothing in a model
//   busy_until(p, d)     work that lasts until p() or d on real threads, nothing
//                        in a model
//   allocate/deallocate  raw memory the checker tracks (leaks, use after free)
//   allocate_large/deallocate_large(p, bytes)
//                        the same, for a large array read at random (a hash
//                        table's slots): on real threads a block of at least
//                        huge_page_bytes is aligned to that size
//   note(op, key, what)  a design event for counterexample traces
//   fail(verdict, message)  a scenario check failed with that verdict
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <new>
#include <shared_mutex>
#include <source_location>
#include <string_view>
#include <thread>

#include "failure.hpp"
#include "plain_cell.hpp"

namespace oncecheck::sync {

struct std_backend {
  static constexpr std::string_view name = "std";
  // Clock readings mean something (a model's time does not).
  static constexpr bool real_time = true;

  template <class T>
  using atomic = std::atomic<T>;

  using mutex = std::mutex;
  using unique_lock = std::unique_lock<std::mutex>;
  using shared_mutex = std::shared_mutex;
  using write_lock = std::unique_lock<std::shared_mutex>;
  using read_lock = std::shared_lock<std::shared_mutex>;
  using clock = std::chrono::steady_clock;

  class condition_variable {
   public:
    void wait(unique_lock& lock) { cv_.wait(lock); }
    wait_status wait_until(unique_lock& lock, clock::time_point deadline) {
      return cv_.wait_until(lock, deadline) == std::cv_status::timeout ? wait_status::timed_out
                                                                       : wait_status::woken;
    }
    void notify_one() noexcept { cv_.notify_one(); }
    void notify_all() noexcept { cv_.notify_all(); }

   private:
    std::condition_variable cv_;
  };

  template <class T>
  using cell = plain_cell<T>;

  static void yield() noexcept { std::this_thread::yield(); }

  // A stand-in for real work (a compute, a network request) that takes time.
  static void busy_for(std::chrono::nanoseconds d) noexcept {
    const auto until = clock::now() + d;
    while (clock::now() < until) {
    }
  }

  // Work that goes on until `done()` holds or `limit` has passed.
  template <class Pred>
  static void busy_until(Pred&& done, std::chrono::nanoseconds limit) {
    const auto until = clock::now() + limit;
    while (!done() && clock::now() < until) {
    }
  }

  static void* allocate(std::size_t bytes) { return ::operator new(bytes); }
  static void deallocate(void* p) noexcept { ::operator delete(p); }

  // A large array read at random: a block of at least huge_page_bytes is
  // aligned to that size, smaller ones are allocate()'s. Aligned, a block
  // goes on transparent huge pages wherever the machine's
  // /sys/kernel/mm/transparent_hugepage/enabled is `always`; no advice
  // (MADV_HUGEPAGE) is given where it is `madvise`, and the block is then
  // on 4 KiB pages. Why no advice: what a growing hash table pays for a new
  // table is mostly first touching its pages, and on this project's 2-vCPU
  // VM that costs whatever the host charges for backing the memory, which
  // moves from one sitting to the next. The advice once paid (a fresh
  // 64 MiB block written in 3 to 7 ms on huge pages, 190 to 260 ms on
  // 4 KiB ones), but W4 at scale never gained from it at 10^7 keys, where
  // atomic_wait builds a 1 GiB table: 940 to 1,094 core ns a miss with the
  // advice in the sitting that measured 4 KiB first touch at 2.9 s a GiB,
  // and in a later one (2026-12-02), paired runs of the two builds, 974
  // and 1,035 with it against 427 and 450 without (10^6 keys: 349 and 402
  // against 328 and 348; a fresh 1 GiB block took 1.8 s on huge pages
  // then and 0.4 s on 4 KiB pages). Random loads cost the same on either
  // (330 ns a dependent load in 512 MiB).
  static constexpr std::size_t huge_page_bytes = std::size_t(2) << 20;
  static void* allocate_large(std::size_t bytes) {
    if (bytes < huge_page_bytes) return allocate(bytes);
    return ::operator new(bytes, std::align_val_t{huge_page_bytes});
  }
  static void deallocate_large(void* p, std::size_t bytes) noexcept {
    if (bytes < huge_page_bytes) return deallocate(p);
    ::operator delete(p, std::align_val_t{huge_page_bytes});
  }

  template <class K>
  static void note(const char*, const K&, const char* = "",
                   std::source_location = std::source_location::current()) noexcept {}

  static void fail(verdict kind, std::string_view message,
                   std::source_location where = std::source_location::current()) {
    report_failure(kind, message, where);
  }
};

}  // namespace oncecheck::sync
