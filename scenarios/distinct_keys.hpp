// distinct_keys: a leader that is slow on one key must not stop a request for
// another key from completing: no lock of the map (map-wide, or of a shard
// both keys share) may be held on a key's behalf while its value is computed.
//
// Roles: thread 0 asks for key A, and A's compute does not return until B's
// value is visible through get(B); thread 1 asks for key B (a trivial
// compute). Any other thread has no role: one more requester of either key
// would re-test coalesce, and would make the verdict depend on the thread
// count. A design that blocks B while A is computed never lets thread 0
// finish.
//
// The keys: libstdc++'s std::hash of an integer is the identity, so 1 and 9
// fall into the same one of 8 shards (sharded_entry) or buckets
// (atomic_wait): the case where a per-shard lock would reach the other key.
//
// How the wait for B ends when B never comes.
//   Relacy: the poll is a tight get + yield loop, so a correct design
//   finishes it in a few steps; under a design that blocks B, Relacy stops
//   it as a livelock (its execution-depth limit, 20000 steps) or finds every
//   thread blocked (deadlock). Either is the failing verdict; the trace's
//   last lines show where key B's requester is stuck.
//   Real threads: after `spins_before_clock` polls the loop starts looking
//   at the clock and gives up after `max_wait`, failing the round with
//   `hang` and a message that names both keys (the watchdog would otherwise
//   see only "no progress"; `max_wait` is shorter than its timeouts, 3 s in
//   the quick matrix, 5 s in make stress). The model never gets that far:
//   each poll is at least two Relacy steps, so the depth limit comes first
//   and the clock, a value no model may branch on, is never read.
//
// Catches: a design that holds a lock across a compute or otherwise makes B
// wait for A (livelock/deadlock under Relacy, hang on real threads); a
// requester that gets anything but its key's 2k+1, and a get(B) that shows
// nothing once done(B) has returned, so that A's poll could never end
// (wrong_value).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <optional>

#include "scenario_support.hpp"

namespace oncecheck::scenarios {

template <class Map, class Sync>
struct distinct_keys {
  static constexpr std::string_view name = "distinct_keys";
  static constexpr std::string_view summary =
      "a leader slow on key 1 (its compute waits for key 9) does not stop key 9 from completing";
  static constexpr int model_threads = 2;
  static constexpr int model_operations = 4;  // two get_or_compute, the poll get inside A's compute, get(B)
  static constexpr int min_threads = 2;
  static constexpr key_t key_a = 1;
  static constexpr key_t key_b = 9;
  static constexpr std::uint64_t spins_before_clock = std::uint64_t(1) << 14;
  static constexpr std::chrono::seconds max_wait{1};

  struct state {
    explicit state(int threads) : results(threads) {}
    Map map;
    per_thread<Sync, outcome<value_t>> results;
  };

  // A's compute: B must be done before A is.
  static value_t slow_compute(state& s) {
    std::optional<typename Sync::clock::time_point> give_up;
    for (std::uint64_t polls = 0; !s.map.get(key_b); ++polls) {
      if (polls >= spins_before_clock) {
        const auto now = Sync::clock::now();
        if (!give_up) {
          give_up = now + max_wait;
        } else if (now >= *give_up) {
          expect<Sync>(false, verdict::hang,
                       "key %llu was not completed within %lld s while the leader of key %llu computed: "
                       "a slow leader of one key blocks another key",
                       static_cast<unsigned long long>(key_b), static_cast<long long>(max_wait.count()),
                       static_cast<unsigned long long>(key_a));
          break;
        }
      }
      Sync::yield();
    }
    return value_of(key_a);
  }

  static void thread(state& s, int tid) {
    if (tid == 0) {
      s.results.set(tid, get_or_compute(s.map, key_a, [&] { return slow_compute(s); }));
    } else if (tid == 1) {
      s.results.set(tid, get_or_compute(s.map, key_b, [] { return value_of(key_b); }));
      // Thread 1 is key B's only requester, so its leader: done(B) has
      // returned, and get(B) must show the value from now on. Checked here,
      // where it goes wrong, rather than as A's poll running out (a livelock
      // that would blame A's leader for a completion the design dropped).
      const std::optional<value_t> seen = s.map.get(key_b);
      char got[64];
      if (seen) std::snprintf(got, sizeof got, "value %llu", static_cast<unsigned long long>(*seen));
      else std::snprintf(got, sizeof got, "nothing");
      expect<Sync>(seen && *seen == value_of(key_b), verdict::wrong_value,
                   "get(%llu) returned %s right after done(%llu) returned: the completion was dropped or removed",
                   static_cast<unsigned long long>(key_b), got, static_cast<unsigned long long>(key_b));
    }
  }

  static void check(state& s) {
    for (int t = 0; t < 2 && t < s.results.size(); ++t) {
      const key_t k = t == 0 ? key_a : key_b;
      const auto& r = s.results.get(t);
      char got[96];
      expect<Sync>(r && r->has_value() && r->value() == value_of(k), verdict::wrong_value,
                   "thread %d asked for key %llu and got %s, expected value %llu", t,
                   static_cast<unsigned long long>(k), describe(r, got, sizeof got),
                   static_cast<unsigned long long>(value_of(k)));
    }
  }
};

}  // namespace oncecheck::scenarios
