// One run of a multi-threaded workload on threads the benchmark owns.
//
// Google Benchmark's ->Threads(T) runs the benchmark body T times in
// parallel and times each copy; the protocol of WORKLOADS.md needs more
// control than that (a table filled before the start barrier, one leader
// and W waiters in W3, rounds separated by barriers), so each benchmark
// iteration starts its own team here and reports what the team measured
// through manual time and counters.
//
// A member's body is split in two: what runs before the clock (building
// its index table, say) and what the clock measures. The first part
// returns the second as a callable; every member then meets at a start
// barrier, so no one's preparation overlaps anyone's measured work.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <thread>
#include <vector>

#include "barrier.hpp"

namespace oncecheck::bench {

using bench_clock = std::chrono::steady_clock;  // monotonic, as the protocol asks

inline double nanoseconds_between(bench_clock::time_point from, bench_clock::time_point to) {
  return std::chrono::duration<double, std::nano>(to - from).count();
}

struct team_timing {
  double thread_ns_sum = 0;  // sum over members of (end - start)
  double wall_ns = 0;        // latest end - earliest start
};

// prepare(tid) runs on member `tid` before the start barrier and returns the
// measured work, a callable run once after it. The stamps are plain data:
// each member writes its own, and they are read after the join.
template <class Prepare>
team_timing run_team(int threads, Prepare prepare) {
  spin_barrier start(threads);
  std::vector<bench_clock::time_point> began(static_cast<std::size_t>(threads)),
      ended(static_cast<std::size_t>(threads));
  std::vector<std::thread> team;
  team.reserve(std::size_t(threads));
  for (int t = 0; t < threads; ++t) {
    team.emplace_back([&, t] {
      auto work = prepare(t);
      start.arrive_and_wait();
      began[std::size_t(t)] = bench_clock::now();
      work();
      ended[std::size_t(t)] = bench_clock::now();
    });
  }
  for (std::thread& member : team) member.join();
  team_timing timing;
  for (std::size_t t = 0; t < began.size(); ++t) timing.thread_ns_sum += nanoseconds_between(began[t], ended[t]);
  timing.wall_ns = nanoseconds_between(*std::min_element(began.begin(), began.end()),
                                       *std::max_element(ended.begin(), ended.end()));
  return timing;
}

}  // namespace oncecheck::bench
