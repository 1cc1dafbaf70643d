// async_waiter_cancel: a waiting task is dropped (cancelled) while it is
// parked on a pending key, and the key is completed after. The dropped
// task's frame, its wait node with it, is gone: the completer must never
// reach it (seed 003: "we must ensure that the node is unlinked from the
// list before dropping a cancelled future").
//
// Roles, key 1 registered before the round:
//   doomed      (worker 0)          awaits key 1, and is cancelled;
//   survivor    (the last worker)   awaits key 1 and must get 2k+1;
//   canceller   (worker 0)          cancels `doomed`, yields (so that, on
//                                   worker 0's queue, the doomed task is
//                                   destroyed before it goes on), then
//                                   completes key 1.
// The doomed task runs before the canceller on worker 0, so it is parked
// when the cancel comes. With two workers the survivor parks on the other
// worker at any point of that.
//
// Catches: a cancelled task that leaves its node linked
// (intrusive/no_unlink_on_cancel: done() writes through the freed frame:
// use_after_free under Relacy, ASan/TSan or a crash on real threads; with two
// workers TSan may report it as a data race instead, between the survivor
// linking its node behind the doomed one and the doomed frame's free), a
// survivor that is never woken (deadlock) or gets anything but 2k+1
// (wrong_value); a blocking-only design's wait() holds worker 0, so the
// canceller never runs (deadlock).
#pragma once

#include <string_view>

#include "async_support.hpp"

namespace oncecheck::scenarios {

template <class Map, class Sync, int Workers>
struct async_waiter_cancel_on {
  static constexpr std::string_view name = Workers == 1 ? "async_waiter_cancel/1w" : "async_waiter_cancel/2w";
  static constexpr std::string_view summary =
      "a waiting task dropped while parked leaves nothing behind; the other waiter still gets 2k+1";
  static constexpr int model_threads = Workers;
  static constexpr int model_operations = 3;  // the lead, the doomed and the surviving waiter
  static constexpr int min_threads = Workers;
  static constexpr int stress_threads = Workers;
  static constexpr key_t key = 1;

  struct state {
    explicit state(int) : exec(Workers) {
      registered = map.register_key(key);
      doomed = exec.spawn(waiter(*this, doomed_result), 0);
      exec.spawn(waiter(*this, survivor_result), Workers - 1);
      exec.spawn(canceller(*this), 0);
      exec.close_when_idle();
    }
    Map map;  // before exec: the map outlives every task
    executor<Sync> exec;
    bool registered = false;  // written before the threads start
    task_handle doomed;       // written before the threads start
    task_result<Sync, outcome<value_t>> doomed_result;
    task_result<Sync, outcome<value_t>> survivor_result;
  };

  static task<void> waiter(state& s, task_result<Sync, outcome<value_t>>& out) {
    out.mut() = co_await wait_from_task<Sync>(s.map, key);
  }

  static task<void> canceller(state& s) {
    // On real threads the doomed task is parked by now (it ran first on this
    // worker) unless its design blocks; the model explores every order.
    s.exec.cancel(s.doomed);
    co_await yield_now{};
    s.map.done(key, value_of(key));
  }

  static void thread(state& s, int tid) { s.exec.run_worker(tid); }

  static void check(state& s) {
    expect_leader<Sync>(s.registered, key);
    expect_value_of<Sync>(key, s.survivor_result.get(), "the surviving waiter task");
    // Parked when the cancel came, so destroyed before it could return.
    char got[96];
    const auto& d = s.doomed_result.get();
    expect<Sync>(!d, verdict::wrong_value, "the cancelled task returned %s instead of being destroyed",
                 describe(d, got, sizeof got));
  }
};

template <class Map, class Sync>
using async_waiter_cancel_1w = async_waiter_cancel_on<Map, Sync, 1>;
template <class Map, class Sync>
using async_waiter_cancel_2w = async_waiter_cancel_on<Map, Sync, 2>;

}  // namespace oncecheck::scenarios
