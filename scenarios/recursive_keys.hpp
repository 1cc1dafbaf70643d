// recursive_keys: the leader of key 1 needs key 2 to compute it, and the
// leader of key 2 needs key 1 (resolver A depends on B, B on A). No design
// can complete either key; what is checked is that the run ends with a
// verdict that names the cycle, not a silent hang.
//
// Roles: thread 0 leads key 1 and thread 1 leads key 2, each through
// try_lead in its own body; then each computes its key by waiting for the
// other one: get_or_compute(1, [] { return get_or_compute(2, ...); }) with
// both leaders already in place. A thread that found the other key not yet
// registered (`not_registered`) yields and asks again, so that each really
// is the leader of its own key and a waiter of the other, never the leader
// of both. Any other thread has no role.
//
// Verdicts. Every design here blocks both waits forever: Relacy reports a
// deadlock and the watchdog a hang, and explain_stuck() turns both into
// `deadlock` with the cycle read from the probe ("cycle: T0 leads key 1 and
// waits for key 2; T1 leads key 2 and waits for key 1"). A design that
// detects the cycle and fails the waits passes: the leader whose wait failed
// fails its own key, which ends the other wait too.
#pragma once

#include <optional>

#include "scenario_support.hpp"
#include "stuck_probe.hpp"

namespace oncecheck::scenarios {

template <class Map, class Sync>
struct recursive_keys {
  static constexpr std::string_view name = "recursive_keys";
  static constexpr std::string_view summary =
      "the leader of key 1 waits for key 2 whose leader waits for key 1: a verdict that names the cycle";
  static constexpr int model_threads = 2;
  static constexpr int model_operations = 4;  // two leads, each waiting on the other key
  static constexpr int min_threads = 2;
  static constexpr key_t key_a = 1;
  static constexpr key_t key_b = 2;

  // Written by the threads, read only by explain_stuck() (see stuck_probe.hpp).
  static inline stuck_probe probe;

  struct state {
    explicit state(int threads) : results(threads) { probe.reset(threads); }
    Map map;
    per_thread<Sync, outcome<value_t>> results;  // what each leader's wait for the other key returned
  };

  static void thread(state& s, int tid) {
    if (tid > 1) return;
    const key_t mine = tid == 0 ? key_a : key_b;
    const key_t other = tid == 0 ? key_b : key_a;
    auto lead = try_lead(s.map, mine);
    if (!lead) {
      expect<Sync>(false, verdict::assert_failed, "thread %d could not lead key %llu on a fresh map", tid,
                   static_cast<unsigned long long>(mine));
      return;
    }
    probe.lead(tid, mine);
    // The compute of `mine`: the other key's value, once its leader exists.
    std::optional<outcome<value_t>> needed;
    for (;;) {
      {
        const auto inside = probe.waiting(tid, other);
        needed.emplace(s.map.wait(other));
      }
      if (needed->has_value() || needed->error() != wait_error::not_registered) break;
      Sync::yield();
    }
    if (needed->has_value()) lead->complete(value_of(mine));
    else lead->fail(wait_error::leader_failed);  // no value to compute from: end the round for our waiters
    s.results.set(tid, std::move(*needed));
  }

  static void check(state& s) {
    for (int t = 0; t < 2 && t < s.results.size(); ++t) {
      const key_t other = t == 0 ? key_b : key_a;
      const auto& r = s.results.get(t);
      char got[96];
      // A cycle-detecting design fails the waits (any error); a value can
      // only be the other key's own.
      expect<Sync>(r && (!r->has_value() || r->value() == value_of(other)), verdict::wrong_value,
                   "the leader of key %llu waited for key %llu and got %s", static_cast<unsigned long long>(t == 0 ? key_a : key_b),
                   static_cast<unsigned long long>(other), describe(r, got, sizeof got));
    }
  }

  static std::optional<stuck_explanation> explain_stuck() { return probe.wait_cycle(); }
};

}  // namespace oncecheck::scenarios
