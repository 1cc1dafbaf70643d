// notify_map: one mutex over key -> {value | shared notify}, with waiters that
// follow tokio's `Notify` rule: enable the listener, then check.
//
// What it models. The plain shape of uv's OnceMap (seed 000) without the
// shards: a map whose slot for a key is either the value or the notify of the
// computation in flight, each waiter holding its own reference to the notify
// (impls/notify.hpp: notify_waiters() wakes the listeners enabled so far and
// stores no permit). The correct protocol is tokio's documented one: a waiter
// fetches the key's notify, enables a listener, and only then checks the map
// again; a completion that lands between the first look and the listener is
// seen by that second check, and one that lands after it wakes the listener.
//
// Locking protocol.
//   map_lock_  guards slots_ and closed_. Held only to look at or change a
//              slot; never while waiting, never while a value is computed.
//   notify     has its own mutex. done(), fail() and close() notify after
//              dropping map_lock_; waiting() takes it under map_lock_ (lock
//              order map -> notify; no path takes them the other way).
//
// State transitions of a slot (under map_lock_): impls/notify_slots.hpp,
// which sharded_entry_map shares: (none) -register-> pending -done-> ready
// (final); pending -fail-> failed -register-> pending (a new round);
// pending, failed -close-> closed (final). A waiter remembers the slot's
// failure count when it first sees it; a change means its round ended in
// failure even if a new round has started since.
//
// Destruction. The destructor is close(): every blocked waiter is woken with
// `closed` through the notify it holds its own reference to, and returns
// without touching the map again.
//
// Flaws (compile-time, the real bug of seed 000):
//   flaw::listener_after_check  the waiter checks the map, drops the lock and
//                               only then creates its listener, with no check
//                               after it (uv's `let notify = notify.clone();
//                               drop(entry); notify.notified().await`): a
//                               done() in that gap notifies nobody and the
//                               waiter sleeps forever.
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

#include "notify_slots.hpp"
#include "once_map.hpp"
#include "task.hpp"
#include "sync/std_backend.hpp"

namespace oncecheck {

namespace flaw {
// Its truth: models/expected.tsv rows `notify listener_after_check`, tests/pinned_replays.tsv
// rows `notify listener_after_check`, README "The designs" (tests/flaw_truth_test.py checks all three).
struct listener_after_check {
  static constexpr std::string_view name = "listener_after_check";
  static constexpr std::string_view bug =
      "the listener is created after the map check and the lock are dropped: a completion in between is lost";
};
}  // namespace flaw

template <class K, class V, class Sync = sync::std_backend, class Flaw = flaw::none>
class notify_map {
 public:
  using key_type = K;
  using value_type = V;
  using flaw_type = Flaw;
  static constexpr std::string_view design_name = "notify";
  static constexpr capabilities traits{
      .blocking_wait = true,
      .async_wait = true,
      .timeouts = true,
      .allocates_per_waiter = false,
      .on_close = "every waiter returns closed",
      .leader_failure = "waiters of the round get the error; the key can be registered again",
  };

  notify_map() = default;
  notify_map(const notify_map&) = delete;
  notify_map& operator=(const notify_map&) = delete;
  ~notify_map() { close(); }

  bool register_key(const K& key) {
    typename Sync::unique_lock lock(map_lock_);
    return slots_.lead(key);
  }

  void done(const K& key, V value) {
    wake_ref wake;
    {
      typename Sync::unique_lock lock(map_lock_);
      wake = slots_.fill(key, std::move(value));
    }
    slots_type::notify_waiters(wake, "done", key, "notify_waiters");
  }

  void fail(const K& key, wait_error error) {
    wake_ref wake;
    {
      typename Sync::unique_lock lock(map_lock_);
      wake = slots_.fail(key, error);
    }
    slots_type::notify_waiters(wake, "fail", key, "notify_waiters");
  }

  std::optional<V> get(const K& key) const {
    typename Sync::unique_lock lock(map_lock_);
    return slots_.get(key);
  }

  outcome<V> wait(const K& key) { return wait_until(key, std::nullopt); }

  outcome<V> wait_for(const K& key, std::chrono::nanoseconds timeout) {
    return wait_until(key, Sync::clock::now() + timeout);
  }

  void close() {
    std::vector<wake_ref> wakes;
    {
      typename Sync::unique_lock lock(map_lock_);
      slots_.close(wakes);
    }
    for (auto& w : wakes) w->close();
  }

  std::size_t waiting(const K& key) const {
    typename Sync::unique_lock lock(map_lock_);
    return slots_.waiting(key);
  }

 private:
  using slots_type = notify_slots<K, V, Sync>;
  using notify_type = typename slots_type::notify_type;
  using wake_ref = typename slots_type::wake_ref;

  // One waiter's way through the protocol, the same for a blocked thread
  // (wait_until) and a parked task (wait_async); they differ only in how
  // they wait on the listener.
  struct walk {
    notify_map& map;
    const K& key;
    std::optional<std::uint64_t> round;  // set on the first look
    wake_ref wake;                       // the round's notify, our own reference

    // The first look, under the lock: the answer, or the notify to listen on.
    std::optional<outcome<V>> start() {
      typename Sync::unique_lock lock(map.map_lock_);
      return map.slots_.look(key, round, &wake);
    }
    // With the listener enabled: the second look. Under the flaw there is
    // none (uv's `let notify = notify.clone(); drop(entry);
    // notify.notified().await`): a done() since the first look has already
    // notified nobody.
    std::optional<outcome<V>> listening(const char* op, const char* what) {
      std::optional<outcome<V>> r;
      if constexpr (!std::is_same_v<Flaw, flaw::listener_after_check>) {
        // Enabled first, checked second: a completion before this check is
        // seen here, one after it wakes the listener.
        typename Sync::unique_lock lock(map.map_lock_);
        r = map.slots_.look(key, round, nullptr);
      }
      if (!r) Sync::note(op, key, what);
      return r;
    }
    // The listener fired: closed or timed out end the wait without touching
    // the map (it may be gone); a notify means re-read the slot.
    std::optional<outcome<V>> woken(typename notify_type::wake w, const char* op) {
      if (auto r = slots_type::ended_by(w, op, key)) return r;
      typename Sync::unique_lock lock(map.map_lock_);
      return map.slots_.look(key, round, nullptr);
    }
  };

  outcome<V> wait_until(const K& key, std::optional<typename Sync::clock::time_point> deadline) {
    walk w{*this, key, std::nullopt, nullptr};
    if (auto r = w.start()) return *r;
    for (;;) {
      const typename notify_type::listener listener = w.wake->enable();
      if (auto r = w.listening("wait", "blocks")) return *r;
      if (auto r = w.woken(deadline ? w.wake->wait_until(listener, *deadline) : w.wake->wait(listener), "wait"))
        return *r;
    }
  }

 public:
  // The async twin of wait(): the same walk (listener first, check second),
  // the task parked on an async listener instead of a blocked thread.
  task<outcome<V>> wait_async(K key) {
    const waker me = co_await current_waker{};
    walk w{*this, key, std::nullopt, nullptr};
    if (auto r = w.start()) co_return *r;
    for (;;) {
      typename notify_type::async_listener listener(*w.wake, me);
      if (auto r = w.listening("wait_async", "parks")) co_return *r;
      std::optional<typename notify_type::wake> why;
      while (!(why = listener.fired())) co_await park{};
      if (auto r = w.woken(*why, "wait_async")) co_return *r;
    }
  }

 private:
  mutable typename Sync::mutex map_lock_;
  slots_type slots_;  // guarded by map_lock_
};

}  // namespace oncecheck
