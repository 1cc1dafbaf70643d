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
//   shard::lock   guards shard::slots and shard::closed. register_key, done,
//                 fail and close take it for writing (DashMap's `entry`);
//                 get, wait and waiting take it for reading (DashMap's
//                 `get`). Nobody takes two shard locks at once, and nobody
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
// State transitions of a slot (under shard::lock, written):
//   (none)   --register_key-->  waiting   (the caller is the leader; a fresh
//                                          notify for the round)
//   waiting  --done-->          filled    (final; the value stays)
//   (none)   --done-->          filled    (done without register publishes)
//   waiting  --fail-->          failed    (failures += 1; the round's waiters
//                                          get the error)
//   failed   --register_key-->  waiting   (a new round, a new notify)
//   waiting, failed --close-->  closed    (final)
// A waiter remembers `failures` when it first sees the slot; a change means
// its round ended in failure even if a new round has started since.
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

#include "notify.hpp"
#include "once_map.hpp"
#include "task.hpp"
#include "sync/std_backend.hpp"

namespace oncecheck {

namespace flaw {
struct entry_held_across_wait {
  static constexpr std::string_view name = "entry_held_across_wait";
  static constexpr std::string_view bug =
      "the waiter holds the shard's read guard while it waits: the completer cannot take the write lock to "
      "publish";
};
struct get_while_entry_held {
  static constexpr std::string_view name = "get_while_entry_held";
  static constexpr std::string_view bug =
      "register_key calls get() on its own shard while holding the entry (write guard): it waits for itself";
};
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
    if (sh.closed.get()) return false;
    auto [it, inserted] = sh.slots.mut().try_emplace(key);
    slot& s = it->second;
    if (!inserted && s.state != phase::failed) return false;
    s.state = phase::waiting;
    s.wake = std::make_shared<notify_type>();
    Sync::note("register", key, "-> waiting, leader");
    return true;
  }

  void done(const K& key, V value) {
    std::shared_ptr<notify_type> wake;
    {
      shard& sh = shard_for(key);
      typename Sync::write_lock entry(sh.lock);
      if (sh.closed.get()) return;
      slot& s = sh.slots.mut()[key];
      if (s.state == phase::filled || s.state == phase::closed) return;
      s.state = phase::filled;
      s.value.emplace(std::move(value));
      wake = std::move(s.wake);
      Sync::note("done", key, "-> filled");
    }
    if (wake) {
      Sync::note("done", key, "notify_waiters (shard guard dropped)");
      wake->notify_waiters();
    }
  }

  void fail(const K& key, wait_error error) {
    std::shared_ptr<notify_type> wake;
    {
      shard& sh = shard_for(key);
      typename Sync::write_lock entry(sh.lock);
      auto& slots = sh.slots.mut();
      auto it = slots.find(key);
      if (it == slots.end() || it->second.state != phase::waiting) return;
      slot& s = it->second;
      s.state = phase::failed;
      s.error = error;
      ++s.failures;
      wake = std::move(s.wake);
      Sync::note("fail", key, "-> failed");
    }
    if (wake) {
      Sync::note("fail", key, "notify_waiters (shard guard dropped)");
      wake->notify_waiters();
    }
  }

  std::optional<V> get(const K& key) const {
    const shard& sh = shard_for(key);
    typename Sync::read_lock guard(sh.lock);
    const auto& slots = sh.slots.get();
    auto it = slots.find(key);
    if (it == slots.end() || it->second.state != phase::filled) return std::nullopt;
    return it->second.value;
  }

  outcome<V> wait(const K& key) { return wait_until(key, std::nullopt); }

  outcome<V> wait_for(const K& key, std::chrono::nanoseconds timeout) {
    return wait_until(key, Sync::clock::now() + timeout);
  }

  void close() {
    for (shard& sh : shards_) {
      std::vector<std::shared_ptr<notify_type>> wakes;
      {
        typename Sync::write_lock entry(sh.lock);
        sh.closed.mut() = true;
        for (auto& [k, s] : sh.slots.mut()) {
          if (s.state != phase::waiting && s.state != phase::failed) continue;
          s.state = phase::closed;
          if (s.wake) wakes.push_back(std::move(s.wake));
          if constexpr (std::is_same_v<Flaw, flaw::no_wake_on_drop>)
            Sync::note("close", k, "-> closed, its notify dropped without waking anyone");
          else
            Sync::note("close", k, "-> closed");
        }
      }
      // Under the flaw the map's Arc<Notify> clones just die here, as they do
      // when uv's DashMap is dropped; the waiters' own clones are never told.
      if constexpr (!std::is_same_v<Flaw, flaw::no_wake_on_drop>)
        for (auto& w : wakes) w->close();
    }
  }

  std::size_t waiting(const K& key) const {
    const shard& sh = shard_for(key);
    typename Sync::read_lock guard(sh.lock);
    const auto& slots = sh.slots.get();
    auto it = slots.find(key);
    if (it == slots.end() || !it->second.wake) return 0;
    return it->second.wake->waiting();
  }

 private:
  using notify_type = notify<Sync>;

  enum class phase : std::uint8_t { waiting, filled, failed, closed };

  struct slot {
    phase state = phase::waiting;
    std::shared_ptr<notify_type> wake;             // the round's notify while waiting
    std::optional<V> value;                        // set once, when filled
    wait_error error = wait_error::leader_failed;  // why the last round failed
    std::uint64_t failures = 0;                    // rounds ended by fail()
  };

  struct shard {
    mutable typename Sync::shared_mutex lock;
    typename Sync::template cell<std::unordered_map<K, slot>> slots;  // guarded by lock
    typename Sync::template cell<bool> closed{false};                 // guarded by lock
  };

  shard& shard_for(const K& key) { return shards_[std::hash<K>{}(key) % shard_count]; }
  const shard& shard_for(const K& key) const { return shards_[std::hash<K>{}(key) % shard_count]; }

  // The answer a waiter of round `round` gets from slot `s`, if it need not wait.
  static std::optional<outcome<V>> settled(const slot& s, std::uint64_t round) {
    switch (s.state) {
      case phase::filled: return outcome<V>(*s.value);
      case phase::closed: return outcome<V>(wait_error::closed);
      case phase::failed: return outcome<V>(s.error);
      case phase::waiting:
        if (s.failures != round) return outcome<V>(s.error);  // ours failed, a new round began
        return std::nullopt;
    }
    return std::nullopt;
  }

  // With sh.lock held (read): the answer, or the notify of the round to
  // listen on. `round` is set on the first look.
  static std::optional<outcome<V>> look(const shard& sh, const K& key, std::optional<std::uint64_t>& round,
                                        std::shared_ptr<notify_type>& wake) {
    const auto& slots = sh.slots.get();
    auto it = slots.find(key);
    if (it == slots.end()) return outcome<V>(sh.closed.get() ? wait_error::closed : wait_error::not_registered);
    const slot& s = it->second;
    if (!round) round = s.failures;
    if (auto r = settled(s, *round)) return r;
    // Our own reference: close() may free the slot (and the map) while we sleep.
    wake = s.wake;
    return std::nullopt;
  }

  outcome<V> wait_until(const K& key, std::optional<typename Sync::clock::time_point> deadline) {
    shard& sh = shard_for(key);
    std::optional<std::uint64_t> round;
    for (;;) {
      typename Sync::read_lock guard(sh.lock);
      std::shared_ptr<notify_type> wake;
      if (auto r = look(sh, key, round, wake)) return *r;
      const typename notify_type::listener listener = wake->enable();  // under the guard: see the header
      if constexpr (std::is_same_v<Flaw, flaw::entry_held_across_wait>) {
        Sync::note("wait", key, "blocks holding the shard's read guard");
      } else {
        guard.unlock();
        Sync::note("wait", key, "blocks (listener enabled, guard dropped)");
      }
      const auto w = deadline ? wake->wait_until(listener, *deadline) : wake->wait(listener);
      if (w == notify_type::wake::closed) {
        Sync::note("wait", key, "woken by close");
        return wait_error::closed;  // the map may be gone: touch nothing of it
      }
      if (w == notify_type::wake::timed_out) {
        Sync::note("wait", key, "timed out");
        return wait_error::timed_out;
      }
      Sync::note("wait", key, "notified, re-reads the slot");
    }
  }

 public:
  // The async twin of wait(): the same protocol, the task parked on an
  // async listener of the round's notify instead of a thread on the
  // notify's condition variable. Under flaw::entry_held_across_wait the
  // task stays parked with the shard's read guard alive (uv's WaitMap hang:
  // a reference into the map held across an .await): any task that needs
  // the shard for writing then blocks its worker for good.
  task<outcome<V>> wait_async(K key) {
    const waker me = co_await current_waker{};
    shard& sh = shard_for(key);
    std::optional<std::uint64_t> round;
    for (;;) {
      typename Sync::read_lock guard(sh.lock);
      std::shared_ptr<notify_type> wake;
      if (auto r = look(sh, key, round, wake)) co_return *r;
      typename notify_type::async_listener listener(*wake, me);  // under the guard: see the header
      if constexpr (std::is_same_v<Flaw, flaw::entry_held_across_wait>) {
        Sync::note("wait_async", key, "parks holding the shard's read guard");
      } else {
        guard.unlock();
        Sync::note("wait_async", key, "parks (listener linked, guard dropped)");
      }
      std::optional<typename notify_type::wake> why;
      while (!(why = listener.fired())) co_await park{};
      if (*why == notify_type::wake::closed) {
        Sync::note("wait_async", key, "woken by close");
        co_return wait_error::closed;
      }
      Sync::note("wait_async", key, "notified, re-reads the slot");
    }
  }

 private:
  std::array<shard, shard_count> shards_;
};

}  // namespace oncecheck
