// sharded_entry_map: uv's OnceMap after PR 1183 (seed 000), as a once-map.
//
// What it models. uv replaced the `WaitMap` crate with
//     DashMap<K, Value<V>>,  enum Value<V> { Waiting(Arc<Notify>), Filled(Arc<V>) }
// DashMap is a fixed array of shards, each an RwLock over a HashMap; a key
// hashes to one shard, and `entry()` / `get()` hand out a guard that keeps
// the shard's write / read lock until it is dropped. Here: `shard_count`
// shards, each a Sync::shared_mutex over an unordered_map<K, slot>, and a
// per-key notify (impls/notify.hpp, tokio `Notify` semantics) shared by the
// slot and by its waiters.
//
// Locking protocol.
//   shard::lock   guards shard::slots (the table and its closed flag).
//                 register_key, done, fail and close take it for writing
//                 (DashMap's `entry`); get, wait and waiting take it for
//                 reading (DashMap's `get`). Nobody takes two shard locks at once, and nobody
//                 takes one while waiting or while computing a value.
//   notify        has its own mutex, taken after a shard lock (never before):
//                 a waiter enables its listener while it still holds the
//                 shard's read guard. done(), fail() and close() notify only
//                 after dropping the shard guard: a woken waiter re-reads the
//                 slot and would otherwise block on the guard its waker
//                 still holds.
// Why the listener is enabled under the guard: the completer needs the
// shard's write lock to publish, so it cannot publish between the waiter's
// look at the slot and its listener; a notify_waiters() that stores no permit
// then can never fall into a gap. The waiter drops the guard before it
// blocks, so the completer can get in.
//
// State transitions of a slot (under shard::lock, written): the table of
// impls/notify_slots.hpp, which notify_map shares (uv's Value::Waiting is
// `pending` there, Filled is `ready`): (none) -register-> pending -done->
// ready (final); pending -fail-> failed -register-> pending (a new round);
// pending, failed -close-> closed (final). A waiter remembers the slot's
// failure count when it first sees it; a change means its round ended in
// failure even if a new round has started since.
//
// Tasks. wait_async() follows the same protocol with the task parked on an
// async listener of the notify (tokio's `Notified`), linked under the guard;
// the guard is dropped before the task parks, so the shard is never held
// across the suspension (under the flaw it is: see below).
//
// Destruction. The destructor is close(): every blocked waiter is woken with
// `closed` through the notify it holds its own reference to, and returns
// without touching the map again.
//
// Flaws (compile-time, the real bugs of seed 000):
//   flaw::entry_held_across_wait  the waiter keeps the shard guard (read lock)
//                                 while it waits: the completer needs the
//                                 write lock to publish -> deadlock (the
//                                 `WaitMap` hang: a reference into the map
//                                 held across an await).
//   flaw::get_while_entry_held    register_key calls the map's own get() on
//                                 the key while it holds the entry (write
//                                 guard) of the same shard -> self-deadlock
//                                 (BurntSushi's reading of DashMap's warning).
//   flaw::no_wake_on_drop         close() and the destructor drop the slots
//                                 without waking anyone: blocked waiters wait
//                                 forever (konstin's "waiters left behind
//                                 when the map is dropped").
#pragma once

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "notify_slots.hpp"
#include "once_map.hpp"
#include "task.hpp"
#include "sync/std_backend.hpp"

namespace oncecheck {

namespace flaw {
// Its truth: models/expected.tsv rows `sharded_entry entry_held_across_wait`, tests/pinned_replays.tsv
// rows `sharded_entry entry_held_across_wait`, README "The designs" (tests/flaw_truth_test.py checks all three).
struct entry_held_across_wait {
  static constexpr std::string_view name = "entry_held_across_wait";
  static constexpr std::string_view bug =
      "the waiter holds the shard's read guard while it waits: the completer cannot take the write lock to "
      "publish";
};
// Its truth: models/expected.tsv rows `sharded_entry get_while_entry_held`, tests/pinned_replays.tsv
// rows `sharded_entry get_while_entry_held`, README "The designs" (tests/flaw_truth_test.py checks all three).
struct get_while_entry_held {
  static constexpr std::string_view name = "get_while_entry_held";
  static constexpr std::string_view bug =
      "register_key calls get() on its own shard while holding the entry (write guard): it waits for itself";
};
// Its truth: models/expected.tsv rows `sharded_entry no_wake_on_drop`, tests/pinned_replays.tsv
// rows `sharded_entry no_wake_on_drop`, README "The designs" (tests/flaw_truth_test.py checks all three).
struct no_wake_on_drop {
  static constexpr std::string_view name = "no_wake_on_drop";
  static constexpr std::string_view bug =
      "close/drop discards the slots without notifying: blocked waiters are left behind forever";
};
}  // namespace flaw

template <class K, class V, class Sync = sync::std_backend, class Flaw = flaw::none>
class sharded_entry_map {
 public:
  using key_type = K;
  using value_type = V;
  using flaw_type = Flaw;
  static constexpr std::string_view design_name = "sharded_entry";
  static constexpr std::size_t shard_count = 8;
  static constexpr capabilities traits{
      .blocking_wait = true,
      .async_wait = true,
      .timeouts = true,
      .allocates_per_waiter = false,
      .on_close = "every waiter returns closed",
      .leader_failure = "waiters of the round get the error; the key can be registered again",
  };

  sharded_entry_map() = default;
  sharded_entry_map(const sharded_entry_map&) = delete;
  sharded_entry_map& operator=(const sharded_entry_map&) = delete;
  ~sharded_entry_map() { close(); }

  bool register_key(const K& key) {
    shard& sh = shard_for(key);
    typename Sync::write_lock entry(sh.lock);
    if constexpr (std::is_same_v<Flaw, flaw::get_while_entry_held>) {
      // "Is the value already there?" asked through the public get(), which
      // wants the read lock of the shard this thread holds for writing.
      Sync::note("register", key, "holds the entry, calls get() on the same shard");
      if (get(key)) return false;
    }
    return sh.slots.lead(key);
  }

  void done(const K& key, V value) {
    wake_ref wake;
    {
      shard& sh = shard_for(key);
      typename Sync::write_lock entry(sh.lock);
      wake = sh.slots.fill(key, std::move(value));
    }
    slots_type::notify_waiters(wake, "done", key, "notify_waiters (shard guard dropped)");
  }

  void fail(const K& key, wait_error error) {
    wake_ref wake;
    {
      shard& sh = shard_for(key);
      typename Sync::write_lock entry(sh.lock);
      wake = sh.slots.fail(key, error);
    }
    slots_type::notify_waiters(wake, "fail", key, "notify_waiters (shard guard dropped)");
  }

  std::optional<V> get(const K& key) const {
    const shard& sh = shard_for(key);
    typename Sync::read_lock guard(sh.lock);
    return sh.slots.get(key);
  }

  outcome<V> wait(const K& key) { return wait_until(key, std::nullopt); }

  outcome<V> wait_for(const K& key, std::chrono::nanoseconds timeout) {
    return wait_until(key, Sync::clock::now() + timeout);
  }

  void close() {
    constexpr bool drop_silently = std::is_same_v<Flaw, flaw::no_wake_on_drop>;
    for (shard& sh : shards_) {
      std::vector<wake_ref> wakes;
      {
        typename Sync::write_lock entry(sh.lock);
        sh.slots.close(wakes, drop_silently ? "-> closed, its notify dropped without waking anyone" : "-> closed");
      }
      // Under the flaw the map's Arc<Notify> clones just die here, as they do
      // when uv's DashMap is dropped; the waiters' own clones are never told.
      if constexpr (!drop_silently)
        for (auto& w : wakes) w->close();
    }
  }

  std::size_t waiting(const K& key) const {
    const shard& sh = shard_for(key);
    typename Sync::read_lock guard(sh.lock);
    return sh.slots.waiting(key);
  }

 private:
  using slots_type = notify_slots<K, V, Sync>;
  using notify_type = typename slots_type::notify_type;
  using wake_ref = typename slots_type::wake_ref;

  struct shard {
    mutable typename Sync::shared_mutex lock;
    slots_type slots;  // guarded by lock
  };

  shard& shard_for(const K& key) { return shards_[std::hash<K>{}(key) % shard_count]; }
  const shard& shard_for(const K& key) const { return shards_[std::hash<K>{}(key) % shard_count]; }

  // The waiter (a thread, or a parked `task`) is about to sleep with its
  // listener enabled under `guard`: it drops the guard so the completer can
  // take the write lock, except under flaw::entry_held_across_wait (uv's
  // WaitMap hang: a reference into the map held across an .await).
  static void before_sleep(typename Sync::read_lock& guard, bool task, const K& key) {
    const char* op = task ? "wait_async" : "wait";
    if constexpr (std::is_same_v<Flaw, flaw::entry_held_across_wait>) {
      Sync::note(op, key, task ? "parks holding the shard's read guard" : "blocks holding the shard's read guard");
    } else {
      guard.unlock();
      Sync::note(op, key, task ? "parks (listener linked, guard dropped)" : "blocks (listener enabled, guard dropped)");
    }
  }

  // Each round of a blocked thread's wait: look under the read guard, enable
  // the listener under it (see the header), drop it, sleep. A parked task
  // (wait_async) walks the same steps.
  outcome<V> wait_until(const K& key, std::optional<typename Sync::clock::time_point> deadline) {
    shard& sh = shard_for(key);
    std::optional<std::uint64_t> round;
    for (;;) {
      typename Sync::read_lock guard(sh.lock);
      wake_ref wake;
      if (auto r = sh.slots.look(key, round, &wake)) return *r;
      const typename notify_type::listener listener = wake->enable();  // under the guard: see the header
      before_sleep(guard, false, key);
      if (auto r = slots_type::ended_by(deadline ? wake->wait_until(listener, *deadline) : wake->wait(listener),
                                        "wait", key))
        return *r;
    }
  }

 public:
  // The async twin of wait(): the same protocol, the task parked on an
  // async listener of the round's notify instead of a thread on the
  // notify's condition variable. Under flaw::entry_held_across_wait the
  // task stays parked with the shard's read guard alive: any task that
  // needs the shard for writing then blocks its worker for good.
  task<outcome<V>> wait_async(K key) {
    const waker me = co_await current_waker{};
    shard& sh = shard_for(key);
    std::optional<std::uint64_t> round;
    for (;;) {
      typename Sync::read_lock guard(sh.lock);
      wake_ref wake;
      if (auto r = sh.slots.look(key, round, &wake)) co_return *r;
      typename notify_type::async_listener listener(*wake, me);  // under the guard: see the header
      before_sleep(guard, true, key);
      std::optional<typename notify_type::wake> why;
      while (!(why = listener.fired())) co_await park{};
      if (auto r = slots_type::ended_by(*why, "wait_async", key)) co_return *r;
    }
  }

 private:
  std::array<shard, shard_count> shards_;
};

}  // namespace oncecheck
