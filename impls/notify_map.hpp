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
// State transitions of a slot (under map_lock_):
//   (none)   --register_key-->  pending   (the caller is the leader; a fresh
//                                          notify for the round)
//   pending  --done-->          ready     (final; the value stays)
//   (none)   --done-->          ready     (done without register publishes)
//   pending  --fail-->          failed    (failures += 1; the round's waiters
//                                          get the error)
//   failed   --register_key-->  pending   (a new round, a new notify)
//   pending, failed --close-->  closed    (final)
// A waiter remembers `failures` when it first sees the slot; a change means
// its round ended in failure even if a new round has started since.
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

#include "notify.hpp"
#include "once_map.hpp"
#include "task.hpp"
#include "sync/std_backend.hpp"

namespace oncecheck {

namespace flaw {
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
    if (closed_.get()) return false;
    auto [it, inserted] = slots_.mut().try_emplace(key);
    slot& s = it->second;
    if (!inserted && s.state != phase::failed) return false;
    s.state = phase::pending;
    s.wake = std::make_shared<notify_type>();
    Sync::note("register", key, "-> pending, leader");
    return true;
  }

  void done(const K& key, V value) {
    std::shared_ptr<notify_type> wake;
    {
      typename Sync::unique_lock lock(map_lock_);
      if (closed_.get()) return;
      slot& s = slots_.mut()[key];
      if (s.state == phase::ready || s.state == phase::closed) return;
      s.state = phase::ready;
      s.value.emplace(std::move(value));
      wake = std::move(s.wake);
      Sync::note("done", key, "-> ready");
    }
    if (wake) {
      Sync::note("done", key, "notify_waiters");
      wake->notify_waiters();
    }
  }

  void fail(const K& key, wait_error error) {
    std::shared_ptr<notify_type> wake;
    {
      typename Sync::unique_lock lock(map_lock_);
      auto& slots = slots_.mut();
      auto it = slots.find(key);
      if (it == slots.end() || it->second.state != phase::pending) return;
      slot& s = it->second;
      s.state = phase::failed;
      s.error = error;
      ++s.failures;
      wake = std::move(s.wake);
      Sync::note("fail", key, "-> failed");
    }
    if (wake) {
      Sync::note("fail", key, "notify_waiters");
      wake->notify_waiters();
    }
  }

  std::optional<V> get(const K& key) const {
    typename Sync::unique_lock lock(map_lock_);
    const auto& slots = slots_.get();
    auto it = slots.find(key);
    if (it == slots.end() || it->second.state != phase::ready) return std::nullopt;
    return it->second.value;
  }

  outcome<V> wait(const K& key) { return wait_until(key, std::nullopt); }

  outcome<V> wait_for(const K& key, std::chrono::nanoseconds timeout) {
    return wait_until(key, Sync::clock::now() + timeout);
  }

  void close() {
    std::vector<std::shared_ptr<notify_type>> wakes;
    {
      typename Sync::unique_lock lock(map_lock_);
      closed_.mut() = true;
      for (auto& [k, s] : slots_.mut()) {
        if (s.state != phase::pending && s.state != phase::failed) continue;
        s.state = phase::closed;
        if (s.wake) wakes.push_back(std::move(s.wake));
        Sync::note("close", k, "-> closed");
      }
    }
    for (auto& w : wakes) w->close();
  }

  std::size_t waiting(const K& key) const {
    typename Sync::unique_lock lock(map_lock_);
    const auto& slots = slots_.get();
    auto it = slots.find(key);
    if (it == slots.end() || !it->second.wake) return 0;
    return it->second.wake->waiting();
  }

 private:
  using notify_type = notify<Sync>;

  enum class phase : std::uint8_t { pending, ready, failed, closed };

  struct slot {
    phase state = phase::pending;
    std::shared_ptr<notify_type> wake;             // the round's notify while pending
    std::optional<V> value;                        // set once, when ready
    wait_error error = wait_error::leader_failed;  // why the last round failed
    std::uint64_t failures = 0;                    // rounds ended by fail()
  };

  // What the map says to a waiter of round `round` (nullopt: keep waiting).
  // Called with map_lock_ held; `round` is set on the first look.
  std::optional<outcome<V>> check(const K& key, std::optional<std::uint64_t>& round,
                                  std::shared_ptr<notify_type>* wake) const {
    const auto& slots = slots_.get();
    auto it = slots.find(key);
    if (it == slots.end()) return closed_.get() ? wait_error::closed : wait_error::not_registered;
    const slot& s = it->second;
    if (!round) round = s.failures;
    switch (s.state) {
      case phase::ready: return outcome<V>(*s.value);
      case phase::closed: return outcome<V>(wait_error::closed);
      case phase::failed: return outcome<V>(s.error);
      case phase::pending:
        if (s.failures != *round) return outcome<V>(s.error);  // ours failed, a new round began
        break;
    }
    if (wake) *wake = s.wake;
    return std::nullopt;
  }

  outcome<V> wait_until(const K& key, std::optional<typename Sync::clock::time_point> deadline) {
    std::optional<std::uint64_t> round;
    // Our own reference: close() may free the slot (and the map) while we sleep.
    std::shared_ptr<notify_type> wake;
    {
      typename Sync::unique_lock lock(map_lock_);
      if (auto r = check(key, round, &wake)) return *r;
    }
    for (;;) {
      // Under the flaw this is uv's `let notify = notify.clone(); drop(entry);
      // notify.notified().await`: nothing is checked after the listener
      // exists, so a done() since the check above has already notified nobody.
      const typename notify_type::listener listener = wake->enable();
      if constexpr (!std::is_same_v<Flaw, flaw::listener_after_check>) {
        // Enabled first, checked second: a completion before this check is
        // seen here, one after it wakes the listener.
        typename Sync::unique_lock lock(map_lock_);
        if (auto r = check(key, round, nullptr)) return *r;
      }
      Sync::note("wait", key, "blocks");
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
      typename Sync::unique_lock lock(map_lock_);
      if (auto r = check(key, round, nullptr)) return *r;
    }
  }


 public:
  // The async twin of wait(): the same order (listener first, check second),
  // the task parked on an async listener instead of a blocked thread. Under
  // flaw::listener_after_check the listener is linked only after the check
  // and the lock are gone, as in the blocking form.
  task<outcome<V>> wait_async(K key) {
    const waker me = co_await current_waker{};
    std::optional<std::uint64_t> round;
    std::shared_ptr<notify_type> wake;
    {
      typename Sync::unique_lock lock(map_lock_);
      if (auto r = check(key, round, &wake)) co_return *r;
    }
    for (;;) {
      typename notify_type::async_listener listener(*wake, me);
      if constexpr (!std::is_same_v<Flaw, flaw::listener_after_check>) {
        typename Sync::unique_lock lock(map_lock_);
        if (auto r = check(key, round, nullptr)) co_return *r;
      }
      Sync::note("wait_async", key, "parks");
      std::optional<typename notify_type::wake> why;
      while (!(why = listener.fired())) co_await park{};
      if (*why == notify_type::wake::closed) {
        Sync::note("wait_async", key, "woken by close");
        co_return wait_error::closed;
      }
      Sync::note("wait_async", key, "notified, re-reads the slot");
      typename Sync::unique_lock lock(map_lock_);
      if (auto r = check(key, round, nullptr)) co_return *r;
    }
  }

 private:
  mutable typename Sync::mutex map_lock_;
  typename Sync::template cell<std::unordered_map<K, slot>> slots_;  // guarded by map_lock_
  typename Sync::template cell<bool> closed_{false};                 // guarded by map_lock_
};

}  // namespace oncecheck
