// check_then_act: the requests for a fresh key race through the lookup
// ("is anyone fetching it? no: then I fetch it"), and once they have all
// returned, one more request comes for the same key. Exactly one compute in
// all: the racers must agree on one leader (Servo's race, seed 001, sends two
// fetches to the network), and the late request must find the value, not an
// empty slot (seed 002: a requester that removes the key once it has its
// result makes the next request compute again).
//
// Roles: every thread requests the key with get_or_compute; the thread that
// returns last (the one whose count of returned racers reaches `threads`)
// requests it once more. Choosing the late requester that way costs no spin
// and no extra thread, so a racer that never returns still shows as a
// deadlock, not as a late requester spinning forever, and the model stays at
// two threads, which keeps the context-bound search small.
//
// Catches: two racers that both compute, or a late request that computes
// again (duplicate_compute, checked the moment the second compute starts), a
// racer that is never woken (deadlock under Relacy, hang on real threads), a
// request that gets anything but 2k+1 (wrong_value).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <optional>

#include "scenario_support.hpp"

namespace oncecheck::scenarios {

template <class Map, class Sync>
struct check_then_act {
  static constexpr std::string_view name = "check_then_act";
  static constexpr std::string_view summary =
      "racing requests for a fresh key and a late one after they return: exactly one compute, all get 2k+1";
  static constexpr int model_threads = 2;
  static constexpr int model_operations = 3;  // two racing requests, one late request
  static constexpr int min_threads = 2;
  static constexpr key_t key = 1;
  // Short: the race under test is in the lookup, before any compute; the
  // compute only has to last long enough on real threads for the other
  // racers to get past their lookup while it is in flight.
  static constexpr std::chrono::microseconds max_compute_time{200};

  struct state {
    explicit state(int threads) : threads(threads), results(threads) {}
    const int threads;
    Map map;
    typename Sync::template atomic<int> computes{0};
    typename Sync::template atomic<int> returned{0};
    per_thread<Sync, outcome<value_t>> results;
    typename Sync::template cell<std::optional<outcome<value_t>>> late;  // written by the last racer only
  };

  static outcome<value_t> request(state& s, int tid, const char* who) {
    return get_or_compute(s.map, key, [&] {
      // Relaxed: a counter only, it must not order anything the design does.
      const int n = s.computes.fetch_add(1, std::memory_order_relaxed) + 1;
      expect<Sync>(n == 1, verdict::duplicate_compute, "key %llu computed %d times: thread %d computes it again (%s)",
                   static_cast<unsigned long long>(key), n, tid, who);
      Sync::busy_until([&] { return s.map.waiting(key) + 1 >= std::size_t(s.threads); }, max_compute_time);
      return value_of(key);
    });
  }

  static void thread(state& s, int tid) {
    s.results.set(tid, request(s, tid, "racing request"));
    // acq_rel: the last racer's late request happens after every racer's
    // return, which is what makes it late in the model as on real threads.
    if (s.returned.fetch_add(1, std::memory_order_acq_rel) + 1 == s.threads)
      s.late.mut() = request(s, tid, "late request, after every racer returned");
  }

  static void check(state& s) {
    const int n = s.computes.load(std::memory_order_relaxed);
    expect<Sync>(n <= 1, verdict::duplicate_compute, "key %llu computed %d times", static_cast<unsigned long long>(key), n);
    expect<Sync>(n == 1, verdict::wrong_value, "key %llu was never computed", static_cast<unsigned long long>(key));
    char got[96];
    for (int t = 0; t < s.results.size(); ++t) {
      const auto& r = s.results.get(t);
      expect<Sync>(r && r->has_value() && r->value() == value_of(key), verdict::wrong_value,
                   "thread %d got %s, expected value %llu", t, describe(r, got, sizeof got),
                   static_cast<unsigned long long>(value_of(key)));
    }
    const auto& late = s.late.get();
    expect<Sync>(late && late->has_value() && late->value() == value_of(key), verdict::wrong_value,
                 "the late request got %s, expected value %llu", describe(late, got, sizeof got),
                 static_cast<unsigned long long>(value_of(key)));
  }
};

}  // namespace oncecheck::scenarios
