// What every scenario shares: the key/value convention of WORKLOADS.md, the
// per-thread result slots and the check helper.
//
// A scenario is one struct template over (Map, Sync) with
//   name, summary             what it checks
//   model_threads             the thread count of its Relacy model
//   model_operations          the map operations those threads make, counted
//                             as a generated program counts its steps (a
//                             lead and its completion are one): what a
//                             shrunk random_programs failure is compared with
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
#include <source_location>
#include <string_view>

#include "../impls/once_map.hpp"
#include "../impls/sync/verdict.hpp"

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

// A printf format and where it was written: the check's own line, which a
// failure names (a default argument is evaluated at the call, and the
// implicit conversion from the string literal happens there).
struct check_format {
  check_format(const char* text, std::source_location where = std::source_location::current())
      : text(text), where(where) {}
  const char* text;
  std::source_location where;
};

// Fails the run with verdict `kind` when `ok` is false.
template <class Sync, class... Args>
void expect(bool ok, verdict kind, check_format format, Args... args) {
  if (ok) return;
  char message[320];
  std::snprintf(message, sizeof message, format.text, args...);
  Sync::fail(kind, message, format.where);
}

template <class V>
const char* describe(const std::optional<outcome<V>>& r, char* buf, std::size_t n);

// The round's setup made a leader of `key` (its state registered it).
template <class Sync>
void expect_leader(bool registered, key_t key, std::source_location where = std::source_location::current()) {
  expect<Sync>(registered, verdict::assert_failed, check_format("register_key(%llu) on a fresh map did not make a leader", where),
               static_cast<unsigned long long>(key));
}

// `who` got the value of `key`.
template <class Sync>
void expect_value_of(key_t key, const std::optional<outcome<value_t>>& r, const char* who,
                     std::source_location where = std::source_location::current()) {
  char got[96];
  expect<Sync>(r && r->has_value() && r->value() == value_of(key), verdict::wrong_value,
               check_format("%s got %s, expected value %llu", where), who, describe(r, got, sizeof got),
               static_cast<unsigned long long>(value_of(key)));
}

template <class V>
const char* describe(const std::optional<outcome<V>>& r, char* buf, std::size_t n) {
  if (!r) std::snprintf(buf, n, "nothing (never returned)");
  else if (r->has_value()) std::snprintf(buf, n, "value %llu", static_cast<unsigned long long>(r->value()));
  else std::snprintf(buf, n, "error %s", to_string(r->error()).data());
  return buf;
}

}  // namespace oncecheck::scenarios
