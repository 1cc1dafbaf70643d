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

#include "../../impls/sync/stress_backend.hpp"
#include "../cell_result.hpp"
#include "round_file.hpp"

namespace oncecheck::stress {

struct stress_options {
  int threads = 8;
  std::uint64_t rounds = 10000;
  std::uint64_t seed = 1;
  double timeout_s = 10;     // a round with no progress for this long is a hang
  bool progress = true;      // a line on stderr every few seconds
  std::string label = "plain";
  std::string json_on_hang;  // where the watchdog writes its verdict
  std::string round_path;    // where each round's number goes (round_file.hpp); empty: nowhere
};

// The first failed check of the run.
struct failure_record {
  std::mutex lock;
  bool set = false;
  verdict kind = verdict::assert_failed;
  std::string message;

  static failure_record& instance() {
    static failure_record r;
    return r;
  }
  static void on_failure(verdict kind, std::string_view message, const std::source_location& where) {
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
    failure_record::on_failure(self_deadlock ? verdict::deadlock : verdict::assert_failed,
                               std::string(self_deadlock ? "self-deadlock: " : "exception: ") + e.what(),
                               std::source_location::current());
  } catch (const std::exception& e) {
    failure_record::on_failure(verdict::assert_failed, std::string("exception: ") + e.what(),
                               std::source_location::current());
  }
}

// What the round's threads and the watchdog share.
template <class Scenario>
struct round_board {
  explicit round_board(int threads) : status(std::size_t(threads)), start(threads + 1), finish(threads + 1) {}
  std::vector<thread_status> status;
  std::barrier<> start, finish;
  std::atomic<bool> stop{false};
  std::atomic<typename Scenario::state*> current{nullptr};
  std::atomic<std::uint64_t> round{0};
  std::atomic<std::int64_t> round_started_ns{0};  // 0: between rounds
  std::chrono::steady_clock::time_point t0 = std::chrono::steady_clock::now();
};

// Where each thread was, from its last design note.
inline std::string describe_threads(const std::vector<thread_status>& status) {
  std::string trace;
  for (std::size_t t = 0; t < status.size(); ++t) {
    const thread_status& s = status[t];
    const char* op = s.op.load(std::memory_order_relaxed);
    trace += "  T" + std::to_string(t) + ": ";
    if (!s.in_scenario.load(std::memory_order_relaxed)) trace += "finished its part of the round";
    else if (!op) trace += "running (no design event yet)";
    else {
      std::string file = s.file.load(std::memory_order_relaxed);
      file = file.substr(file.find_last_of('/') + 1);
      trace += std::string("last: ") + op + " key=" + std::to_string(s.key.load(std::memory_order_relaxed)) + " " +
               s.what.load(std::memory_order_relaxed) + " (" + file + ":" +
               std::to_string(s.line.load(std::memory_order_relaxed)) + ")";
    }
    trace += "\n";
  }
  return trace;
}

// The verdict of a round that stopped moving: an earlier failure in the
// round (a thread that died on a self-deadlock, say) is the cause, the hang
// its consequence; otherwise the scenario may know why its threads are
// stuck (a lost completion, a cycle of keys), from its probe alone.
template <class Scenario>
void explain_hang(cell_result& hung, const std::string& why) {
  hung.result = verdict::hang;
  hung.reason = why;
  failure_record& f = failure_record::instance();
  std::lock_guard g(f.lock);
  if (f.set) {
    hung.result = f.kind;
    hung.reason = f.message + "; the round then hung";
    return;
  }
  if constexpr (requires { Scenario::explain_stuck(); })
    if (auto stuck = Scenario::explain_stuck()) {
      hung.result = stuck->kind;
      hung.reason = stuck->message;
    }
}

// Ends the process with the hang's verdict (the stuck threads cannot be
// joined), written where the runner reads it.
template <class Scenario>
[[noreturn]] void report_hang(const cell_result& cell, const stress_options& o, round_board<Scenario>& b) {
  const auto now = std::chrono::steady_clock::now();
  cell_result hung = cell;
  const std::uint64_t round = b.round.load();
  const std::string why = "round " + std::to_string(round) + " made no progress for " +
                          std::to_string(int(o.timeout_s)) + " s";
  explain_hang<Scenario>(hung, why);
  hung.iterations = round;
  hung.first_failure_iteration = round;
  hung.elapsed_ms = std::chrono::duration<double, std::milli>(now - b.t0).count();
  hung.trace = describe_threads(b.status);
  std::fprintf(stderr, "oncecheck-stress: hang: %s\n%s", why.c_str(), hung.trace.c_str());
  if (!o.json_on_hang.empty()) write_results(o.json_on_hang, {hung});
  std::fflush(nullptr);
  _exit(1);
}

// Watches the rounds until `watching` goes false: a progress line every few
// seconds, and a round quiet for timeout_s ends the process as a hang.
template <class Scenario>
void watch_rounds(const cell_result& cell, const stress_options& o, round_board<Scenario>& b,
                  const std::atomic<bool>& watching) {
  using clock = std::chrono::steady_clock;
  auto last_progress = clock::now();
  while (watching.load()) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const std::int64_t started = b.round_started_ns.load();
    const auto now = clock::now();
    if (o.progress && now - last_progress > std::chrono::seconds(3)) {
      last_progress = now;
      std::fprintf(stderr, "  %s: round %llu/%llu, %.1f s\n", cell.name().c_str(),
                   static_cast<unsigned long long>(b.round.load()), static_cast<unsigned long long>(o.rounds),
                   std::chrono::duration<double>(now - b.t0).count());
    }
    if (started == 0) continue;
    const double stuck_s = std::chrono::duration<double>(now.time_since_epoch()).count() - double(started) / 1e9;
    if (stuck_s >= o.timeout_s) report_hang(cell, o, b);
  }
}

// One worker: waits for each round, arrives after a seeded jitter, runs its body.
template <class Scenario>
void work_rounds(round_board<Scenario>& b, const stress_options& o, int t) {
  thread_status& me = b.status[std::size_t(t)];
  current_status = &me;
  std::uint64_t rng = o.seed * 0x100000001b3ull + std::uint64_t(t);
  fuzz_state = rng ^ 0x5bd1e995u;
  for (;;) {
    b.start.arrive_and_wait();
    if (b.stop.load()) return;
    for (std::uint64_t i = next_random(rng) % 512; i > 0; --i) asm volatile("" ::: "memory");
    me.in_scenario.store(true, std::memory_order_relaxed);
    guarded([&] { Scenario::thread(*b.current.load(), t); });
    me.in_scenario.store(false, std::memory_order_relaxed);
    me.op.store(nullptr, std::memory_order_relaxed);
    b.finish.arrive_and_wait();
  }
}

// The coordinator: builds, releases and checks each round until one fails.
template <class Scenario>
void coordinate_rounds(round_board<Scenario>& b, const stress_options& o) {
  using clock = std::chrono::steady_clock;
  round_file dies_in(o.round_path);
  for (std::uint64_t r = 1; r <= o.rounds; ++r) {
    b.round.store(r);
    dies_in.store(r);
    std::unique_ptr<typename Scenario::state> st;
    // The state's constructor runs design code too (a leader registers).
    guarded([&] { st = std::make_unique<typename Scenario::state>(o.threads); });
    if (!st) break;
    b.current.store(st.get());
    b.round_started_ns.store(
        std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now().time_since_epoch()).count());
    b.start.arrive_and_wait();
    b.finish.arrive_and_wait();
    guarded([&] { Scenario::check(*st); });
    st.reset();
    b.round_started_ns.store(0);
    if (failure_record::instance().set) break;
  }
}

template <class Scenario>
cell_result run_stress(cell_result cell, const stress_options& o) {
  cell.mode = "stress";
  cell.scheduler = o.label;
  cell.threads = o.threads;
  sync::failure_hook().store(&failure_record::on_failure);
  round_board<Scenario> board(o.threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < o.threads; ++t) workers.emplace_back([&, t] { work_rounds(board, o, t); });
  std::atomic<bool> watching{true};
  std::thread watchdog([&] { watch_rounds(cell, o, board, watching); });
  coordinate_rounds(board, o);
  board.stop.store(true);
  board.start.arrive_and_wait();
  for (auto& w : workers) w.join();
  watching.store(false);
  watchdog.join();
  sync::failure_hook().store(nullptr);

  cell.elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - board.t0).count();
  cell.iterations = board.round.load();
  const failure_record& f = failure_record::instance();
  if (f.set) {
    cell.result = f.kind;
    cell.reason = f.message;
    cell.first_failure_iteration = board.round.load();
  } else {
    cell.reason = "no failure in " + std::to_string(cell.iterations) + " rounds of " + std::to_string(o.threads) +
                  " threads";
  }
  if constexpr (requires { Scenario::latency_rows(); }) cell.latency = Scenario::latency_rows();
  return cell;
}

}  // namespace oncecheck::stress
