// hold_entry_across_await: uv's WaitMap hang (seed 000) where it happened,
// in tasks: a task that waits for a key must not keep a reference into the
// map (a shard guard, an entry) alive across its `co_await`, because the
// tasks that need that shard may run on the waiter's own worker.
//
// Roles (keys 1 and 9 hash to the same shard of sharded_entry's 8):
//   waiter      (worker 0)            awaits key 1, registered before the round;
//   neighbour   (worker 0)            yields once, then registers key 9,
//                                     completes it and reads it back: it
//                                     needs key 1's shard for writing, on
//                                     the waiter's own worker;
//   leader      (the last worker)     yields once, then completes key 1: with
//                                     two workers, from another worker.
// With one worker the queue runs waiter, neighbour, leader in that order, so
// the waiter is parked when the others need the shard.
//
// Catches: a waiter that parks holding the shard's read guard
// (sharded_entry/entry_held_across_wait: the neighbour or the leader blocks
// its worker on the write lock while the only task that could release it is
// parked: deadlock under Relacy, hang on real threads), a blocking-only
// design whose wait() holds the worker (one worker: deadlock), a waiter that
// is never woken or gets anything but 2k+1 (wrong_value).
#pragma once

#include <string_view>

#include "async_support.hpp"

namespace oncecheck::scenarios {

template <class Map, class Sync, int Workers>
struct hold_entry_across_await_on {
  static constexpr std::string_view name =
      Workers == 1 ? "hold_entry_across_await/1w" : "hold_entry_across_await/2w";
  static constexpr std::string_view summary =
      "a parked waiter task holds nothing of the map: tasks on its worker and another still get its shard";
  static constexpr int model_threads = Workers;
  static constexpr int model_operations = 3;  // the lead, the waiter task, the neighbour key's lead
  static constexpr int min_threads = Workers;
  static constexpr int stress_threads = Workers;  // the workers are the round's threads
  static constexpr key_t key = 1;
  static constexpr key_t neighbour_key = 9;  // key's shard in sharded_entry

  struct state {
    explicit state(int) : exec(Workers) {
      registered = map.register_key(key);
      exec.spawn(waiter(*this), 0);
      exec.spawn(neighbour(*this), 0);
      exec.spawn(leader(*this), Workers - 1);
      exec.close_when_idle();
    }
    Map map;  // before exec: the map outlives every task
    executor<Sync> exec;
    bool registered = false;  // written before the threads start
    task_result<Sync, outcome<value_t>> waited;
    task_result<Sync, std::optional<value_t>> neighbour_read;
  };

  static task<void> waiter(state& s) { s.waited.mut() = co_await wait_from_task<Sync>(s.map, key); }

  static task<void> neighbour(state& s) {
    co_await yield_now{};
    if (s.map.register_key(neighbour_key)) s.map.done(neighbour_key, value_of(neighbour_key));
    s.neighbour_read.mut() = s.map.get(neighbour_key);
  }

  static task<void> leader(state& s) {
    co_await yield_now{};
    s.map.done(key, value_of(key));
  }

  static void thread(state& s, int tid) { s.exec.run_worker(tid); }

  static void check(state& s) {
    expect_leader<Sync>(s.registered, key);
    expect_value_of<Sync>(key, s.waited.get(), "the waiter task");
    const auto& n = s.neighbour_read.get();
    expect<Sync>(n && *n == value_of(neighbour_key), verdict::wrong_value,
                 "the neighbour task read key %llu back as %s, expected %llu",
                 static_cast<unsigned long long>(neighbour_key), n && *n ? "another value" : "nothing",
                 static_cast<unsigned long long>(value_of(neighbour_key)));
  }
};

template <class Map, class Sync>
using hold_entry_across_await_1w = hold_entry_across_await_on<Map, Sync, 1>;
template <class Map, class Sync>
using hold_entry_across_await_2w = hold_entry_across_await_on<Map, Sync, 2>;

}  // namespace oncecheck::scenarios
