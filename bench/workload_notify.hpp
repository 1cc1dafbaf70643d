// W3 `notify` (WORKLOADS.md): 1 leader, W waiters, R rounds. Each round: the
// leader registers a fresh key and announces it; each waiter announces
// itself (an arrival counter) and blocks on the key. When all W have
// arrived the leader waits a further 200 microseconds so they are asleep,
// stamps the time, and completes the key. Each waiter stamps its resume.
// Reported, over every round of every iteration:
//   wake_p50, wake_p99  microseconds from the leader's stamp to a waiter's
//                       resume, over the waiters that really blocked
//                       (floor_ratio is taken of wake_p50, against
//                       floor.futex at the same W)
//   not_blocked         waiters that entered the wait only after the stamp,
//                       so found the value already there (excluded above)
//   samples             the waits the percentiles are taken of
//
// The pieces, so that another kind of waiter can reuse them:
//   target          what the round runs against: arm(k) -> led?,
//                   publish(k, v), block(k) -> value (0: none). map_target
//                   wraps a design (register_key / done / wait); the floors
//                   are in wake_floors.hpp.
//   Waiter policy   how a waiter waits and stamps its resume:
//                   Waiter::wait(target, k) -> wake_stamp. Here a blocked OS
//                   thread (blocking_thread_waiter); waiters as coroutine
//                   tasks (notify_task/...) swap this part and the thread
//                   that runs it.
//   wake_latencies  turns stamps into the counters.
//
// The announcement is the round's start barrier (a spin-then-yield barrier
// of the W waiters and the leader): the leader has registered the key
// before it arrives, and a waiter reads the key after it leaves. R = 100
// rounds per iteration; each iteration on a fresh target and a fresh team.
// Stamps are plain data: a waiter writes its own slot, the leader reads them
// all after the team has been joined.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "../impls/once_map.hpp"
#include "barrier.hpp"
#include "floor_table.hpp"
#include "keys.hpp"
#include "../scenarios/percentile.hpp"
#include "thread_team.hpp"

namespace oncecheck::bench {

inline constexpr std::size_t notify_rounds = 100;
inline constexpr std::chrono::microseconds notify_settle_time{200};

inline std::string notify_floor_slot(int waiters) { return "notify/waiters:" + std::to_string(waiters); }

template <class Map>
class map_target {
 public:
  bool arm(key_t k) { return map_.register_key(k); }
  void publish(key_t k, value_t v) { map_.done(k, v); }
  value_t block(key_t k) {
    const outcome<value_t> r = map_.wait(k);
    return r ? r.value() : 0;
  }

 private:
  Map map_;
};

struct wake_stamp {
  bench_clock::time_point entered;  // just before the wait
  bench_clock::time_point resumed;  // just after it returned
  value_t value = 0;
};

// A waiter that is a blocked OS thread.
struct blocking_thread_waiter {
  template <class Target>
  static wake_stamp wait(Target& target, key_t k) {
    wake_stamp stamp;
    stamp.entered = bench_clock::now();
    stamp.value = target.block(k);
    stamp.resumed = bench_clock::now();
    return stamp;
  }
};

class wake_latencies {
 public:
  // Whether the stamp is a wake sample (the waiter was blocked when the
  // leader published), so a caller that derives more from the samples
  // counts the same ones.
  bool add(bench_clock::time_point published, const wake_stamp& stamp, value_t expected) {
    if (stamp.value != expected) ++wrong_;
    if (stamp.entered >= published) {
      ++not_blocked_;
      return false;
    }
    samples_us_.push_back(nanoseconds_between(published, stamp.resumed) / 1000.0);
    return true;
  }
  void leader_lost_a_key() { ++wrong_; }
  bool any_wrong() const { return wrong_ != 0; }

  // Sets the counters; returns wake_p50 (0 with no samples).
  double report(benchmark::State& state) {
    state.counters["not_blocked"] = double(not_blocked_);
    state.counters["samples"] = double(samples_us_.size());
    if (samples_us_.empty()) return 0;
    std::sort(samples_us_.begin(), samples_us_.end());
    const double p50 = percentile_of_sorted(samples_us_, 0.50);
    state.counters["wake_p50"] = p50;
    state.counters["wake_p99"] = percentile_of_sorted(samples_us_, 0.99);
    return p50;
  }

 private:
  std::vector<double> samples_us_;
  std::uint64_t not_blocked_ = 0;
  std::uint64_t wrong_ = 0;
};

// One run of R rounds per iteration; returns wake_p50.
template <class Target, class Waiter = blocking_thread_waiter>
double run_notify(benchmark::State& state, int waiters) {
  wake_latencies latencies;
  const auto w_count = std::size_t(waiters);
  for (auto _ : state) {
    auto target = std::make_unique<Target>();
    spin_barrier round_start(waiters + 1);
    // Relaxed would do for the count itself; release/acquire makes "all
    // arrived" also mean "all have read round_key", which the leader then
    // overwrites.
    std::atomic<std::size_t> arrivals{0};
    key_t round_key = 0;  // written by the leader before round_start, read by waiters after it
    std::vector<bench_clock::time_point> published(notify_rounds);
    std::vector<wake_stamp> stamps(notify_rounds * w_count);

    std::vector<std::thread> team;
    team.reserve(w_count);
    for (std::size_t w = 0; w < w_count; ++w) {
      team.emplace_back([&, w] {
        for (std::size_t r = 0; r < notify_rounds; ++r) {
          round_start.arrive_and_wait();
          const key_t k = round_key;
          arrivals.fetch_add(1, std::memory_order_release);
          stamps[r * w_count + w] = Waiter::wait(*target, k);
        }
        round_start.arrive_and_wait();  // the last round's stamps are written
      });
    }

    const auto began = bench_clock::now();
    for (std::size_t r = 0; r < notify_rounds; ++r) {
      const key_t k = key_t(r) + 1;  // fresh: every run has its own target
      if (!target->arm(k)) latencies.leader_lost_a_key();
      round_key = k;
      round_start.arrive_and_wait();
      spin_then_yield_until([&] { return arrivals.load(std::memory_order_acquire) == w_count * (r + 1); });
      std::this_thread::sleep_for(notify_settle_time);
      published[r] = bench_clock::now();
      target->publish(k, value_of(k));
    }
    round_start.arrive_and_wait();
    state.SetIterationTime(nanoseconds_between(began, bench_clock::now()) * 1e-9);
    for (std::thread& waiter : team) waiter.join();

    for (std::size_t r = 0; r < notify_rounds; ++r)
      for (std::size_t w = 0; w < w_count; ++w)
        latencies.add(published[r], stamps[r * w_count + w], value_of(key_t(r) + 1));
  }
  if (latencies.any_wrong()) state.SkipWithError("a waiter got a wrong value or the leader could not register");
  return latencies.report(state);
}

template <class Map>
void notify_design(benchmark::State& state, int waiters) {
  const double p50 = run_notify<map_target<Map>>(state, waiters);
  floor_table::report_ratio(state, notify_floor_slot(waiters), p50);
}

// `primary`: the floor the designs' ratios are taken against (futex).
template <class Wake>
void notify_floor(benchmark::State& state, int waiters, bool primary) {
  const double p50 = run_notify<Wake>(state, waiters);
  if (primary) floor_table::record(notify_floor_slot(waiters), p50);
  floor_table::report_ratio(state, notify_floor_slot(waiters), p50);
}

}  // namespace oncecheck::bench
