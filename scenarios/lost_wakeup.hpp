// lost_wakeup: a key is registered before the round; thread 0 completes it
// while every other thread waits for it. A completion that lands between a
// waiter's look at the key and its sleep must still reach that waiter, and
// one that lands before a waiter arrives must still be there for it.
//
// Roles: thread 0 completes the key with done(); every other thread wait()s.
// On real threads the completer works for a while first: half of the rounds
// until every waiter is blocked (so that a wake-up that reaches only some
// sleepers has sleepers to miss), half a random short time (so that done()
// falls inside a waiter's check-then-sleep window, or before it arrives).
// A model explores those orders anyway.
//
// Catches: a waiter that never returns although done() has (Relacy reports
// a deadlock, the watchdog a hang; explain_stuck() names it `lost_wakeup`
// from the probe), a waiter that gets anything but 2k+1 (wrong_value). A
// completer that cannot finish done() (a lock a waiter holds while it
// sleeps) stays a plain deadlock / hang: nothing was lost, it never came.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>

#include "scenario_support.hpp"
#include "stuck_probe.hpp"

namespace oncecheck::scenarios {

template <class Map, class Sync>
struct lost_wakeup {
  static constexpr std::string_view name = "lost_wakeup";
  static constexpr std::string_view summary =
      "a completion between a waiter's check and its sleep is not lost: every waiter gets 2k+1";
  // Two waiters: a wake-up that reaches one sleeper only (an unchained
  // notify_one) needs a second sleeper to leave behind.
  static constexpr int model_threads = 3;
  static constexpr int model_operations = 3;  // the lead thread 0 completes, two waits
  static constexpr int min_threads = 2;
  static constexpr key_t key = 1;
  static constexpr std::chrono::microseconds max_completer_delay{2000};

  // Written by the threads, read only by explain_stuck() (see stuck_probe.hpp).
  static inline stuck_probe probe;

  struct state {
    explicit state(int threads) : waiters(threads - 1), results(threads) {
      probe.reset(threads);
      registered = map.register_key(key);  // the round's leader is the state; thread 0 completes for it
    }
    Map map;
    bool registered = false;  // written before the threads start, never after
    const int waiters;
    per_thread<Sync, outcome<value_t>> results;
  };

  static void thread(state& s, int tid) {
    if (tid == 0) {
      Sync::busy_until([&] { return s.map.waiting(key) >= std::size_t(s.waiters); }, max_completer_delay);
      s.map.done(key, value_of(key));
      probe.completed(tid, key);
      return;
    }
    std::optional<outcome<value_t>> r;
    {
      const auto inside = probe.waiting(tid, key);
      r.emplace(s.map.wait(key));
    }
    s.results.set(tid, std::move(*r));
  }

  static void check(state& s) {
    expect_leader<Sync>(s.registered, key);
    for (int t = 1; t < s.results.size(); ++t) {
      const auto& r = s.results.get(t);
      char got[96];
      expect<Sync>(r && r->has_value() && r->value() == value_of(key), verdict::wrong_value,
                   "waiter %d got %s, expected value %llu", t, describe(r, got, sizeof got),
                   static_cast<unsigned long long>(value_of(key)));
    }
  }

  static std::optional<stuck_explanation> explain_stuck() { return probe.lost_wakeup(); }
};

}  // namespace oncecheck::scenarios
