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
// Async listeners (tokio's `Notified` future). A task cannot sleep on a
// condition variable without blocking its worker, so an async_listener is a
// node linked into the notify's list when it is created (that is its
// enable()): notify_waiters() and close() unlink every linked node, record
// why in it and wake its task. The node lives in the waiting task's frame;
// its destructor unlinks it if it is still linked, so a task destroyed while
// parked (cancelled) leaves nothing behind.
//
// Locking protocol.
//   mutex_   guards state_ and every linked async_listener's links and
//            `fired`; changed_ is waited on with mutex_ held. Never held
//            while taking any other lock but an executor's (waker::wake(),
//            which takes no design lock), so a design may take it while it
//            holds its own map or shard lock (lock order: map -> notify ->
//            executor).
//
// Spin before the park. wait() first spins (impls/sync/spin_wait.hpp: up to
// 20 us on real threads, not at all in a model) on `changes_`, a counter of
// notify_waiters() and close() calls kept beside the locked state, and only
// then takes the mutex and sleeps on the condition variable if nothing came:
// a round that ends within the spin (W2's 10 us compute) wakes its waiters
// without a kernel sleep. The spin decides nothing: the locked check that
// follows is the one that answers, so a stale read only costs a park.
//
// `changes_` is a std::atomic on every backend, outside what Relacy and the
// explorer see: it is read only by the spin, which the models do not run
// (spin_wait.hpp), and a Sync::atomic there would add a scheduling point to
// every notify and enable() for nothing.
//
// Memory ordering. `changes_` is written only under mutex_ and read by the
// spin without it, relaxed both ways: the value is a hint to stop spinning,
// and everything the waiter then reads it reads under mutex_, which orders
// it after the notify.
//
// Lifetime. Designs share a notify through std::shared_ptr: a waiter keeps
// its own reference, so a waiter woken by close() after the map is gone
// touches only the notify it owns.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "sync/spin_wait.hpp"
#include "sync/std_backend.hpp"
#include "task.hpp"

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
    listener(std::uint64_t generation, std::uint64_t changes) : generation_(generation), changes_(changes) {}
    std::uint64_t generation_ = 0;
    std::uint64_t changes_ = 0;  // notify::changes_ at enable(), for the spin
  };

  // A task's listener: enabled (linked) at construction, it sees any
  // notify_waiters() or close() after that. Park the task until fired():
  //     while (!l.fired()) co_await park{};
  class async_listener {
   public:
    async_listener(notify& n, waker task) : notify_(&n), task_(task) {
      typename Sync::unique_lock lock(n.mutex_);
      if (n.state_.get().closed) {
        fired_.mut() = wake::closed;
        return;
      }
      async_listener* last = n.tail_.get();
      prev_.mut() = last;
      if (last) last->next_.mut() = this;
      else n.head_.mut() = this;
      n.tail_.mut() = this;
      ++n.state_.mut().waiting;
    }
    async_listener(const async_listener&) = delete;
    async_listener& operator=(const async_listener&) = delete;
    ~async_listener() {
      typename Sync::unique_lock lock(notify_->mutex_);
      if (!fired_.get()) notify_->unlink(*this);  // cancelled while linked
    }

    // Why it was woken, or nothing yet.
    std::optional<wake> fired() const {
      typename Sync::unique_lock lock(notify_->mutex_);
      return fired_.get();
    }

   private:
    friend class notify;
    notify* notify_;
    const waker task_;
    typename Sync::template cell<std::optional<wake>> fired_;  // guarded by notify_->mutex_
    typename Sync::template cell<async_listener*> prev_{nullptr};  // guarded by notify_->mutex_
    typename Sync::template cell<async_listener*> next_{nullptr};  // guarded by notify_->mutex_
  };

  notify() = default;
  notify(const notify&) = delete;
  notify& operator=(const notify&) = delete;

  listener enable() const {
    typename Sync::unique_lock lock(mutex_);
    return listener(state_.get().generation, changes_.load(std::memory_order_relaxed));
  }

  // Wakes every listener enabled before this call; stores nothing for later ones.
  void notify_waiters() {
    typename Sync::unique_lock lock(mutex_);
    ++state_.mut().generation;
    changes_.store(changes_.load(std::memory_order_relaxed) + change_step, std::memory_order_relaxed);
    changed_.notify_all();
    fire_all(wake::notified);
  }

  // Wakes every listener with `closed`, and every later wait returns `closed` at once.
  void close() {
    typename Sync::unique_lock lock(mutex_);
    state_.mut().closed = true;
    changes_.store((changes_.load(std::memory_order_relaxed) + change_step) | closed_bit, std::memory_order_relaxed);
    changed_.notify_all();
    fire_all(wake::closed);
  }

  // Blocks until a notify_waiters() or close() after `l` was enabled.
  // A closed notify answers `closed` even if it was also notified: close()
  // means the map is going away, and a waiter told `notified` would go back
  // to it.
  wake wait(const listener& l) {
    sync::spin_wait<Sync>([&] {
      return (l.changes_ & closed_bit) != 0 || changes_.load(std::memory_order_relaxed) != l.changes_;
    });
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

  // Callers inside wait()/wait_until() now, and linked async listeners.
  std::size_t waiting() const {
    typename Sync::unique_lock lock(mutex_);
    return state_.get().waiting;
  }

 private:
  struct state {
    std::uint64_t generation = 0;  // bumped by every notify_waiters()
    bool closed = false;           // final
    std::size_t waiting = 0;       // callers blocked in wait()/wait_until(), linked listeners
  };

  // Called with mutex_ held.
  void unlink(async_listener& l) {
    async_listener* before = l.prev_.get();
    async_listener* after = l.next_.get();
    if (before) before->next_.mut() = after;
    else head_.mut() = after;
    if (after) after->prev_.mut() = before;
    else tail_.mut() = before;
    l.prev_.mut() = l.next_.mut() = nullptr;
    --state_.mut().waiting;
  }

  // Called with mutex_ held. Unlinked before it is woken: once its task sees
  // `fired`, nothing points at the node and its frame may end.
  void fire_all(wake why) {
    while (async_listener* l = head_.get()) {
      unlink(*l);
      l->fired_.mut() = why;
      l->task_.wake();
    }
  }

  // Called with mutex_ held.
  std::optional<wake> settled(const listener& l) const {
    const state& s = state_.get();
    if (s.closed) return wake::closed;
    if (s.generation != l.generation_) return wake::notified;
    return std::nullopt;
  }

  // changes_: notify_waiters() and close() calls, in steps of 2, with bit 0
  // set once closed. Written under mutex_; read without it by wait()'s spin.
  static constexpr std::uint64_t change_step = 2, closed_bit = 1;

  mutable typename Sync::mutex mutex_;
  typename Sync::condition_variable changed_;  // waited on with mutex_
  typename Sync::template cell<state> state_;  // guarded by mutex_
  std::atomic<std::uint64_t> changes_{0};  // written under mutex_; see "Spin before the park"
  typename Sync::template cell<async_listener*> head_{nullptr};  // linked listeners, oldest first; guarded by mutex_
  typename Sync::template cell<async_listener*> tail_{nullptr};  // guarded by mutex_
};

}  // namespace oncecheck
