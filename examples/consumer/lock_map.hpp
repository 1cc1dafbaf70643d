// lock_map: the consumer example's design, one mutex and one condition
// variable over the whole map (as examples/one_lock_map.hpp in oncecheck's
// own tree). `NotifyOnDone` is there so this project can keep a flawed copy
// beside the correct one: my_map.hpp sets it, my_map_forgot_notify.hpp
// does not (done() publishes the value and wakes nobody).
//
// Locking protocol: `lock_` guards every member below it; waiters sleep on
// `changed_` with `lock_` held; a compute never runs under `lock_`.
//
// State of a key: absent -register_key-> pending -done-> ready (final);
// pending -fail-> absent (waiters of that round get the error); close()
// ends every round with `closed`. The destructor closes the map and waits
// until no caller is inside wait() before the members go.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "impls/once_map.hpp"
#include "impls/sync/std_backend.hpp"

template <class K, class V, class Sync, bool NotifyOnDone>
class lock_map {
 public:
  using key_type = K;
  using value_type = V;
  static constexpr std::string_view design_name = NotifyOnDone ? "my_map" : "my_map_forgot_notify";
  static constexpr oncecheck::capabilities traits{
      .blocking_wait = true,
      .async_wait = false,
      .timeouts = true,
      .allocates_per_waiter = false,
      .on_close = "every waiter returns closed",
      .leader_failure = "waiters of the round get the error; the key can be registered again",
  };

  lock_map() = default;
  lock_map(const lock_map&) = delete;
  lock_map& operator=(const lock_map&) = delete;
  ~lock_map() {
    close();
    typename Sync::unique_lock lock(lock_);
    while (inside_.get() != 0) left_.wait(lock);
  }

  bool register_key(const K& key) {
    typename Sync::unique_lock lock(lock_);
    return !closed_.get() && keys_.mut().try_emplace(key).second;
  }

  void done(const K& key, V value) {
    typename Sync::unique_lock lock(lock_);
    auto& slot = keys_.mut()[key];
    if (closed_.get() || slot.value) return;
    slot.value.emplace(std::move(value));
    if constexpr (NotifyOnDone) changed_.notify_all();
  }

  void fail(const K& key, oncecheck::wait_error error) {
    typename Sync::unique_lock lock(lock_);
    auto it = keys_.mut().find(key);
    if (it == keys_.mut().end() || it->second.value) return;
    auto& f = failures_.mut()[key];
    f = {f.count + 1, error};
    keys_.mut().erase(it);
    changed_.notify_all();
  }

  std::optional<V> get(const K& key) const {
    typename Sync::unique_lock lock(lock_);
    auto it = keys_.get().find(key);
    return it == keys_.get().end() ? std::nullopt : it->second.value;
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
  struct slot {
    std::optional<V> value;
  };
  struct failure {
    std::uint64_t count = 0;  // rounds of this key ended by fail()
    oncecheck::wait_error error = oncecheck::wait_error::leader_failed;
  };

  std::uint64_t rounds_failed(const K& key) const {
    auto it = failures_.get().find(key);
    return it == failures_.get().end() ? 0 : it->second.count;
  }

  // The outcome of `key` for a waiter that came in round `round`, if there is one yet.
  std::optional<oncecheck::outcome<V>> settled(const K& key, std::uint64_t round) const {
    auto it = keys_.get().find(key);
    if (it != keys_.get().end() && it->second.value) return *it->second.value;
    if (closed_.get()) return oncecheck::wait_error::closed;
    if (rounds_failed(key) != round) return failures_.get().find(key)->second.error;
    if (it == keys_.get().end()) return oncecheck::wait_error::not_registered;
    return std::nullopt;
  }

  oncecheck::outcome<V> wait_until(const K& key, std::optional<typename Sync::clock::time_point> deadline) {
    typename Sync::unique_lock lock(lock_);
    const std::uint64_t round = rounds_failed(key);
    ++inside_.mut();
    ++waiters_.mut()[key];
    std::optional<oncecheck::outcome<V>> result = settled(key, round);
    while (!result) {
      bool timed_out = false;
      if (deadline) timed_out = changed_.wait_until(lock, *deadline) == oncecheck::sync::wait_status::timed_out;
      else changed_.wait(lock);
      result = settled(key, round);
      if (!result && timed_out) result.emplace(oncecheck::wait_error::timed_out);
    }
    if (--waiters_.mut()[key] == 0) waiters_.mut().erase(key);
    if (--inside_.mut() == 0) left_.notify_all();
    return *result;
  }

  mutable typename Sync::mutex lock_;
  typename Sync::condition_variable changed_;  // waited on with lock_
  typename Sync::condition_variable left_;     // the destructor waits on it
  typename Sync::template cell<std::unordered_map<K, slot>> keys_;
  typename Sync::template cell<std::unordered_map<K, failure>> failures_;
  typename Sync::template cell<std::unordered_map<K, std::size_t>> waiters_;
  typename Sync::template cell<std::size_t> inside_{0};  // callers in wait()
  typename Sync::template cell<bool> closed_{false};
};
