// leader_failure: every thread asks for one fresh key once, and whoever leads
// a round fails it, in the way its thread id says:
//   tid % 3 == 0  its compute throws; get_or_compute lets the exception out
//                 after the leader handle has failed the key (leader_failed);
//   tid % 3 == 1  it takes the leader handle with try_lead and returns early
//                 without completing it; the handle's destructor fails the
//                 key (leader_failed);
//   tid % 3 == 2  it takes the handle and cancels: fail(wait_error::cancelled).
// The thread that returns last then asks for the key again with a compute
// that succeeds, and once more after that.
//
// Which way a round fails depends only on which thread wins its
// register_key, so one schedule always takes the same path (Relacy replays
// it) and the schedules between them take all three ways. A thread that
// arrives after a failure may lead the next round; it fails that one too, in
// its own way, so one execution can see several failed rounds and waiters of
// one round still waking while the next is in flight.
//
// What a thread that did not lead may get from its request: the error of a
// failed round (leader_failed or cancelled, whichever a leader of the
// execution used), or not_registered (it arrived after a failure that a
// design such as shared_future answers by forgetting the key). Never a value:
// nothing is computed until every one of these requests has returned. The
// last thread's request comes after every failing round has ended, so it must
// lead, compute and get 2k+1; its request after that must get 2k+1 without a
// compute (the key's failures must not outlive a completed round, and a
// completed round must not be forgotten).
//
// Why the last returner and not a thread that waits for the others: a spin
// would turn a stranded waiter into a spinning thread (livelock) instead of a
// deadlock, and a fourth thread would make the context-bound search far
// longer.
//
// Catches: two leaders of one round in flight at once, or a completed key
// computed again (duplicate_compute, at the moment it happens); a waiter of
// a failed round that is never woken, or a leader handle that does not fail
// the key when it is dropped or unwound (deadlock under Relacy, hang on real
// threads); an error nobody raised, a value nobody computed, or a key that
// cannot be computed after its failures (wrong_value).
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "scenario_support.hpp"

namespace oncecheck::scenarios {

template <class Map, class Sync>
struct leader_failure {
  static constexpr std::string_view name = "leader_failure";
  static constexpr std::string_view summary =
      "the leader throws, returns early or cancels: its waiters get the error, nobody hangs, the key is then "
      "computed once";
  // One thread per way of failing: the first round can fail in any of them,
  // and a failed round can still have a waiter while another thread leads
  // the next one.
  static constexpr int model_threads = 3;
  static constexpr int model_operations = 5;  // three failing requests, then two requests
  static constexpr int min_threads = 3;
  static constexpr key_t key = 1;
  // On real threads a leader holds its round until the others are blocked on
  // it (or this long): a failure that wakes nobody tests nothing.
  static constexpr std::chrono::microseconds max_hold_time{1000};

  enum class way : std::uint8_t { throws, early_return, cancel };
  static way way_of(int tid) { return static_cast<way>(tid % 3); }
  static wait_error error_of(way w) { return w == way::cancel ? wait_error::cancelled : wait_error::leader_failed; }

  // Not a std::exception: nothing between the compute and this scenario may
  // mistake it for one of its own.
  struct compute_failed {};

  struct state {
    explicit state(int threads) : threads(threads), led(threads), first(threads) {}
    const int threads;
    Map map;
    typename Sync::template atomic<int> computes{0};  // successful computes
    typename Sync::template atomic<int> leading{0};   // leaders between their claim and their failure
    typename Sync::template atomic<int> returned{0};
    per_thread<Sync, way> led;                  // how the thread failed the round it led, if it led one
    per_thread<Sync, outcome<value_t>> first;   // what the request gave a thread that did not lead
    typename Sync::template cell<std::optional<outcome<value_t>>> again;  // the last returner's request
    typename Sync::template cell<std::optional<outcome<value_t>>> after;  // and the one after it
  };

  // A leader's work, from its claim to just before it fails the round. Two
  // leaders inside it at once are two fetches of one key in flight: the
  // duplicate compute of a failing round. (Relaxed: a read-modify-write sees
  // the other leader's exit whenever that exit happened before this claim.)
  static void lead_and_give_up(state& s, int tid) {
    const int n = s.leading.fetch_add(1, std::memory_order_relaxed) + 1;
    expect<Sync>(n == 1, verdict::duplicate_compute, "thread %d leads key %llu while another leader's round is in flight",
                 tid, static_cast<unsigned long long>(key));
    Sync::busy_until([&] { return s.map.waiting(key) + 1 >= std::size_t(s.threads); }, max_hold_time);
    s.leading.fetch_sub(1, std::memory_order_relaxed);
  }

  static void failing_request(state& s, int tid) {
    const way w = way_of(tid);
    if (w == way::throws) {
      try {
        s.first.set(tid, get_or_compute(s.map, key, [&]() -> value_t {
                      lead_and_give_up(s, tid);
                      throw compute_failed{};
                    }));
      } catch (const compute_failed&) {
        s.led.set(tid, w);
      }
      return;
    }
    auto lead = try_lead(s.map, key);
    if (!lead) {
      s.first.set(tid, s.map.wait(key));
      return;
    }
    s.led.set(tid, w);
    lead_and_give_up(s, tid);
    if (w == way::cancel) lead->fail(wait_error::cancelled);
    // early_return: the handle goes out of scope incomplete; its destructor
    // is all that stands between the waiters and a hang.
  }

  static outcome<value_t> request(state& s, int tid, const char* which) {
    return get_or_compute(s.map, key, [&] {
      // Relaxed: a counter only, it must not order anything the design does.
      const int n = s.computes.fetch_add(1, std::memory_order_relaxed) + 1;
      expect<Sync>(n == 1, verdict::duplicate_compute, "key %llu computed %d times: thread %d computes it again (%s)",
                   static_cast<unsigned long long>(key), n, tid, which);
      return value_of(key);
    });
  }

  static void thread(state& s, int tid) {
    failing_request(s, tid);
    // acq_rel: the last returner's requests happen after every failing
    // request returned, so after every failing round ended.
    if (s.returned.fetch_add(1, std::memory_order_acq_rel) + 1 != s.threads) return;
    s.again.mut() = request(s, tid, "the first request after the failed rounds");
    s.after.mut() = request(s, tid, "a request after the key was computed");
  }

  static void check(state& s) {
    bool failed_with_leader_failed = false, failed_with_cancelled = false;
    int leaders = 0;
    for (int t = 0; t < s.led.size(); ++t)
      if (const auto& w = s.led.get(t)) {
        ++leaders;
        (error_of(*w) == wait_error::cancelled ? failed_with_cancelled : failed_with_leader_failed) = true;
      }
    expect<Sync>(leaders >= 1, verdict::assert_failed, "nobody led the first round of fresh key %llu",
                 static_cast<unsigned long long>(key));

    char got[96];
    for (int t = 0; t < s.first.size(); ++t) {
      if (s.led.get(t)) continue;
      const auto& r = s.first.get(t);
      const bool ok = r && !r->has_value() &&
                      ((r->error() == wait_error::leader_failed && failed_with_leader_failed) ||
                       (r->error() == wait_error::cancelled && failed_with_cancelled) ||
                       r->error() == wait_error::not_registered);
      expect<Sync>(ok, verdict::wrong_value, "waiter %d got %s; its leaders failed with%s%s and nobody had computed it", t,
                   describe(r, got, sizeof got), failed_with_leader_failed ? " leader_failed" : "",
                   failed_with_cancelled ? " cancelled" : "");
    }

    const int n = s.computes.load(std::memory_order_relaxed);
    expect<Sync>(n <= 1, verdict::duplicate_compute, "key %llu computed %d times", static_cast<unsigned long long>(key), n);
    expect<Sync>(n == 1, verdict::wrong_value, "key %llu was not computed when asked for after its failed rounds",
                 static_cast<unsigned long long>(key));
    const auto& again = s.again.get();
    expect<Sync>(again && again->has_value() && again->value() == value_of(key), verdict::wrong_value,
                 "the request after the failed rounds got %s, expected value %llu", describe(again, got, sizeof got),
                 static_cast<unsigned long long>(value_of(key)));
    const auto& after = s.after.get();
    expect<Sync>(after && after->has_value() && after->value() == value_of(key), verdict::wrong_value,
                 "the request after the compute got %s, expected value %llu", describe(after, got, sizeof got),
                 static_cast<unsigned long long>(value_of(key)));
  }
};

}  // namespace oncecheck::scenarios
