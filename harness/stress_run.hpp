// Runs one cell on real threads: `rounds` rounds of the scenario body on a
// pool of `threads` workers, with a watchdog that turns a round that stops
// making progress into the verdict `hang` (naming what each thread was doing)
// and ends the process, so a stuck design never leaves a stuck process.
//
// Each round: the coordinator builds the scenario state, releases the
// workers, each worker waits a seeded random few hundred nanoseconds (so the
// threads arrive in a different order each round) and runs its body; when
// all are back the coordinator checks the round. Failed checks come through
// sync::failure_hook and end the run after the round with their verdict.
#pragma once

#include <unistd.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdio>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>

#include "cell_result.hpp"
#include "../impls/sync/stress_backend.hpp"

namespace oncecheck::stress {

struct stress_options {
  int threads = 8;
  std::uint64_t rounds = 10000;
  std::uint64_t seed = 1;
  double timeout_s = 10;   // a round with no progress for this long is a hang
  bool progress = true;    // a line on stderr every few seconds
  std::string label = "plain";
  std::string json_on_hang;  // where the watchdog writes its verdict
};


// The first failed check of the run.
struct failure_record {
  std::mutex lock;
  bool set = false;
  std::string kind, message;

  static failure_record& instance() {
    static failure_record r;
    return r;
  }
  static void on_failure(std::string_view kind, std::string_view message, const std::source_location& where) {
    failure_record& r = instance();
    std::lock_guard g(r.lock);
    if (r.set) return;
    r.set = true;
    r.kind = kind;
    r.message = std::string(message) + " (" + where.file_name() + ":" + std::to_string(where.line()) + ")";
  }
};

// Design code that throws ends its part of the round with a verdict: a
// mutex that reports EDEADLK has caught a thread locking what it holds.
template <class F>
void guarded(F&& f) {
  try {
    f();
  } catch (const std::system_error& e) {
    const bool self_deadlock = e.code() == std::errc::resource_deadlock_would_occur;
    failure_record::on_failure(self_deadlock ? "deadlock" : "assert",
                               std::string(self_deadlock ? "self-deadlock: " : "exception: ") + e.what(),
                               std::source_location::current());
  } catch (const std::exception& e) {
    failure_record::on_failure("assert", std::string("exception: ") + e.what(), std::source_location::current());
  }
}

// The round's thread count: the scenario's own when its roles fix it (the
// async scenarios: an executor's workers and its waiter threads).
template <class Scenario>
int stress_threads_of(int requested) {
  if constexpr (requires { Scenario::stress_threads; }) return Scenario::stress_threads;
  else return requested;
}

template <class Scenario>
cell_result run_stress(cell_result cell, stress_options o) {
  using clock = std::chrono::steady_clock;
  o.threads = stress_threads_of<Scenario>(o.threads);
  cell.mode = "stress";
  cell.scheduler = o.label;
  cell.threads = o.threads;
  sync::failure_hook().store(&failure_record::on_failure);

  std::vector<thread_status> status(std::size_t(o.threads));
  std::barrier<> start(o.threads + 1), finish(o.threads + 1);
  std::atomic<bool> stop{false};
  std::atomic<typename Scenario::state*> current{nullptr};
  std::atomic<std::uint64_t> round{0};
  std::atomic<std::int64_t> round_started_ns{0};  // 0: between rounds

  std::vector<std::thread> workers;
  for (int t = 0; t < o.threads; ++t)
    workers.emplace_back([&, t] {
      current_status = &status[std::size_t(t)];
      std::uint64_t rng = o.seed * 0x100000001b3ull + std::uint64_t(t);
      fuzz_state = rng ^ 0x5bd1e995u;
      for (;;) {
        start.arrive_and_wait();
        if (stop.load()) return;
        for (std::uint64_t i = next_random(rng) % 512; i > 0; --i) asm volatile("" ::: "memory");
        status[std::size_t(t)].in_scenario.store(true, std::memory_order_relaxed);
        guarded([&] { Scenario::thread(*current.load(), t); });
        status[std::size_t(t)].in_scenario.store(false, std::memory_order_relaxed);
        status[std::size_t(t)].op.store(nullptr, std::memory_order_relaxed);
        finish.arrive_and_wait();
      }
    });

  const auto t0 = clock::now();
  std::atomic<bool> watching{true};
  std::thread watchdog([&] {
    auto last_progress = clock::now();
    while (watching.load()) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
      const std::int64_t started = round_started_ns.load();
      const auto now = clock::now();
      if (o.progress && now - last_progress > std::chrono::seconds(3)) {
        last_progress = now;
        std::fprintf(stderr, "  %s: round %llu/%llu, %.1f s\n", cell.name().c_str(),
                     static_cast<unsigned long long>(round.load()), static_cast<unsigned long long>(o.rounds),
                     std::chrono::duration<double>(now - t0).count());
      }
      if (started == 0) continue;
      const double stuck_s = std::chrono::duration<double>(now.time_since_epoch()).count() - double(started) / 1e9;
      if (stuck_s < o.timeout_s) continue;
      cell_result hung = cell;
      hung.result = verdict::hang;
      {
        // A failure earlier in the round (a thread that died on a
        // self-deadlock, say) is the cause; the hang is its consequence.
        failure_record& f = failure_record::instance();
        std::lock_guard g(f.lock);
        if (f.set) {
          hung.result = parse_verdict(f.kind).value_or(verdict::assert_failed);
          hung.reason = f.message + "; the round then hung";
        }
      }
      // Otherwise the scenario may know why its threads are stuck (a lost
      // completion, a cycle of keys), from its probe alone.
      if constexpr (requires { Scenario::explain_stuck(); }) {
        if (hung.reason.empty())
          if (auto why = Scenario::explain_stuck()) {
            hung.result = parse_verdict(why->verdict).value_or(verdict::hang);
            hung.reason = why->message;
          }
      }
      hung.iterations = round.load();
      hung.first_failure_iteration = round.load();
      hung.elapsed_ms = std::chrono::duration<double, std::milli>(now - t0).count();
      std::string why = "round " + std::to_string(round.load()) + " made no progress for " +
                        std::to_string(int(o.timeout_s)) + " s";
      std::string trace;
      for (int t = 0; t < o.threads; ++t) {
        const thread_status& s = status[std::size_t(t)];
        const char* op = s.op.load(std::memory_order_relaxed);
        trace += "  T" + std::to_string(t) + ": ";
        if (!s.in_scenario.load(std::memory_order_relaxed)) trace += "finished its part of the round";
        else if (!op) trace += "running (no design event yet)";
        else {
          std::string file = s.file.load(std::memory_order_relaxed);
          file = file.substr(file.find_last_of('/') + 1);
          trace += std::string("last: ") + op + " key=" + std::to_string(s.key.load(std::memory_order_relaxed)) +
                   " " + s.what.load(std::memory_order_relaxed) + " (" + file + ":" +
                   std::to_string(s.line.load(std::memory_order_relaxed)) + ")";
        }
        trace += "\n";
      }
      hung.reason = hung.reason.empty() ? why : hung.reason;
      hung.trace = trace;
      std::fprintf(stderr, "oncecheck-stress: hang: %s\n%s", why.c_str(), trace.c_str());
      if (!o.json_on_hang.empty()) write_results(o.json_on_hang, {hung});
      std::fflush(nullptr);
      _exit(1);  // the stuck threads cannot be joined; end them with the process
    }
  });

  for (std::uint64_t r = 1; r <= o.rounds; ++r) {
    round.store(r);
    std::unique_ptr<typename Scenario::state> st;
    // The state's constructor runs design code too (a leader registers).
    guarded([&] { st = std::make_unique<typename Scenario::state>(o.threads); });
    if (!st) break;
    current.store(st.get());
    round_started_ns.store(std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now().time_since_epoch()).count());
    start.arrive_and_wait();
    finish.arrive_and_wait();
    guarded([&] { Scenario::check(*st); });
    st.reset();
    round_started_ns.store(0);
    if (failure_record::instance().set) break;
  }
  stop.store(true);
  start.arrive_and_wait();
  for (auto& w : workers) w.join();
  watching.store(false);
  watchdog.join();
  sync::failure_hook().store(nullptr);

  cell.elapsed_ms = std::chrono::duration<double, std::milli>(clock::now() - t0).count();
  cell.iterations = round.load();
  failure_record& f = failure_record::instance();
  if (f.set) {
    cell.result = parse_verdict(f.kind).value_or(verdict::assert_failed);
    cell.reason = f.message;
    cell.first_failure_iteration = round.load();
  } else {
    cell.reason = "no failure in " + std::to_string(cell.iterations) + " rounds of " + std::to_string(o.threads) +
                  " threads";
  }
  if constexpr (requires { Scenario::latency_rows(); }) cell.latency = Scenario::latency_rows();
  return cell;
}

}  // namespace oncecheck::stress
