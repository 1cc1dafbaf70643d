// shared_future_map: the shared-future registry of seed 002, as a once-map.
//
// What it models. The Rust example keeps `Mutex<HashMap<String,
// Shared<BoxFuture<T>>>>`: a requester takes the registry lock, clones the
// in-flight future for its key or creates one and stores it, drops the lock
// and awaits the future; every clone resolves to the one result. Here the
// future is a small shared state (its own mutex, condition variable and an
// optional value or error) held by std::shared_ptr: the map owns one
// reference, every caller that looked the key up owns another, so a caller
// blocked on a future never needs the map again.
//
// Where the correct design differs from the seed. The seed removes the key
// after awaiting (`requests.remove(key)`), from every requester. That keeps
// only *in-flight* requests in the registry, and a requester that finishes
// late removes whatever entry is there by then: the completed one (so the
// next request computes again) or a newer in-flight one (so the next request
// computes while that one is still running). Here:
//   - a completed future stays in the map: get() returns its value and no
//     one computes it again;
//   - an entry is removed only when its round failed, by fail(), and only if
//     the map still holds *that* future (shared_ptr identity): between the
//     failure and the removal a new leader may already have replaced it, and
//     that newer round must not be dropped;
//   - waiters never touch the map after their future resolved.
//
// Locking protocol.
//   map_lock_       guards entries_ and closed_. Never held while waiting or
//                   computing.
//   future::lock    guards future::data; future::settled is waited on with it.
//                   Parked tasks (wait_async) listen on future::tasks, a
//                   notify that is notified under future::lock (order:
//                   future::lock -> the notify's own mutex).
//   Lock order: map_lock_ before a future's lock, never the reverse. Only
//   register_key and done nest them (to replace a failed future atomically
//   with the decision that the caller leads); a waiter holds only its
//   future's lock, so it can never block the map.
//
// State transitions of a future (under future::lock), each final but the
// first:
//   pending --done-->   ready    (the value stays; the entry stays in the map)
//   pending --fail-->   failed   (waiters get the error; fail() then removes
//                                 the entry if it is still this future)
//   pending --close-->  closed
// A key's map entry goes: absent --register_key--> pending future;
// failed future --register_key--> a fresh pending future (if fail() has not
// removed it yet); failed future --fail's cleanup--> absent.
//
// Destruction: close() resolves every pending future with `closed`; the map's
// references are then dropped, and each blocked waiter wakes holding its own
// reference to its future, reads its outcome there and returns. Nothing a
// waiter touches after waking belongs to the map.
//
// Memory ordering. No atomics of its own: every shared field is guarded by
// a mutex, and the mutexes order every access. The one atomic involved is
// std::shared_ptr's reference count, which decides who frees a future (the
// map, or the last waiter once the map is gone); its decrement is acq_rel,
// and every owner releases the future's lock before it drops its reference
// (a waiter declares its reference before its lock guard), so the owner that
// frees the future has seen the others' last use of it.
//
// Flaws (compile-time, the real bug of seed 002):
//   flaw::remove_newer_entry  every requester removes the key from the map
//                             once it has its result, without checking what
//                             the entry is by now: the seed's
//                             requests.remove(key) at the end of
//                             get_special_data, which every caller runs, the
//                             one that created the future included. Here the
//                             leader removes after done() publishes, and each
//                             waiter after its wait returns. The completed
//                             entry is gone, so the next request for the key
//                             computes it again; and a waiter of an earlier
//                             round that returns late removes the newer
//                             in-flight entry, so yet another request computes
//                             while that one is still running. Both are a
//                             duplicate compute. A waiter that timed out or
//                             was woken by close() still leaves the map
//                             alone (the close may be the destructor): the
//                             flaw is only the removal.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
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
// Its truth: models/expected.tsv rows `shared_future remove_newer_entry`, tests/pinned_replays.tsv
// rows `shared_future remove_newer_entry`, README "The designs" (tests/flaw_truth_test.py checks all three).
struct remove_newer_entry {
  static constexpr std::string_view name = "remove_newer_entry";
  static constexpr std::string_view bug =
      "every requester removes the key once it has its result, whatever the entry is by then: the completed or "
      "a newer in-flight entry goes, and the key is computed again";
};
}  // namespace flaw

template <class K, class V, class Sync = sync::std_backend, class Flaw = flaw::none>
class shared_future_map {
 public:
  using key_type = K;
  using value_type = V;
  using flaw_type = Flaw;
  static constexpr std::string_view design_name = "shared_future";
  static constexpr capabilities traits{
      .blocking_wait = true,
      .async_wait = true,
      .timeouts = true,
      .allocates_per_waiter = false,
      .on_close = "every waiter returns closed",
      .leader_failure = "waiters of the round get the error; the entry is removed and the key can be registered again",
  };

  shared_future_map() = default;
  shared_future_map(const shared_future_map&) = delete;
  shared_future_map& operator=(const shared_future_map&) = delete;
  ~shared_future_map() { close(); }

  bool register_key(const K& key) {
    typename Sync::unique_lock lock(map_lock_);
    if (closed_.get()) return false;
    if (!claim_locked(key)) return false;
    Sync::note("register", key, "-> leader, new future");
    return true;
  }

  void done(const K& key, V value) {
    std::shared_ptr<future> f;
    {
      typename Sync::unique_lock lock(map_lock_);
      if (closed_.get()) return;
      // done() without a live round (never registered, or its round failed)
      // still publishes: it starts a round and completes it at once.
      claim_locked(key);
      f = entries_.get().find(key)->second;
    }
    typename Sync::unique_lock lock(f->lock);
    slot& s = f->data.mut();
    if (s.state != phase::pending) return;
    s.state = phase::ready;
    s.value.emplace(std::move(value));
    Sync::note("done", key, "-> ready, notify_all");
    f->settled.notify_all();
    f->tasks.notify_waiters();
    if constexpr (std::is_same_v<Flaw, flaw::remove_newer_entry>) {
      // The seed's creator awaits its own future too, and removes after it.
      lock.unlock();
      remove_whatever_is_there(key);
    }
  }

  void fail(const K& key, wait_error error) {
    std::shared_ptr<future> f = find(key);
    if (!f) return;
    {
      typename Sync::unique_lock lock(f->lock);
      slot& s = f->data.mut();
      if (s.state != phase::pending) return;
      s.state = phase::failed;
      s.error = error;
      Sync::note("fail", key, "-> failed, notify_all");
      f->settled.notify_all();
      f->tasks.notify_waiters();
    }
    // A second critical section: a new leader may have replaced the failed
    // future in between, and its round must survive this cleanup.
    typename Sync::unique_lock lock(map_lock_);
    auto& m = entries_.get();
    auto it = m.find(key);
    if (it != m.end() && it->second == f) {
      entries_.mut().erase(key);
      Sync::note("fail", key, "removes its own entry");
    }
  }

  std::optional<V> get(const K& key) const {
    std::shared_ptr<future> f = find(key);
    if (!f) return std::nullopt;
    typename Sync::unique_lock lock(f->lock);
    const slot& s = f->data.get();
    if (s.state == phase::ready) return s.value;
    return std::nullopt;
  }

  outcome<V> wait(const K& key) { return wait_until(key, std::nullopt); }

  outcome<V> wait_for(const K& key, std::chrono::nanoseconds timeout) {
    return wait_until(key, Sync::clock::now() + timeout);
  }

  void close() {
    std::vector<std::pair<K, std::shared_ptr<future>>> snapshot;
    {
      typename Sync::unique_lock lock(map_lock_);
      closed_.mut() = true;
      for (const auto& [k, f] : entries_.get()) snapshot.emplace_back(k, f);
    }
    for (auto& [k, f] : snapshot) {
      typename Sync::unique_lock lock(f->lock);
      slot& s = f->data.mut();
      if (s.state != phase::pending) continue;
      s.state = phase::closed;
      Sync::note("close", k, "-> closed, notify_all");
      f->settled.notify_all();
      f->tasks.notify_waiters();
    }
  }

  std::size_t waiting(const K& key) const {
    std::shared_ptr<future> f = find(key);
    if (!f) return 0;
    std::size_t threads;
    {
      typename Sync::unique_lock lock(f->lock);
      threads = f->data.get().waiters;
    }
    return threads + f->tasks.waiting();
  }

  // The async twin of wait(): the task listens on its future's `tasks`
  // notify first and checks the future second, so a resolution in between
  // is seen by the check and one after it wakes the listener.
  task<outcome<V>> wait_async(K key) {
    const waker me = co_await current_waker{};
    std::shared_ptr<future> f = find(key);
    if (!f) {
      typename Sync::unique_lock lock(map_lock_);
      co_return closed_.get() ? wait_error::closed : wait_error::not_registered;
    }
    std::optional<outcome<V>> result;
    while (!result) {
      typename notify<Sync>::async_listener listener(f->tasks, me);
      {
        typename Sync::unique_lock lock(f->lock);
        result = settled(f->data.get());
      }
      if (result) break;
      Sync::note("wait_async", key, "parks on the future");
      while (!listener.fired()) co_await park{};
    }
    Sync::note("wait_async", key, "returns");
    if constexpr (std::is_same_v<Flaw, flaw::remove_newer_entry>)
      if (result->has_value() || result->error() != wait_error::closed) remove_whatever_is_there(key);
    co_return *result;
  }

 private:
  enum class phase : std::uint8_t { pending, ready, failed, closed };

  struct slot {
    phase state = phase::pending;
    std::optional<V> value;                        // set once, when ready
    wait_error error = wait_error::leader_failed;  // why the round failed
    std::size_t waiters = 0;                       // callers blocked on this future
  };

  // The shared future: one per round of a key.
  struct future {
    mutable typename Sync::mutex lock;
    typename Sync::condition_variable settled;  // waited on with `lock`; notify_all on leaving pending
    typename Sync::template cell<slot> data;    // guarded by `lock`
    notify<Sync> tasks;                         // parked tasks; notified on leaving pending, under `lock`
  };

  // With map_lock_ held: makes a fresh pending future the key's entry unless
  // a live round (pending, ready or closed) holds it. True if the caller now
  // leads. A failed future that fail() has not removed yet is replaced here,
  // under the same lock as the decision, so two callers cannot both lead.
  bool claim_locked(const K& key) {
    const auto& m = entries_.get();
    auto it = m.find(key);
    if (it != m.end()) {
      // Order: map_lock_, then the future. Released before the replacement:
      // the map's reference may be the last one, and a mutex must not die
      // locked. `failed` is final, so the verdict still holds after.
      typename Sync::unique_lock flock(it->second->lock);
      if (it->second->data.get().state != phase::failed) return false;
    }
    entries_.mut().insert_or_assign(key, std::make_shared<future>());
    return true;
  }

  std::shared_ptr<future> find(const K& key) const {
    typename Sync::unique_lock lock(map_lock_);
    const auto& m = entries_.get();
    auto it = m.find(key);
    return it == m.end() ? nullptr : it->second;
  }

  static std::optional<outcome<V>> settled(const slot& s) {
    switch (s.state) {
      case phase::ready: return outcome<V>(*s.value);
      case phase::failed: return outcome<V>(s.error);
      case phase::closed: return outcome<V>(wait_error::closed);
      case phase::pending: break;
    }
    return std::nullopt;
  }

  outcome<V> wait_until(const K& key, std::optional<typename Sync::clock::time_point> deadline) {
    std::shared_ptr<future> f = find(key);
    if (!f) {
      typename Sync::unique_lock lock(map_lock_);
      return closed_.get() ? wait_error::closed : wait_error::not_registered;
    }
    outcome<V> result = await(*f, key, deadline);
    if constexpr (std::is_same_v<Flaw, flaw::remove_newer_entry>) {
      // Only once the round resolved, as the seed's await does; a waiter
      // that timed out or was closed (maybe by the destructor) leaves.
      const bool round_resolved = result.has_value() || (result.error() != wait_error::closed &&
                                                         result.error() != wait_error::timed_out);
      if (round_resolved) remove_whatever_is_there(key);
    }
    return result;
  }

  // flaw::remove_newer_entry: the seed's `requests.remove(key)`, with no
  // check of which future the entry holds by now.
  void remove_whatever_is_there(const K& key) {
    typename Sync::unique_lock lock(map_lock_);
    if (entries_.get().count(key) == 0) return;
    entries_.mut().erase(key);
    Sync::note("remove", key, "a requester removes the key's entry, whatever it is now");
  }

  // Touches only `f` (kept alive by the caller's reference), never the map:
  // the map may be destroyed while this runs.
  outcome<V> await(future& f, const K& key, std::optional<typename Sync::clock::time_point> deadline) {
    typename Sync::unique_lock lock(f.lock);
    if (auto r = settled(f.data.get())) return *r;
    ++f.data.mut().waiters;
    Sync::note("wait", key, "blocks on the future");
    for (;;) {
      if (auto r = settled(f.data.get())) {
        --f.data.mut().waiters;
        Sync::note("wait", key, "returns");
        return *r;
      }
      if (!deadline) {
        f.settled.wait(lock);
      } else if (f.settled.wait_until(lock, *deadline) == sync::wait_status::timed_out &&
                 f.data.get().state == phase::pending) {
        --f.data.mut().waiters;
        Sync::note("wait", key, "timed out");
        return wait_error::timed_out;
      }
    }
  }

  mutable typename Sync::mutex map_lock_;
  typename Sync::template cell<std::unordered_map<K, std::shared_ptr<future>>> entries_;  // guarded by map_lock_
  typename Sync::template cell<bool> closed_{false};                                       // guarded by map_lock_
};

}  // namespace oncecheck
