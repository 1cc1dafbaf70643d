// notify_slots: the key -> slot table that notify_map and sharded_entry_map
// share, and everything they do to it alike: register, done, fail, close,
// get, waiting and a waiter's look at its slot. The maps differ only in their
// locking (one mutex; a reader-writer lock per shard) and in when a waiter
// enables its listener; those stay in each map's header, with its protocol.
//
// The owner guards one notify_slots with one lock: every member below is
// called with that lock held (for writing, or for reading where it says
// `const`). What a change hands back (the round's notify) is woken with
// notify_waiters() only after the owner has dropped its lock: a woken waiter
// re-reads its slot and would otherwise block on the lock its waker holds.
//
// State transitions of a slot (under the owner's lock, written):
//   (none)   --lead-->   pending   (the caller is the leader; a fresh notify
//                                   for the round)
//   pending  --fill-->   ready     (final; the value stays)
//   (none)   --fill-->   ready     (done without register publishes)
//   pending  --fail-->   failed    (failures += 1; the round's waiters get
//                                   the error)
//   failed   --lead-->   pending   (a new round, a new notify)
//   pending, failed --close--> closed  (final)
// A waiter remembers `failures` when it first sees the slot; a change means
// its round ended in failure even if a new round has started since.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "notify.hpp"
#include "once_map.hpp"

namespace oncecheck {

template <class K, class V, class Sync>
class notify_slots {
 public:
  using notify_type = notify<Sync>;
  using wake_ref = std::shared_ptr<notify_type>;

  bool lead(const K& key) {
    if (closed_.get()) return false;
    auto [it, inserted] = slots_.mut().try_emplace(key);
    slot& s = it->second;
    if (!inserted && s.state != phase::failed) return false;
    s.state = phase::pending;
    s.wake = std::make_shared<notify_type>();
    Sync::note("register", key, "-> pending, leader");
    return true;
  }

  // done(): the round's notify to wake, if a round was waiting.
  wake_ref fill(const K& key, V value) {
    if (closed_.get()) return nullptr;
    slot& s = slots_.mut()[key];
    if (s.state == phase::ready || s.state == phase::closed) return nullptr;
    s.state = phase::ready;
    s.value.emplace(std::move(value));
    Sync::note("done", key, "-> ready");
    return std::move(s.wake);
  }

  wake_ref fail(const K& key, wait_error error) {
    auto& slots = slots_.mut();
    auto it = slots.find(key);
    if (it == slots.end() || it->second.state != phase::pending) return nullptr;
    slot& s = it->second;
    s.state = phase::failed;
    s.error = error;
    ++s.failures;
    Sync::note("fail", key, "-> failed");
    return std::move(s.wake);
  }

  // Every open round ends `closed`; their notifies go to `wakes`.
  void close(std::vector<wake_ref>& wakes, const char* what = "-> closed") {
    closed_.mut() = true;
    for (auto& [k, s] : slots_.mut()) {
      if (s.state != phase::pending && s.state != phase::failed) continue;
      s.state = phase::closed;
      if (s.wake) wakes.push_back(std::move(s.wake));
      Sync::note("close", k, what);
    }
  }

  std::optional<V> get(const K& key) const {
    const auto& slots = slots_.get();
    auto it = slots.find(key);
    if (it == slots.end() || it->second.state != phase::ready) return std::nullopt;
    return it->second.value;
  }

  std::size_t waiting(const K& key) const {
    const auto& slots = slots_.get();
    auto it = slots.find(key);
    return it == slots.end() || !it->second.wake ? 0 : it->second.wake->waiting();
  }

  // What the table says to a waiter of round `round` (set on its first
  // look), or nullopt: keep waiting, on `*wake` (the round's notify, our own
  // reference: close() may free the slot, and the map, while we sleep).
  std::optional<outcome<V>> look(const K& key, std::optional<std::uint64_t>& round, wake_ref* wake) const {
    const auto& slots = slots_.get();
    auto it = slots.find(key);
    if (it == slots.end()) return outcome<V>(closed_.get() ? wait_error::closed : wait_error::not_registered);
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

  // A waiter's listener fired (`op`: wait or wait_async): closed and
  // timed_out end the wait without touching the map (it may be gone);
  // nullopt: notified, re-read the slot.
  static std::optional<outcome<V>> ended_by(typename notify_type::wake w, const char* op, const K& key) {
    if (w == notify_type::wake::closed) {
      Sync::note(op, key, "woken by close");
      return outcome<V>(wait_error::closed);
    }
    if (w == notify_type::wake::timed_out) {
      Sync::note(op, key, "timed out");
      return outcome<V>(wait_error::timed_out);
    }
    Sync::note(op, key, "notified, re-reads the slot");
    return std::nullopt;
  }

  // After the owner's lock is dropped: wakes the listeners of a round.
  static void notify_waiters(const wake_ref& wake, const char* op, const K& key, const char* what) {
    if (!wake) return;
    Sync::note(op, key, what);
    wake->notify_waiters();
  }

 private:
  enum class phase : std::uint8_t { pending, ready, failed, closed };

  struct slot {
    phase state = phase::pending;
    wake_ref wake;                                 // the round's notify while pending
    std::optional<V> value;                        // set once, when ready
    wait_error error = wait_error::leader_failed;  // why the last round failed
    std::uint64_t failures = 0;                    // rounds ended by fail()
  };

  typename Sync::template cell<std::unordered_map<K, slot>> slots_;
  typename Sync::template cell<bool> closed_{false};
};

}  // namespace oncecheck
