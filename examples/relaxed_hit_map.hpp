// relaxed_hit_map: a user's design with one realistic bug, kept as an example
// of what `make stress IMPL=` must catch (and `make check-models IMPL=` too):
//
//   make stress IMPL=examples/relaxed_hit_map.hpp        # data_race in the TSan cells
//   make check-models IMPL=examples/relaxed_hit_map.hpp  # data_race under Relacy
//
// What it models: one_lock_map (examples/one_lock_map.hpp) with a lock-free
// hit path, the optimisation everyone adds next. A small table of published
// values lets get() answer a hit without the lock: done() fills a slot's key
// and value under the lock and then sets its `ready` flag; get() reads the
// flag and, when it is set, the key and value beside it.
//
// The bug: get() loads `ready` with memory_order_relaxed. Nothing then orders
// done()'s plain writes of the slot before get()'s plain reads of it, so a
// reader can see `ready` and a value that is not there yet. On x86 the stores
// happen to land in order and a plain run passes; ThreadSanitizer (and
// Relacy's weak memory model) see the read as a data race. The fix is one
// word: memory_order_acquire, pairing with done()'s release store.
//
// Locking protocol: `lock_` guards the slow path exactly as in one_lock_map.
// A hit slot is written once, under `lock_`, by the first done() whose key
// hashes to it (its key, then its value, then `ready` with release); it is
// never written again, so readers need only the flag.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "impls/once_map.hpp"
#include "impls/register_design.hpp"
#include "impls/sync/std_backend.hpp"

template <class K, class V, class Sync = oncecheck::sync::std_backend, class Flaw = oncecheck::flaw::none>
class relaxed_hit_map {
 public:
  using key_type = K;
  using value_type = V;
  static constexpr std::string_view design_name = "relaxed_hit";
  static constexpr oncecheck::capabilities traits{
      .blocking_wait = true,
      .async_wait = false,
      .timeouts = true,
      .allocates_per_waiter = false,
      .on_close = "every waiter returns closed",
      .leader_failure = "waiters of the round get the error; the key can be registered again",
  };

  relaxed_hit_map() = default;
  relaxed_hit_map(const relaxed_hit_map&) = delete;
  relaxed_hit_map& operator=(const relaxed_hit_map&) = delete;

  ~relaxed_hit_map() {
    close();
    typename Sync::unique_lock lock(lock_);
    while (inside_.get() != 0) left_.wait(lock);
  }

  bool register_key(const K& key) {
    typename Sync::unique_lock lock(lock_);
    if (closed_.get()) return false;
    return keys_.mut().try_emplace(key).second;
  }

  void done(const K& key, V value) {
    typename Sync::unique_lock lock(lock_);
    if (closed_.get()) return;
    std::optional<V>& slot = keys_.mut()[key];
    if (slot) return;
    slot.emplace(value);
    hit_slot& h = hits_[slot_of(key)];
    if (!h.ready.load(std::memory_order_relaxed)) {  // under lock_: only done() writes slots
      h.key.mut() = key;
      h.value.mut() = std::move(value);
      h.ready.store(true, std::memory_order_release);
    }
    changed_.notify_all();
  }

  void fail(const K& key, oncecheck::wait_error error) {
    typename Sync::unique_lock lock(lock_);
    auto it = keys_.mut().find(key);
    if (it == keys_.mut().end() || it->second) return;
    keys_.mut().erase(it);
    auto& f = failures_.mut()[key];
    ++f.first;
    f.second = error;
    changed_.notify_all();
  }

  std::optional<V> get(const K& key) const {
    const hit_slot& h = hits_[slot_of(key)];
    // THE BUG: relaxed, so the plain reads below are not ordered after
    // done()'s writes. memory_order_acquire is the fix.
    if (h.ready.load(std::memory_order_relaxed) && h.key.get() == key) return h.value.get();
    typename Sync::unique_lock lock(lock_);
    auto it = keys_.get().find(key);
    return it == keys_.get().end() ? std::nullopt : it->second;
  }

  oncecheck::outcome<V> wait(const K& key) { return wait_until(key, std::nullopt); }

  oncecheck::outcome<V> wait_for(const K& key, std::chrono::nanoseconds timeout) {
    return wait_until(key, Sync::clock::now() + timeout);
  }

  void close() {
    typename Sync::unique_lock lock(lock_);
    closed_.mut() = true;
    changed_.notify_all();
  }

  std::size_t waiting(const K& key) const {
    typename Sync::unique_lock lock(lock_);
    auto it = waiters_.get().find(key);
    return it == waiters_.get().end() ? 0 : it->second;
  }

 private:
  static constexpr std::size_t hit_slots = 16;
  struct hit_slot {
    typename Sync::template atomic<bool> ready{false};  // set once, by done(), with release
    typename Sync::template cell<K> key{};              // written once before `ready`
    typename Sync::template cell<V> value{};            // written once before `ready`
  };
  static std::size_t slot_of(const K& key) { return std::hash<K>{}(key) % hit_slots; }

  std::size_t failures_of(const K& key) const {
    auto it = failures_.get().find(key);
    return it == failures_.get().end() ? 0 : it->second.first;
  }

  oncecheck::outcome<V> wait_until(const K& key, std::optional<typename Sync::clock::time_point> deadline) {
    typename Sync::unique_lock lock(lock_);
    const std::size_t round = failures_of(key);
    ++inside_.mut();
    ++waiters_.mut()[key];
    std::optional<oncecheck::outcome<V>> result;
    while (!result) {
      auto it = keys_.get().find(key);
      if (it != keys_.get().end() && it->second) result.emplace(*it->second);
      else if (closed_.get()) result.emplace(oncecheck::wait_error::closed);
      else if (failures_of(key) != round) result.emplace(failures_.get().find(key)->second.second);
      else if (it == keys_.get().end()) result.emplace(oncecheck::wait_error::not_registered);
      else if (!deadline) changed_.wait(lock);
      else if (changed_.wait_until(lock, *deadline) == oncecheck::sync::wait_status::timed_out) {
        auto again = keys_.get().find(key);
        if (!closed_.get() && failures_of(key) == round && again != keys_.get().end() && !again->second)
          result.emplace(oncecheck::wait_error::timed_out);
      }
    }
    if (--waiters_.mut()[key] == 0) waiters_.mut().erase(key);
    if (--inside_.mut() == 0) left_.notify_all();
    return *result;
  }

  mutable typename Sync::mutex lock_;
  typename Sync::condition_variable changed_;  // waited on with lock_
  typename Sync::condition_variable left_;     // the destructor waits on it
  std::array<hit_slot, hit_slots> hits_;       // see "Locking protocol" above
  typename Sync::template cell<std::unordered_map<K, std::optional<V>>> keys_;  // guarded by lock_
  // Per key: rounds ended by fail() and the last error; guarded by lock_.
  typename Sync::template cell<std::unordered_map<K, std::pair<std::size_t, oncecheck::wait_error>>> failures_;
  typename Sync::template cell<std::unordered_map<K, std::size_t>> waiters_;  // guarded by lock_
  typename Sync::template cell<std::size_t> inside_{0};  // callers in wait(); guarded by lock_
  typename Sync::template cell<bool> closed_{false};     // guarded by lock_
};

// Registered as a correct design would be: the bug is what the run must find.
ONCECHECK_REGISTER_DESIGN(relaxed_hit_map);
