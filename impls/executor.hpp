// executor: a small multi-worker executor for task<void>, written on the
// sync backend, so the same code runs the async scenarios under Relacy (its
// workers are Relacy threads, and a lock a parked task still holds is seen
// by the checker) and on real threads.
//
// What it models. By default a thread-per-core runtime with no stealing: every
// task has a home worker (the one it was spawned on) and always runs there;
// waking a task puts it at the back of its home worker's queue. That is what
// makes the seed's observation reproducible: a task woken by `done()` on the
// notifier's own worker waits until the notifier task yields or finishes
// ("notifying is surprisingly sync ... until the next yielding of the task
// that called done", seed 000), while a task at home on another worker runs
// as soon as that worker is woken. On real threads an executor can instead
// run a woken task on the worker that woke it, as tokio does (see "Where a
// woken task runs").
//
// The workers are threads the caller provides: `run_worker(i)` runs worker i
// on the calling thread until the executor is idle and closed
// (close_when_idle) — under Relacy the model's threads, in a stress round the
// round's threads, elsewhere `worker_threads` below.
//
// Locking protocol. One mutex, `lock_`, guards every slot (a task's state),
// every run queue, `live_` and `closing_`. It is never held while a task
// runs or is destroyed: task code takes design locks, and a design's
// completer calls waker::wake() (which takes `lock_`) with its own lock
// held, so the lock order is design -> executor, never the reverse.
//   On the hot paths (spawn, wake, and a worker taking it back after each
// task it ran or after its idle spin) `lock_` is taken after a bounded spin
// on try_lock (sync::lock_spinning; a model locks at once). Its sections
// are a few loads and stores, but with one lock for every worker the two
// workers of W2 with tasks meet on it every round, and a contended
// std::mutex sleeps in the kernel and makes its holder pay a futex wake.
// A copy of coalesce_task/notify at T=2 that counted them (5 x 1,000
// rounds) made 4,128 futex calls and 1,325 context switches with the plain
// lock, 748 and 146 spinning; make bench's coalesce_task/intrusive went
// from 62.8k / 36.7k rounds/s at T=2 / T=8 to 68.6k / 51.2k (2026-12-02,
// same sitting).
//
// State of a slot (under lock_):
//   free    --spawn-->   queued
//   queued  --pop-->     running          (by its home worker)
//   running --suspends-> idle             (nobody woke it meanwhile)
//   running --suspends-> queued           (woken while running: `notified`,
//                                          or cancel() asked meanwhile)
//   idle    --wake-->    queued
//   idle    --cancel-->  queued           (the worker destroys, not resumes)
//   running --ends-->    free             (generation += 1: old wakers and
//                                          handles no longer match)
// A task is never resumed on two workers at once and never destroyed while
// another worker runs it: only its home worker pops it.
//
// Idle workers: spin, then park. A worker whose queue is empty does not go
// straight to sleep on its condition variable: it lets go of `lock_` and
// spins (sync::spin_wait: at most sync::spin_budget), so a task woken within the budget is
// picked up with no kernel sleep and no kernel wake. Only when the spin
// ends empty-handed does it park on `work`. Each worker's `state` says
// which of these it is doing, so a waker knows what a post needs:
//   busy     --queue empty-->  spinning   (lock_ let go, polling `state`)
//   spinning --a post-------->  roused     (the waker's store ends the spin:
//                                           no notify)
//   spinning --budget spent-->  parked     (re-checked under lock_ first)
//   parked   --a post-------->  roused     (the waker notifies `work` once)
//   roused | spinning | parked --work or exit seen under lock_--> busy
// A post is an enqueue onto that worker's queue, or close/shutdown making
// its exit condition true. A busy worker needs nothing: it looks at its
// queue under lock_ before it idles again; a roused one has been told.
//
// The lost wake-up is closed by lock_: every store to `state` is made with
// lock_ held, a worker re-checks its queue and exit condition under lock_
// after the spin and before each park, and it stores `parked` under lock_
// and lets go of lock_ only inside the condition variable's wait, which
// releases it and starts waiting in one step. So a post
// made under lock_ either comes before that re-check (the worker sees the
// work and does not park) or after it (the waker sees `parked` and
// notifies). A post during the spin sees `spinning`, stores `roused` and
// skips the notify; the worker then finds the work under lock_ when its
// poll sees `roused` or when the budget ends, whichever comes first.
//
// Memory ordering of `state`: relaxed everywhere. Every store is ordered by
// lock_; the only load made without lock_ is the spinning worker's poll,
// and its value only decides when the spin stops: whatever it reads, the
// worker takes lock_ before it looks at its queue, and lock_'s
// acquire/release orders the queue and the task's state. A stale
// `spinning` costs at most the rest of the budget, never a lost task.
//
// Under a model backend (Relacy, the explorer) the idle protocol is the one
// without the spin: a post notifies `work` every time and an idle worker
// parks at once, and `state` is never touched. Searching the spin would
// add nothing a model checks (spin_wait.hpp: the models do not spin), and
// searching the store-that-skips-a-notify grew the explorer's two-worker
// async trees 4 to 13 times (notify x async_waiter_cancel/2w: 1,758 to
// 22,400 executions) and took intrusive x notify_latency/2w past its 10 s.
// The handoff is a real-thread protocol whose lost wake-up argument is
// lock_'s, above; executor_test's ExecutorIdle cases run it, under TSan too
// (a build that drops the parked worker's notify fails them at round 0).
//
// Where a woken task runs. By default (woken_runs_on::home_worker) a task
// runs only on its home worker, as above. With woken_runs_on::waking_worker
// a task woken by code running on one of this executor's workers moves
// there: its home becomes the waking worker and it goes to the back of that
// worker's queue (tokio's multi-thread scheduler likewise keeps a task woken
// on a worker on that worker, in its LIFO slot). The waking worker is awake
// by construction and runs the task once the waker's task yields or ends
// and the tasks queued before it have run, while the old home may be
// parked: one kernel wake less (make bench:
// notify_task placement:other_worker against other_worker_pinned). What it
// costs is the cache: the task's frame was last touched by the other core.
// A wake from outside the workers (a plain thread) still goes home.
//   Only an idle task moves (wake() sees phase::idle under lock_): it is in
// no queue and no worker runs it, so the invariants above hold with "home"
// read as "current home": a task sits in at most one queue, only that
// queue's worker pops it, and a task woken while running is re-queued on
// the worker running it. The lost-wake-up argument is unchanged: the move
// is one more write under lock_ before the same enqueue.
//   Under a model backend every executor runs woken tasks at home: which
// worker is waking needs the calling thread's identity, which the shim does
// not give (Relacy's and the explorer's threads share one OS thread), and
// the async scenarios are written for the home rule (a same-worker wake is
// the seed's "until the next yielding of the task that called done").
//
// Ending: close_when_idle() lets the workers return once no task is left;
// shutdown() lets them return as soon as their queues are empty. Tasks still
// parked then are destroyed by the destructor (counted as cancelled).
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <optional>
#include <string>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

#include "sync/spin_wait.hpp"
#include "sync/verdict.hpp"
#include "task.hpp"

namespace oncecheck {

// Which worker runs a task that was woken (see "Where a woken task runs").
enum class woken_runs_on : std::uint8_t { home_worker, waking_worker };

// A spawned task, as its spawner sees it: cancel it, ask whether it ended.
struct task_handle {
  std::uint32_t slot = 0;
  std::uint32_t generation = 0;
};

template <class Sync>
class executor {
 public:
  explicit executor(int workers, woken_runs_on rule = woken_runs_on::home_worker) : rule_(rule) {
    for (int i = 0; i < workers; ++i) workers_.emplace_back();
  }
  executor(const executor&) = delete;
  executor& operator=(const executor&) = delete;

  // Tasks still parked (their worker threads are gone) are destroyed, as a
  // runtime that shuts down drops its tasks: no task is lost, none leaks.
  ~executor() {
    for (slot& s : slots_.mut())
      if (s.state != phase::free && s.frame) {
        s.frame.destroy();
        ++cancelled_.mut();
      }
  }

  int workers() const noexcept { return int(workers_.size()); }

  // Schedules `t` on worker `home` (at the back of its queue).
  task_handle spawn(task<void> t, int home) {
    auto h = t.release();
    typename Sync::unique_lock lock = sync::lock_spinning<Sync>(lock_);
    auto& slots = slots_.mut();
    std::uint32_t index;
    if (auto& free = free_.mut(); !free.empty()) {
      index = free.back();
      free.pop_back();
    } else {
      index = std::uint32_t(slots.size());
      slots.emplace_back();
    }
    slot& s = slots[index];
    s.frame = h;
    s.home = home < 0 ? 0 : home % workers();
    s.state = phase::queued;
    s.notified = false;
    s.cancel_requested = false;
    h.promise().wake = waker(&executor::wake_thunk, this, tag_of(index, s.generation));
    h.promise().become_root(h);
    ++live_.mut();
    enqueue(index, s);
    return task_handle{index, s.generation};
  }

  // Asks for the task to be destroyed instead of resumed (tokio's abort):
  // a parked task is destroyed by its worker soon; a running one right
  // after its next suspension. Its frame's locals are destroyed then.
  void cancel(task_handle t) {
    typename Sync::unique_lock lock(lock_);
    slot* s = find(t);
    if (!s) return;
    s->cancel_requested = true;
    if (s->state == phase::idle) {
      s->state = phase::queued;
      enqueue(t.slot, *s);
    }
  }

  bool finished(task_handle t) const {
    typename Sync::unique_lock lock(lock_);
    return find(t) == nullptr;
  }

  // The task is parked: suspended, not queued, not running.
  bool parked(task_handle t) const {
    typename Sync::unique_lock lock(lock_);
    const slot* s = find(t);
    return s && s->state == phase::idle;
  }

  // No more tasks from outside: every worker returns once no task is left.
  void close_when_idle() {
    typename Sync::unique_lock lock(lock_);
    closing_.mut() = true;
    if (live_.get() == 0) wake_all_workers();
  }

  // Every worker returns as soon as its queue is empty, parked tasks or
  // not; the destructor then destroys what is left.
  void shutdown() {
    typename Sync::unique_lock lock(lock_);
    stopping_.mut() = true;
    wake_all_workers();
  }

  // Worker `index`'s loop, on the calling thread.
  void run_worker(int index) {
    worker& w = workers_[std::size_t(index)];
    const on_this_thread here(this, index);
    typename Sync::unique_lock lock(lock_);
    for (;;) {
      if (!has_work_or_exit(w)) wait_for_work(w, lock);
      if (w.queue.get().empty()) return;
      const std::uint32_t index_of_task = w.queue.get().front();
      w.queue.mut().pop_front();
      slot& s = slots_.mut()[index_of_task];
      s.state = phase::running;
      const bool cancelling = s.cancel_requested;
      const std::coroutine_handle<task_detail::promise<void>> frame = s.frame;
      lock.unlock();

      // The task runs, or is destroyed, with no executor lock held.
      bool ended = cancelling;
      std::exception_ptr error;
      if (cancelling) {
        frame.destroy();
      } else {
        frame.promise().innermost.resume();  // where the chain parked, not the root
        if (frame.done()) {
          ended = true;
          error = frame.promise().error;
          frame.destroy();
        }
      }
      if (error) report(error);

      sync::relock_spinning<Sync>(lock);
      slot& after = slots_.mut()[index_of_task];  // the table may have grown meanwhile
      if (ended) {
        after.state = phase::free;
        after.frame = {};
        ++after.generation;
        free_.mut().push_back(index_of_task);
        ++(cancelling ? cancelled_ : completed_).mut();
        if (--live_.mut() == 0 && closing_.get()) wake_all_workers();
        ended_.notify_all();
      } else if (after.notified || after.cancel_requested) {
        after.notified = false;
        after.state = phase::queued;
        enqueue(index_of_task, after);
      } else {
        after.state = phase::idle;
      }
    }
  }

  // Runs `t` on worker `home` and blocks the calling thread (which must not
  // be one of this executor's workers) until it ends; its exception, if it
  // threw, is rethrown here.
  template <class T>
  T block_on(task<T> t, int home = 0) {
    std::optional<T> value;
    std::exception_ptr error;
    const task_handle h = spawn(keep_result(std::move(t), value, error), home);
    {
      typename Sync::unique_lock lock(lock_);
      while (find(h)) ended_.wait(lock);
    }
    if (error) std::rethrow_exception(error);
    return std::move(*value);
  }
  void block_on(task<void> t, int home = 0) {
    std::exception_ptr error;
    const task_handle h = spawn(keep_error(std::move(t), error), home);
    {
      typename Sync::unique_lock lock(lock_);
      while (find(h)) ended_.wait(lock);
    }
    if (error) std::rethrow_exception(error);
  }

  // Tasks that ran to their end, and tasks destroyed before it (cancelled,
  // or still parked when the executor was destroyed).
  std::uint64_t completed() const {
    typename Sync::unique_lock lock(lock_);
    return completed_.get();
  }
  std::uint64_t cancelled() const {
    typename Sync::unique_lock lock(lock_);
    return cancelled_.get();
  }

  // How posts reached idle workers: by the store alone to a spinning one
  // (no kernel wake), or by a notify of a parked one.
  struct idle_handoffs {
    std::uint64_t to_spinning = 0;
    std::uint64_t to_parked = 0;
  };
  idle_handoffs handoffs() const {
    typename Sync::unique_lock lock(lock_);
    return handoffs_.get();
  }

  // Worker `index` is spinning / parked (tests: to post at a known point).
  bool worker_spinning(int index) const { return idle_of(index) == idle::spinning; }
  bool worker_parked(int index) const { return idle_of(index) == idle::parked; }

 private:
  enum class phase : std::uint8_t { free, queued, running, idle };

  struct slot {
    std::coroutine_handle<task_detail::promise<void>> frame;
    phase state = phase::free;
    bool notified = false;          // woken while running: run it again
    bool cancel_requested = false;  // destroy it instead of resuming it
    int home = 0;                   // moves only while idle (see "Where a woken task runs")
    std::uint32_t generation = 0;  // bumped when the slot is freed
  };

  // A worker's `state` (see "Idle workers" above).
  struct idle {
    static constexpr std::uint8_t busy = 0, spinning = 1, roused = 2, parked = 3;
  };

  struct worker {
    typename Sync::template cell<std::deque<std::uint32_t>> queue;  // guarded by lock_
    typename Sync::condition_variable work;                         // waited on with lock_, when parked
    // Written only with lock_ held; read without it only by this worker's
    // own spin. Relaxed (see "Memory ordering of `state`"). A std::atomic
    // on every backend: real threads alone use it (see "Under a model").
    std::atomic<std::uint8_t> state{idle::busy};
  };

  static std::uint64_t tag_of(std::uint32_t index, std::uint32_t generation) noexcept {
    return std::uint64_t(index) << 32 | generation;
  }

  static void wake_thunk(void* self, std::uint64_t tag) noexcept {
    static_cast<executor*>(self)->wake(task_handle{std::uint32_t(tag >> 32), std::uint32_t(tag)});
  }

  void wake(task_handle t) noexcept {
    typename Sync::unique_lock lock = sync::lock_spinning<Sync>(lock_);
    slot* s = find(t);
    if (!s) return;  // it ended: a late wake is harmless
    if (s->state == phase::idle) {
      s->state = phase::queued;
      if (const int waking = waking_worker(); waking >= 0) s->home = waking;
      enqueue(t.slot, *s);
    } else if (s->state == phase::running) {
      s->notified = true;
    }
  }

  // The worker a woken task moves to under rule_, or -1 when it stays home:
  // the home rule, a model backend, or a wake from outside the workers.
  int waking_worker() const noexcept {
    if constexpr (Sync::real_time) {
      if (rule_ == woken_runs_on::waking_worker && on_this_thread::executor_ == this) return on_this_thread::worker_;
    }
    return -1;
  }

  // Which executor's worker, if any, the calling thread is running, for the
  // waking_worker rule (real threads only). Restored on exit, so one thread
  // can run workers of several executors in turn (stress rounds do).
  struct on_this_thread {
    static inline thread_local const executor* executor_ = nullptr;
    static inline thread_local int worker_ = -1;
    const executor* saved_executor;
    int saved_worker;
    on_this_thread(const executor* ex, int index) noexcept : saved_executor(executor_), saved_worker(worker_) {
      executor_ = ex;
      worker_ = index;
    }
    ~on_this_thread() {
      executor_ = saved_executor;
      worker_ = saved_worker;
    }
    on_this_thread(const on_this_thread&) = delete;
    on_this_thread& operator=(const on_this_thread&) = delete;
  };

  // With lock_ held.
  slot* find(task_handle t) {
    auto& slots = slots_.mut();
    if (t.slot >= slots.size()) return nullptr;
    slot& s = slots[t.slot];
    return s.state != phase::free && s.generation == t.generation ? &s : nullptr;
  }
  const slot* find(task_handle t) const {
    const auto& slots = slots_.get();
    if (t.slot >= slots.size()) return nullptr;
    const slot& s = slots[t.slot];
    return s.state != phase::free && s.generation == t.generation ? &s : nullptr;
  }

  // With lock_ held.
  void enqueue(std::uint32_t index, const slot& s) {
    worker& w = workers_[std::size_t(s.home)];
    w.queue.mut().push_back(index);
    if constexpr (Sync::real_time) {
      rouse(w);
    } else {
      w.work.notify_one();
    }
  }

  void wake_all_workers() {
    for (worker& w : workers_) {
      if constexpr (Sync::real_time) {
        rouse(w);
      } else {
        w.work.notify_all();
      }
    }
  }

  // With lock_ held, after a post to `w`: a spinning worker is told by the
  // store alone (its poll sees it: no kernel wake); a parked one is
  // notified, once. A busy or already roused worker needs nothing.
  void rouse(worker& w) {
    switch (w.state.load(std::memory_order_relaxed)) {
      case idle::spinning:
        w.state.store(idle::roused, std::memory_order_relaxed);
        ++handoffs_.mut().to_spinning;
        return;
      case idle::parked:
        w.state.store(idle::roused, std::memory_order_relaxed);
        ++handoffs_.mut().to_parked;
        w.work.notify_one();  // only its own worker waits on `work`
        return;
      default:
        return;
    }
  }

  std::uint8_t idle_of(int index) const {
    typename Sync::unique_lock lock(lock_);
    return workers_[std::size_t(index)].state.load(std::memory_order_relaxed);
  }

  // With lock_ held: worker `w` has a task to run, or may return.
  bool has_work_or_exit(const worker& w) const {
    return !w.queue.get().empty() || (closing_.get() && live_.get() == 0) || stopping_.get();
  }

  // Worker `w` found nothing to do: spin with lock_ let go, then park until
  // has_work_or_exit(w). Called and returns with lock_ held.
  void wait_for_work(worker& w, typename Sync::unique_lock& lock) {
    if constexpr (!Sync::real_time) {
      while (!has_work_or_exit(w)) w.work.wait(lock);
      return;
    }
    w.state.store(idle::spinning, std::memory_order_relaxed);
    lock.unlock();
    sync::spin_wait<Sync>([&] { return w.state.load(std::memory_order_relaxed) != idle::spinning; });
    sync::relock_spinning<Sync>(lock);
    while (!has_work_or_exit(w)) {
      w.state.store(idle::parked, std::memory_order_relaxed);
      w.work.wait(lock);
    }
    w.state.store(idle::busy, std::memory_order_relaxed);
  }

  // An exception no awaiter caught ends the run with a verdict, as a panic
  // in a spawned task would: a mutex that reports EDEADLK caught a task
  // locking what its own worker holds.
  static void report(std::exception_ptr error) {
    try {
      std::rethrow_exception(error);
    } catch (const std::system_error& e) {
      const bool self_deadlock = e.code() == std::errc::resource_deadlock_would_occur;
      Sync::fail(self_deadlock ? verdict::deadlock : verdict::assert_failed,
                 std::string(self_deadlock ? "self-deadlock in a task: " : "exception in a task: ") + e.what());
    } catch (const std::exception& e) {
      Sync::fail(verdict::assert_failed, std::string("exception in a task: ") + e.what());
    }
  }

  template <class T>
  static task<void> keep_result(task<T> t, std::optional<T>& value, std::exception_ptr& error) {
    try {
      value.emplace(co_await std::move(t));
    } catch (...) {
      error = std::current_exception();
    }
  }
  static task<void> keep_error(task<void> t, std::exception_ptr& error) {
    try {
      co_await std::move(t);
    } catch (...) {
      error = std::current_exception();
    }
  }

  const woken_runs_on rule_;                                     // fixed at construction
  mutable typename Sync::mutex lock_;
  typename Sync::condition_variable ended_;                      // a task ended; waited on with lock_
  std::deque<worker> workers_;                                   // fixed after construction
  typename Sync::template cell<std::deque<slot>> slots_;         // guarded by lock_
  typename Sync::template cell<std::vector<std::uint32_t>> free_;  // guarded by lock_
  typename Sync::template cell<std::size_t> live_{0};            // spawned, not ended; guarded by lock_
  typename Sync::template cell<bool> closing_{false};            // guarded by lock_
  typename Sync::template cell<bool> stopping_{false};           // guarded by lock_
  typename Sync::template cell<std::uint64_t> completed_{0};     // guarded by lock_
  typename Sync::template cell<std::uint64_t> cancelled_{0};     // guarded by lock_
  typename Sync::template cell<idle_handoffs> handoffs_{};       // guarded by lock_
};

// Gives the rest of the worker's queue a turn: the task goes to the back of
// its worker's queue (tokio's yield_now).
struct yield_now {
  bool await_ready() const noexcept { return false; }
  template <wakeable_promise P>
  void await_suspend(std::coroutine_handle<P> h) const noexcept {
    h.promise().get_waker().wake();  // running: delivered as a re-queue at suspension
  }
  void await_resume() const noexcept {}
};

// Real threads for an executor's workers (tests, benchmarks, programs):
// started at construction, joined at destruction after close_when_idle().
template <class Sync>
class worker_threads {
 public:
  explicit worker_threads(executor<Sync>& ex) : ex_(ex) {
    for (int i = 0; i < ex.workers(); ++i) threads_.emplace_back([this, i] { ex_.run_worker(i); });
  }
  worker_threads(const worker_threads&) = delete;
  worker_threads& operator=(const worker_threads&) = delete;
  ~worker_threads() {
    ex_.close_when_idle();
    for (auto& t : threads_) t.join();
  }

 private:
  executor<Sync>& ex_;
  std::vector<std::thread> threads_;
};

}  // namespace oncecheck
