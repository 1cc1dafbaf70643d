// atomic_wait_map: a C++-native once-map on std::atomic::wait (a futex on
// Linux), lock-free on the hit path.
//
// What it models. Not a seed: the design a C++20 programmer reaches for when
// the map must cost no lock to read. A fixed array of buckets, each an
// append-only singly linked list of nodes pushed at the head with a
// compare-exchange. A node is one *round* of one key: its key, a 32-bit state
// word, the value, and a count of the callers blocked on it. Nodes are never
// unlinked or freed while the map lives, so a reader can walk a list with
// plain loads and no hazard pointers, and the head compare-exchange cannot
// meet a recycled address (no ABA). Waiters sleep on the state word itself
// (state.wait(pending)); a completer changes the word and calls notify_all.
//
// Locking protocol. None on the hit path: get(), register_key() and the
// lookup that starts every operation walk a bucket list with atomic loads
// and take no lock. The only lock is one per bucket, `bucket::timed_lock`,
// and it exists for timed waits alone (below).
//
// Timed waits. atomic::wait has no timeout, so wait_for() does not sleep on
// the state word: it sleeps on its bucket's condition variable
// (`bucket::timed_cv`, with `timed_lock`) until its deadline, re-checking
// the node's state under the lock after every wake-up. A completer (done,
// fail, close) changes the state word, notifies the atomic waiters, then
// takes and drops `timed_lock` before notifying the condition variable: a
// timed waiter that read `pending` under the lock is by then asleep on the
// condition variable, so the notify cannot fall between its check and its
// sleep. That is one uncontended lock per completed round, never per read.
// A completion wakes every timed waiter of the bucket; those of other keys
// re-check and sleep again. (A spin-then-yield loop on the clock would have
// worked on real threads, but a model cannot let a clock decide, while
// Relacy's timed condition-variable wait can time out in any schedule.)
//
// State word of a node (phase in the low 2 bits, a wait_error above them
// when the phase is `failed`):
//   pending --done-->   ready    (final; the value is readable from then on)
//   pending --fail-->   failed   (final; the word carries the error)
//   pending --close-->  closed   (final)
// Every transition is a compare-exchange from `pending`, so done, fail and
// close can race and exactly one wins. A key's rounds are its nodes, newest
// first in its bucket: register_key pushes a fresh pending node when the key
// has none or when its newest node failed, and leads iff its push succeeds;
// a push is a compare-exchange on the bucket head against the head it
// walked, so two callers that both saw "failed" cannot both push. A waiter
// holds the node of its round, so the error it reports is its round's even
// if the key has been registered again since. The cost: one node per failed
// round stays allocated until the map is destroyed.
//
// Memory ordering.
//   - Publication of a node: its key, `next` and (for done() without a
//     round) its value are written while the node is private, then the head
//     compare-exchange publishes it (seq_cst, which includes release); every
//     walk starts with an acquire load of the head, and a node's `next` was
//     itself acquired by the pusher's compare-exchange, so a reader sees
//     every node it reaches fully built.
//   - Publication of the value: done() writes the value cell, then moves the
//     state pending -> ready with a release compare-exchange. get() and the
//     waiters load the state with acquire and read the value only after they
//     saw `ready`: the release/acquire pair orders the write before the read.
//     failed/closed carry no data outside the word; their release is for
//     uniformity only.
//   - close() against register_key (a Dekker pair): close stores `closed_`
//     then walks the heads; register_key pushes its node then loads
//     `closed_`. All four are seq_cst, so at least one side sees the other:
//     close finds the node, or register_key finds the flag and closes its
//     own node. No pending node escapes a close.
//   - Leaving: a waiter reads its outcome (copies the value) and only then
//     decrements the node's `waiters` with release; the destructor frees a
//     node only after an acquire load saw its count at zero, so everything
//     the waiter did to the node and to its bucket's lock happened before the
//     free. A leaving waiter cannot notify the destructor (the notify would
//     touch memory it may already have freed), so the destructor polls with
//     Sync::yield(); woken waiters leave within microseconds and a close is
//     rare.
//   - `waiters` otherwise orders nothing (a diagnostic for waiting()): the
//     increment is relaxed.
//
// Destruction: close() moves every pending node to `closed` and wakes its
// waiters (atomic and timed); the destructor then waits, node by node, until
// no waiter is left on it, and frees it.
//
// Flaws (compile-time):
//   flaw::relaxed_publish  done() moves the state to `ready` relaxed (its
//                          publishing compare-exchange, the store that
//                          matters, has memory_order_relaxed instead of
//                          release): a reader on the hit path sees `ready`
//                          without the value write being ordered before its
//                          read. A data race on the value: on a weakly
//                          ordered CPU a stale or torn value; on x86 (TSO)
//                          the hardware happens to keep the order, so only a
//                          race detector (Relacy, TSan) sees it.
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <new>
#include <optional>
#include <string_view>
#include <type_traits>
#include <utility>

#include "once_map.hpp"
#include "sync/std_backend.hpp"

namespace oncecheck {

namespace flaw {
// Its truth: models/expected.tsv rows `atomic_wait relaxed_publish`, tests/pinned_replays.tsv
// rows `atomic_wait relaxed_publish`, README "The designs" (tests/flaw_truth_test.py checks all three).
struct relaxed_publish {
  static constexpr std::string_view name = "relaxed_publish";
  static constexpr std::string_view bug =
      "done publishes `ready` relaxed instead of release: a reader sees ready but the value write is not "
      "ordered before its read (data race on the value)";
};
}  // namespace flaw

template <class K, class V, class Sync = sync::std_backend, class Flaw = flaw::none>
class atomic_wait_map {
 public:
  using key_type = K;
  using value_type = V;
  using flaw_type = Flaw;
  static constexpr std::string_view design_name = "atomic_wait";
  static constexpr capabilities traits{
      .blocking_wait = true,
      .async_wait = false,
      .timeouts = true,
      .allocates_per_waiter = false,
      .on_close = "every waiter returns closed; the destructor waits for them to leave",
      .leader_failure = "waiters of the round get the error; the next register_key starts a new node",
  };
  static constexpr std::size_t bucket_count = 8;

  atomic_wait_map() = default;
  atomic_wait_map(const atomic_wait_map&) = delete;
  atomic_wait_map& operator=(const atomic_wait_map&) = delete;

  ~atomic_wait_map() {
    close();
    for (bucket& b : buckets_) {
      node* n = b.head.load(std::memory_order_acquire);
      while (n) {
        while (n->waiters.load(std::memory_order_acquire) != 0) Sync::yield();
        node* next = n->next.get();
        destroy(n);
        n = next;
      }
    }
  }

  bool register_key(const K& key) {
    if (closed_.load(std::memory_order_acquire)) return false;
    bucket& b = bucket_of(key);
    // Decide without allocating first: the common non-leader path is a walk.
    if (live(find_from(b.head.load(std::memory_order_acquire), key))) return false;
    node* fresh = make(key, pending);
    if (!push_round(b, key, fresh)) {
      destroy(fresh);
      return false;
    }
    if (closed_.load(std::memory_order_seq_cst)) {
      // close() may have walked this bucket before the push: close our own
      // node so that nobody who found it waits forever.
      settle(b, *fresh, closed, key);
      return false;
    }
    Sync::note("register", key, "-> leader, pushed a pending node");
    return true;
  }

  void done(const K& key, V value) {
    if (closed_.load(std::memory_order_acquire)) return;
    bucket& b = bucket_of(key);
    node* n = find_from(b.head.load(std::memory_order_acquire), key);
    if (n && phase_of(n->state.load(std::memory_order_acquire)) == pending) {
      // The round's leader owns the value cell until it publishes `ready`;
      // if close() wins the race below, the value is simply never read.
      n->value.mut().emplace(std::move(value));
      std::uint32_t expected = pending;
      if (n->state.compare_exchange_strong(expected, ready, publish_order)) {
        Sync::note("done", key, "-> ready, notify_all");
        wake(b, *n);
      }
      return;
    }
    if (live(n)) return;  // ready or closed: the key already has its outcome
    // No round in flight (never registered, or the last one failed): publish
    // a node that is ready from the start. Private until the push.
    node* fresh = make(key, ready);
    fresh->value.mut().emplace(std::move(value));
    if (!push_round(b, key, fresh)) destroy(fresh);
  }

  void fail(const K& key, wait_error error) {
    // Dropped once close() has begun, as done() is: close() ends the round
    // (a timed waiter may already have been told `closed`, see sleep_until).
    if (closed_.load(std::memory_order_acquire)) return;
    bucket& b = bucket_of(key);
    if (node* n = find_from(b.head.load(std::memory_order_acquire), key))
      settle(b, *n, failed | (static_cast<std::uint32_t>(error) << phase_bits), key);
  }

  std::optional<V> get(const K& key) const {
    const bucket& b = bucket_of(key);
    const node* n = find_from(b.head.load(std::memory_order_acquire), key);
    if (!n || phase_of(n->state.load(std::memory_order_acquire)) != ready) return std::nullopt;
    return n->value.get();
  }

  outcome<V> wait(const K& key) { return wait_until(key, std::nullopt); }

  outcome<V> wait_for(const K& key, std::chrono::nanoseconds timeout) {
    return wait_until(key, Sync::clock::now() + timeout);
  }

  void close() {
    closed_.store(true, std::memory_order_seq_cst);
    for (bucket& b : buckets_)
      for (node* n = b.head.load(std::memory_order_seq_cst); n; n = n->next.get()) settle(b, *n, closed, n->key.get());
  }

  std::size_t waiting(const K& key) const {
    std::size_t total = 0;
    for (const node* n = bucket_of(key).head.load(std::memory_order_acquire); n; n = n->next.get())
      if (n->key.get() == key) total += n->waiters.load(std::memory_order_relaxed);
    return total;
  }

 private:
  // Phases of the state word; the error of a failed round sits above them.
  static constexpr std::uint32_t pending = 0, ready = 1, failed = 2, closed = 3;
  static constexpr std::uint32_t phase_bits = 2;
  static constexpr std::uint32_t phase_of(std::uint32_t word) noexcept { return word & ((1u << phase_bits) - 1); }

  static constexpr std::memory_order publish_order =
      std::is_same_v<Flaw, flaw::relaxed_publish> ? std::memory_order_relaxed : std::memory_order_release;

  // One round of one key. Fields other than the atomics are written only
  // while the node is private (key, next, the value of a node pushed ready)
  // or by the round's leader before its release of `ready` (value).
  struct node {
    node(const K& k, std::uint32_t word) : key(k), state(word) {}
    typename Sync::template cell<K> key;                   // immutable once published
    typename Sync::template cell<node*> next{nullptr};     // immutable once published
    typename Sync::template cell<std::optional<V>> value;  // read only after an acquire load saw `ready`
    // The phase word waiters sleep on. 32 bits: the width libstdc++ hands
    // straight to the futex, with no proxy word and no spurious wake-ups
    // from other addresses.
    typename Sync::template atomic<std::uint32_t> state;
    typename Sync::template atomic<std::uint32_t> waiters{0};  // callers inside wait()/wait_for() on this node
  };

  struct bucket {
    typename Sync::template atomic<node*> head{nullptr};  // newest node first; only ever pushed
    mutable typename Sync::mutex timed_lock;               // guards nothing but the timed sleep/wake handshake
    typename Sync::condition_variable timed_cv;            // wait_for() sleeps here, with timed_lock
  };

  static node* make(const K& key, std::uint32_t word) {
    static_assert(alignof(node) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
    void* p = Sync::allocate(sizeof(node));
    try {
      return ::new (p) node(key, word);
    } catch (...) {
      Sync::deallocate(p);
      throw;
    }
  }
  static void destroy(node* n) {
    n->~node();
    Sync::deallocate(n);
  }

  bucket& bucket_of(const K& key) { return buckets_[std::hash<K>{}(key) % bucket_count]; }
  const bucket& bucket_of(const K& key) const { return buckets_[std::hash<K>{}(key) % bucket_count]; }

  static node* find_from(node* n, const K& key) {
    for (; n; n = n->next.get())
      if (n->key.get() == key) return n;
    return nullptr;
  }

  // A round that blocks a new one: pending, ready or closed.
  static bool live(const node* n) {
    return n && phase_of(n->state.load(std::memory_order_acquire)) != failed;
  }

  // Pushes `fresh` as the key's newest round unless the key has a live one.
  // The compare-exchange is against the head this walk started from, so any
  // node pushed meanwhile (for any key) makes it walk again.
  bool push_round(bucket& b, const K& key, node* fresh) {
    node* head = b.head.load(std::memory_order_acquire);
    for (;;) {
      if (live(find_from(head, key))) return false;
      fresh->next.mut() = head;
      // seq_cst: one half of the Dekker pair with close() (see above).
      if (b.head.compare_exchange_weak(head, fresh, std::memory_order_seq_cst)) return true;
    }
  }

  // Ends the node's round with `word` if it is still pending.
  void settle(bucket& b, node& n, std::uint32_t word, const K& key) {
    std::uint32_t expected = pending;
    if (!n.state.compare_exchange_strong(expected, word, std::memory_order_release)) return;
    Sync::note(phase_of(word) == closed ? "close" : "fail", key, "-> settled, notify_all");
    wake(b, n);
  }

  void wake(bucket& b, node& n) {
    n.state.notify_all();
    { typename Sync::unique_lock lock(b.timed_lock); }
    b.timed_cv.notify_all();
  }

  static outcome<V> outcome_of(const node& n, std::uint32_t word) {
    switch (phase_of(word)) {
      case ready: return *n.value.get();
      case failed: return static_cast<wait_error>(word >> phase_bits);
      default: return wait_error::closed;
    }
  }

  outcome<V> wait_until(const K& key, std::optional<typename Sync::clock::time_point> deadline) {
    bucket& b = bucket_of(key);
    node* n = find_from(b.head.load(std::memory_order_acquire), key);
    if (!n) return closed_.load(std::memory_order_acquire) ? wait_error::closed : wait_error::not_registered;
    const std::uint32_t word = n->state.load(std::memory_order_acquire);
    if (phase_of(word) != pending) return outcome_of(*n, word);
    n->waiters.fetch_add(1, std::memory_order_relaxed);
    Sync::note("wait", key, deadline ? "blocks (timed, bucket condvar)" : "blocks (atomic wait)");
    outcome<V> result = deadline ? sleep_until(b, *n, *deadline, closed_) : sleep(*n);
    Sync::note("wait", key, "returns");
    // The last touch of the node: after it the destructor may free it.
    n->waiters.fetch_sub(1, std::memory_order_release);
    return result;
  }

  static outcome<V> sleep(node& n) {
    std::uint32_t word = n.state.load(std::memory_order_acquire);
    while (phase_of(word) == pending) {
      n.state.wait(word, std::memory_order_acquire);
      word = n.state.load(std::memory_order_acquire);
    }
    return outcome_of(n, word);
  }

  // Returns with timed_lock released: the caller's decrement must come after
  // the unlock (see "Leaving").
  //
  // A round still pending at the deadline on a closed map is `closed`, not
  // timed_out: it is the node of a register_key that raced close() (pushed
  // after close() walked its bucket, about to settle it itself), and a wait
  // that began after close() returned must see `closed` (random_programs
  // found the timed_out under the explorer's dpor: program 180).
  static outcome<V> sleep_until(bucket& b, node& n, typename Sync::clock::time_point deadline,
                                const typename Sync::template atomic<bool>& closed_flag) {
    typename Sync::unique_lock lock(b.timed_lock);
    for (;;) {
      std::uint32_t word = n.state.load(std::memory_order_acquire);
      if (phase_of(word) != pending) return outcome_of(n, word);
      if (b.timed_cv.wait_until(lock, deadline) == sync::wait_status::timed_out) {
        word = n.state.load(std::memory_order_acquire);
        if (phase_of(word) != pending) return outcome_of(n, word);
        return closed_flag.load(std::memory_order_seq_cst) ? wait_error::closed : wait_error::timed_out;
      }
    }
  }

  std::array<bucket, bucket_count> buckets_;
  typename Sync::template atomic<bool> closed_{false};  // set once by close(); see "Memory ordering"
};

}  // namespace oncecheck
