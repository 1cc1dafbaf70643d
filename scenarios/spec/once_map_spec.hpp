// The contract of impls/once_map.hpp as a sequential specification: the
// state of one key, and which results each operation may give from it.
//
// Per key (keys are independent; see "close" below for why that holds):
//   absent                 nobody ever registered it
//   pending, round n       register_key made a leader (rounds count from 1)
//   ready v                a leader's done(v); final
//   failed e               the leader failed the round with e (or dropped
//                          its handle: leader_failed); may be registered again
//   shut                   the pending round was ended by close(); final
// plus `closed` (close reached this key) and, for every round, how it ended
// (open, value, error, closed): a waiter's result is its own round's.
//
// Operations, each linearized at one point inside its interval except wait:
//   register_key -> true   iff not closed and absent or failed: round n+1,
//                          pending. -> false otherwise, or (two points) it
//                          started a round that nobody leads and, once the
//                          key is closed, ended it with `closed` itself
//                          (atomic_wait: its push raced close()). (Two leaders of one
//                          round, or a leader after the value was published,
//                          cannot be ordered: the checker names it a
//                          duplicate_compute.)
//   done(v), fail(e)       by the round's leader: end the pending round; on a
//                          shut round a no-op (the map was closed under the
//                          leader); between close's two points either.
//                          Anything else is not allowed.
//   get -> v               iff ready v; -> none iff not ready. Never blocks.
//   close (per key)        two points: `begin` sets closed (no leader from
//                          then on; the pending round's done/fail may be
//                          dropped: condvar refuses them by the map's flag
//                          before it reaches the key's entry), `end` makes a
//                          pending round shut.
//   wait / wait_for        two points, `join` then `leave`, both inside the
//                          call's interval. At join:
//                            ready v         -> v (after close also `closed`:
//                                               intrusive answers every wait
//                                               on a closed map with closed)
//                            closed          -> closed (failed e: also e;
//                                               atomic_wait keeps a failed
//                                               round failed through close)
//                            pending, closed -> closed at once (close()
//                                               has begun: the map's flag)
//                            absent          -> not_registered
//                            failed e        -> e or not_registered
//                                               (shared_future forgets a
//                                               failed key)
//                            pending round n -> joins round n, and at leave:
//                              round n ended with v       -> v
//                              round n shut by close      -> closed
//                              round n failed with e      -> e, the error of a
//                                  later failed round of the key, or closed if
//                                  the key is closed by then (designs keep
//                                  only the last error: a waiter that wakes
//                                  late reads the key as it is then)
//                              round n still pending      -> timed_out, and
//                                  only from wait_for
//                          A blocking call may linearize anywhere in its
//                          interval: it returns a result some state inside
//                          the interval allows, and a waiter that joined a
//                          round gets that round's outcome, not a later
//                          round's value (values are unique per key, round
//                          and caller, so a stale or foreign value shows).
//
// Why per key. close() is not one atomic step in every design: sharded_entry
// closes shard after shard, so a register_key on a later shard can still
// lead after a register_key on an earlier one was refused. The contract only
// says that waits after close() returned see `closed`; so close is one point
// per key, each anywhere inside close()'s interval. Then every operation
// touches one key, the keys' states are independent, and a history is
// linearizable iff each key's sub-history is (linearizability is local).
//
// What it does not say: when a blocked waiter must return. A waiter that
// never returns is the engines' verdict (deadlock under Relacy, hang on real
// threads), not a history's.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>

#include "history.hpp"

namespace oncecheck::spec {

// How a round ended, as its waiters see it.
struct round_end {
  enum class kind : std::uint8_t { open, value, error, closed };
  kind how = kind::open;
  wait_error error = wait_error::leader_failed;
  value_t value = 0;
};

class key_spec {
 public:
  enum class phase : std::uint8_t { absent, pending, ready, failed, shut };
  // More rounds than this in one key's history: the checker refuses it
  // (generated programs stay far below).
  static constexpr int max_rounds = 24;

  phase state() const { return phase_; }
  int rounds() const { return rounds_; }
  bool closed() const { return closed_; }

  bool register_key(bool result) {
    const bool may_lead = !closed_ && (phase_ == phase::absent || phase_ == phase::failed);
    if (result != may_lead) return false;
    if (!result) return true;
    if (rounds_ == max_rounds) return false;
    ends_[std::size_t(rounds_++)] = {};
    phase_ = phase::pending;
    return true;
  }

  // Between close()'s two points a pending round's done/fail may be
  // dropped (condvar refuses it by the map's flag) or still take effect
  // (atomic_wait checks the flag before its compare-exchange publishes):
  // `in_window_effect` picks the second; the checker tries both.
  bool closing_window() const { return closed_ && phase_ == phase::pending; }

  bool done(value_t v, bool in_window_effect = false) {
    if (phase_ == phase::shut || (closing_window() && !in_window_effect)) return true;  // closed under the leader
    if (phase_ != phase::pending) return false;
    phase_ = phase::ready;
    value_ = v;
    current() = {round_end::kind::value, wait_error::leader_failed, v};
    return true;
  }

  bool fail(wait_error e, bool in_window_effect = false) {
    if (phase_ == phase::shut || (closing_window() && !in_window_effect)) return true;
    if (phase_ != phase::pending) return false;
    phase_ = phase::failed;
    error_ = e;
    current() = {round_end::kind::error, e, 0};
    return true;
  }

  bool get(bool has_value, value_t v) const {
    if (phase_ != phase::ready) return !has_value;
    return has_value && v == value_;
  }

  // close() reaches a key in two steps. From the first, nobody may lead it
  // and its leader's done()/fail() may be dropped; its pending round stays
  // pending for waiters (they may join it and time out) until the second,
  // which ends it with `closed`.
  void close_begin() { closed_ = true; }
  void close_end() {
    if (phase_ == phase::pending) {
      phase_ = phase::shut;
      current() = {round_end::kind::closed, wait_error::closed, 0};
    }
  }
  void close() {
    close_begin();
    close_end();
  }

  // A register_key that did not lead, first point: 0 if the key refuses a
  // leader here (pending, ready, closed); -1 if it does not. Or it pushed a
  // round of its own and then found the map closed and ended that round
  // itself (atomic_wait's Dekker pair with close): `phantom` says to start
  // that round here; its second point, refused_end, must then find the key
  // closed.
  int refused(bool phantom) {
    const bool may_lead = !closed_ && (phase_ == phase::absent || phase_ == phase::failed);
    if (!phantom) return may_lead ? -1 : 0;
    if (!may_lead || rounds_ == max_rounds) return -1;
    ends_[std::size_t(rounds_++)] = {};
    phase_ = phase::pending;
    return rounds_;
  }
  bool refused_end(int n) {
    if (!closed_) return false;
    if (phase_ == phase::pending && rounds_ == n) {
      phase_ = phase::shut;
      current() = {round_end::kind::closed, wait_error::closed, 0};
    }
    return true;
  }

  // The join point of a wait: 0 if the call may return `r` right here (it
  // then leaves at once), the round it joins (1-based) if the key is pending
  // and the outcome will be that round's, -1 if `r` is impossible here.
  int join(const outcome<value_t>& r) const {
    switch (phase_) {
      case phase::pending:
        // Between close()'s two points a waiter may already answer `closed`
        // (it read the map's flag: condvar, shared_future) while others still
        // find the round pending; after the second, every wait does.
        if (closed_ && !r.has_value() && r.error() == wait_error::closed) return 0;
        return rounds_;
      case phase::ready:
        if (r.has_value()) return r.value() == value_ ? 0 : -1;
        return closed_ && r.error() == wait_error::closed ? 0 : -1;
      default: break;
    }
    if (r.has_value()) return -1;
    const wait_error e = r.error();
    if (closed_) return e == wait_error::closed || (phase_ == phase::failed && e == error_) ? 0 : -1;
    if (phase_ == phase::absent) return e == wait_error::not_registered ? 0 : -1;
    // failed
    return e == error_ || e == wait_error::not_registered ? 0 : -1;
  }

  // The leave point of a wait that joined round `n`.
  bool leave(int n, const outcome<value_t>& r, bool timed) const {
    const round_end& end = ends_[std::size_t(n - 1)];
    switch (end.how) {
      case round_end::kind::open: return timed && !r.has_value() && r.error() == wait_error::timed_out;
      case round_end::kind::value: return r.has_value() && r.value() == end.value;
      case round_end::kind::closed: return !r.has_value() && r.error() == wait_error::closed;
      case round_end::kind::error: break;
    }
    if (r.has_value()) return false;
    const wait_error e = r.error();
    if (e == end.error) return true;
    if (e == wait_error::closed) return closed_;
    for (int later = n; later < rounds_; ++later)
      if (ends_[std::size_t(later)].how == round_end::kind::error && ends_[std::size_t(later)].error == e) return true;
    return false;
  }

  // The bytes that make two states equal (for the checker's memo).
  template <class Out>
  void fingerprint(Out& out) const {
    out.push_back(std::uint64_t(phase_) | std::uint64_t(closed_) << 8 | std::uint64_t(rounds_) << 16 |
                  std::uint64_t(error_) << 32);
    out.push_back(value_);
    for (int i = 0; i < rounds_; ++i) {
      const round_end& e = ends_[std::size_t(i)];
      out.push_back(std::uint64_t(e.how) | std::uint64_t(e.error) << 8);
      out.push_back(e.value);
    }
  }

 private:
  round_end& current() { return ends_[std::size_t(rounds_ - 1)]; }

  phase phase_ = phase::absent;
  bool closed_ = false;
  int rounds_ = 0;
  value_t value_ = 0;                          // when ready
  wait_error error_ = wait_error::leader_failed;  // when failed: the last round's error
  std::array<round_end, max_rounds> ends_{};
};

}  // namespace oncecheck::spec
