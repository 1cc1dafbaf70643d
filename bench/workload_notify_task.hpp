// W3 `notify` with the waiters as coroutine tasks (docs/results.md:
// notify_task/<design>/waiters:W/placement:P), for the designs that have
// wait_async (traits.async_wait).
//
// The round is W3's: the leader registers a fresh key, the W waiters
// announce themselves (an arrival counter) and park on it; once all have
// arrived and parked the leader waits 200 us more, stamps the time and
// completes the key; each waiter stamps its resume. Here the leader is a
// task on worker 0 of a two-worker executor (impls/executor.hpp), and P
// says where the waiters are spawned and where they run once woken:
//   same_worker          on worker 0 too: they run once the leader's task
//                        has ended (the seed's "until the next yielding of
//                        the task that called done");
//   other_worker         on worker 1, woken from worker 0 under tokio's
//                        rule (woken_runs_on::waking_worker): they move to
//                        worker 0 and run after the leader, with no kernel
//                        wake, as a tokio task woken there does; this is the
//                        like-for-like figure beside tokio's;
//   other_worker_pinned  on worker 1 under the thread-per-core rule
//                        (woken_runs_on::home_worker, what the models run):
//                        worker 1 has parked during the 200 us, so each
//                        round pays for waking it, and on a VM for waking
//                        its vCPU. On the 2-vCPU VM of 2026-12-01 that is
//                        most of the figure: a thread parked on a condition
//                        variable and woken 200 us later took 70 us p50
//                        when pinned to the other vCPU and 2.7 us when
//                        pinned to the waker's, and a waker that stays busy
//                        (worker 0 spins before it parks) sends the wake to
//                        the other vCPU. Measured 63-88 us p50.
// Under other_worker the moved tasks cost more than same_worker's when the
// kernel has put the two workers on different vCPUs (their frames are in
// the other core's cache): at W=64 7 us p50 with both on one vCPU, 13 us
// pinned apart, against 5-6 us for same_worker. Where it goes at W=64 (a
// probe that also stamped the end of done(), 2026-12-01): done() waking
// the 64 tasks took 1.5 us with the frames in this core's cache and
// 4.1-4.2 us pinned apart (each waiter node and executor slot is a miss,
// and the list walk chases them one by one); the first resume came 0.3-1 us
// later, and the resumes then a median 110-120 ns apart. Batching the
// wakes under one executor lock at the leader's suspension moved 2 us out
// of done() but none out of the first resume, and prefetching the batch's
// frames took 15-20% off: neither reaches 5 us, so neither was kept.
// Nor was a frame allocator (2026-12-02): task frames from per-thread
// caches of 64-byte-aligned blocks, handed between threads in batches of
// 32, so a worker frees without glibc's arena lock. In a scratch copy at
// W=64 (300 rounds, p50 over rounds, three runs each) with the workers
// pinned to one vCPU it took the median wake from 5.8-6.0 us to 5.0-5.3;
// with worker 0 on vCPU 0 and worker 1 on vCPU 1 from 10.3-11.5 us to
// 12.7-15.3 (from one resume to the next: 158-186 ns to 212-280), whether
// blocks were reused in free order or in reverse. (Pinned the other way
// round the runs were mixed: 6.2, 7.0 and 11.2 us with glibc's frames,
// 5.5, 13.4 and 13.1 with the pool.) oncecheck-bench's 14.8 us for
// intrusive that day, workers left to the kernel, is of the slow kind.
// Only frames never freed (each round's from fresh memory, in the order
// the tasks were made) did better apart, 7.5-7.9 us and 97-115 ns, and an
// executor that runs for long cannot have those.
// Nor is the cost the frees themselves, nor caches gone cold during the
// leader's sleep (2026-12-03, intrusive at W=64). Under callgrind
// (same_worker, 6,400 waiters) a wake is about 220 instructions and a
// resume about 600, of which the two frame frees (the task's and
// wait_async's) take about 180 each: 57 of a round's 64 frees of one size
// miss glibc's tcache (it keeps 7) and take the arena path. Making every
// free a tcache push (GLIBC_TUNABLES=glibc.malloc.tcache_count=2000) moved
// wake_p50, paired runs, same_worker 6.60 -> 6.27 and 6.99 -> 6.68 us,
// other_worker 7.93 -> 6.94 and 7.84 -> 8.37: within the spread, so
// deferring frees off the resume path (as a worker-local free list would)
// is not worth building. A leader that spins its 200 us instead of
// sleeping (WORKLOADS.md forbids it; here only to keep its core's caches
// warm) gave same_worker 6.36 / 6.16 and other_worker 7.45 / 6.17 us, first
// resume 2.3-2.8 us against 3.0-3.9: at most about 1 us of the figure is
// caches lost to the sleep.
// What is left is the executor's, not a design's (2026-12-03).
// notify_task/floor.executor (task_wake_floor.hpp) runs these rounds on
// this executor against no map: a list of wakers, no design lock on the
// resume path. In that day's make bench it gave 1.4 / 2.7 / 8.8 us p50 at
// W=1 / 8 / 64 under other_worker, with intrusive at 1.1 / 1.7 / 7.9 and
// notify at 1.2 / 2.4 / 8.6; paired reruns at W=64 (3 reps each, floor
// then intrusive, twice) gave 7.7 / 7.9 and 6.6 / 7.3 us. The designs sit
// within the floor's spread between runs, so no change to a design can
// bring W=64 to 5 us on this executor. Its path per task: a wake, about
// 40 ns (first_p50 2.5-3.2 us for 64), and a resume, about 100 ns, of which
// the stamp's clock read is 27 ns here; the rest is two frame frees and
// the executor's own bookkeeping, which the comparison below separates.
// How far this executor is from what the coroutines alone cost here
// (2026-12-03, scratch programs, paired runs in one sitting, W=64, 300
// rounds a run; each figure the median over rounds of a round's median, not
// wake_p50's median over every wake, so they compare with each other rather
// than with make bench's). With no executor at all (one thread; a wake
// pushes the task's handle onto a vector; the resumes run one after
// another, each through a nested frame as wait_async's, with its two frees,
// the clock stamp and an atomic count; the frames made on another thread,
// as spawn's are) the p50 was 1.7-3.1 us, first resume 0.2-0.7 us, 48-77 ns
// from one resume to the next. The same rounds on this executor, with no
// map: 5.0-7.0 us (one run 10.0), first 1.9-4.2 us, the 64 wakes alone
// 1.6-3.3 us (25-50 ns each; 14-24 ns with everything in cache, of which
// the lock round trip is 7) and the resumes 93-118 ns apart. A scratch
// executor without lock_ on those paths, run on the same rounds in the same
// sitting, closed most of the gap: each task's state one atomic word
// (generation << 8 | queued / running / notified), a wake a CAS on it and a
// push onto the waking worker's own vector, a worker popping from that
// vector and CASing running -> idle after the suspension (or re-queueing
// the task if a wake set notified meanwhile), spawns from other threads
// through a locked per-worker inject queue. Four runs of each, paired, gave
// 3.7-4.9 us same_worker and 4.4-7.1 us other_worker (three of four under
// 5), against this executor's 6.2 and 6.4-7.7; its 64 wakes took 0.7-1.5 us
// and its resumes 79-91 ns apart (142 in the 7.1 us run). Trimming the
// locked executor did not get there: a vector for the deque of slots (no
// division in the indexing) took the in-cache wake to 12-19 ns and left the
// W=64 figure within its spread.
// The executor has that protocol now (impls/executor.hpp, "A task's
// state"; tests/executor_explore_test.cpp searches it whole, and Relacy and
// the explorer run it in every async cell), with a task's end settled in
// batches. At W=64 (3 reps, medians, 2026-12-03 evening) floor.executor
// gives 3.4-3.7 us same_worker and intrusive 4.2-4.5. Under other_worker
// the figure has two modes, and the kernel picks which, for minutes at a
// time. When worker 0 runs on the vCPU where worker 1 ran the waiters up
// to their park, their frames are in its cache: floor.executor 4.4-4.6 us and
// intrusive 5.2-5.5 (before the batching of live_; with the whole process
// on one vCPU, taskset -c 1, 3.6-3.8 and 4.3-4.4 after it). When worker 0 runs
// on the other vCPU, each resume waits on the frames' lines one miss after
// another: first_p50 3-5.5 us, wake_p50 8-13.6 us for both. Prefetching
// the next task's frames (at its wake, or at the pop before it) gave the
// floor 8.0-8.9 us in that mode against 9.0-10.4 without, within its
// spread, so it is not kept. What is left between W=64 and 5 us is where
// the kernel puts the two workers, and about 20 ns a resume of the
// design's own (intrusive's map lock and unlink after the park).
// Latencies go through W3's wake_latencies; floor_ratio is taken of
// wake_p50 against floor.futex at the same W. first_p50 (microseconds, p50
// over rounds) is each round's first resume: the notifier's share (done()
// waking W tasks, the leader's end, one resume), so wake_p50 minus it is
// the run of resumes before the median waiter. It takes no stamp beyond
// W3's, so it costs the measured path nothing.
//
// The driving thread is kept off the measured path: it spawns the round's
// tasks and sleeps until the last of them (leader or waiter) has ended,
// which wakes it once every stamp is taken. It used to block_on the leader,
// so the leader's end woke it (a futex wake, on this VM about 2 us) before
// the worker could run the first woken waiter, and every same_worker figure
// carried that wake (2.6 us p50 at W=1 then, 0.5 us without it).
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string_view>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "../impls/executor.hpp"
#include "../impls/sync/std_backend.hpp"
#include "workload_notify.hpp"

namespace oncecheck::bench {

enum class task_placement { same_worker, other_worker, other_worker_pinned };
inline constexpr task_placement task_placements[] = {task_placement::same_worker, task_placement::other_worker,
                                                     task_placement::other_worker_pinned};

constexpr std::string_view placement_name(task_placement p) {
  switch (p) {
    case task_placement::same_worker: return "same_worker";
    case task_placement::other_worker: return "other_worker";
    case task_placement::other_worker_pinned: return "other_worker_pinned";
  }
  return "?";
}

namespace notify_task_detail {

// The tasks of a run's rounds (each round's W waiters and its leader) count
// themselves out; the last of a round wakes the driving thread. Release, so
// the driver's acquire load sees every stamp the round wrote; only the last
// pays for a notify. One per run, declared before the workers, so a task's
// notify never outlives it (the driver may see the count and move on
// before the notify is made).
class round_end {
 public:
  // Before spawning round r's tasks (the spawn's lock publishes it).
  void expect(std::size_t ended_by_round_end) { target_ = ended_by_round_end; }

  void task_ended() {
    // target_ is read before the count moves: the driver writes the next
    // round's only after it has seen this round's count complete.
    const std::size_t target = target_;
    if (ended_.fetch_add(1, std::memory_order_release) + 1 == target) ended_.notify_one();
  }

  void wait_for_round() {
    for (std::size_t seen; (seen = ended_.load(std::memory_order_acquire)) != target_;)
      ended_.wait(seen, std::memory_order_acquire);
  }

 private:
  std::atomic<std::size_t> ended_{0};
  std::size_t target_ = 0;  // written by the driver between rounds
};

// Relaxed is enough for `arrived`: the leader acts on it only through the
// map (waiting(k) takes the design's locks).
template <class Map>
task<void> waiter(Map& map, key_t k, std::atomic<std::size_t>& arrived, round_end& end, wake_stamp& stamp) {
  arrived.fetch_add(1, std::memory_order_relaxed);
  stamp.entered = bench_clock::now();
  const outcome<value_t> r = co_await map.wait_async(k);
  stamp.resumed = bench_clock::now();
  stamp.value = r ? r.value() : 0;
  end.task_ended();
}

template <class Map>
task<void> leader(Map& map, key_t k, std::size_t waiters, const std::atomic<std::size_t>& arrived, round_end& end,
                  bench_clock::time_point& published) {
  // Yielding lets waiters on this worker run up to their park.
  while (arrived.load(std::memory_order_relaxed) < waiters || map.waiting(k) < waiters) co_await yield_now{};
  std::this_thread::sleep_for(notify_settle_time);
  published = bench_clock::now();
  map.done(k, value_of(k));
  end.task_ended();
}

}  // namespace notify_task_detail

template <class Map>
void notify_task_design(benchmark::State& state, int waiters, task_placement placement) {
  using Sync = sync::std_backend;
  wake_latencies latencies;
  std::vector<double> first_resume_us;  // per round: published to its first resume
  const auto w_count = std::size_t(waiters);
  const int home = placement == task_placement::same_worker ? 0 : 1;
  const woken_runs_on rule =
      placement == task_placement::other_worker_pinned ? woken_runs_on::home_worker : woken_runs_on::waking_worker;
  for (auto _ : state) {
    Map map;  // before the executor: it outlives every task
    executor<Sync> ex(2, rule);
    std::vector<bench_clock::time_point> published(notify_rounds);
    std::vector<wake_stamp> stamps(notify_rounds * w_count);
    notify_task_detail::round_end end;  // before the workers: it outlives every task
    const auto began = bench_clock::now();
    {
      worker_threads<Sync> workers(ex);
      for (std::size_t r = 0; r < notify_rounds; ++r) {
        const key_t k = key_t(r) + 1;
        if (!map.register_key(k)) latencies.leader_lost_a_key();
        std::atomic<std::size_t> arrived{0};
        end.expect((r + 1) * (w_count + 1));
        for (std::size_t w = 0; w < w_count; ++w)
          ex.spawn(notify_task_detail::waiter(map, k, arrived, end, stamps[r * w_count + w]), home);
        ex.spawn(notify_task_detail::leader(map, k, w_count, arrived, end, published[r]), 0);
        end.wait_for_round();
      }
    }
    state.SetIterationTime(nanoseconds_between(began, bench_clock::now()) * 1e-9);
    for (std::size_t r = 0; r < notify_rounds; ++r) {
      std::optional<bench_clock::time_point> first;  // of the round's wake samples
      for (std::size_t w = 0; w < w_count; ++w) {
        const wake_stamp& stamp = stamps[r * w_count + w];
        if (latencies.add(published[r], stamp, value_of(key_t(r) + 1)))
          first = first ? std::min(*first, stamp.resumed) : stamp.resumed;
      }
      if (first) first_resume_us.push_back(nanoseconds_between(published[r], *first) / 1000.0);
    }
  }
  if (!first_resume_us.empty()) {
    std::sort(first_resume_us.begin(), first_resume_us.end());
    state.counters["first_p50"] = percentile_of_sorted(first_resume_us, 0.50);
  }
  if (latencies.any_wrong()) state.SkipWithError("a waiter got a wrong value or the leader could not register");
  floor_table::report_ratio(state, notify_floor_slot(waiters), latencies.report(state));
}

}  // namespace oncecheck::bench
