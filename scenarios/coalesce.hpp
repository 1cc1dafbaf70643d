// coalesce: every thread asks for the same key at once. Exactly one of them
// computes it and every one of them gets its value (2k+1).
//
// Catches: a second compute (duplicate_compute, checked the moment the
// second compute starts, so the trace ends where it happens), a waiter that
// is never woken (deadlock under Relacy, hang on real threads), a waiter that
// gets a wrong value or an error (wrong_value).
#pragma once

#include <atomic>
#include <chrono>

#include "scenario_support.hpp"

namespace oncecheck::scenarios {

template <class Map, class Sync>
struct coalesce {
  static constexpr std::string_view name = "coalesce";
  static constexpr std::string_view summary =
      "all threads request one key: exactly one compute, everyone gets 2k+1";
  static constexpr int model_threads = 3;
  static constexpr int model_operations = 3;  // one get_or_compute per thread
  static constexpr int min_threads = 2;
  static constexpr key_t key = 1;
  // On real threads the compute lasts until every other requester is blocked
  // (or this long): a wake-up bug needs sleepers to lose. A model explores
  // those orders anyway.
  static constexpr std::chrono::microseconds max_compute_time{2000};

  struct state {
    explicit state(int threads) : threads(threads), results(threads) {}
    const int threads;
    Map map;
    typename Sync::template atomic<int> computes{0};
    per_thread<Sync, outcome<value_t>> results;
  };

  static void thread(state& s, int tid) {
    outcome<value_t> r = get_or_compute(s.map, key, [&] {
      // Relaxed: a counter only, it must not order anything the design does.
      const int n = s.computes.fetch_add(1, std::memory_order_relaxed) + 1;
      expect<Sync>(n == 1, verdict::duplicate_compute, "key %llu computed %d times: thread %d computes it again",
                   static_cast<unsigned long long>(key), n, tid);
      Sync::busy_until([&] { return s.map.waiting(key) + 1 >= std::size_t(s.threads); }, max_compute_time);
      return value_of(key);
    });
    s.results.set(tid, std::move(r));
  }

  static void check(state& s) {
    const int n = s.computes.load(std::memory_order_relaxed);
    expect<Sync>(n <= 1, verdict::duplicate_compute, "key %llu computed %d times", static_cast<unsigned long long>(key), n);
    expect<Sync>(n == 1, verdict::wrong_value, "key %llu was never computed", static_cast<unsigned long long>(key));
    for (int t = 0; t < s.results.size(); ++t) {
      const auto& r = s.results.get(t);
      char got[96];
      expect<Sync>(r && r->has_value() && r->value() == value_of(key), verdict::wrong_value,
                   "thread %d got %s, expected value %llu", t, describe(r, got, sizeof got),
                   static_cast<unsigned long long>(value_of(key)));
    }
  }
};

}  // namespace oncecheck::scenarios
