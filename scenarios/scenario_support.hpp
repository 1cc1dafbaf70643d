// What every scenario shares: the key/value convention of WORKLOADS.md, the
// per-thread result slots and the check helper.
//
// A scenario is one struct template over (Map, Sync) with
//   name, summary             what it checks
//   model_threads             the thread count of its Relacy model
//   min_threads               the fewest threads its body makes sense with
//   struct state(threads)     everything a round shares; built before the
//                             threads start, checked and destroyed after
//   thread(state&, tid)       the body of thread `tid` in [0, threads)
//   check(state&)             the verdict once every thread has returned
// The same body runs under Relacy (models/), on real threads (harness/stress)
// and, where it measures something, in bench/.
#pragma once

#include <cstdint>
#include <cstdio>
#include <deque>
#include <optional>
#include <string_view>

#include "../impls/once_map.hpp"

namespace oncecheck::scenarios {

using key_t = std::uint64_t;
using value_t = std::uint64_t;

// WORKLOADS.md: the value of key k is 2k+1.
constexpr value_t value_of(key_t k) noexcept { return 2 * k + 1; }

// One slot per thread, written only by its thread and read by check() after
// every thread has returned. A cell each, so that Relacy sees the slots as
// the separate variables they are.
template <class Sync, class T>
class per_thread {
 public:
  explicit per_thread(int threads) {
    for (int i = 0; i < threads; ++i) slots_.emplace_back();
  }
  void set(int tid, T v) { slots_[std::size_t(tid)].mut() = std::move(v); }
  const std::optional<T>& get(int tid) const { return slots_[std::size_t(tid)].get(); }
  int size() const { return int(slots_.size()); }

 private:
  std::deque<typename Sync::template cell<std::optional<T>>> slots_;
};

// Fails the run with `kind` (a verdict name) when `ok` is false.
template <class Sync, class... Args>
void expect(bool ok, std::string_view kind, const char* format, Args... args) {
  if (ok) return;
  char message[320];
  std::snprintf(message, sizeof message, format, args...);
  Sync::fail(kind, message);
}

template <class V>
const char* describe(const std::optional<outcome<V>>& r, char* buf, std::size_t n) {
  if (!r) std::snprintf(buf, n, "nothing (never returned)");
  else if (r->has_value()) std::snprintf(buf, n, "value %llu", static_cast<unsigned long long>(r->value()));
  else std::snprintf(buf, n, "error %s", to_string(r->error()).data());
  return buf;
}

}  // namespace oncecheck::scenarios
