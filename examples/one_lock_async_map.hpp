// one_lock_async_map: the smallest correct once-map with async waits, as an
// example of bringing your own async design to oncecheck:
//
//   make check-models IMPL=examples/one_lock_async_map.hpp
//
// Its traits say async_wait, so it is expected to give what the project's
// correct async designs give (harness/runner/expectations.hpp): pass in the
// async scenarios too, where a blocking-only design's tasks block their
// worker. tests/CMakeLists.txt checks that it does.
//
// What it models: examples/one_lock_map.hpp (one mutex over the whole map,
// one condition variable for blocked threads) plus a list of parked tasks'
// wakers per key, the way an async runtime's simplest map keeps them.
//
// Locking protocol: `lock_` guards everything below it. Blocked threads
// sleep on `changed_` with `lock_` held. A task registers its waker under
// `lock_` in the same critical section as its check, so a completion either
// comes before the check (seen) or after the registration (wakes it). Every
// state change notifies all threads and wakes every parked task of the key
// after dropping `lock_` (a woken task re-takes it). A task's registration
// is removed by a guard in its frame, so a task destroyed while parked
// (cancelled) leaves nothing behind. A compute never runs under `lock_`.
//
// State transitions of a key: absent -register_key-> pending -done-> ready
// (final); pending -fail-> absent (waiters of that round get the error and
// the key can be registered again); close() makes every pending key fail
// with `closed` and refuses new registrations.
//
// Destruction: the destructor closes the map and waits until no thread is
// inside wait(); parked tasks must be gone before the map is (the contract
// of impls/task.hpp: a map outlives the tasks its wait_async returned).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "impls/once_map.hpp"
#include "impls/register_design.hpp"
#include "impls/sync/std_backend.hpp"
#include "impls/task.hpp"

template <class K, class V, class Sync = oncecheck::sync::std_backend, class Flaw = oncecheck::flaw::none>
class one_lock_async_map {
 public:
  using key_type = K;
  using value_type = V;
  static constexpr std::string_view design_name = "one_lock_async";
  static constexpr oncecheck::capabilities traits{
      .blocking_wait = true,
      .async_wait = true,
      .timeouts = true,
      .allocates_per_waiter = true,
      .on_close = "every waiter returns closed",
      .leader_failure = "waiters of the round get the error; the key can be registered again",
  };

  one_lock_async_map() = default;
  one_lock_async_map(const one_lock_async_map&) = delete;
  one_lock_async_map& operator=(const one_lock_async_map&) = delete;

  ~one_lock_async_map() {
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
    std::vector<oncecheck::waker> wake;
    {
      typename Sync::unique_lock lock(lock_);
      if (closed_.get()) return;
      std::optional<V>& slot = keys_.mut()[key];
      if (slot) return;
      slot.emplace(std::move(value));
      wake = changed(key);
    }
    for (const auto& w : wake) w.wake();
  }

  void fail(const K& key, oncecheck::wait_error error) {
    std::vector<oncecheck::waker> wake;
    {
      typename Sync::unique_lock lock(lock_);
      auto& keys = keys_.mut();
      auto it = keys.find(key);
      if (it == keys.end() || it->second) return;
      failures_.mut()[key] = {failure_count(key) + 1, error};
      keys.erase(it);
      wake = changed(key);
    }
    for (const auto& w : wake) w.wake();
  }

  std::optional<V> get(const K& key) const {
    typename Sync::unique_lock lock(lock_);
    auto it = keys_.get().find(key);
    return it == keys_.get().end() ? std::nullopt : it->second;
  }

  oncecheck::outcome<V> wait(const K& key) { return wait_until(key, std::nullopt); }

  oncecheck::outcome<V> wait_for(const K& key, std::chrono::nanoseconds timeout) {
    return wait_until(key, Sync::clock::now() + timeout);
  }

  oncecheck::task<oncecheck::outcome<V>> wait_async(K key) {
    const oncecheck::waker me = co_await oncecheck::current_waker{};
    std::uint64_t round = 0, id = 0;
    {
      typename Sync::unique_lock lock(lock_);
      round = failure_count(key);
      if (auto r = settled(key, round)) co_return *r;
      id = ++next_id_.mut();
      parked_.mut()[key].push_back({id, me});
    }
    const unpark_on_exit registered{*this, key, id};  // also when the task is destroyed while parked
    for (;;) {
      co_await oncecheck::park{};  // a wake may be spurious: check again
      typename Sync::unique_lock lock(lock_);
      if (auto r = settled(key, round)) co_return *r;
    }
  }

  void close() {
    std::vector<oncecheck::waker> wake;
    {
      typename Sync::unique_lock lock(lock_);
      closed_.mut() = true;
      for (const auto& [k, tasks] : parked_.get())
        for (const auto& t : tasks) wake.push_back(t.second);
      changed_.notify_all();
    }
    for (const auto& w : wake) w.wake();
  }

  std::size_t waiting(const K& key) const {
    typename Sync::unique_lock lock(lock_);
    auto it = waiters_.get().find(key);
    auto tasks = parked_.get().find(key);
    return (it == waiters_.get().end() ? 0 : it->second) + (tasks == parked_.get().end() ? 0 : tasks->second.size());
  }

 private:
  struct failure {
    std::uint64_t count = 0;  // rounds of this key ended by fail()
    oncecheck::wait_error error = oncecheck::wait_error::leader_failed;
  };

  // Removes a task's waker when its wait ends, however it ends.
  struct unpark_on_exit {
    one_lock_async_map& map;
    K key;
    std::uint64_t id;
    ~unpark_on_exit() {
      typename Sync::unique_lock lock(map.lock_);
      auto& parked = map.parked_.mut();
      auto& tasks = parked[key];
      std::erase_if(tasks, [&](const auto& t) { return t.first == id; });
      if (tasks.empty()) parked.erase(key);
    }
  };

  std::uint64_t failure_count(const K& key) const {
    auto it = failures_.get().find(key);
    return it == failures_.get().end() ? 0 : it->second.count;
  }

  // With lock_ held: what a waiter of round `round` gets, if its wait is over.
  std::optional<oncecheck::outcome<V>> settled(const K& key, std::uint64_t round) const {
    auto it = keys_.get().find(key);
    if (it != keys_.get().end() && it->second) return oncecheck::outcome<V>(*it->second);
    if (closed_.get()) return oncecheck::outcome<V>(oncecheck::wait_error::closed);
    if (failure_count(key) != round) return oncecheck::outcome<V>(failures_.get().find(key)->second.error);
    if (it == keys_.get().end()) return oncecheck::outcome<V>(oncecheck::wait_error::not_registered);
    return std::nullopt;
  }

  // With lock_ held, after a change to `key`: wakes the threads, and gives
  // the parked tasks' wakers to wake once the lock is dropped.
  std::vector<oncecheck::waker> changed(const K& key) {
    changed_.notify_all();
    std::vector<oncecheck::waker> out;
    if (auto it = parked_.get().find(key); it != parked_.get().end())
      for (const auto& t : it->second) out.push_back(t.second);
    return out;
  }

  oncecheck::outcome<V> wait_until(const K& key, std::optional<typename Sync::clock::time_point> deadline) {
    typename Sync::unique_lock lock(lock_);
    const std::uint64_t round = failure_count(key);
    ++inside_.mut();
    ++waiters_.mut()[key];
    std::optional<oncecheck::outcome<V>> result;
    while (!(result = settled(key, round))) {
      if (!deadline) changed_.wait(lock);
      else if (changed_.wait_until(lock, *deadline) == oncecheck::sync::wait_status::timed_out &&
               !(result = settled(key, round)))
        result.emplace(oncecheck::wait_error::timed_out);
      if (result) break;
    }
    if (--waiters_.mut()[key] == 0) waiters_.mut().erase(key);
    if (--inside_.mut() == 0) left_.notify_all();
    return *result;
  }

  mutable typename Sync::mutex lock_;
  typename Sync::condition_variable changed_;  // waited on with lock_
  typename Sync::condition_variable left_;     // the destructor waits on it
  typename Sync::template cell<std::unordered_map<K, std::optional<V>>> keys_;  // guarded by lock_
  typename Sync::template cell<std::unordered_map<K, failure>> failures_;       // guarded by lock_
  typename Sync::template cell<std::unordered_map<K, std::size_t>> waiters_;    // blocked threads; guarded by lock_
  typename Sync::template cell<std::unordered_map<K, std::vector<std::pair<std::uint64_t, oncecheck::waker>>>>
      parked_;                                                                  // parked tasks; guarded by lock_
  typename Sync::template cell<std::uint64_t> next_id_{0};                     // guarded by lock_
  typename Sync::template cell<std::size_t> inside_{0};  // threads in wait(); guarded by lock_
  typename Sync::template cell<bool> closed_{false};     // guarded by lock_
};

ONCECHECK_REGISTER_DESIGN(one_lock_async_map);
