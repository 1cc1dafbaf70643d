// notify: a small tokio::sync::Notify for threads, the per-key wake-up of the
// uv-style designs (sharded_entry_map.hpp, notify_map.hpp).
//
// What it models. tokio's `Notify::notify_waiters()` wakes every `Notified`
// that is already enabled and stores no permit: a listener enabled after the
// call waits for the next one. That is exactly why the order "enable the
// listener, then look at the shared state" matters, and why uv's
//     let notify = notify.clone(); drop(entry); notify.notified().await
// can sleep forever: a notify_waiters() that lands between drop(entry) and
// notified() is gone. (`notify_one`'s stored permit is not modelled: the
// once-maps never use it.)
//
// Here a listener is a snapshot of a generation counter taken under the
// notify's mutex; notify_waiters() bumps the generation, so every listener
// enabled before it sees a change and every listener enabled after it does
// not. close() is the extra the once-map contract needs: it wakes every
// listener, present and future, with `closed` (tokio has no such thing; a
// dropped map must not strand its waiters).
//
// Locking protocol.
//   mutex_   guards state_; changed_ is waited on with mutex_ held. Never held
//            while taking any other lock, so a design may take it while it
//            holds its own map or shard lock (lock order: map -> notify).
//
// Lifetime. Designs share a notify through std::shared_ptr: a waiter keeps
// its own reference, so a waiter woken by close() after the map is gone
// touches only the notify it owns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

#include "sync/std_backend.hpp"

namespace oncecheck {

template <class Sync = sync::std_backend>
class notify {
 public:
  // Why wait() returned.
  enum class wake : std::uint8_t { notified, closed, timed_out };

  // An enabled listener: it will see any notify_waiters() or close() that
  // happens after enable() returned. Plain data; dropping it leaves nothing
  // behind in the notify.
  class listener {
   private:
    friend class notify;
    explicit listener(std::uint64_t generation) : generation_(generation) {}
    std::uint64_t generation_ = 0;
  };

  notify() = default;
  notify(const notify&) = delete;
  notify& operator=(const notify&) = delete;

  listener enable() const {
    typename Sync::unique_lock lock(mutex_);
    return listener(state_.get().generation);
  }

  // Wakes every listener enabled before this call; stores nothing for later ones.
  void notify_waiters() {
    typename Sync::unique_lock lock(mutex_);
    ++state_.mut().generation;
    changed_.notify_all();
  }

  // Wakes every listener with `closed`, and every later wait returns `closed` at once.
  void close() {
    typename Sync::unique_lock lock(mutex_);
    state_.mut().closed = true;
    changed_.notify_all();
  }

  // Blocks until a notify_waiters() or close() after `l` was enabled.
  // A closed notify answers `closed` even if it was also notified: close()
  // means the map is going away, and a waiter told `notified` would go back
  // to it.
  wake wait(const listener& l) {
    typename Sync::unique_lock lock(mutex_);
    ++state_.mut().waiting;
    for (;;) {
      if (auto w = settled(l)) {
        --state_.mut().waiting;
        return *w;
      }
      changed_.wait(lock);  // spurious wake-ups just loop
    }
  }

  wake wait_until(const listener& l, typename Sync::clock::time_point deadline) {
    typename Sync::unique_lock lock(mutex_);
    ++state_.mut().waiting;
    for (;;) {
      if (auto w = settled(l)) {
        --state_.mut().waiting;
        return *w;
      }
      if (changed_.wait_until(lock, deadline) == sync::wait_status::timed_out) {
        // A wake-up that raced the deadline still counts: it was delivered.
        auto w = settled(l);
        --state_.mut().waiting;
        return w ? *w : wake::timed_out;
      }
    }
  }

  // Callers inside wait()/wait_until() now.
  std::size_t waiting() const {
    typename Sync::unique_lock lock(mutex_);
    return state_.get().waiting;
  }

 private:
  struct state {
    std::uint64_t generation = 0;  // bumped by every notify_waiters()
    bool closed = false;           // final
    std::size_t waiting = 0;       // callers blocked in wait()/wait_until()
  };

  // Called with mutex_ held.
  std::optional<wake> settled(const listener& l) const {
    const state& s = state_.get();
    if (s.closed) return wake::closed;
    if (s.generation != l.generation_) return wake::notified;
    return std::nullopt;
  }

  mutable typename Sync::mutex mutex_;
  typename Sync::condition_variable changed_;  // waited on with mutex_
  typename Sync::template cell<state> state_;  // guarded by mutex_
};

}  // namespace oncecheck
