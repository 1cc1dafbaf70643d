// notify_latency: how long a waiter takes to resume after done(), and that
// every waiter does resume.
//
// Seed 000: "Notifying is surprisingly sync, so the subscribers won't get
// notified immediately until the next yielding of the task that called
// done" (konstin), and a yield_now() after done() that cut a warm run from
// 30 ms to 20 ms. On this executor a woken task runs on its home worker, so
// a waiter task on the notifier's worker resumes only once the notifier
// yields or ends; one on another worker as soon as that worker wakes; a
// blocked thread when the OS schedules it.
//
// Roles, key 1 registered before the round:
//   waiter tasks   n on each worker, spawned first, so those on worker 0
//                  are parked before the notifier runs there;
//   waiter threads the threads beyond the workers, blocked in wait();
//   notifier       (worker 0, spawned last) waits until every waiter waits
//                  (real threads only) and 200 us more so they sleep, stamps
//                  the time, completes the key, yields or not, then works on
//                  for `rest_of_step` (the rest of its resolver step).
// Under Relacy (time means nothing there) it checks bounded wake-up: every
// waiter resumes with 2k+1 whatever the schedule; a waiter still parked when
// everything else has stopped is a lost wake-up. On real threads each waiter
// also stamps its resume, and latency_rows() gives p50/p99/max of (resume -
// publish) per kind of waiter, with and without the yield (alternate rounds),
// over the rounds in which every waiter was really waiting at the publish.
//
// Catches: a waiter that never resumes (lost_wakeup, or deadlock when no
// done() ran: a blocking-only design's wait() holds the notifier's worker),
// a waiter that gets anything but 2k+1 (wrong_value).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "latency.hpp"
#include "async_support.hpp"
#include "stuck_probe.hpp"

namespace oncecheck::scenarios {

template <class Map, class Sync, int Workers>
struct notify_latency_on {
  static constexpr std::string_view name = Workers == 1 ? "notify_latency/1w" : "notify_latency/2w";
  static constexpr std::string_view summary =
      "every waiter (thread, task on the notifier's worker, task elsewhere) resumes after done(); how soon";
  static constexpr int model_threads = Workers + 1;   // one waiter thread
  static constexpr int model_operations = Workers + 2;  // the lead, the waiter thread, one waiter task per worker
  static constexpr int min_threads = Workers + 1;
  static constexpr int stress_threads = Workers + 2;  // two waiter threads, two tasks per worker
  static constexpr key_t key = 1;
  static constexpr std::chrono::microseconds settle{200};  // WORKLOADS.md W3: so they are asleep
  static constexpr std::chrono::microseconds rest_of_step{100};
  static constexpr std::chrono::milliseconds max_arrival{5};

  enum kind : int { thread_waiter, task_same_worker, task_other_worker, kinds };
  static constexpr std::string_view kind_name[kinds] = {"thread", "task_same_worker", "task_other_worker"};

  struct waiter_record {
    kind who = thread_waiter;
    std::optional<outcome<value_t>> result;
    std::chrono::steady_clock::time_point resumed;
  };

  struct state {
    explicit state(int threads)
        : thread_waiters(threads - Workers),
          tasks_per_worker(threads - Workers),
          exec(Workers),
          records(threads - Workers + Workers * (threads - Workers)) {
      probe_inside.store(0, std::memory_order_relaxed);
      probe_completed.store(false, std::memory_order_relaxed);
      if constexpr (Sync::real_time) notifier_yields = next_round_yields.fetch_add(1) % 2 == 1;
      registered = map.register_key(key);
      int slot = thread_waiters;  // records [0, thread_waiters) are the threads'
      for (int w = 0; w < Workers; ++w)
        for (int i = 0; i < tasks_per_worker; ++i)
          exec.spawn(waiter_task(*this, slot++, w == 0 ? task_same_worker : task_other_worker), w);
      exec.spawn(notifier(*this), 0);
      exec.close_when_idle();
    }
    const int thread_waiters;
    const int tasks_per_worker;
    Map map;  // before exec: the map outlives every task
    executor<Sync> exec;
    bool registered = false;       // written before the threads start
    bool notifier_yields = true;   // the model always yields; real rounds alternate
    per_thread<Sync, waiter_record> records;  // one per waiter, written by it
    typename Sync::template cell<std::chrono::steady_clock::time_point> published;  // written by the notifier
    typename Sync::template cell<bool> all_waiting{false};                          // written by the notifier
    int waiters() const { return thread_waiters + Workers * tasks_per_worker; }
  };

  static void record(state& s, int slot, kind who, outcome<value_t> r) {
    s.records.set(slot, waiter_record{who, std::move(r), std::chrono::steady_clock::now()});
  }

  static task<void> waiter_task(state& s, int slot, kind who) {
    probe_inside.fetch_add(1, std::memory_order_relaxed);
    outcome<value_t> r = co_await wait_from_task<Sync>(s.map, key);
    probe_inside.fetch_sub(1, std::memory_order_relaxed);
    record(s, slot, who, std::move(r));
  }

  static task<void> notifier(state& s) {
    // Real threads only (the model explores every order without it): let
    // every waiter arrive and fall asleep, so that the figure is a wake-up.
    // Not Sync::busy_until, which a stress backend may cut short on purpose.
    if constexpr (Sync::real_time) {
      const auto give_up = std::chrono::steady_clock::now() + max_arrival;
      while (s.map.waiting(key) < std::size_t(s.waiters()) && std::chrono::steady_clock::now() < give_up) {
      }
      Sync::busy_for(settle);
      s.all_waiting.mut() = s.map.waiting(key) >= std::size_t(s.waiters());
    }
    s.published.mut() = std::chrono::steady_clock::now();
    s.map.done(key, value_of(key));
    probe_completed.store(true, std::memory_order_relaxed);
    if (s.notifier_yields) co_await yield_now{};
    Sync::busy_for(rest_of_step);
  }

  static void thread(state& s, int tid) {
    if (tid < Workers) {
      s.exec.run_worker(tid);
      return;
    }
    probe_inside.fetch_add(1, std::memory_order_relaxed);
    outcome<value_t> r = s.map.wait(key);
    probe_inside.fetch_sub(1, std::memory_order_relaxed);
    record(s, tid - Workers, thread_waiter, std::move(r));
  }

  static void check(state& s) {
    expect_leader<Sync>(s.registered, key);
    for (int i = 0; i < s.records.size(); ++i) {
      const auto& rec = s.records.get(i);
      char who[64];
      std::snprintf(who, sizeof who, "waiter %d (%s)", i, rec ? kind_name[rec->who].data() : "never resumed");
      expect_value_of<Sync>(key, rec ? rec->result : std::nullopt, who);
    }
    if constexpr (Sync::real_time) collect(s);
  }

  // A waiter still inside its wait after done() returned.
  static std::optional<stuck_explanation> explain_stuck() {
    const int inside = probe_inside.load(std::memory_order_relaxed);
    if (!probe_completed.load(std::memory_order_relaxed) || inside == 0) return std::nullopt;
    return stuck_explanation{verdict::lost_wakeup, std::to_string(inside) + (inside == 1 ? " waiter still waits" : " waiters still wait") +
                                                " for key 1 although done(1) returned"};
  }

  // The latency table of every round run so far in this process.
  static std::vector<latency_row> latency_rows() {
    std::lock_guard g(samples_lock);
    std::vector<latency_row> rows;
    for (int yields = 0; yields < 2; ++yields)
      for (int k = 0; k < kinds; ++k) {
        if (k == task_other_worker && Workers == 1) continue;
        rows.push_back(summarize(std::string(kind_name[k]), yields == 1, samples_us[yields][k]));
      }
    return rows;
  }

 private:
  static void collect(state& s) {
    std::lock_guard g(samples_lock);
    if (!s.all_waiting.get()) return;  // someone found the value already there: not a wake-up
    for (int i = 0; i < s.records.size(); ++i) {
      const auto& rec = s.records.get(i);
      if (!rec) continue;  // never resumed: check() has failed the round already
      const double us = std::chrono::duration<double, std::micro>(rec->resumed - s.published.get()).count();
      samples_us[s.notifier_yields ? 1 : 0][rec->who].push_back(us);
    }
  }

  // The stuck probe: plain relaxed atomics, as stuck_probe.hpp explains.
  static inline std::atomic<int> probe_inside{0};
  static inline std::atomic<bool> probe_completed{false};
  // Real threads only: which rounds yield, and the samples so far.
  static inline std::atomic<std::uint64_t> next_round_yields{0};
  static inline std::mutex samples_lock;
  static inline std::vector<double> samples_us[2][kinds];
};

template <class Map, class Sync>
using notify_latency_1w = notify_latency_on<Map, Sync, 1>;
template <class Map, class Sync>
using notify_latency_2w = notify_latency_on<Map, Sync, 2>;

}  // namespace oncecheck::scenarios
