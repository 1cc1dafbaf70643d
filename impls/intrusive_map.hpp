// intrusive_map: maitake-sync's WaitMap (seed 003), as a once-map.
//
// What it models. WaitMap keeps waiters in an intrusive doubly linked list
// under one mutex: each node lives inside the waiting future (here: the
// waiting call's stack frame), so waiting allocates nothing. A wake walks the
// list, unlinks the nodes of its key, hands each its value and wakes it. The
// list must be doubly linked because a waiter that gives up (a dropped
// future; here a wait_for that times out) has to unlink its own node from the
// middle of the list before its memory goes away. When a wake finds nobody
// waiting it stores the wake-up, so a later wait completes at once.
//
// Tasks (wait_async) wait the same way: the node lives in the task's frame
// and holds the task's waker instead of a condition variable, and it is
// unlinked by its destructor when the task is dropped while parked (maitake's
// Wait future unlinks itself on drop).
//
// The once-map part sits beside the list: `keys_` records, per key, whether a
// leader is computing it (pending), its value (ready) or why its last round
// failed (failed). register_key makes the leader; done stores the value and
// wakes every linked node of the key (a once-map has many waiters per key,
// where WaitMap wants keys unique); get reads stored values.
//
// Locking protocol. One mutex, `lock_`, guards everything: the list (head_,
// tail_ and every linked node's links and slot), keys_, closed_ and
// inside_wait_. A waiter links its node, sleeps on the node's own condition
// variable with `lock_` (so a wake is never lost between the check and the
// sleep) and, once woken, reads its slot under `lock_`; whoever wakes a node
// has already unlinked it, so the node's frame may end as soon as its owner
// sees the slot filled. The destructor wakes every node and then waits
// (on drained_) until every waiter has left wait(), because a woken waiter
// still re-acquires `lock_` before it can return.
//
// State transitions of a key (in keys_, under lock_):
//   absent  --register_key-->  pending   (the caller is the leader)
//   pending --done-->          ready     (final; every linked node of the key
//                                         gets the value)
//   pending --fail-->          failed    (every linked node gets the error)
//   failed  --register_key-->  pending   (a new round, a new leader)
//   absent/failed --done-->    ready     (a stored wake-up: nobody waited)
// and of a node (in its slot, under lock_):
//   waiting --done-->  woken    waiting --fail-->  failed
//   waiting --close--> closed   waiting --timeout--> (unlinked by its owner)
// Rounds need no counter: a failure reaches exactly the nodes linked at that
// moment, and a waiter that arrives later finds the key failed or pending
// again.
//
// Memory ordering: no atomics; every shared access is under lock_.
//
// Flaws (compile-time, the real bugs of seed 003):
//   flaw::no_unlink_on_cancel    a waiter whose wait_for times out returns
//                                without unlinking its node, and a waiting
//                                task that is cancelled (its frame destroyed)
//                                leaves its node linked: the list keeps a
//                                pointer into a dead frame, and the next
//                                done/close/link writes through it.
//   flaw::wake_before_wait_lost  a done() that finds no linked node stores
//                                nothing (the wake-up WaitMap keeps is
//                                dropped): the key stays pending and a waiter
//                                that arrives later sleeps forever.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>

#include "once_map.hpp"
#include "task.hpp"
#include "sync/std_backend.hpp"

namespace oncecheck {

namespace flaw {
// Its truth: models/expected.tsv rows `intrusive no_unlink_on_cancel`, tests/pinned_replays.tsv
// rows `intrusive no_unlink_on_cancel`, README "The designs" (tests/flaw_truth_test.py checks all three).
struct no_unlink_on_cancel {
  static constexpr std::string_view name = "no_unlink_on_cancel";
  static constexpr std::string_view bug =
      "a timed-out waiter returns without unlinking its node: the next wake writes through a dead stack frame";
};
// Its truth: models/expected.tsv rows `intrusive wake_before_wait_lost`, tests/pinned_replays.tsv
// rows `intrusive wake_before_wait_lost`, README "The designs" (tests/flaw_truth_test.py checks all three).
struct wake_before_wait_lost {
  static constexpr std::string_view name = "wake_before_wait_lost";
  static constexpr std::string_view bug =
      "a completion that finds no linked waiter is dropped: a waiter that arrives later sleeps forever";
};
}  // namespace flaw

template <class K, class V, class Sync = sync::std_backend, class Flaw = flaw::none>
class intrusive_map {
 public:
  using key_type = K;
  using value_type = V;
  using flaw_type = Flaw;
  static constexpr std::string_view design_name = "intrusive";
  static constexpr capabilities traits{
      .blocking_wait = true,
      .async_wait = true,
      .timeouts = true,
      .allocates_per_waiter = false,
      .on_close = "every linked waiter is unlinked and returns closed; the destructor waits for them to leave",
      .leader_failure = "the waiters linked at that moment get the error; the key can be registered again",
  };

  intrusive_map() = default;
  intrusive_map(const intrusive_map&) = delete;
  intrusive_map& operator=(const intrusive_map&) = delete;

  ~intrusive_map() {
    close();
    typename Sync::unique_lock lock(lock_);
    while (inside_wait_.get() != 0) drained_.wait(lock);
  }

  bool register_key(const K& key) {
    typename Sync::unique_lock lock(lock_);
    if (closed_.get()) return false;
    auto [it, inserted] = keys_.mut().try_emplace(key);
    entry& e = it->second;
    if (!inserted && e.state != phase::failed) return false;
    e.state = phase::pending;
    Sync::note("register", key, "-> leader");
    return true;
  }

  void done(const K& key, V value) {
    typename Sync::unique_lock lock(lock_);
    if (closed_.get()) return;
    {
      const auto& keys = keys_.get();
      auto it = keys.find(key);
      if (it != keys.end() && it->second.state == phase::ready) return;
    }
    const std::size_t woken = wake_linked(&key, [&](slot& s) {
      s.state = node_state::woken;
      s.value.emplace(value);
    });
    if constexpr (std::is_same_v<Flaw, flaw::wake_before_wait_lost>) {
      if (woken == 0) {
        Sync::note("done", key, "no node linked: the wake-up is dropped, the key stays pending");
        return;
      }
    }
    entry& e = keys_.mut()[key];
    e.state = phase::ready;
    e.value.emplace(std::move(value));
    Sync::note("done", key, woken == 0 ? "-> ready, stored for later waiters" : "-> ready, linked nodes woken");
  }

  void fail(const K& key, wait_error error) {
    typename Sync::unique_lock lock(lock_);
    auto& keys = keys_.mut();
    auto it = keys.find(key);
    if (it == keys.end() || it->second.state != phase::pending) return;
    it->second.state = phase::failed;
    it->second.error = error;
    wake_linked(&key, [&](slot& s) {
      s.state = node_state::failed;
      s.error = error;
    });
    Sync::note("fail", key, "-> failed, linked nodes woken");
  }

  std::optional<V> get(const K& key) const {
    typename Sync::unique_lock lock(lock_);
    const auto& keys = keys_.get();
    auto it = keys.find(key);
    if (it == keys.end() || it->second.state != phase::ready) return std::nullopt;
    return it->second.value;
  }

  outcome<V> wait(const K& key) { return wait_until(key, std::nullopt); }

  outcome<V> wait_for(const K& key, std::chrono::nanoseconds timeout) {
    return wait_until(key, Sync::clock::now() + timeout);
  }

  void close() {
    typename Sync::unique_lock lock(lock_);
    if (closed_.get()) return;
    closed_.mut() = true;
    wake_linked(nullptr, [](slot& s) { s.state = node_state::closed; });
    Sync::note("close", nullptr, "every linked node woken with closed");  // every key: none to name
  }

  std::size_t waiting(const K& key) const {
    typename Sync::unique_lock lock(lock_);
    std::size_t n = 0;
    for (const node* p = head_.get(); p != nullptr; p = p->next.get())
      if (p->key.get() == key) ++n;
    return n;
  }

 private:
  enum class phase : std::uint8_t { pending, ready, failed };

  struct entry {
    phase state = phase::pending;
    std::optional<V> value;                        // set once, when ready
    wait_error error = wait_error::leader_failed;  // why the last round failed
  };

  enum class node_state : std::uint8_t { waiting, woken, closed, failed };

  // What the waker leaves for the sleeper.
  struct slot {
    node_state state = node_state::waiting;
    std::optional<V> value;  // when woken
    wait_error error = wait_error::closed;  // when failed
  };

  // One per blocked call, in that call's frame. Every field is a cell even
  // though the key never changes after linking: a waker reads it through a
  // pointer from the list, and a dangling pointer must be seen as one.
  struct node {
    explicit node(const K& k) : key(k) {}
    typename Sync::template cell<K> key;              // written before linking, read under lock_
    typename Sync::template cell<node*> prev{nullptr};  // guarded by lock_
    typename Sync::template cell<node*> next{nullptr};  // guarded by lock_
    typename Sync::template cell<slot> result;          // guarded by lock_
    typename Sync::condition_variable wake;             // waited on with lock_ (a blocked thread)
    waker task;                                         // set before linking (a parked task)
  };

  // An async waiter's node, in the task's frame. A task destroyed while
  // parked (cancelled) runs this destructor with its node still linked: it
  // unlinks it, so no wake ever reaches the dead frame.
  struct async_node {
    async_node(intrusive_map& m, const K& key, waker task) : map(m), n(key) {
      n.task = task;
      map.link(n);
    }
    async_node(const async_node&) = delete;
    async_node& operator=(const async_node&) = delete;
    ~async_node() {
      if (returned) return;  // left through wait_async's end, lock_ held, node unlinked by its waker
      if constexpr (std::is_same_v<Flaw, flaw::no_unlink_on_cancel>) {
        Sync::note("wait_async", n.key.get(), "cancelled, its node left linked");
      } else {
        typename Sync::unique_lock lock(map.lock_);
        if (n.result.get().state == node_state::waiting) map.unlink(n);
        Sync::note("wait_async", n.key.get(), "cancelled, unlinked its node");
      }
    }
    intrusive_map& map;
    node n;
    bool returned = false;  // only its own task touches it
  };

  // FIFO, as WaitMap: the oldest waiter of a key is woken first.
  void link(node& n) {
    node* last = tail_.get();
    n.prev.mut() = last;
    n.next.mut() = nullptr;
    if (last) last->next.mut() = &n;
    else head_.mut() = &n;
    tail_.mut() = &n;
  }

  void unlink(node& n) {
    node* before = n.prev.get();
    node* after = n.next.get();
    if (before) before->next.mut() = after;
    else head_.mut() = after;
    if (after) after->prev.mut() = before;
    else tail_.mut() = before;
    n.prev.mut() = nullptr;
    n.next.mut() = nullptr;
  }

  // Unlinks every node of `key` (of every key when null), fills its slot and
  // wakes it. Unlinking before waking is what lets the woken frame end: once
  // its owner sees the slot filled, nothing points at it any more.
  template <class Fill>
  std::size_t wake_linked(const K* key, Fill fill) {
    std::size_t n = 0;
    for (node* p = head_.get(); p != nullptr;) {
      node* following = p->next.get();
      if (key == nullptr || p->key.get() == *key) {
        unlink(*p);
        fill(p->result.mut());
        if (p->task) p->task.wake();
        else p->wake.notify_one();
        ++n;
      }
      p = following;
    }
    return n;
  }

  // With lock_ held: the answer if there is one without waiting.
  std::optional<outcome<V>> answer_now(const K& key) const {
    if (closed_.get()) return outcome<V>(wait_error::closed);
    const auto& keys = keys_.get();
    auto it = keys.find(key);
    if (it == keys.end()) return outcome<V>(wait_error::not_registered);
    if (it->second.state == phase::ready) return outcome<V>(*it->second.value);
    if (it->second.state == phase::failed) return outcome<V>(it->second.error);
    return std::nullopt;
  }

  static outcome<V> answer_of(const slot& s) {
    return s.state == node_state::woken    ? outcome<V>(*s.value)
           : s.state == node_state::failed ? outcome<V>(s.error)
                                           : outcome<V>(wait_error::closed);
  }

  outcome<V> wait_until(const K& key, std::optional<typename Sync::clock::time_point> deadline) {
    typename Sync::unique_lock lock(lock_);
    if (auto r = answer_now(key)) return *r;
    return sleep_linked(lock, key, deadline);
  }

  // The node is declared after `lock` was taken, so it is destroyed before
  // the caller's guard unlocks: nobody can be walking the list past it then.
  outcome<V> sleep_linked(typename Sync::unique_lock& lock, const K& key,
                          const std::optional<typename Sync::clock::time_point>& deadline) {
    node self(key);
    link(self);
    ++inside_wait_.mut();
    Sync::note("wait", key, "links its node, blocks");
    while (self.result.get().state == node_state::waiting) {
      if (!deadline) {
        self.wake.wait(lock);
        continue;
      }
      if (self.wake.wait_until(lock, *deadline) == sync::wait_status::timed_out &&
          self.result.get().state == node_state::waiting) {
        if constexpr (std::is_same_v<Flaw, flaw::no_unlink_on_cancel>) {
          Sync::note("wait", key, "timed out, returns with its node still linked");
        } else {
          unlink(self);
          Sync::note("wait", key, "timed out, unlinked its node");
        }
        leave();
        return wait_error::timed_out;
      }
    }
    outcome<V> r = answer_of(self.result.get());
    Sync::note("wait", key, "woken, returns");
    leave();
    return r;
  }


 public:
  // The async twin of wait(): the node lives in the task's frame and its
  // waker is the task's; nothing is allocated per waiter beyond the frame.
  // A parked task is not counted in inside_wait_: it touches the map only
  // while the map is alive (the map outlives its tasks, see task.hpp).
  task<outcome<V>> wait_async(K key) {
    const waker me = co_await current_waker{};
    typename Sync::unique_lock lock(lock_);
    if (auto r = answer_now(key)) co_return *r;
    async_node self(*this, key, me);
    Sync::note("wait_async", key, "links its node, parks");
    while (self.n.result.get().state == node_state::waiting) {
      lock.unlock();
      co_await park{};
      lock.lock();
    }
    self.returned = true;
    Sync::note("wait_async", key, "woken, returns");
    co_return answer_of(self.n.result.get());
  }

 private:
  // The destructor may be waiting for the last waiter to leave.
  void leave() {
    if (--inside_wait_.mut() == 0 && closed_.get()) drained_.notify_all();
  }

  mutable typename Sync::mutex lock_;
  typename Sync::condition_variable drained_;                            // waited on with lock_
  typename Sync::template cell<std::unordered_map<K, entry>> keys_;      // guarded by lock_
  typename Sync::template cell<node*> head_{nullptr};                    // guarded by lock_
  typename Sync::template cell<node*> tail_{nullptr};                    // guarded by lock_
  typename Sync::template cell<std::size_t> inside_wait_{0};             // guarded by lock_
  typename Sync::template cell<bool> closed_{false};                     // guarded by lock_
};

}  // namespace oncecheck
