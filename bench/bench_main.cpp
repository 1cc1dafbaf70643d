// oncecheck-bench: every correct design (flaw::none) through the workloads of
// ../../shared/WORKLOADS.md, with their floors, under the benchmark names of
// docs/results.md (the contract the report reads):
//   hit/<design>/threads:T            W1, T in {1, 2, 4, 8}
//   coalesce/<design>/threads:T       W2
//   notify/<design>/waiters:W         W3, W in {1, 8, 64}
//   distinct_miss/<design>/threads:T  W4
//   distinct_miss/<design>/threads:2/keys:N   W4 in a map of N keys, N in {10^4, 10^6, 10^7}
//   notify_task/<design>/waiters:W/placement:P   W3 with task waiters (designs with wait_async)
//   coalesce_task/<design>/threads:T  W2 with task callers (designs with wait_async)
//   memory/<design>/waiters:W         heap allocations per waiter and per key
// and the floors hit/floor.{lockfree,read_lock,shared_read_lock}/threads:T,
// coalesce/floor.barrier/threads:T, notify/floor.{futex,condvar,spin}/waiters:W,
// notify_task/floor.executor/waiters:W/placement:P,
// distinct_miss/floor.random_load/threads:2/keys:N.
//
// Floors are registered first: Google Benchmark runs in registration order,
// and each design reports its figure over its floor's (floor_table.hpp).
// Every timed benchmark is sized by --benchmark_min_time (one iteration is a
// whole run of the protocol, so a tiny min time still runs the protocol once);
// memory counts run a fixed three times.
#include <cstdlib>
#include <span>
#include <string>
#include <string_view>

#include <benchmark/benchmark.h>

#include "../harness/registry.hpp"
#include "random_load_floor.hpp"
#include "task_wake_floor.hpp"
#include "wake_floors.hpp"
#include "workload_coalesce.hpp"
#include "workload_coalesce_task.hpp"
#include "workload_distinct_miss.hpp"
#include "workload_hit.hpp"
#include "workload_memory.hpp"
#include "workload_miss_at_scale.hpp"
#include "workload_notify.hpp"
#include "workload_notify_task.hpp"

namespace oncecheck::bench {
namespace {

constexpr int thread_counts[] = {1, 2, 4, 8};
constexpr int waiter_counts[] = {1, 8, 64};

// A benchmark whose iterations are whole protocol runs timed by the run itself.
template <class Body>
benchmark::internal::Benchmark* register_timed(const std::string& name, Body body) {
  return benchmark::RegisterBenchmark(name.c_str(), body)->UseManualTime()->Unit(benchmark::kMicrosecond);
}

std::string named(std::string_view workload, std::string_view who, std::string_view param, int value) {
  return std::string(workload) + "/" + std::string(who) + "/" + std::string(param) + ":" + std::to_string(value);
}

void register_floors() {
  for (int t : thread_counts) {
    register_timed(named("hit", "floor.lockfree", "threads", t),
                   [t](benchmark::State& s) { hit_floor<lookup_lock::none>(s, t); });
    register_timed(named("hit", "floor.read_lock", "threads", t),
                   [t](benchmark::State& s) { hit_floor<lookup_lock::per_thread>(s, t); });
    register_timed(named("hit", "floor.shared_read_lock", "threads", t),
                   [t](benchmark::State& s) { hit_floor<lookup_lock::shared>(s, t); });
  }
  for (int t : thread_counts)
    register_timed(named("coalesce", "floor.barrier", "threads", t),
                   [t](benchmark::State& s) { coalesce_floor(s, t); });
  for (int w : waiter_counts) {
    register_timed(named("notify", "floor.futex", "waiters", w),
                   [w](benchmark::State& s) { notify_floor<futex_wake>(s, w, true); });
    register_timed(named("notify", "floor.condvar", "waiters", w),
                   [w](benchmark::State& s) { notify_floor<condvar_wake>(s, w, false); });
    register_timed(named("notify", "floor.spin", "waiters", w),
                   [w](benchmark::State& s) { notify_floor<spin_wake>(s, w, false); });
  }
  // W3 with task waiters against no map: the executor's share of notify_task.
  for (const task_placement p : task_placements)
    for (int w : waiter_counts)
      register_timed(named("notify_task", task_wake_floor::name, "waiters", w) + "/placement:" +
                         std::string(placement_name(p)),
                     [w, p](benchmark::State& s) { notify_task_design<task_wake_floor>(s, w, p); });
  // W4 at scale's floor: fixed iterations, as the designs' runs at scale.
  for (const std::size_t keys : miss_at_scale_keys)
    register_timed(named("distinct_miss", "floor.random_load", "threads", miss_at_scale_threads) + "/keys:" +
                       std::to_string(keys),
                   [keys](benchmark::State& s) { random_load_floor(s, keys); })
        ->Iterations(benchmark::IterationCount(miss_at_scale_iterations(keys)));
}

// Calls each.template operator()<Map>(design_name) for every correct design.
template <class Each>
void for_each_correct_design(Each each) {
  for_each_variant([&]<class Variant>() {
    if constexpr (Variant::flaw == flaw::none::name)
      each.template operator()<typename Variant::template map<sync::std_backend>>(Variant::design);
  });
}

// Registers workload/<design>/param:value for every correct design and value;
// run is a generic callable, run.template operator()<Map>(state, value).
template <class Run>
void register_workload(std::string_view workload, std::string_view param, std::span<const int> values, Run run) {
  for_each_correct_design([&]<class Map>(std::string_view design) {
    for (int v : values)
      register_timed(named(workload, design, param, v),
                     [run, v](benchmark::State& s) { run.template operator()<Map>(s, v); });
  });
}

void register_designs() {
  // Workload by workload, so a run's console output reads as a table.
  register_workload("hit", "threads", thread_counts,
                    []<class Map>(benchmark::State& s, int t) { hit_design<Map>(s, t); });
  register_workload("coalesce", "threads", thread_counts,
                    []<class Map>(benchmark::State& s, int t) { coalesce_design<Map>(s, t); });
  register_workload("notify", "waiters", waiter_counts,
                    []<class Map>(benchmark::State& s, int w) { notify_design<Map>(s, w); });
  // W3 with the waiters as tasks, for the designs that can park a task.
  for_each_correct_design([]<class Map>(std::string_view design) {
    if constexpr (Map::traits.async_wait)
      for (const task_placement p : task_placements)
        for (int w : waiter_counts)
          register_timed(named("notify_task", design, "waiters", w) + "/placement:" + std::string(placement_name(p)),
                         [w, p](benchmark::State& s) { notify_task_design<Map>(s, w, p); });
  });
  // W2 with the callers as tasks, for the same designs.
  for_each_correct_design([]<class Map>(std::string_view design) {
    if constexpr (Map::traits.async_wait)
      for (int t : thread_counts)
        register_timed(named("coalesce_task", design, "threads", t),
                       [t](benchmark::State& s) { coalesce_task_design<Map>(s, t); });
  });
  register_workload("distinct_miss", "threads", thread_counts,
                    []<class Map>(benchmark::State& s, int t) { distinct_miss_design<Map>(s, t); });
  // W4 in a map that already holds N keys: fixed iterations, whatever the min time.
  for_each_correct_design([]<class Map>(std::string_view design) {
    for (const std::size_t keys : miss_at_scale_keys)
      register_timed(named("distinct_miss", design, "threads", miss_at_scale_threads) + "/keys:" + std::to_string(keys),
                     [keys](benchmark::State& s) { distinct_miss_at_scale<Map>(s, keys); })
          ->Iterations(benchmark::IterationCount(miss_at_scale_iterations(keys)));
  });
  // Counts, not timings: a fixed number of runs.
  for_each_correct_design([]<class Map>(std::string_view design) {
    for (int w : waiter_counts)
      benchmark::RegisterBenchmark(named("memory", design, "waiters", w).c_str(),
                                   [w](benchmark::State& s) { memory_design<Map>(s, w); })
          ->Iterations(3);
  });
}

// The run's repetitions, read as Google Benchmark reads them: the
// BENCHMARK_REPETITIONS environment variable, then --benchmark_repetitions=N
// (the last one wins). Read before Initialize, which takes its flags out of
// argv; a value Google Benchmark will refuse is left to it to report.
int repetitions_asked(int argc, char** argv) {
  int repetitions = 1;
  auto take = [&](const char* text) {
    char* end = nullptr;
    const long n = std::strtol(text, &end, 10);
    if (end != text && *end == '\0' && n >= 1 && n <= 1000000) repetitions = int(n);
  };
  if (const char* env = std::getenv("BENCHMARK_REPETITIONS")) take(env);
  constexpr std::string_view flag = "--benchmark_repetitions=";
  for (int i = 1; i < argc; ++i)
    if (std::string_view(argv[i]).starts_with(flag)) take(argv[i] + flag.size());
  return repetitions;
}

}  // namespace
}  // namespace oncecheck::bench

int main(int argc, char** argv) {
  oncecheck::bench::floor_table::set_repetitions(oncecheck::bench::repetitions_asked(argc, argv));
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  oncecheck::bench::register_floors();
  oncecheck::bench::register_designs();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
