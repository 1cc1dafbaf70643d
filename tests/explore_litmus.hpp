// Small programs for the explorer's tests, written as a state type, a body
// per thread and a check, directly on the explore backend.
#pragma once

#include <functional>
#include <utility>

#include "../explore/explore_cell.hpp"
#include "../impls/sync/explore_backend.hpp"

namespace oncecheck::explore::testing {

using X = sync::explore_backend;

template <class State>
class litmus final : public program {
 public:
  litmus(int threads, std::function<void(State&, int)> body, std::function<void(State&)> check = {})
      : threads_(threads), body_(std::move(body)), check_(std::move(check)) {}
  int threads() const override { return threads_; }
  void setup() override { state_ = new State(); }
  void run(int tid) override { body_(*state_, tid); }
  void check() override {
    if (check_) check_(*state_);
  }
  void teardown() override {
    delete state_;
    state_ = nullptr;
  }
  void abandon() override { state_ = nullptr; }

 private:
  int threads_;
  std::function<void(State&, int)> body_;
  std::function<void(State&)> check_;
  State* state_ = nullptr;
};

// Three threads with a notify, a timed wait that may time out and a spin
// loop on yield: the program the reduction and the split are checked on
// against plain DFS's final states (a, b, shared).
struct waits {
  X::mutex m;
  X::condition_variable cv;
  X::atomic<int> a{0}, b{0};
  X::cell<int> shared{0};
  X::cell<bool> ready{false};
};

inline void notify_timed_wait_and_spin(waits& s, int tid) {
    if (tid == 0) {
      X::unique_lock lock(s.m);
      s.ready.mut() = true;
      s.a.store(1);
      s.cv.notify_one();
    } else if (tid == 1) {
      X::unique_lock lock(s.m);
      const bool woken = s.cv.wait_until(lock, X::clock::now()) == sync::wait_status::woken;
      s.b.store(woken ? 1 : 2);
    } else {
      while (s.a.load() == 0) X::yield();
      s.shared.mut() = 7;
    }
}

inline explore_result explore(program& p, std::string scheduler = "dpor", std::optional<int> bound = std::nullopt) {
  explore_options o;
  o.scheduler = std::move(scheduler);
  o.preemption_bound = bound;
  o.max_executions = 2'000'000;
  o.time_limit_s = 120;
  return explore_program(p, o);
}

}  // namespace oncecheck::explore::testing
