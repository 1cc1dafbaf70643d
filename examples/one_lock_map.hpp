// one_lock_map: the smallest correct once-map, as an example of bringing your
// own design to oncecheck:
//
//   make check-models IMPL=examples/one_lock_map.hpp
//   make stress IMPL=examples/one_lock_map.hpp
//
// What it models: the first design anyone writes. One mutex guards the whole
// map and one condition variable wakes every waiter of every key.
//
// Locking protocol: `lock_` guards everything below it. Waiters sleep on
// `changed_` with `lock_` held; every state change notifies all. A compute
// never runs under `lock_` (the leader is outside the map while it computes).
//
// State transitions of a key: absent -register_key-> pending -done-> ready
// (final); pending -fail-> absent (waiters of that round get the error and
// the key can be registered again); close() makes every pending key fail
// with `closed` and refuses new registrations.
//
// Destruction with blocked waiters: waiters re-take `lock_` when they wake,
// so the destructor closes the map and then waits until no caller is inside
// wait() before the members are destroyed.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>

#include "impls/once_map.hpp"
#include "impls/register_design.hpp"
#include "impls/sync/std_backend.hpp"

template <class K, class V, class Sync = oncecheck::sync::std_backend, class Flaw = oncecheck::flaw::none>
class one_lock_map {
 public:
  using key_type = K;
  using value_type = V;
  static constexpr std::string_view design_name = "one_lock";
  static constexpr oncecheck::capabilities traits{
      .blocking_wait = true,
      .async_wait = false,
      .timeouts = true,
      .allocates_per_waiter = false,
      .on_close = "every waiter returns closed",
      .leader_failure = "waiters of the round get the error; the key can be registered again",
  };

  one_lock_map() = default;
  one_lock_map(const one_lock_map&) = delete;
  one_lock_map& operator=(const one_lock_map&) = delete;

  ~one_lock_map() {
    close();
    typename Sync::unique_lock lock(lock_);
    while (inside_.get() != 0) left_.wait(lock);
  }

  bool register_key(const K& key) {
    typename Sync::unique_lock lock(lock_);
    if (closed_.get()) return false;
    auto [it, inserted] = keys_.mut().try_emplace(key);
    return inserted;
  }

  void done(const K& key, V value) {
    typename Sync::unique_lock lock(lock_);
    if (closed_.get()) return;
    slot& s = keys_.mut()[key];
    if (s.value) return;
    s.value.emplace(std::move(value));
    changed_.notify_all();
  }

  void fail(const K& key, oncecheck::wait_error error) {
    typename Sync::unique_lock lock(lock_);
    auto& keys = keys_.mut();
    auto it = keys.find(key);
    if (it == keys.end() || it->second.value) return;
    failures_.mut()[key] = {failure_count(key) + 1, error};
    keys.erase(it);
    changed_.notify_all();
  }

  std::optional<V> get(const K& key) const {
    typename Sync::unique_lock lock(lock_);
    auto it = keys_.get().find(key);
    if (it == keys_.get().end()) return std::nullopt;
    return it->second.value;
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
    std::optional<V> value;  // set once, by done()
  };
  struct failure {
    std::uint64_t count = 0;  // rounds of this key ended by fail()
    oncecheck::wait_error error = oncecheck::wait_error::leader_failed;
  };

  std::uint64_t failure_count(const K& key) const {
    auto it = failures_.get().find(key);
    return it == failures_.get().end() ? 0 : it->second.count;
  }

  oncecheck::outcome<V> wait_until(const K& key, std::optional<typename Sync::clock::time_point> deadline) {
    typename Sync::unique_lock lock(lock_);
    const std::uint64_t round = failure_count(key);
    ++inside_.mut();
    ++waiters_.mut()[key];
    std::optional<oncecheck::outcome<V>> result;
    while (!result) {
      auto it = keys_.get().find(key);
      if (it != keys_.get().end() && it->second.value) result.emplace(*it->second.value);
      else if (closed_.get()) result.emplace(oncecheck::wait_error::closed);
      else if (failure_count(key) != round) result.emplace(failures_.get().find(key)->second.error);
      else if (it == keys_.get().end()) result.emplace(oncecheck::wait_error::not_registered);
      else if (!deadline) changed_.wait(lock);
      else if (changed_.wait_until(lock, *deadline) == oncecheck::sync::wait_status::timed_out) {
        auto again = keys_.get().find(key);
        const bool round_open = !closed_.get() && failure_count(key) == round && again != keys_.get().end() &&
                                !again->second.value;
        if (round_open) result.emplace(oncecheck::wait_error::timed_out);
      }
    }
    if (--waiters_.mut()[key] == 0) waiters_.mut().erase(key);
    if (--inside_.mut() == 0) left_.notify_all();
    return *result;
  }

  mutable typename Sync::mutex lock_;
  typename Sync::condition_variable changed_;                               // waited on with lock_
  typename Sync::condition_variable left_;                                  // the destructor waits on it
  typename Sync::template cell<std::unordered_map<K, slot>> keys_;          // guarded by lock_
  typename Sync::template cell<std::unordered_map<K, failure>> failures_;   // guarded by lock_
  typename Sync::template cell<std::unordered_map<K, std::size_t>> waiters_;  // guarded by lock_
  typename Sync::template cell<std::size_t> inside_{0};                    // callers in wait(); guarded by lock_
  typename Sync::template cell<bool> closed_{false};                       // guarded by lock_
};

ONCECHECK_REGISTER_DESIGN(one_lock_map);
