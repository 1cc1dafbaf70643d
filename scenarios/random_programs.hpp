// random_programs: a generated operation program (scenarios/spec/program.hpp)
// per round, run through the design with every call recorded, and the
// history checked against the once-map specification
// (scenarios/spec/once_map_spec.hpp, linearizability.hpp).
//
// Which program a round runs comes from `program_source()`
// (program_source.hpp): the run's --seed plus the round's index, or one
// pinned program (a replay, a tree search over one program's schedules). A
// failure names the program's seed in its replay command, and the runner
// shrinks it (harness/runner/shrink_programs.hpp).
//
// Tasks (program.hpp): a program's tasks are spawned on an executor of its
// 1-2 workers in the state's constructor, which then closes the executor
// (close_when_idle), so each worker returns once every task has ended; model
// thread threads + i runs worker i (async_support.hpp's pattern). A task is
// one wait_from_task: the design's wait_async, or its blocking wait(), which
// holds the worker. Its call is recorded before the co_await and its return
// after, as history process first_task_process + n (history.hpp); a task
// cancelled while parked leaves a call that never returned. Each task's
// frame holds a guard that counts its end on destruction, so thread 0's
// destroy can wait until every task has ended, cancelled or not, before the
// map goes (rule 4). A design that loses a parked task's wake-up (a fail()
// that wakes blocking waiters only, say) leaves a worker waiting for good:
// a deadlock; one that touches a cancelled task's node after its frame went
// is a use after free.
//
// Catches, beyond what the engines see themselves (deadlock, hang,
// use_after_free, data_race): a history no order explains
// (not_linearizable), two computes of one key and round or a completed key
// computed again (duplicate_compute), a value or error nobody produced
// (wrong_value).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <new>
#include <optional>
#include <utility>

#include "async_support.hpp"
#include "program_source.hpp"
#include "scenario_support.hpp"
#include "spec/linearizability.hpp"
#include "spec/program.hpp"
#include "spec/recording_map.hpp"

namespace oncecheck::scenarios {

// A value unique to its key, the computing thread and its step.
constexpr value_t unique_value(key_t k, int thread, int step) noexcept {
  return (k << 16) | (value_t(thread) << 8) | value_t(step + 1);
}

template <class Map, class Sync, int Threads>
struct random_programs_of {
  static constexpr int model_threads = Threads;
  static constexpr int model_operations = Threads * spec::program::max_steps + spec::program::max_tasks;  // at most
  static constexpr int min_threads = 2;
  static constexpr int stress_threads = spec::program::max_threads;
  static constexpr std::chrono::microseconds short_timeout{50};
  // Each state takes its program from program_source() (program_source.hpp).
  static constexpr bool draws_programs = true;

  // Plain threads first, then one history process per task.
  static_assert(spec::first_task_process == spec::program::max_threads);
  using recorder = spec::history_recorder<spec::program::max_threads + spec::program::max_tasks,
                                          3 * spec::program::max_steps + 4>;
  using view = spec::recording_map<Map, recorder>;

  // Not a std::exception: nothing between the compute and the program may
  // mistake it for one of its own.
  struct compute_failed {};

  enum status : int { running = 0, in_last_wait = 1, finished = 2 };

  struct state {
    explicit state(int threads)
        : prog(program_source().take(std::min(threads, spec::program::max_threads))) {
      map = new (Sync::allocate(sizeof(Map))) Map();
      for (auto& s : status) s.store(finished, std::memory_order_relaxed);
      for (int t = 0; t < prog.threads; ++t) status[std::size_t(t)].store(running, std::memory_order_relaxed);
      // No executor and not a single extra model event: a program without
      // tasks runs as it did before tasks existed (pinned replays).
      if (prog.tasks == 0) return;
      tasks_ended.store(0, std::memory_order_relaxed);
      exec.emplace(prog.workers);
      for (int n = 0; n < prog.tasks; ++n)
        handles[std::size_t(n)] = exec->spawn(waiter(*this, n, task_ending(tasks_ended)), prog.task_home(n));
      exec->close_when_idle();
    }
    ~state() {
      exec.reset();  // first: a task still parked (a run cut short) unlinks from the map as its frame goes
      if (!destroyed.get()) destroy(map);
    }
    state(const state&) = delete;
    state& operator=(const state&) = delete;

    const spec::program prog;
    Map* map;  // written before the threads start; destroyed by thread 0's destroy step or here
    typename Sync::template cell<bool> destroyed{false};  // written by thread 0 only
    recorder rec;
    std::array<typename Sync::template atomic<int>, spec::program::max_threads> status;
    std::optional<executor<Sync>> exec;                             // with tasks only
    std::array<task_handle, spec::program::max_tasks> handles{};     // written before the threads start
    typename Sync::template atomic<int> tasks_ended;                // see task_ending; with tasks only
    typename Sync::mutex quiet_lock;            // only await_quiet's pause takes it
    typename Sync::condition_variable quiet;    // never notified: a pause that times out
  };

  // A parameter of a task, so it lives in the task's frame from its
  // creation: counts the task's end however it comes, run to its end or
  // destroyed by a cancel, even one that came before the task first ran (a
  // local of the body would not exist then). Only the frame's copy counts.
  // Release: what the task did to the map happens before destroy's acquire
  // load sees the count.
  class task_ending {
   public:
    explicit task_ending(typename Sync::template atomic<int>& ended) : ended_(&ended) {}
    task_ending(task_ending&& o) noexcept : ended_(std::exchange(o.ended_, nullptr)) {}
    task_ending& operator=(task_ending&&) = delete;
    ~task_ending() {
      if (ended_) ended_->fetch_add(1, std::memory_order_release);
    }

   private:
    typename Sync::template atomic<int>* ended_;
  };

  static task<void> waiter(state& s, int n, task_ending) {
    const int process = spec::first_task_process + n;
    const key_t k = s.prog.task_key[std::size_t(n)];
    const int i = s.rec.begin(process, spec::op_kind::wait, k);
    const outcome<value_t> r = co_await wait_from_task<Sync>(*s.map, k);
    if (spec::recorded_op* o = s.rec.at(process, i)) {
      o->has_value = r.has_value();
      if (r.has_value()) o->value = r.value();
      else o->error = r.error();
    }
    s.rec.end(process, i);
  }

  static void destroy(Map* map) {
    map->~Map();
    Sync::deallocate(map);
  }

  // Thread 0's destroy step: the others must have finished, or be blocked in
  // their last step, a wait on the key thread 0 abandoned (program.hpp,
  // rule 3), and every task must have ended (rule 4). Acquire: what a
  // finished thread or task did to the map happens before the map goes.
  static void await_quiet(state& s) {
    const int kd = s.prog.abandoned_key();
    for (;;) {
      bool all = s.prog.tasks == 0 || s.tasks_ended.load(std::memory_order_acquire) == s.prog.tasks;
      std::size_t in_wait = 0;
      for (int t = 1; t < s.prog.threads; ++t) {
        const int st = s.status[std::size_t(t)].load(std::memory_order_acquire);
        if (st == in_last_wait) ++in_wait;
        else if (st != finished) all = false;
      }
      if (all && (in_wait == 0 || (kd && s.map->waiting(key_t(kd)) >= in_wait))) return;
      // The explorer's yield parks thread 0 until another thread moves: the
      // right pause. Elsewhere a short timed wait nobody notifies: under a
      // context-bounded search (Relacy's bound) a yielding thread keeps the
      // processor once the preemptions are spent, the others' timed waits
      // never time out, and a correct design was called a livelock
      // (condvar x program 1186). A blocked thread hands the processor on.
      if constexpr (requires { requires Sync::yield_waits_for_progress; }) {
        Sync::yield();
      } else {
        typename Sync::unique_lock pause(s.quiet_lock);
        (void)s.quiet.wait_until(pause, Sync::clock::now() + short_timeout);
      }
    }
  }

  // A leader handle kept across the following steps of its thread.
  struct holding {
    std::optional<leader<view>> lead;
    int release_after = -1;  // the step after which it ends; -1: destroy abandons it
    spec::lead_end how = spec::lead_end::complete;
    value_t value = 0;
  };

  static void end_lead(leader<view>& lead, spec::lead_end how, value_t v) {
    switch (how) {
      case spec::lead_end::complete: lead.complete(v); break;
      case spec::lead_end::cancel: lead.fail(wait_error::cancelled); break;
      case spec::lead_end::drop:
      case spec::lead_end::abandon: break;  // the handle's destructor: leader_failed
    }
  }

  static void run_step(state& s, view& m, int tid, int i, holding& held) {
    const spec::step& st = s.prog.at(tid, i);
    const key_t k = st.key;
    const bool last = i == s.prog.length[std::size_t(tid)] - 1;
    if (last && spec::blocks(st) && tid != 0 && int(k) == s.prog.abandoned_key())
      s.status[std::size_t(tid)].store(in_last_wait, std::memory_order_release);
    switch (st.kind) {
      case spec::step_kind::compute:
        (void)get_or_compute(m, k, [&] { return m.compute(k, [&] { return unique_value(k, tid, i); }); });
        break;
      case spec::step_kind::compute_throws:
        try {
          (void)get_or_compute(m, k, [&]() -> value_t {
            return m.compute(k, []() -> value_t { throw compute_failed{}; });
          });
        } catch (const compute_failed&) {
        }
        break;
      case spec::step_kind::lead:
        if (auto lead = try_lead(m, k)) {
          if (st.end == spec::lead_end::abandon || st.hold > 0) {
            held.lead.emplace(std::move(*lead));
            held.release_after = st.end == spec::lead_end::abandon ? -1 : i + st.hold;
            held.how = st.end;
            held.value = unique_value(k, tid, i);
          } else {
            end_lead(*lead, st.end, unique_value(k, tid, i));
          }
        }
        break;
      case spec::step_kind::get: (void)m.get(k); break;
      case spec::step_kind::wait: (void)m.wait(k); break;
      case spec::step_kind::wait_for: (void)m.wait_for(k, short_timeout); break;
      case spec::step_kind::close: m.close(); break;
      case spec::step_kind::cancel: s.exec->cancel(s.handles[st.task]); break;
      case spec::step_kind::destroy:
        await_quiet(s);
        if (held.lead) held.lead->abandon();
        held.lead.reset();
        m.destroy([](Map* map) { destroy(map); });
        s.destroyed.mut() = true;
        break;
    }
    if (held.lead && i == held.release_after) {
      end_lead(*held.lead, held.how, held.value);
      held.lead.reset();
    }
  }

  static void thread(state& s, int tid) {
    if (tid >= s.prog.threads) {
      if (tid < s.prog.model_threads()) s.exec->run_worker(tid - s.prog.threads);
      return;
    }
    {
      view m(s.map, s.rec, tid);
      holding held;
      for (int i = 0; i < s.prog.length[std::size_t(tid)]; ++i) run_step(s, m, tid, i, held);
    }
    s.status[std::size_t(tid)].store(finished, std::memory_order_release);
  }

  static void check(state& s) {
    if (s.rec.overflowed()) {
      Sync::fail(verdict::assert_failed, "random_programs: a thread made more calls than its history buffer holds");
      return;
    }
    const std::vector<spec::recorded_op> h = s.rec.collect();
    // A model's interleaving is not real time: see check_history.
    const spec::check_result r = spec::check_history(h, !Sync::real_time);
    if (r.ok()) return;
    const std::string text = "program " + std::to_string(s.prog.seed) + " (" + spec::to_line(s.prog) + ")\n" +
                             spec::format_history(h) + r.explanation;
    std::snprintf(last_program_failure(), sizeof last_program_failure(), "%s", text.c_str());
    char message[360];
    std::snprintf(message, sizeof message, "program %llu: %s", static_cast<unsigned long long>(s.prog.seed),
                  r.message.c_str());
    Sync::fail(r.result, message);
  }
};

template <class Map, class Sync>
struct random_programs : random_programs_of<Map, Sync, 3> {
  static constexpr std::string_view name = "random_programs";
  static constexpr std::string_view summary =
      "generated programs of 2-3 threads (some with wait_async tasks on a worker) over 1-3 keys, every history "
      "checked against the once-map specification";
};

}  // namespace oncecheck::scenarios
