// waiter_cancel: a key is registered before the round; some waiters give up
// with wait_for while the key is still pending, others wait it out with
// wait(), and thread 0 completes the key a little later. A waiter that timed
// out must leave nothing behind (seed 003: "we must ensure that the node is
// unlinked from the list before dropping a cancelled future"): the completer
// must never touch it.
//
// Roles: thread 0 completes the key; odd threads wait_for a short timeout;
// even threads other than 0 wait(). Under Relacy a timed wait may time out
// in any schedule. On real threads the completer works until every timed
// waiter has returned and every plain waiter is blocked (or a time limit),
// so that in most rounds the timeouts really expire while the key is
// pending and the completer then walks past where their nodes were.
//
// Catches: a completer that writes through a timed-out waiter's dead frame
// (use_after_free: Relacy's freed-memory check, ASan/TSan on real threads),
// a plain waiter that is never woken (deadlock under Relacy, hang on real
// threads), a waiter that gets anything but the value (or, for a timed
// waiter, timed_out) (wrong_value).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>

#include "scenario_support.hpp"

namespace oncecheck::scenarios {

template <class Map, class Sync>
struct waiter_cancel {
  static constexpr std::string_view name = "waiter_cancel";
  static constexpr std::string_view summary =
      "a waiter times out while the key is pending: it leaves nothing behind, the others still get 2k+1";
  static constexpr int model_threads = 3;
  static constexpr int model_operations = 3;  // the lead thread 0 completes, a wait_for, a wait
  static constexpr int min_threads = 3;
  static constexpr key_t key = 1;
  // Short, so that on real threads the timed waiters give up while the key
  // is still pending (the case under test); the completer waits for that
  // at most max_completer_delay, so a thread that is never scheduled cannot
  // stall the round.
  static constexpr std::chrono::microseconds timeout{50};
  static constexpr std::chrono::microseconds max_completer_delay{2000};

  static bool timed(int tid) { return tid % 2 == 1; }
  static int timed_count(int threads) { return threads / 2; }
  static int plain_count(int threads) { return threads - 1 - timed_count(threads); }

  struct state {
    explicit state(int threads) : threads(threads), results(threads) { registered = map.register_key(key); }
    const int threads;
    Map map;
    bool registered = false;  // written before the threads start, never after
    typename Sync::template atomic<int> timed_returned{0};
    per_thread<Sync, outcome<value_t>> results;
  };

  static void thread(state& s, int tid) {
    if (tid == 0) {
      // Relaxed: only pacing on real threads; the model ignores busy_until.
      Sync::busy_until(
          [&] {
            return s.timed_returned.load(std::memory_order_relaxed) == timed_count(s.threads) &&
                   s.map.waiting(key) >= std::size_t(plain_count(s.threads));
          },
          max_completer_delay);
      s.map.done(key, value_of(key));
      return;
    }
    if (timed(tid)) {
      s.results.set(tid, s.map.wait_for(key, timeout));
      s.timed_returned.fetch_add(1, std::memory_order_relaxed);
    } else {
      s.results.set(tid, s.map.wait(key));
    }
  }

  static void check(state& s) {
    expect_leader<Sync>(s.registered, key);
    for (int t = 1; t < s.results.size(); ++t) {
      const auto& r = s.results.get(t);
      char got[96];
      const bool has_value = r && r->has_value() && r->value() == value_of(key);
      const bool gave_up = r && !r->has_value() && r->error() == wait_error::timed_out;
      if (timed(t))
        expect<Sync>(has_value || gave_up, verdict::wrong_value, "timed waiter %d got %s, expected value %llu or timed_out",
                     t, describe(r, got, sizeof got), static_cast<unsigned long long>(value_of(key)));
      else
        expect<Sync>(has_value, verdict::wrong_value, "waiter %d got %s, expected value %llu", t,
                     describe(r, got, sizeof got), static_cast<unsigned long long>(value_of(key)));
    }
  }
};

}  // namespace oncecheck::scenarios
