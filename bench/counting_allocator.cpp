// The replaced global allocation functions of oncecheck-bench (see
// counting_allocator.hpp for what is counted and why only there). Replacement
// functions must be defined once, in one translation unit of the program,
// and not inline: hence this file.
#include "counting_allocator.hpp"

#include <cstdlib>
#include <new>

namespace oncecheck::bench::heap {

std::atomic<std::uint64_t> counted_allocations{0};
std::atomic<std::uint64_t> counted_bytes{0};
// Constant-initialised and in an executable: reading it from operator new
// needs no allocation of its own.
thread_local bool counting_on_this_thread = false;

namespace {

void count(std::size_t bytes) noexcept {
  if (!counting_on_this_thread) return;
  counted_allocations.fetch_add(1, std::memory_order_relaxed);
  counted_bytes.fetch_add(bytes, std::memory_order_relaxed);
}

void* allocate(std::size_t bytes) noexcept {
  count(bytes);
  return std::malloc(bytes == 0 ? 1 : bytes);
}

void* allocate_aligned(std::size_t bytes, std::align_val_t alignment) noexcept {
  count(bytes);
  const auto align = static_cast<std::size_t>(alignment);
  // aligned_alloc wants a size that is a multiple of the alignment.
  const std::size_t rounded = (bytes + align - 1) / align * align;
  return std::aligned_alloc(align, rounded == 0 ? align : rounded);
}

void* or_throw(void* p) {
  if (!p) throw std::bad_alloc();
  return p;
}

}  // namespace
}  // namespace oncecheck::bench::heap

using oncecheck::bench::heap::allocate;
using oncecheck::bench::heap::allocate_aligned;
using oncecheck::bench::heap::or_throw;

void* operator new(std::size_t n) { return or_throw(allocate(n)); }
void* operator new[](std::size_t n) { return or_throw(allocate(n)); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return allocate(n); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return allocate(n); }
void* operator new(std::size_t n, std::align_val_t a) { return or_throw(allocate_aligned(n, a)); }
void* operator new[](std::size_t n, std::align_val_t a) { return or_throw(allocate_aligned(n, a)); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate_aligned(n, a);
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return allocate_aligned(n, a);
}

void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
