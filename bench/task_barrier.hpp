// task_barrier: the cyclic barrier of a workload's rounds when its parties
// are tasks (coalesce_task), not threads. A task that arrives parks (its
// worker runs other tasks, or idles) until the last party arrives and wakes
// every parked one, as a goroutine parks on a WaitGroup or a tokio task on
// a tokio::sync::Barrier. spin_barrier (barrier.hpp) cannot serve here: a
// task spinning on it holds its worker, and the parties that must still
// arrive may be queued behind it on the same worker.
//
// Locking protocol. `lock_` guards `arrived_`, `generation_` and `parked_`.
// The last arriver wakes the parked tasks with `lock_` held (a wake takes
// the executor's lock: the order is barrier -> executor, never the
// reverse). A woken task re-checks the generation under `lock_` and parks
// again if it has not moved (a wake that landed while it was still running
// is delivered at its next park: impls/task.hpp).
#pragma once

#include <cstdint>
#include <mutex>
#include <vector>

#include "../impls/task.hpp"

namespace oncecheck::bench {

class task_barrier {
 public:
  explicit task_barrier(int parties) : parties_(parties) { parked_.reserve(std::size_t(parties)); }
  task_barrier(const task_barrier&) = delete;
  task_barrier& operator=(const task_barrier&) = delete;

  task<void> arrive_and_wait() {
    const waker me = co_await current_waker{};
    std::uint64_t generation;
    {
      std::lock_guard g(lock_);
      generation = generation_;
      if (++arrived_ == parties_) {
        arrived_ = 0;
        ++generation_;
        for (const waker& w : parked_) w.wake();
        parked_.clear();
        co_return;
      }
      parked_.push_back(me);
    }
    for (;;) {
      co_await park{};
      std::lock_guard g(lock_);
      if (generation_ != generation) co_return;
    }
  }

 private:
  const int parties_;
  std::mutex lock_;
  int arrived_ = 0;                 // guarded by lock_
  std::uint64_t generation_ = 0;    // guarded by lock_
  std::vector<waker> parked_;       // guarded by lock_: this generation's parked parties
};

}  // namespace oncecheck::bench
