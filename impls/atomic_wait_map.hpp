// atomic_wait_map: a C++-native once-map on std::atomic::wait (a futex on
// Linux), lock-free on the read path.
//
// What it models. Not a seed: the design a C++20 programmer reaches for when
// the map must cost no lock to read. An open-addressing hash table
// (power-of-two capacity, linear probing) whose slots are atomic pointers to
// *rounds*: a round is one node holding its key, a 32-bit state word, the
// value, and a count of the callers blocked on it. A key's slot holds its
// newest round. Waiters sleep on the state word itself (after a bounded spin,
// sync::spin_wait); a completer changes the word and calls notify_all.
//
// What changed (issue 14) and why. The design used to be 8 fixed buckets of
// append-only lists: every operation walked every round of its bucket, so it
// cost O(keys) (W4 misses 3.2 us at T=1, 60 us at T=8) and a hit walked a
// list (171 ns against a 1.4 ns floor). The table is now sized to its keys
// (it doubles past half full), a hit is four atomic loads (table, its
// `complete` flag, slot, state) and a hash and key comparison, a miss
// probes a run that stays short as the keys grow, and a failed round is
// replaced in its slot instead of piling up in front of every other key.
//
// Locking protocol. Readers take no lock: get(), wait(), fail(), and the
// first look of register_key() and done() load the table pointer, probe it
// (and the table it is being filled from, see below) and load a slot and a
// state word with acquire loads. Every write of a slot or of the table
// pointer (a new key, a failed round replaced, a step of a migration)
// happens under one mutex, `writer_`; a round's state word is changed only
// by compare-exchange, lock-free. The writer lock orders every migration
// step with every other write: a writer looks a key up in both tables of a
// migration under the lock, so two rounds of one key can never be live (a
// key is inserted into the current table only by a writer that has just
// found it in neither). The lock is held for one probe, a store and a
// bounded migration step (a few slots), never while a table is built
// (on real threads, see "Growth off the lock"); a hit never sees it. Writers
// take it after a bounded spin on try_lock (sync::lock_spinning): two
// threads inserting at once would otherwise put each other to sleep in the
// kernel for a section of tens of nanoseconds.
//
// Timed waits. atomic::wait has no timeout, so wait_for() sleeps on one of a
// small fixed array of stripes (a mutex and a condition variable each,
// picked by the key's hash) until its deadline, re-checking its round's state
// under the stripe lock after every wake-up. A completer (done, fail, close)
// changes the state word and, if the round has sleepers (below), notifies
// the atomic waiters, then takes and drops the stripe's lock before
// notifying its condition variable: a timed waiter that read `pending`
// under the lock is by then asleep on the condition variable, so the
// notify cannot fall between its check and its sleep. One uncontended lock
// per completed round that had a sleeper, never per read. (A model cannot
// let a clock decide, while a timed condition-variable wait can time out in
// any of its schedules.)
//
// State word of a round (phase in the low 2 bits, a wait_error above them
// when the phase is `failed`, `has_sleepers` above them while pending):
//   pending --a caller about to sleep-->  pending | has_sleepers
//   pending[| has_sleepers] --done-->   ready    (final; the value is readable from then on)
//   pending[| has_sleepers] --fail-->   failed   (final; the word carries the error)
//   pending[| has_sleepers] --close-->  closed   (final)
// Every transition is a compare-exchange from a pending word, so done, fail
// and close can race and exactly one wins. register_key leads iff, under
// the writer lock, the key's slot is empty or holds a failed round: it then
// stores a fresh pending round there. Two callers that both saw `failed`
// serialise on the lock and the second finds the first's pending round, so
// one round has one leader. A waiter holds the node of its round, so the
// error it reports is its round's even if the key has been registered again
// since.
//   Sleepers announce themselves; completers wake only when told. A waiter
// whose spin ended with the round pending sets has_sleepers by
// compare-exchange before it sleeps (a timed waiter before it takes the
// stripe lock), and the completer wakes (notify_all, the stripe's lock and
// condition variable) only if the word its compare-exchange replaced had
// the bit. Both are read-modify-writes of the one word, so one comes first
// in its modification order: either the announce comes first and the
// completer's exchange reads the bit, or the completer's does and the
// announce fails, reads the final word and the caller returns without
// sleeping. No wake-up is lost, under any memory order. Why: most rounds
// end with nobody asleep on them (every W4 miss, and every W2 waiter that
// its spin served), and the wake cost each of them a notify_all and the
// stripe's lock, whose line the other core's completions had often taken:
// W4 at T=2 taking 10^6 keys to 2 x 10^6, core ns a miss, median of 9 runs
// alternating the builds, went from 337 to 307 (2026-12-02).
//
// Table and migration. A table is `capacity` slots (a power of two) and a
// key's probe starts at its home slot (see "Placement"). Slots are
// only ever filled (a key keeps its slot in a table for good), so a probe
// ends at the key or at the first empty slot. Before an insert would make
// the map hold more keys than half the current table, the writer publishes
// an empty table twice the size whose `older` is the current one, and the
// rounds move across incrementally: every insert first copies the next
// `migration_step` slots of `older` (cursor_), and the insert that copies
// the last one marks the new table `complete`. A migration never waits for
// the one after it: a table is replaced only once complete (grow finishes
// the copy first, which the step size makes rare: the older table has half
// the slots, and a quarter of the new table's keys must be inserted before
// it is replaced, so a step of 2 would do). Why incremental: copying a
// million keys at once made one insert of W4 at 10^6 keys cost a quarter of
// a second; now each insert pays for a few slots.
//   Why 64 slots a step on real threads: a lookup that misses during a
// migration probes both tables, two random loads where one would do (330
// ns each in a table of 10^7 keys on this project's VM), so the shorter a
// migration the better, while a step is cheap: the top-bits index sends
// block b of `older` to block 2b or 2b + 1 of the new table, so slot i
// lands near slot 2i, and a step reads 1 KiB
// in order and writes about 32 rounds close together. The copying is the
// same in total whatever the step; only the time spent probing twice
// shrinks. A migration now lasts a thirty-second of the inserts between
// two grows (a step of 4 made it half). W4 at scale at 10^6 keys, whose
// runs hold a whole grow, core ns a miss over alternate runs of the
// builds: 1,537 to 2,265 with 4; 664 to 1,067 with 16 (another sitting:
// 928 to 964, once 1,961); 772 to 799 with 64 in that sitting. A model
// copies one slot a step, so a scenario's few keys find a migration half
// done.
//   Growth off the lock (real threads). Building a table is the one slow
// step of an insert: a table of 2^26 slots is 1 GiB whose every page is
// touched as its slots are constructed, 0.4 to 3 s on this project's VM
// (what the host charges for backing fresh memory varies by sitting).
// Built under the writer lock, it stopped every other insert for that long
// (W4 at 10^7 keys: the other thread slept through it, and both threads'
// time counted). So the writer whose insert would make the map more than
// half full, if nobody is building yet, sets `building_`, drops the lock,
// allocates the table, names it in `being_built_` (under the lock), builds
// it, and takes the lock again to publish it (grow) before its own insert;
// meanwhile the others go on inserting into the current table up to three
// quarters full (linear probing stays short there), and only past that
// wait for the new table. Only that builder grows a table on real threads,
// so the one it built is always twice the current one. A model builds the
// table under the lock, as before: the extra unlock would add schedules to
// every scenario for a step that is there only for the time it takes.
//   The others help build it. The slots are constructed in chunks of
// build_chunk_slots, claimed from the table's `build.next_chunk`: the
// builder claims chunks until none is left, every other writer that
// inserts while `being_built_` is set claims one after its insert (with
// the lock let go), and one that must wait claims chunks instead of only
// yielding. The builder publishes the table once `build.chunks_built`
// counts every chunk. Why: with the builder alone, the other thread of W4
// at 10^7 keys ran out of inserts long before the builder, whose build
// (most of it first touch, which two vCPUs do side by side at twice the
// rate of one) kept the run going while a core stood idle. W4 at scale,
// alternate runs of the builds, two runs each (2026-12-02), core ns a
// miss: at 10^7 keys 814 / 655, 984 / 792, 854 / 704 alone against
// 512 / 666, 575 / 386, 497 / 386 helped; at 10^6 325 / 254, 369 / 316,
// 209 / 302 against 210 / 212, 264 / 230, 251 / 197; at 10^4, whose
// table of 2^16 slots is 64 chunks, no change beyond the noise.
//   A key lives in exactly one of the two tables for the writers: in the new
// table once copied or inserted there, in the older one (at or past the
// cursor) until then, and a failed round not yet copied is replaced in the
// older table in place. Nothing is ever removed from the older table, so a
// lookup that loads `complete` (acquire) before probing the new table and
// saw it false, and then misses in the new table, finds the key's round in
// the older one if it was in the map when the probe began; once complete,
// the new table alone holds every key's newest round. A reader still on a
// replaced table reads it as it was: a table is replaced only complete, and
// no writer touches it after, so what it finds was true at some instant of
// its operation.
//
// Placement. From 16 slots up a table is cut into blocks of 8 slots (128
// bytes, two cache lines): a key's block is the top bits of its hash over
// 8 times 2^64/phi (Fibonacci hashing: block numbers that differ only in
// high bits, or count up, still spread over the table), and its slot in
// the block is its hash's low 3 bits. So keys whose hashes differ only there
// (std::hash of consecutive integers: ids, offsets, sequence numbers) sit
// side by side, and a caller inserting such keys in order finds its slots'
// lines in its cache for all but one or two keys in eight, where a slot
// per key at random made each insert a load from memory (about 200 ns at
// 10^6 keys and 350 to 450 at 10^7 on this project's VM, floor.random_load)
// and spread the two threads of W4 over each other's lines. Keys with
// random hashes land at random, as before: a random block and a random slot
// in it. Smaller tables (every model's: a scenario has at most three keys,
// 8 slots) take the top bits of the whole hash times 2^64/phi. What it cost
// in probes, in a scratch simulation of linear probing inserting half a
// table's worth of keys (2^10 to 2^22 slots): W4's keys 1.8 probes an
// insert against 1.2; random keys 1.5 as
// before; the worst of 150 strides (2^e, 2^e + 1, 3 x 2^e, a few odd
// ones) 60 probes against 58 (Fibonacci hashing has bad strides either
// way). What it gained, make bench's distinct_miss/atomic_wait at T=2,
// core ns a miss, two alternate runs of each build (2026-12-02): 310 / 335
// to 157 / 292 with 2^10 keys a thread; at scale 538 / 539 to 343 / 388 at
// 10^4 keys, 825 / 741 to 606 / 619 at 10^6, 1,099 / 1,063 to 897 / 931 at
// 10^7. What is left at scale is mostly first touch: that sitting a fresh
// 4 KiB page cost 10 to 12 us (2.7 s a GiB), and a miss that adds a 64-byte
// node and its share of a grown table faults about 170 bytes.
//
// Table memory. A table's slots come from Sync::allocate_large: from 2 MiB
// up, on real threads, aligned to a huge page, but with no advice to put
// them on one: the advice made W4 at 10^7 keys cost twice as much
// (std_backend.hpp has the figures).
//
// Reclamation. Nothing is freed while a lock-free reader may hold it; the
// hit path pays for no hazard pointer or epoch (either costs a store and a
// fence per read, more than the whole hit). What is kept until the
// destructor, and its bound:
//   - Old tables: each table is half the size of the one that replaced it,
//     so all of them together are smaller than the current table (at most
//     doubling the table memory). They are chained by `older`, and the
//     destructor frees the rounds of the current table and the rounds of
//     `older` not yet copied (at or past the cursor).
//   - Replaced rounds: one node per round that failed and was led again,
//     chained on `retired_` under the writer lock. Failure is the rare path;
//     a hit, a miss and a round that succeeds add nothing here.
// The destructor first closes the map, then frees every round (current
// slots and retired list) once its waiter count reads zero, then every
// table. The models check it: Relacy and the explorer report a leak for
// anything not freed and a use after free for any access after.
//
// Memory ordering.
//   - `table_` (the current table): stored with release under the writer
//     lock after the new table's slots are constructed (off the lock, on
//     real threads, by the same writer: program order puts the
//     construction before its release store); loaded with acquire
//     by every operation, so a reader sees the table's capacity and slots
//     built. A writer reloads it under the lock (the lock orders it).
//   - A table's `build.chunks_built` (real threads): incremented with
//     release by each writer after constructing the slots of the chunk it
//     claimed; the builder loads it with acquire until it counts every
//     chunk, so every slot's construction happens before the builder's
//     release store of `table_`. The claim (`build.next_chunk`) is
//     relaxed: the increment only hands each chunk to one writer. A writer
//     reads `being_built_` under the writer lock; the table it names is
//     freed only by the destructor, so a late helper's claim finds no chunk
//     left and touches nothing else.
//   - A table's `complete`: stored true with release by the writer that
//     copied the last slot of `older`, after every copy's store; a lookup
//     loads it with acquire before its probe, so when it reads true it sees
//     every copy, and the older table need not be probed.
//   - A slot: stored with release under the writer lock after its round is
//     fully built (key, and the value of a round born ready), or, by a
//     migration step, after the writer lock ordered the round's first store
//     before it; loaded with acquire, so a reader sees the round's key and
//     initial state.
//   - A round's `state`: done() writes the value cell, then moves the state
//     pending -> ready with a release compare-exchange; get() and the
//     waiters load the state with acquire and read the value only after they
//     saw `ready`. failed/closed carry no data outside the word; their
//     release is for uniformity only.
//     has_sleepers needs no order of its own: its announce and the
//     completer's exchange are read-modify-writes of the same word, which
//     read the latest value whatever their order (see "State word"); the
//     announce is acquire because the final word it may read instead can be
//     `ready`, after which the waiter reads the value.
//   - `closed_`: close() stores it (seq_cst) and then takes the writer lock to
//     walk the current table; a writer loads it under the writer lock after
//     storing its round. So either the writer's critical section comes
//     first and saw the flag clear (close's walk finds and closes its round)
//     or the writer sees the flag (close's store happened before its lock),
//     closes its own round and does not lead it: no pending round escapes a
//     close, and no round stored after a caller saw the flag has a leader
//     (the explorer's random_programs found that order: program 1252).
//     Lock-free first looks load it with acquire, as a shortcut.
//   - A round's `waiters`: a waiter reads its outcome (copies the value) and
//     only then decrements the count with release; the destructor frees a
//     round only after an acquire load saw zero, so everything the waiter did
//     to the round and its stripe happened before the free. A leaving waiter
//     cannot notify the destructor (the notify would touch memory it may
//     already have freed), so the destructor polls with Sync::yield(); woken
//     waiters leave within microseconds and a close is rare. The increment
//     is relaxed: it orders nothing (waiting() reads it as a diagnostic).
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

#include <algorithm>
#include <array>
#include <bit>
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
#include "sync/spin_wait.hpp"
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
      .leader_failure = "waiters of the round get the error; the next register_key replaces the round in its slot",
  };
  // A model's scenarios use two or three keys: a 2-slot table makes the
  // second key migrate it, so every model cell runs a resize.
  static constexpr std::size_t initial_capacity = Sync::real_time ? 16 : 2;
  // Timed-wait stripes: enough that unrelated timed waiters rarely share one
  // on real threads; under a model, as many as the keys' old buckets so the
  // locks a scenario's keys touch are as independent as before.
  static constexpr std::size_t stripe_count = Sync::real_time ? 64 : 8;
  // Slots of the older table copied by each insert during a migration (see
  // "Table and migration"): 64 on real threads, so a migration is over
  // after a thirty-second of the inserts that may run before the next one
  // (a miss probes two tables only that long) and an insert places about
  // 32 rounds; 1 in a model, so its scenarios' few inserts leave a
  // migration half done and its lookups search both tables.
  static constexpr std::size_t migration_step = Sync::real_time ? 64 : 1;
  // Slots of a placement block (see "Placement"): a key's block from its
  // hash over 8, its slot in the block from the hash's low 3 bits.
  static constexpr unsigned block_bits = 3;
  static constexpr std::size_t block_slots = std::size_t(1) << block_bits;
  // Slots a writer constructs at a time while the next table is built off
  // the lock (real threads, see "Growth off the lock"): 16 KiB, four pages.
  static constexpr std::size_t build_chunk_slots = 1024;

  atomic_wait_map() : table_(make_table(initial_capacity, nullptr)) {}
  atomic_wait_map(const atomic_wait_map&) = delete;
  atomic_wait_map& operator=(const atomic_wait_map&) = delete;

  ~atomic_wait_map() {
    close();
    table* t = table_.load(std::memory_order_acquire);
    for_each_round(t, std::memory_order_acquire, [](node* n) { free_when_left(n); });
    for (node* n = retired_.get(); n;) {
      node* older = n->retired_next.get();
      free_when_left(n);
      n = older;
    }
    while (t) {
      table* older = t->older;
      destroy_table(t);
      t = older;
    }
  }

  bool register_key(const K& key) {
    if (closed_.load(std::memory_order_acquire)) return false;
    const std::size_t h = hash_of(key);
    // Decide without the lock first: the common non-leader path is a probe.
    if (live(find(table_.load(std::memory_order_acquire), key, h))) return false;
    node* fresh = make(key, pending);
    switch (insert_round(key, h, fresh)) {
      case inserted::no: destroy(fresh); return false;
      case inserted::closed: return false;
      case inserted::yes: break;
    }
    Sync::note("register", key, "-> leader, stored a pending round");
    return true;
  }

  void done(const K& key, V value) {
    if (closed_.load(std::memory_order_acquire)) return;
    const std::size_t h = hash_of(key);
    node* n = find(table_.load(std::memory_order_acquire), key, h);
    if (n && phase_of(n->state.load(std::memory_order_acquire)) == pending) {
      // The round's leader owns the value cell until it publishes `ready`;
      // if close() wins the race below, the value is simply never read.
      n->value.mut().emplace(std::move(value));
      settle(stripe_of(h), *n, ready, key, publish_order);
      return;
    }
    if (live(n)) return;  // ready or closed: the key already has its outcome
    // No round in flight (never registered, or the last one failed): store a
    // round that is ready from the start. Private until the slot store.
    node* fresh = make(key, ready);
    fresh->value.mut().emplace(std::move(value));
    if (insert_round(key, h, fresh) == inserted::no) destroy(fresh);
  }

  void fail(const K& key, wait_error error) {
    // Dropped once close() has begun, as done() is: close() ends the round
    // (a timed waiter may already have been told `closed`, see sleep_until).
    if (closed_.load(std::memory_order_acquire)) return;
    const std::size_t h = hash_of(key);
    if (node* n = find(table_.load(std::memory_order_acquire), key, h))
      settle(stripe_of(h), *n, failed | (static_cast<std::uint32_t>(error) << phase_bits), key);
  }

  // The hit path: acquire loads of the table, its `complete` flag, the slot
  // and the state, a hash and a key comparison; no lock, no allocation; the
  // value is copied out once.
  std::optional<V> get(const K& key) const {
    const node* n = find(table_.load(std::memory_order_acquire), key, hash_of(key));
    if (!n || phase_of(n->state.load(std::memory_order_acquire)) != ready) return std::nullopt;
    return n->value.get();
  }

  outcome<V> wait(const K& key) { return wait_until(key, std::nullopt); }

  outcome<V> wait_for(const K& key, std::chrono::nanoseconds timeout) {
    return wait_until(key, Sync::clock::now() + timeout);
  }

  void close() {
    closed_.store(true, std::memory_order_seq_cst);
    typename Sync::unique_lock lock(writer_);
    for_each_round(table_.load(std::memory_order_relaxed), std::memory_order_relaxed, [&](node* n) {
      const K& key = n->key.get();
      settle(stripe_of(hash_of(key)), *n, closed, key);
    });
  }

  // Callers blocked on the key's newest round (a diagnostic: tests wait on
  // it until their waiters are known to be asleep).
  std::size_t waiting(const K& key) const {
    const node* n = find(table_.load(std::memory_order_acquire), key, hash_of(key));
    return n ? n->waiters.load(std::memory_order_relaxed) : 0;
  }

  // The current table's slot count (tests check that it grows).
  std::size_t capacity() const { return table_.load(std::memory_order_acquire)->capacity; }

  // Whether rounds are still being copied into the current table from the
  // one it replaced (tests catch a migration half done).
  bool migrating() const { return !table_.load(std::memory_order_acquire)->complete.load(std::memory_order_acquire); }

 private:
  // Phases of the state word; the error of a failed round sits above them.
  static constexpr std::uint32_t pending = 0, ready = 1, failed = 2, closed = 3;
  static constexpr std::uint32_t phase_bits = 2;
  static constexpr std::uint32_t phase_of(std::uint32_t word) noexcept { return word & ((1u << phase_bits) - 1); }
  // In a pending word only: a caller has announced that it will sleep on
  // the round (see "State word"). The word ending the round drops it.
  static constexpr std::uint32_t has_sleepers = 1u << phase_bits;

  static constexpr std::memory_order publish_order =
      std::is_same_v<Flaw, flaw::relaxed_publish> ? std::memory_order_relaxed : std::memory_order_release;

  // One round of one key. Fields other than the atomics are written only
  // while the node is private (key, the value of a round stored ready), by
  // the round's leader before its release of `ready` (value), or under the
  // writer lock (retired_next, once the round is out of every current slot).
  struct node {
    node(const K& k, std::uint32_t word) : key(k), state(word) {}
    typename Sync::template cell<K> key;                     // immutable once published
    typename Sync::template cell<std::optional<V>> value;    // read only after an acquire load saw `ready`
    typename Sync::template cell<node*> retired_next{nullptr};  // the retired list, under the writer lock
    // The phase word waiters sleep on. 32 bits: the width libstdc++ hands
    // straight to the futex, with no proxy word and no spurious wake-ups
    // from other addresses.
    typename Sync::template atomic<std::uint32_t> state;
    typename Sync::template atomic<std::uint32_t> waiters{0};  // callers inside wait()/wait_for() on this round
  };

  using slot = typename Sync::template atomic<node*>;
  using hash_cell = typename Sync::template cell<std::size_t>;
  // A slot and the hash of its key, side by side: a probe compares the hash
  // before it touches a node, and a migration places a round without
  // touching it (at 10^7 keys each touch is a cache miss). The hash is
  // written before the slot's first store and never again (a key keeps its
  // slot), and read only after an acquire load of the slot saw it filled.
  struct entry {
    slot round{nullptr};
    hash_cell hash{0};
  };

  // How far the construction of a table being built off the lock has got
  // (real threads only, see "Growth off the lock"): its slots are
  // constructed a chunk at a time by whichever writer claims the chunk.
  struct build_progress {
    // The next chunk to claim. Relaxed: the increment only hands out
    // chunks; the counter below orders what is done in them.
    typename Sync::template atomic<std::size_t> next_chunk{0};
    // Chunks whose slots are all constructed: incremented with release by
    // the writer that built the chunk, read with acquire by the builder
    // before it publishes the table.
    typename Sync::template atomic<std::size_t> chunks_built{0};
  };
  struct no_build_progress {};

  // A power-of-two array of slots; immutable but for its slots' fills (and
  // an uncopied failed round replaced in place), and those only while it is
  // the current table or the one being copied into it.
  struct table {
    table(std::size_t c, table* from)
        : capacity(c), shift(static_cast<unsigned>(64 - std::countr_zero(c))), older(from), complete(from == nullptr) {}
    std::size_t capacity;  // a power of two, at least 2
    unsigned shift;        // 64 - log2(capacity), for home_of
    entry* slots = nullptr;
    table* older;  // the table this one replaced, kept until the destructor
    // Every round of `older` has been copied here (true from the start when
    // there is no older table). Until then a lookup that misses here looks
    // in `older` too. See "Table and migration".
    typename Sync::template atomic<bool> complete;
    // Real threads: the construction of the slots, shared by the writers
    // while the table is built off the lock. Absent in a model, whose
    // tables are built whole under the lock.
    [[no_unique_address]] std::conditional_t<Sync::real_time, build_progress, no_build_progress> build;
  };

  // Timed waiters' sleep/wake handshake; guards nothing else.
  struct stripe {
    typename Sync::mutex lock;
    typename Sync::condition_variable cv;
  };

  static std::size_t hash_of(const K& key) { return std::hash<K>{}(key); }
  // The home slot of hash `h` in a table of 2^(64 - shift) slots (see
  // "Placement"): from 16 slots up, block by Fibonacci hashing of h / 8 and
  // slot in it by h % 8; below, Fibonacci hashing of the whole hash.
  static std::size_t home_of(std::size_t h, unsigned shift) {
    constexpr std::uint64_t phi = 0x9E3779B97F4A7C15ull;
    if (shift > 64 - block_bits - 1) return static_cast<std::size_t>((static_cast<std::uint64_t>(h) * phi) >> shift);
    const std::uint64_t block = (static_cast<std::uint64_t>(h) >> block_bits) * phi;
    return static_cast<std::size_t>(block >> (shift + block_bits)) << block_bits | (h & (block_slots - 1));
  }
  stripe& stripe_of(std::size_t h) { return stripes_[h % stripe_count]; }

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
  static void free_when_left(node* n) {
    while (n->waiters.load(std::memory_order_acquire) != 0) Sync::yield();
    destroy(n);
  }

  // An empty table of `capacity` slots that will be filled from `older`
  // (null: none). Private until its pointer is stored.
  static table* make_table(std::size_t capacity, table* older) {
    table* t = allocate_table(capacity, older);
    construct_slots(*t, 0, capacity);
    return t;
  }
  // make_table's memory, its slots not yet constructed (construct_slots).
  static table* allocate_table(std::size_t capacity, table* older) {
    static_assert(alignof(entry) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
    static_assert(alignof(table) <= __STDCPP_DEFAULT_NEW_ALIGNMENT__);
    void* p = Sync::allocate(sizeof(table));
    auto* t = ::new (p) table(capacity, older);
    try {
      t->slots = static_cast<entry*>(Sync::allocate_large(capacity * sizeof(entry)));
    } catch (...) {
      t->~table();
      Sync::deallocate(p);
      throw;
    }
    return t;
  }
  // Constructs slots [from, to) of `t` empty. Constructed with their
  // values: no store, so a model sees no step.
  static void construct_slots(table& t, std::size_t from, std::size_t to) {
    for (std::size_t i = from; i < to; ++i) ::new (&t.slots[i]) entry();
  }
  static void destroy_table(table* t) {
    for (std::size_t i = 0; i < t->capacity; ++i) t->slots[i].~entry();
    Sync::deallocate_large(t->slots, t->capacity * sizeof(entry));
    t->~table();
    Sync::deallocate(t);
  }

  // The key's slot in `t`: where its probe found it, or the empty slot that
  // ends the probe (the table is never full). `found` is what the slot holds.
  static std::size_t probe(const table* t, const K& key, std::size_t h, node*& found, std::memory_order mo) {
    const std::size_t mask = t->capacity - 1;
    for (std::size_t i = home_of(h, t->shift);; i = (i + 1) & mask) {
      node* n = t->slots[i].round.load(mo);
      if (!n || (t->slots[i].hash.get() == h && n->key.get() == key)) {
        found = n;
        return i;
      }
    }
  }

  // The key's newest round in the map whose current table is `t`, or null.
  // `complete` is loaded before the probe: if the copy was over then, `t`
  // alone holds every key (see "Table and migration").
  static node* find(const table* t, const K& key, std::size_t h) {
    const bool complete = t->complete.load(std::memory_order_acquire);
    node* n;
    probe(t, key, h, n, std::memory_order_acquire);
    if (!n && !complete) probe(t->older, key, h, n, std::memory_order_acquire);
    return n;
  }

  // A round that blocks a new one: pending, ready or closed.
  static bool live(const node* n) {
    return n && phase_of(n->state.load(std::memory_order_acquire)) != failed;
  }

  // Stores `fresh` as the key's newest round unless the key has a live one,
  // and says whether it may lead it: not once close() has begun. Takes the
  // writer lock (and on real threads may drop it to build the next table,
  // see make_room): the table and the slot are those of the map's one writer.
  // The flag is loaded after the store, not before: a caller that saw it set
  // answers "not leader" at once, so a round stored after that instant must
  // not get a leader either.
  enum class inserted { yes, no, closed };  // closed: stored, then closed (nobody leads it)
  inserted insert_round(const K& key, std::size_t h, node* fresh) {
    // Real threads: the next table, built by this writer off the lock (see
    // "Growth off the lock"); null whenever the lock is held past make_room.
    table* spare = nullptr;
    for (;;) {
      typename Sync::unique_lock lock = sync::lock_spinning<Sync>(writer_);
      table* t = table_.load(std::memory_order_relaxed);
      if constexpr (Sync::real_time) {
        const room r = make_room(t, spare);
        if (r == room::build) {
          const std::size_t capacity = t->capacity * 2;
          lock.unlock();
          table* next;
          try {
            next = allocate_table(capacity, nullptr);
          } catch (...) {
            lock.lock();
            building_.mut() = false;
            throw;
          }
          lock.lock();
          being_built_.mut() = next;  // from here on the other writers help
          lock.unlock();
          while (build_chunk(*next)) {
          }
          // The chunks other writers claimed may still be under way.
          while (next->build.chunks_built.load(std::memory_order_acquire) != chunks_of(*next)) Sync::yield();
          spare = next;
          continue;
        }
        table* const helping = being_built_.get();
        if (r == room::wait) {
          lock.unlock();
          if (!helping || !build_chunk(*helping)) Sync::yield();
          continue;
        }
        const inserted result = store_round(lock, t, key, h, fresh);
        lock.unlock();
        if (helping) build_chunk(*helping);
        return result;
      } else {
        return store_round(lock, t, key, h, fresh);
      }
    }
  }

  // Real threads, off the lock: constructs the next unclaimed chunk of the
  // slots of `t`, a table being built (see "Growth off the lock"); false
  // when every chunk has been claimed. `t` outlives the call: a table is
  // published only once its chunks are all built, and freed only by the
  // destructor.
  static bool build_chunk(table& t) {
    const std::size_t chunk = t.build.next_chunk.fetch_add(1, std::memory_order_relaxed);
    if (chunk >= chunks_of(t)) return false;
    const std::size_t from = chunk * build_chunk_slots;
    construct_slots(t, from, std::min(t.capacity, from + build_chunk_slots));
    t.build.chunks_built.fetch_add(1, std::memory_order_release);
    return true;
  }
  static std::size_t chunks_of(const table& t) { return (t.capacity + build_chunk_slots - 1) / build_chunk_slots; }

  // insert_round's store, under the writer lock; on real threads make_room
  // has made room in `t` for one more key.
  inserted store_round(typename Sync::unique_lock&, table* t, const K& key, std::size_t h, node* fresh) {
    copy_older(t, migration_step);
    node* old;
    place where = writer_place(t, key, h, old);
    if (live(old)) return inserted::no;
    if (old) {
      // A failed round: replaced in place, kept until the destructor
      // (its waiters, and readers of older tables, may still hold it).
      old->retired_next.mut() = retired_.get();
      retired_.mut() = old;
    } else if (!Sync::real_time && (keys_.get() + 1) * 2 > t->capacity) {
      t = grow(t, nullptr);
      Sync::note("register", key, "-> began migrating to a table twice the size");
      where = writer_place(t, key, h, old);
    }
    if (!old) {
      ++keys_.mut();
      where.t->slots[where.i].hash.mut() = h;
    }
    where.t->slots[where.i].round.store(fresh, std::memory_order_release);
    if (closed_.load(std::memory_order_seq_cst)) {
      // close() has begun: it may have walked the table before this store,
      // and callers that saw the flag already act as if the map were shut.
      // The round is closed here and nobody leads it (see "closed_").
      settle(stripe_of(h), *fresh, closed, key);
      return inserted::closed;
    }
    return inserted::yes;
  }

  // The slot a writer (under the lock) stores the key's next round in, and
  // in `found` what it holds: the key's slot in `t`; else, while `t` is
  // being filled, its slot in the older table if it is there, not yet
  // copied; else the empty slot of `t` that ended the probe.
  struct place {
    table* t;
    std::size_t i;
  };
  place writer_place(table* t, const K& key, std::size_t h, node*& found) {
    const std::size_t i = probe(t, key, h, found, std::memory_order_relaxed);
    if (found || t->complete.load(std::memory_order_relaxed)) return {t, i};
    const std::size_t j = probe(t->older, key, h, found, std::memory_order_relaxed);
    // A copied round is in `t`, so one found here is at or past the cursor.
    return found ? place{t->older, j} : place{t, i};
  }

  // The first empty slot of `t` from the home of hash `h`: where a round
  // whose key `t` does not hold goes. Under the writer lock.
  static std::size_t empty_slot(const table* t, std::size_t h) {
    const std::size_t mask = t->capacity - 1;
    std::size_t i = home_of(h, t->shift);
    while (t->slots[i].round.load(std::memory_order_relaxed)) i = (i + 1) & mask;
    return i;
  }

  // Copies up to `slots` slots of `t`'s older table into `t`, from the
  // cursor, and marks `t` complete after the last. Under the writer lock.
  void copy_older(table* t, std::size_t slots) {
    if (t->complete.load(std::memory_order_relaxed)) return;
    const table* from = t->older;
    std::size_t i = cursor_.get();
    for (const std::size_t end = std::min(from->capacity, i + slots); i < end; ++i) {
      node* n = from->slots[i].round.load(std::memory_order_relaxed);
      if (!n) continue;
      // The key is in no slot of `t` (see writer_place).
      const std::size_t h = from->slots[i].hash.get();
      const std::size_t j = empty_slot(t, h);
      t->slots[j].hash.mut() = h;
      t->slots[j].round.store(n, std::memory_order_release);
    }
    cursor_.mut() = i;
    if (i == from->capacity) t->complete.store(true, std::memory_order_release);
  }

  // Finishes the migration into `t`, then publishes an empty table twice
  // its size to be filled from it: `spare`, built by make_room's writer off
  // the lock (real threads), which is given `t` as its older table before
  // the release store publishes it; or, when null, one made here (models).
  // Under the writer lock.
  table* grow(table* t, table* spare) {
    copy_older(t, t->complete.load(std::memory_order_relaxed) ? 0 : t->older->capacity);
    table* bigger = spare;
    if (bigger) {
      bigger->older = t;
      bigger->complete.store(false, std::memory_order_relaxed);
    } else {
      bigger = make_table(t->capacity * 2, t);
    }
    cursor_.mut() = 0;
    table_.store(bigger, std::memory_order_release);
    return bigger;
  }

  // Real threads, under the writer lock: what insert_round does before it
  // stores into the current table `t` (see "Growth off the lock").
  //   enough  `t` has room for one more key: under half full, or under
  //           three quarters while another writer builds the next table;
  //           or this writer's `spare` was just published as the new `t`.
  //   build   nobody is building the next table: this writer will, off the
  //           lock (building_ is set for it).
  //   wait    `t` is three quarters full and another writer is building
  //           the next table: unlock, help build it (a chunk, or a
  //           yield once none is left to claim) and look again.
  // `spare` is null when it returns. A spare is always wanted and always
  // twice `t`: only its builder grows a table on real threads, and the
  // keys, more than half of `t` when it began, have only grown since.
  enum class room { enough, build, wait };
  room make_room(table*& t, table*& spare) {
    if (spare) {
      building_.mut() = false;
      being_built_.mut() = nullptr;
      t = grow(t, spare);
      spare = nullptr;
      return room::enough;
    }
    const std::size_t next = keys_.get() + 1;
    if (next * 2 <= t->capacity) return room::enough;
    if (!building_.get()) {
      building_.mut() = true;
      return room::build;
    }
    return next * 4 <= t->capacity * 3 ? room::enough : room::wait;
  }

  // Calls f(round) for the newest round of every key of the map whose
  // current table is `t`: the rounds of `t`, then, while `t` is being
  // filled, those of the older table not yet copied (at or past the
  // cursor). Under the writer lock, or with no writer left (the destructor).
  template <class F>
  void for_each_round(table* t, std::memory_order mo, F&& f) {
    const auto walk = [&](table* in, std::size_t from) {
      for (std::size_t i = from; i < in->capacity; ++i)
        if (node* n = in->slots[i].round.load(mo)) f(n);
    };
    walk(t, 0);
    if (!t->complete.load(mo)) walk(t->older, cursor_.get());
  }

  // Ends the round with the final `word` (done: ready; fail; close) if it
  // is still pending, and wakes its sleepers if any announced themselves
  // (see "State word"). done, fail and close race here; one wins. `mo`
  // orders the exchange: release, but for done() under
  // flaw::relaxed_publish.
  void settle(stripe& s, node& n, std::uint32_t word, const K& key,
              std::memory_order mo = std::memory_order_release) {
    static constexpr const char* op_of_phase[] = {"?", "done", "fail", "close"};
    std::uint32_t seen = pending;
    while (!n.state.compare_exchange_strong(seen, word, mo))
      if (phase_of(seen) != pending) return;
    const bool sleepers = seen & has_sleepers;
    Sync::note(op_of_phase[phase_of(word)], key, sleepers ? "-> ended, wakes its sleepers" : "-> ended, nobody asleep");
    if (sleepers) wake(s, n);
  }

  static void wake(stripe& s, node& n) {
    n.state.notify_all();
    { typename Sync::unique_lock lock(s.lock); }
    s.cv.notify_all();
  }

  // Sets has_sleepers in the round's pending word, unless a completer ends
  // the round first; returns the word the caller may then sleep on (its
  // exact value: atomic::wait sleeps only while the word equals it), or the
  // final word. Acquire, for a value published by a `ready` read here.
  static std::uint32_t announce_sleeper(node& n, std::uint32_t word) {
    while (phase_of(word) == pending && !(word & has_sleepers))
      if (n.state.compare_exchange_strong(word, word | has_sleepers, std::memory_order_acquire))
        return word | has_sleepers;
    return word;
  }

  static outcome<V> outcome_of(const node& n, std::uint32_t word) {
    switch (phase_of(word)) {
      case ready: return *n.value.get();
      case failed: return static_cast<wait_error>(word >> phase_bits);
      default: return wait_error::closed;
    }
  }

  outcome<V> wait_until(const K& key, std::optional<typename Sync::clock::time_point> deadline) {
    const std::size_t h = hash_of(key);
    node* n = find(table_.load(std::memory_order_acquire), key, h);
    if (!n) return closed_.load(std::memory_order_acquire) ? wait_error::closed : wait_error::not_registered;
    const std::uint32_t word = n->state.load(std::memory_order_acquire);
    if (phase_of(word) != pending) return outcome_of(*n, word);
    n->waiters.fetch_add(1, std::memory_order_relaxed);
    Sync::note("wait", key, deadline ? "blocks (timed, stripe condvar)" : "blocks (spin, then atomic wait)");
    outcome<V> result = deadline ? sleep_until(stripe_of(h), *n, *deadline, closed_) : sleep(*n);
    Sync::note("wait", key, "returns");
    // The last touch of the round: after it the destructor may free it.
    n->waiters.fetch_sub(1, std::memory_order_release);
    return result;
  }

  // Spins (sync::spin_wait: 20 us on real threads, not at all in a model) so
  // that a round that ends soon costs no kernel sleep, then sleeps on the
  // word it last saw.
  static outcome<V> sleep(node& n) {
    std::uint32_t word = pending;
    if (!sync::spin_wait<Sync>([&] { return phase_of(word = n.state.load(std::memory_order_acquire)) != pending; })) {
      word = announce_sleeper(n, word);
      while (phase_of(word) == pending) {
        n.state.wait(word, std::memory_order_acquire);
        word = n.state.load(std::memory_order_acquire);
      }
    }
    return outcome_of(n, word);
  }

  // Returns with the stripe lock released: the caller's decrement must come
  // after the unlock (see "waiters").
  //
  // A round still pending at the deadline on a closed map is `closed`, not
  // timed_out: it is the round of a register_key that raced close(), and a
  // wait that began after close() returned must see `closed`
  // (random_programs found the timed_out under the explorer's dpor: program 180).
  static outcome<V> sleep_until(stripe& s, node& n, typename Sync::clock::time_point deadline,
                                const typename Sync::template atomic<bool>& closed_flag) {
    if (const std::uint32_t word = announce_sleeper(n, pending); phase_of(word) != pending) return outcome_of(n, word);
    typename Sync::unique_lock lock(s.lock);
    for (;;) {
      std::uint32_t word = n.state.load(std::memory_order_acquire);
      if (phase_of(word) != pending) return outcome_of(n, word);
      if (s.cv.wait_until(lock, deadline) == sync::wait_status::timed_out) {
        word = n.state.load(std::memory_order_acquire);
        if (phase_of(word) != pending) return outcome_of(n, word);
        return closed_flag.load(std::memory_order_seq_cst) ? wait_error::closed : wait_error::timed_out;
      }
    }
  }

  // Two cache lines on real threads: what every operation reads (table_,
  // closed_) and what every insert writes (writer_ and what it guards). On
  // one line, each insert's lock would take the line from every other
  // core's next table_ load: W4 at T=2 paid a cache miss per find for it.
  static constexpr std::size_t line = Sync::real_time ? 64 : alignof(std::max_align_t);
  alignas(line) typename Sync::template atomic<table*> table_;  // the current table; see "Memory ordering"
  typename Sync::template atomic<bool> closed_{false};  // set once by close(); see "Memory ordering"
  alignas(line) mutable typename Sync::mutex writer_;   // every slot and table_ store; see "Locking protocol"
  typename Sync::template cell<std::size_t> keys_{0};   // keys in the map, under writer_
  typename Sync::template cell<std::size_t> cursor_{0};  // next slot of table_->older to copy, under writer_
  typename Sync::template cell<node*> retired_{nullptr};  // replaced rounds, under writer_
  // A writer is building the next table off the lock (real threads only;
  // see "Growth off the lock"), under writer_.
  typename Sync::template cell<bool> building_{false};
  // The table that writer is building, once allocated, so the others can
  // help construct it (real threads only), under writer_.
  typename Sync::template cell<table*> being_built_{nullptr};
  alignas(line) std::array<stripe, stripe_count> stripes_;
};

}  // namespace oncecheck
