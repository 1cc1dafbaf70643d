// Heap allocations counted per design operation, for the `memory` benchmarks.
//
// counting_allocator.cpp replaces the global operator new/delete for the whole
// oncecheck-bench binary. Every replacement allocates with malloc as usual;
// it counts (allocations and bytes requested) only on a thread whose counting
// flag is on, and the benchmark turns that flag on just around the map calls
// it measures. So thread creation, Google Benchmark's own bookkeeping, the
// benchmark's vectors and every other thread stay out of the figures: a
// count is exactly what the design asked the heap for, on the threads that
// called it, while they called it.
//
// Memory ordering. The totals are relaxed atomics: they order nothing, and
// a reader takes them only after the threads that counted have been joined,
// or at a point it has synchronised with otherwise (see workload_memory.hpp).
#pragma once

#include <atomic>
#include <cstdint>

namespace oncecheck::bench::heap {

struct totals {
  std::uint64_t allocations = 0;
  std::uint64_t bytes = 0;
};

// Defined in counting_allocator.cpp, beside the replaced operators.
extern std::atomic<std::uint64_t> counted_allocations;
extern std::atomic<std::uint64_t> counted_bytes;
extern thread_local bool counting_on_this_thread;

inline totals snapshot() noexcept {
  return {counted_allocations.load(std::memory_order_relaxed), counted_bytes.load(std::memory_order_relaxed)};
}

inline totals operator-(const totals& later, const totals& earlier) noexcept {
  return {later.allocations - earlier.allocations, later.bytes - earlier.bytes};
}

// Counts this thread's allocations for its lifetime.
class counting_scope {
 public:
  counting_scope() noexcept { counting_on_this_thread = true; }
  ~counting_scope() { counting_on_this_thread = false; }
  counting_scope(const counting_scope&) = delete;
  counting_scope& operator=(const counting_scope&) = delete;
};

}  // namespace oncecheck::bench::heap
