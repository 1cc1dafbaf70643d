// What the async scenarios share: the executor their tasks run on, the wait
// a task does on any design, and the result slot a task writes.
//
// An async scenario is a scenario (scenario_support.hpp) whose threads are
// an executor's workers (thread tid < Workers runs worker tid) plus, where
// it says so, plain threads. Its state spawns every task before the threads
// start and then closes the executor, so each worker returns once every task
// has ended. The worker count is part of the scenario's name
// (`hold_entry_across_await/1w`): the same body is checked with one worker,
// where every task shares a thread, and with two.
#pragma once

#include <optional>
#include <string_view>

#include "../impls/executor.hpp"
#include "../impls/task.hpp"
#include "scenario_support.hpp"

namespace oncecheck::scenarios {

// How a task waits for a key: the design's wait_async where it has one;
// otherwise its blocking wait(), which holds the task's worker until the key
// completes. That is itself what the async scenarios check for a
// blocking-only design: with one worker the task that would complete the key
// never runs (a deadlock), with two it may.
template <class Sync, class Map>
task<outcome<value_t>> wait_from_task(Map& map, key_t key) {
  if constexpr (contract::has_wait_async<Map>) {
    co_return co_await map.wait_async(key);
  } else {
    Sync::note("task", key, "calls the blocking wait(): its worker is held until the key completes");
    co_return map.wait(key);
  }
}

// A value a task writes once and check() reads after every worker returned
// (the executor's lock orders the two).
template <class Sync, class T>
using task_result = typename Sync::template cell<std::optional<T>>;

}  // namespace oncecheck::scenarios
