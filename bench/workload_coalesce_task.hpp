// W2 `coalesce` with the callers as coroutine tasks (docs/results.md:
// coalesce_task/<design>/threads:T), for the designs that have wait_async
// (traits.async_wait): the figure to set beside Go's goroutines and tokio's
// tasks, whose callers are tasks too.
//
// The round is W2's (workload_coalesce.hpp): a barrier, then all T callers
// call get_or_compute on a fresh key; the compute counts itself and spins
// 10 us. Here the T callers are tasks on a two-worker executor
// (impls/executor.hpp), caller t at home on worker t % 2, as notify_task
// places W3's waiters; the barrier parks them (task_barrier.hpp) and the
// call is get_or_compute_async, whose wait parks the task. A caller that
// loses the race on the leader's worker runs once the leader's compute is
// over; one on the other worker parks, and its worker spins before it
// parks (sync::spin_budget covers the 10 us compute), so the leader's
// done() usually reaches it with no kernel wake. The counters and the
// floor (floor.barrier, threads at the same T) are W2's.
//
// The executor keeps its home rule here, unlike notify_task's other_worker
// (tokio's rule, woken_runs_on::waking_worker). W2's callers live across
// rounds, and with no work stealing the waking_worker rule gathers them all
// on one worker within a few rounds: the other worker idles, nobody waits
// across threads, and the figure is one thread's (measured 2026-12-01: 91k
// and 86k rounds/s at T=2 and T=8, against floor.barrier's 91k and 47k and
// the home rule's 62k and 37k). A runtime that steals would spread them
// again; this executor does not, so that figure would not compare.
//   The two workers used to meet on the executor's one lock every round
// (a wake from one, the other taking it back after a task): taken
// spinning, the home rule gave 65-69k and 44-51k at T=2 and T=8 against
// floor.barrier's 90-93k and 45-47k (intrusive and notify, two runs each,
// 2026-12-02), where the plain lock slept in the kernel and gave 59-63k
// and 36-38k. The executor has no such lock now (executor.hpp, "A task's
// state"): a wake from the other worker takes only that worker's inject
// mutex, and a worker takes no lock for its own tasks. 2026-12-03, 3 reps:
// sharded_entry 80.1k / 55.5k, intrusive 71.0k / 59.0k, notify 67.4k /
// 57.4k, shared_future 68.5k / 53.2k rounds/s at T=2 / T=8.
//
// The clock runs from the first caller's start (after the first barrier,
// once every task is on its worker) to the last caller's end, as
// thread_team.hpp times a team.
#pragma once

#include <algorithm>
#include <cstddef>
#include <memory>
#include <vector>

#include <benchmark/benchmark.h>

#include "../impls/executor.hpp"
#include "../impls/once_map.hpp"
#include "../impls/sync/std_backend.hpp"
#include "floor_table.hpp"
#include "keys.hpp"
#include "task_barrier.hpp"
#include "thread_team.hpp"
#include "workload_coalesce.hpp"

namespace oncecheck::bench {

namespace coalesce_task_detail {

struct caller_stamps {
  bench_clock::time_point start, end;  // written by the caller's task, read after the workers joined
};

template <class Map>
task<void> caller(Map& map, task_barrier& each_round, coalesce_tally& tally, caller_stamps& stamps) {
  co_await each_round.arrive_and_wait();  // every caller is on its worker
  stamps.start = bench_clock::now();
  for (std::size_t r = 0; r < coalesce_rounds; ++r) {
    if (r > 0) co_await each_round.arrive_and_wait();
    const key_t k = key_t(r) + 1;  // fresh: every run has its own map
    coalesce_check(tally, r, k,
                   co_await get_or_compute_async(map, k, [&tally, r, k] { return coalesce_compute(tally, r, k); }));
  }
  stamps.end = bench_clock::now();
}

}  // namespace coalesce_task_detail

inline constexpr int coalesce_task_workers = 2;

template <class Map>
void coalesce_task_design(benchmark::State& state, int tasks) {
  using Sync = sync::std_backend;
  coalesce_totals totals;
  for (auto _ : state) {
    coalesce_tally tally;
    auto map = std::make_unique<Map>();  // before the executor: it outlives every task
    task_barrier each_round(tasks);
    std::vector<coalesce_task_detail::caller_stamps> stamps(static_cast<std::size_t>(tasks));
    {
      executor<Sync> ex(coalesce_task_workers);
      worker_threads<Sync> workers(ex);
      for (int t = 0; t < tasks; ++t)
        ex.spawn(coalesce_task_detail::caller(*map, each_round, tally, stamps[std::size_t(t)]), t);
    }  // close_when_idle and join: every caller ended
    bench_clock::time_point first = stamps.front().start, last = stamps.front().end;
    for (const auto& s : stamps) {
      first = std::min(first, s.start);
      last = std::max(last, s.end);
    }
    const double wall_ns = nanoseconds_between(first, last);
    state.SetIterationTime(wall_ns * 1e-9);
    totals.add(tally, wall_ns);
  }
  floor_table::report_ratio(state, coalesce_floor_slot(tasks), totals.report(state));
}

}  // namespace oncecheck::bench
