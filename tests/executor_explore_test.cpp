// The executor's own protocol (impls/executor.hpp, "A task's state" and
// "Idle workers") searched exhaustively by the explorer's DPOR, on programs
// small enough that every schedule is run: a wake racing the task's
// suspension on another worker, a cancel racing that wake, and block_on
// racing the task's end. A lost wake-up leaves a worker parked with a task
// alive, which the explorer reports as a deadlock; a task resumed on two
// workers at once touches its cell from both, a data race; a task run
// after its end, or twice, breaks the counts the checks read. The last
// test is the control: a program whose wake never comes must be a deadlock,
// so a pass above is a search that could have failed.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdio>
#include <string>

#include "explore_litmus.hpp"
#include "impls/executor.hpp"

namespace oncecheck::explore::testing {
namespace {

// A task that publishes its waker, spawns `wake_it` on worker 1 to set
// `go` and wake it, and parks until it sees `go`.
struct sleeper_state {
  explicit sleeper_state(bool send_wake = true) : exec(2), send_wake(send_wake) {
    sleeper = exec.spawn(sleep_then_run(*this), 0);
    exec.close_when_idle();
  }
  executor<X> exec;
  const bool send_wake;
  task_handle sleeper;       // written before the threads start
  X::cell<waker> its_waker;  // written by the sleeper before it spawns wake_it
  X::atomic<bool> go{false};
  X::cell<int> runs{0};       // the sleeper's body after the park: at most once
  X::cell<int> started{0};    // the sleeper's body began (a cancel may come first)
  X::cell<int> destroyed{0};  // the sleeper's locals destroyed (ended or cancelled)

  struct count_on_destroy {
    X::cell<int>& n;
    ~count_on_destroy() { ++n.mut(); }
  };

  static task<void> sleep_then_run(sleeper_state& s) {
    ++s.started.mut();
    const count_on_destroy guard{s.destroyed};
    s.its_waker.mut() = co_await current_waker{};
    s.exec.spawn(wake_it(s), 1);
    while (!s.go.load(std::memory_order_acquire)) co_await park{};
    ++s.runs.mut();
  }

  static task<void> wake_it(sleeper_state& s) {
    s.go.store(true, std::memory_order_release);
    if (s.send_wake) s.its_waker.get().wake();
    co_return;
  }
};

void check(bool ok, verdict kind, const std::string& what) {
  if (!ok) X::fail(kind, what);
}
std::string count(const char* what, std::uint64_t n) { return std::string(what) + " " + std::to_string(n); }

explore_result search(program& p) {
  const explore_result r = explore(p);
  EXPECT_TRUE(r.exhausted) << "the search stopped at a budget after " << r.executions << " executions";
  EXPECT_GT(r.executions, 1u) << "a single schedule: nothing was searched";
  std::printf("  %llu executions, %llu redundant\n", (unsigned long long)r.executions,
              (unsigned long long)r.redundant_executions);
  return r;
}

TEST(ExecutorExplore, AWakeRacingTheSuspensionOnAnotherWorkerIsNeverLost) {
  litmus<sleeper_state> p(2, [](sleeper_state& s, int tid) { s.exec.run_worker(tid); },
                          [](sleeper_state& s) {
                            check(s.runs.get() == 1, verdict::lost_wakeup, count("the sleeper's runs after its park:", s.runs.get()));
                            check(s.exec.completed() == 2 && s.exec.cancelled() == 0, verdict::wrong_value,
                                  count("completed", s.exec.completed()) + count(", cancelled", s.exec.cancelled()) +
                                      ": expected 2 and 0");
                          });
  const explore_result r = search(p);
  EXPECT_EQ(r.result, verdict::pass) << r.reason << "\n" << r.trace;
}

// Thread 2, not a worker, cancels the sleeper while wake_it wakes it: it
// ends once, either way (run to its end or destroyed, perhaps before it
// began and spawned wake_it), and its locals are destroyed once if it began.
TEST(ExecutorExplore, ACancelRacingAWakeEndsTheTaskOnce) {
  litmus<sleeper_state> p(
      3,
      [](sleeper_state& s, int tid) {
        if (tid < 2) s.exec.run_worker(tid);
        else s.exec.cancel(s.sleeper);
      },
      [](sleeper_state& s) {
        const int began = s.started.get();
        check(s.destroyed.get() == began, verdict::use_after_free,
              count("the sleeper's locals destroyed, times:", s.destroyed.get()) + count(", began:", began));
        check(s.runs.get() <= 1, verdict::wrong_value, count("the sleeper's runs after its park:", s.runs.get()));
        check(s.exec.completed() + s.exec.cancelled() == std::uint64_t(1 + began), verdict::wrong_value,
              count("completed", s.exec.completed()) + count(" + cancelled", s.exec.cancelled()) +
                  count(": expected tasks", 1 + began));
        check(s.exec.cancelled() <= 1, verdict::wrong_value, count("cancelled", s.exec.cancelled()));
      });
  const explore_result r = search(p);
  EXPECT_EQ(r.result, verdict::pass) << r.reason << "\n" << r.trace;
}

// block_on from a thread outside the workers, against the task's end on a
// worker: the task's last act sets block_on's flag under ended_lock_, and
// the wait sees it whichever comes first.
struct block_on_state {
  block_on_state() : exec(2) {}
  executor<X> exec;
  X::cell<int> got{0};
  static task<int> yields_then_gives(int v) {
    co_await yield_now{};
    co_return v;
  }
};

TEST(ExecutorExplore, BlockOnSeesTheEndOfItsTask) {
  litmus<block_on_state> p(3, [](block_on_state& s, int tid) {
    if (tid < 2) {
      s.exec.run_worker(tid);
    } else {
      s.got.mut() = s.exec.block_on(block_on_state::yields_then_gives(7), 1);
      s.exec.close_when_idle();
    }
  },
  [](block_on_state& s) { check(s.got.get() == 7, verdict::wrong_value, count("block_on gave", s.got.get())); });
  const explore_result r = search(p);
  EXPECT_EQ(r.result, verdict::pass) << r.reason << "\n" << r.trace;
}

// The control: wake_it sets `go` but never calls the waker, so the sleeper
// stays parked and its worker waits for a post that never comes.
struct never_woken_state : sleeper_state {
  never_woken_state() : sleeper_state(false) {}
};

TEST(ExecutorExplore, AWakeThatNeverComesIsADeadlock) {
  litmus<never_woken_state> p(2, [](never_woken_state& s, int tid) { s.exec.run_worker(tid); });
  const explore_result r = explore(p);
  EXPECT_EQ(r.result, verdict::deadlock) << r.reason;
}

}  // namespace
}  // namespace oncecheck::explore::testing
