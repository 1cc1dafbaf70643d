// stuck_probe: what a scenario's threads were doing when a run ended blocked,
// so that the scenario can say why.
//
// A run that ends blocked (Relacy: deadlock; real threads: the watchdog's
// hang) only says "nobody moves". A scenario knows more: that done() had
// already returned while a waiter still sleeps (a lost wake-up), or that two
// leaders wait for each other's keys (a cycle). It may define
//
//   static std::optional<stuck_explanation> explain_stuck();
//
// which the model driver and the stress watchdog call once the run is stuck.
// It reads only the scenario's stuck_probe, never the map: the stuck threads
// may hold the map's locks.
//
// Why plain std::atomic with memory_order_relaxed: the probe must not add
// any ordering to the program under test, or it could hide the very race a
// design has. Relacy does not model std::atomic (its threads are fibers of
// one OS thread, and a std::atomic access is no scheduling point), and on
// real threads a relaxed access creates no happens-before edge, for the CPU
// or for ThreadSanitizer. A stuck round has been quiet for the watchdog's
// whole timeout before the probe is read, so the relaxed loads see the last
// writes; under Relacy every thread is a fiber of the one OS thread that
// reads the probe after the run.
//
// The scenario's state constructor calls reset() at the start of every round
// (stress) or iteration (model); the threads only write; only
// explain_stuck() reads.
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "scenario_support.hpp"

namespace oncecheck::scenarios {

struct stuck_explanation {
  verdict kind;
  std::string message;
};

class stuck_probe {
 public:
  // Threads beyond this many are not recorded (no scenario gives them a
  // role the explanations need).
  static constexpr int max_threads = 64;
  // Keys are any 64-bit value (WORKLOADS.md); the scenarios never use this one.
  static constexpr key_t no_key = ~key_t{0};

  void reset(int threads) noexcept {
    threads_.store(std::clamp(threads, 0, max_threads), std::memory_order_relaxed);
    for (slot& s : slots_) {
      s.leads.store(no_key, std::memory_order_relaxed);
      s.waits_for.store(no_key, std::memory_order_relaxed);
      s.completed.store(no_key, std::memory_order_relaxed);
    }
  }

  // `tid` is the leader of `k` (its register_key / try_lead said so).
  void lead(int tid, key_t k) noexcept { store(tid, &slot::leads, k); }
  // done(k) has returned on `tid`.
  void completed(int tid, key_t k) noexcept { store(tid, &slot::completed, k); }

  // Marks `tid` as inside a wait for `k` for the guard's lifetime, so that a
  // wait that returns early (an error, an exception) is never left marked.
  class waiting_guard {
   public:
    waiting_guard(stuck_probe& p, int tid, key_t k) noexcept : p_(p), tid_(tid) { p_.store(tid_, &slot::waits_for, k); }
    ~waiting_guard() { p_.store(tid_, &slot::waits_for, no_key); }
    waiting_guard(const waiting_guard&) = delete;
    waiting_guard& operator=(const waiting_guard&) = delete;

   private:
    stuck_probe& p_;
    int tid_;
  };
  [[nodiscard]] waiting_guard waiting(int tid, key_t k) noexcept { return waiting_guard(*this, tid, k); }

  // A completion that some waiter never saw: done(k) returned and a thread
  // is still inside its wait for k.
  std::optional<stuck_explanation> lost_wakeup() const {
    const int n = threads();
    for (int c = 0; c < n; ++c) {
      const key_t k = load(c, &slot::completed);
      if (k == no_key) continue;
      std::vector<int> sleepers;
      for (int w = 0; w < n; ++w)
        if (load(w, &slot::waits_for) == k) sleepers.push_back(w);
      if (sleepers.empty()) continue;
      const std::string key = std::to_string(k);
      std::string who = thread_list(sleepers);
      return stuck_explanation{verdict::lost_wakeup, who + (sleepers.size() == 1 ? " still waits" : " still wait") +
                                                  " for key " + key + " although done(" + key + ") returned"};
    }
    return std::nullopt;
  }

  // Leaders waiting for each other's keys: T waits for k, k's leader waits
  // for k', ... back to T. Named from the lowest thread of the cycle.
  std::optional<stuck_explanation> wait_cycle() const {
    const int n = threads();
    auto leader_of = [&](key_t k) {
      for (int t = 0; t < n; ++t)
        if (load(t, &slot::leads) == k) return t;
      return -1;
    };
    for (int start = 0; start < n; ++start) {
      std::vector<int> path;
      int t = start;
      while (t >= 0 && std::find(path.begin(), path.end(), t) == path.end()) {
        path.push_back(t);
        const key_t k = load(t, &slot::waits_for);
        t = k == no_key ? -1 : leader_of(k);
      }
      // Only a walk that came back to where it started is a cycle; one that
      // joins a cycle further on is found from that cycle's own threads.
      if (t != start) continue;
      if (*std::min_element(path.begin(), path.end()) != start) continue;
      std::string message = "cycle:";
      for (std::size_t i = 0; i < path.size(); ++i) {
        const int u = path[i];
        message += (i == 0 ? " T" : "; T") + std::to_string(u) + " leads key " +
                   std::to_string(load(u, &slot::leads)) + " and waits for key " +
                   std::to_string(load(u, &slot::waits_for));
      }
      return stuck_explanation{verdict::deadlock, std::move(message)};
    }
    return std::nullopt;
  }

 private:
  struct slot {
    std::atomic<key_t> leads{no_key};
    std::atomic<key_t> waits_for{no_key};
    std::atomic<key_t> completed{no_key};
  };

  int threads() const noexcept { return threads_.load(std::memory_order_relaxed); }

  void store(int tid, std::atomic<key_t> slot::*field, key_t k) noexcept {
    if (tid < 0 || tid >= max_threads) return;
    (slots_[std::size_t(tid)].*field).store(k, std::memory_order_relaxed);
  }
  key_t load(int tid, std::atomic<key_t> slot::*field) const noexcept {
    return (slots_[std::size_t(tid)].*field).load(std::memory_order_relaxed);
  }

  static std::string thread_list(const std::vector<int>& ts) {
    std::string s;
    for (std::size_t i = 0; i < ts.size(); ++i) {
      if (i > 0) s += i + 1 == ts.size() ? " and " : ", ";
      s += "T" + std::to_string(ts[i]);
    }
    return s;
  }

  std::atomic<int> threads_{0};
  std::array<slot, max_threads> slots_{};
};

}  // namespace oncecheck::scenarios
