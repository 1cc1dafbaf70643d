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
// A task's state: one atomic word per slot, `word` = generation << 8 |
// flags, with flags
//   queued   1   in exactly one worker's queue (local or inject, below)
//   running  2   a worker is resuming or destroying it
//   notified 4   woken while running: run it again after this suspension
//   cancel   8   destroy it instead of resuming it (cancel() asked)
// and no flag meaning idle: suspended, in no queue, run by nobody. The
// transitions (each one atomic step on `word`: a store at spawn, when
// nobody else can hold the new generation, and at the end, below; a
// read-modify-write otherwise):
//   spawn:    (slot from the free list)   -> queued       by the spawner
//   wake:     idle            -> queued                   by the waker
//             running         -> running|notified
//             queued | gen differs | notified already     -> no change
//   pop:      queued[|cancel] -> running[|cancel]         by the worker
//   suspends: running         -> idle                     by that worker
//             running|notified or |cancel -> queued[|cancel]
//   ends:     running...      -> generation+1, idle       by that worker
//   cancel:   idle            -> queued|cancel;  else | cancel
// Whoever moves a task to `queued` pushes it, and only that one: exactly
// one queue holds a queued task and only that queue's worker pops it, so a
// task is never resumed on two workers at once nor destroyed while one
// runs it, and a wake is never lost: it either finds the task idle (and
// queues it) or running (and leaves `notified` for the worker's own CAS at
// the suspension, which fails over to a re-queue). A wake carries the
// generation it was made for, so a late wake of an ended task, or of one
// whose slot was reused since, changes nothing; the ending store may
// overwrite a `notified` set while the task ran its last step, a wake of a
// task that has nothing left to run. No lock is taken on this path; design
// code may call wake() with its own locks held.
//
// Memory ordering of `word`. Every transition is acq_rel (the reads,
// acquire): the coroutine frame, the slot's `frame` and `home`, and what
// the task wrote before suspending are handed from each owner to the next
// along the chain of read-modify-writes of one word (spawner or waker ->
// popping worker -> the worker's suspension CAS -> the next waker), which
// is a release sequence. The ending store is a release and the load that
// answers finished() an acquire: who sees the task finished sees its end.
//
// Queues. Each worker has two, both FIFO:
//   local   touched only by the worker's own thread: its re-queues after
//           a suspension, and (real threads) tasks woken or spawned by code
//           running on that worker for that worker;
//   inject  pushes from any other thread, under the worker's mutex `m`,
//           with `has_inject` set beside it as a hint the worker polls.
// A worker takes the whole inject queue onto the back of local before it
// pops, and after each task it ran before it re-queues that task, so a task
// woken during a run goes ahead of the task that woke it (the seed's order
// above: the woken task waits for the waker's next yield, not longer).
// Under a model backend the shim gives no thread identity (Relacy's and
// the explorer's threads share one OS thread), so there every wake and
// spawn goes through inject: the task-word protocol and the park protocol
// below are what the models check; the local push it skips is a vector
// push by the queue's one owner.
//
// Idle workers: spin, then park. A worker with both queues empty does not
// go straight to sleep on its condition variable: it spins
// (sync::spin_wait: at most sync::spin_budget), so a task pushed within the
// budget is picked up with no kernel sleep and no kernel wake. Only when
// the spin ends empty-handed does it park on `work`. Each worker's `state`
// says which of these it is doing, so a pusher knows what a post needs:
//   busy     --queues empty-->  spinning  (m let go, polling `state`)
//   spinning --a post-------->  roused     (the pusher's store ends the
//                                           spin: no notify)
//   spinning --budget spent-->  parked     (re-checked under m first)
//   parked   --a post-------->  roused     (the pusher notifies `work` once)
//   roused | spinning | parked --work or exit seen under m--> busy
// A post is a push onto that worker's inject queue, or close/shutdown
// making its exit condition true. The lost wake-up is closed by m: every
// post and every store to `state` is made with m held, a worker re-checks
// its inject queue and exit condition under m after the spin and before
// each park, stores `parked` under m and lets go of m only inside the
// condition variable's wait. So a post either comes before that re-check
// (the worker sees it and does not park) or after it (the pusher sees
// `parked` and notifies). Local pushes need no post: only the worker
// itself makes them, and it is not idle then.
//   The exit condition (stopping_, or closing_ with live_ at 0) is read
// under m but written without it: close_when_idle() and the settling of
// the last ends (settle_ends) each store or decrement first and then read
// the other
// (seq_cst, so at least one of them sees both) and rouse every worker
// under its m, which the re-check then sees.
//
// Memory ordering of `state`: relaxed everywhere. Every store is made with
// m held; the only load without m is the spinning worker's poll, whose
// value only decides when the spin stops: whatever it reads, the worker
// takes m before it looks at its inject queue. `has_inject` is stored
// under m and read without it only to skip taking m when it is false; it
// is seq_cst (on x86 only the store pays, under m), so a worker's read is
// never older than a push that came before it in the one total order: a
// task woken during a run is taken before the run's own re-queue, as
// "Queues" says, under the models' weak memory too.
//
// Under a model backend the idle protocol is the one without the spin: a
// post notifies `work` every time and an idle worker parks at once, and
// `state` is never touched. Searching the spin would add nothing a model
// checks (spin_wait.hpp: the models do not spin), and searching the
// store-that-skips-a-notify grew the explorer's two-worker async trees 4
// to 13 times (notify x async_waiter_cancel/2w: 1,758 to 22,400
// executions). The handoff is a real-thread protocol whose lost wake-up
// argument is m's, above; executor_test's ExecutorIdle cases run it, under
// TSan too (a build that drops the parked worker's notify fails them).
//
// Where a woken task runs. By default (woken_runs_on::home_worker) a task
// runs only on its home worker, as above. With woken_runs_on::waking_worker
// a task woken by code running on one of this executor's workers moves
// there: its home becomes the waking worker and it goes to the back of that
// worker's local queue (tokio's multi-thread scheduler likewise keeps a
// task woken on a worker on that worker, in its LIFO slot). The waking
// worker is awake by construction and runs the task once the waker's task
// yields or ends and the tasks queued before it have run, while the old
// home may be parked: one kernel wake less (make bench: notify_task
// placement:other_worker against other_worker_pinned). What it costs is the
// cache: the task's frame was last touched by the other core. A wake from
// outside the workers (a plain thread) still goes home.
//   Only a task the wake moves from idle to queued moves: it is in no queue
// and no worker runs it, and the waker that won that transition is the only
// one that writes `home` until the task is idle again. Under a model
// backend every executor runs woken tasks at home (no thread identity,
// above), and the async scenarios are written for the home rule.
//
// Slots. A task lives in a slot of `slots_`, a deque that only grows (under
// table_lock_, as does the free list), so a slot's address is stable and a
// waker holds it directly: wake() takes no lock to find its task. The
// public calls that take a task_handle (cancel, finished, parked) look the
// index up under table_lock_, which no hot path holds with another lock.
// A worker hands the slots of the tasks it ended back to the free list 32
// at a time, and before it idles: one table_lock_ for many ends.
//
// Ending: close_when_idle() lets the workers return once no task is left;
// shutdown() lets them return as soon as their queues are empty. Tasks still
// parked then are destroyed by the destructor (counted as cancelled).
#pragma once

#include <atomic>
#include <coroutine>
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

  // Tasks still parked or queued (their worker threads are gone) are
  // destroyed, as a runtime that shuts down drops its tasks: no task is
  // lost, none leaks.
  ~executor() {
    for (slot& s : slots_.mut())
      if (const frame_handle f = s.frame.get()) {
        f.destroy();
        count(workers_.front().cancelled);  // the worker threads are gone
      }
  }

  int workers() const noexcept { return int(workers_.size()); }

  // Schedules `t` on worker `home` (at the back of its queue).
  task_handle spawn(task<void> t, int home) {
    const frame_handle h = t.release();
    slot& s = take_slot();
    const std::uint32_t generation = generation_of(s.word.load(std::memory_order_relaxed));
    s.frame.mut() = h;
    s.home.mut() = home < 0 ? 0 : home % workers();
    h.promise().wake = waker(&executor::wake_thunk, &s, generation);
    h.promise().become_root(h);
    live_.fetch_add(1, std::memory_order_seq_cst);
    s.word.store(word_of(generation, flag::queued), std::memory_order_release);
    push(s, s.home.get());
    return task_handle{s.index, generation};
  }

  // Asks for the task to be destroyed instead of resumed (tokio's abort):
  // a parked task is destroyed by its worker soon; a running one right
  // after its next suspension. Its frame's locals are destroyed then.
  void cancel(task_handle t) {
    slot* s = find(t);
    if (!s) return;
    std::uint64_t w = s->word.load(std::memory_order_acquire);
    for (;;) {
      if (generation_of(w) != t.generation || (w & flag::cancel)) return;
      const bool idle = (w & flag::mask) == 0;
      const std::uint64_t to = w | flag::cancel | (idle ? flag::queued : 0);
      if (s->word.compare_exchange_weak(w, to, std::memory_order_acq_rel)) {
        if (idle) push(*s, s->home.get());
        return;
      }
    }
  }

  bool finished(task_handle t) const {
    const slot* s = find(t);
    return !s || generation_of(s->word.load(std::memory_order_acquire)) != t.generation;
  }

  // The task is parked: suspended, not queued, not running.
  bool parked(task_handle t) const {
    const slot* s = find(t);
    return s && s->word.load(std::memory_order_acquire) == word_of(t.generation, 0);
  }

  // No more tasks from outside: every worker returns once no task is left.
  void close_when_idle() {
    closing_.store(true, std::memory_order_seq_cst);
    if (live_.load(std::memory_order_seq_cst) == 0) rouse_all_workers();
  }

  // Every worker returns as soon as its queues are empty, parked tasks or
  // not; the destructor then destroys what is left.
  void shutdown() {
    stopping_.store(true, std::memory_order_seq_cst);
    rouse_all_workers();
  }

  // Worker `index`'s loop, on the calling thread.
  void run_worker(int index) {
    worker& w = workers_[std::size_t(index)];
    const on_this_thread here(this, index);
    for (;;) {
      slot* s = next_task(w);
      if (!s && wait_for_work(w)) return;
      if (s) run(*s, w);
    }
  }

  // Runs `t` on worker `home` and blocks the calling thread (which must not
  // be one of this executor's workers) until it ends; its exception, if it
  // threw, is rethrown here.
  template <class T>
  T block_on(task<T> t, int home = 0) {
    std::optional<T> value;
    std::exception_ptr error;
    typename Sync::template cell<bool> done{false};
    spawn(keep_result(std::move(t), value, error, done), home);
    wait_for_done(done);
    if (error) std::rethrow_exception(error);
    return std::move(*value);
  }
  void block_on(task<void> t, int home = 0) {
    std::exception_ptr error;
    typename Sync::template cell<bool> done{false};
    spawn(keep_error(std::move(t), error, done), home);
    wait_for_done(done);
    if (error) std::rethrow_exception(error);
  }

  // Tasks that ran to their end, and tasks destroyed before it (cancelled,
  // or still parked when the executor was destroyed).
  std::uint64_t completed() const {
    std::uint64_t n = 0;
    for (const worker& w : workers_) n += w.completed.load(std::memory_order_relaxed);
    return n;
  }
  std::uint64_t cancelled() const {
    std::uint64_t n = 0;
    for (const worker& w : workers_) n += w.cancelled.load(std::memory_order_relaxed);
    return n;
  }

  // How posts reached idle workers: by the store alone to a spinning one
  // (no kernel wake), or by a notify of a parked one.
  struct idle_handoffs {
    std::uint64_t to_spinning = 0;
    std::uint64_t to_parked = 0;
  };
  idle_handoffs handoffs() const {
    idle_handoffs sum;
    for (const worker& w : workers_) {
      typename Sync::unique_lock lock(w.m);
      sum.to_spinning += w.handoffs.get().to_spinning;
      sum.to_parked += w.handoffs.get().to_parked;
    }
    return sum;
  }

  // Worker `index` is spinning / parked (tests: to post at a known point).
  bool worker_spinning(int index) const { return idle_of(index) == idle::spinning; }
  bool worker_parked(int index) const { return idle_of(index) == idle::parked; }

 private:
  using frame_handle = std::coroutine_handle<task_detail::promise<void>>;

  // The flags of a slot's `word` (see "A task's state").
  struct flag {
    static constexpr std::uint64_t queued = 1, running = 2, notified = 4, cancel = 8, mask = 0xff;
  };
  static constexpr std::uint32_t generation_of(std::uint64_t word) noexcept { return std::uint32_t(word >> 8); }
  static constexpr std::uint64_t word_of(std::uint32_t generation, std::uint64_t flags) noexcept {
    return std::uint64_t(generation) << 8 | flags;
  }

  struct slot {
    explicit slot(executor* o, std::uint32_t i) : owner(o), index(i) {}
    executor* const owner;
    const std::uint32_t index;
    typename Sync::template atomic<std::uint64_t> word{0};  // generation << 8 | flags
    // Handed along with `word` (see "Memory ordering of `word`"): written by
    // the spawner and by the worker that ends the task.
    typename Sync::template cell<frame_handle> frame;
    // The worker whose queue the task goes to; written by the spawner and by
    // whoever moves the task from idle to queued.
    typename Sync::template cell<int> home{0};
  };

  // A worker's `state` (see "Idle workers" above).
  struct idle {
    static constexpr std::uint8_t busy = 0, spinning = 1, roused = 2, parked = 3;
  };

  struct worker {
    mutable typename Sync::mutex m;
    typename Sync::condition_variable work;                         // waited on with m, when parked
    typename Sync::template cell<std::deque<slot*>> inject;         // guarded by m
    typename Sync::template atomic<bool> has_inject{false};         // stored under m; seq_cst (see "Memory ordering of `state`")
    typename Sync::template cell<std::vector<slot*>> local;         // this worker's thread only
    typename Sync::template cell<std::size_t> local_head{0};        // this worker's thread only
    typename Sync::template cell<idle_handoffs> handoffs{};         // guarded by m
    typename Sync::template cell<std::vector<std::uint32_t>> freed;  // this worker's thread only: slots not yet on free_
    typename Sync::template cell<std::size_t> unsettled{0};          // this worker's thread only: ends not yet off live_
    // Tasks this worker ended; written by its thread only (a load and a
    // store, no read-modify-write), read by anyone. Relaxed: a count.
    typename Sync::template atomic<std::uint64_t> completed{0};
    typename Sync::template atomic<std::uint64_t> cancelled{0};
    // Written only with m held; read without it only by this worker's own
    // spin. Relaxed (see "Memory ordering of `state`"). A std::atomic on
    // every backend: real threads alone use it (see "Under a model").
    std::atomic<std::uint8_t> state{idle::busy};
  };

  static void wake_thunk(void* target, std::uint64_t generation) noexcept {
    slot* s = static_cast<slot*>(target);
    s->owner->wake(*s, std::uint32_t(generation));
  }

  void wake(slot& s, std::uint32_t generation) noexcept {
    std::uint64_t w = s.word.load(std::memory_order_acquire);
    for (;;) {
      if (generation_of(w) != generation) return;  // it ended: a late wake is harmless
      if (w & (flag::queued | flag::notified)) return;
      const bool idle = (w & flag::running) == 0;
      if (s.word.compare_exchange_weak(w, w | (idle ? flag::queued : flag::notified), std::memory_order_acq_rel)) {
        if (!idle) return;
        if (const int waking = waking_worker(); waking >= 0) s.home.mut() = waking;
        push(s, s.home.get());
        return;
      }
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
  // waking_worker rule and local pushes (real threads only). Restored on
  // exit, so one thread can run workers of several executors in turn
  // (stress rounds do).
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

  // Puts a task just moved to queued at the back of worker `to`'s queue:
  // its local queue when the calling thread is that worker (real threads),
  // else its inject queue, posted.
  void push(slot& s, int to) {
    worker& w = workers_[std::size_t(to)];
    if constexpr (Sync::real_time) {
      if (on_this_thread::executor_ == this && on_this_thread::worker_ == to) {
        w.local.mut().push_back(&s);
        return;
      }
    }
    typename Sync::unique_lock lock = sync::lock_spinning<Sync>(w.m);
    w.inject.mut().push_back(&s);
    w.has_inject.store(true, std::memory_order_seq_cst);
    rouse(w);
  }

  // The next task of worker `w`'s, or null when both its queues are empty.
  // On w's thread.
  slot* next_task(worker& w) {
    take_inject(w);
    auto& local = w.local.mut();
    std::size_t& head = w.local_head.mut();
    if (head == local.size()) return nullptr;
    slot* s = local[head++];
    if (head == local.size()) {
      local.clear();
      head = 0;
    }
    return s;
  }


  // Moves w's inject queue onto the back of its local queue. On w's thread.
  void take_inject(worker& w) {
    if (!w.has_inject.load(std::memory_order_seq_cst)) return;
    typename Sync::unique_lock lock = sync::lock_spinning<Sync>(w.m);
    drain_locked(w);
  }
  void drain_locked(worker& w) {
    auto& inject = w.inject.mut();
    auto& local = w.local.mut();
    local.insert(local.end(), inject.begin(), inject.end());
    inject.clear();
    w.has_inject.store(false, std::memory_order_seq_cst);
  }

  // Runs (or destroys) the queued task `s` popped by worker `w`, then ends
  // it, idles it or re-queues it. No executor lock is held while it runs:
  // task code takes design locks, and a design's completer calls wake() with
  // its own lock held.
  void run(slot& s, worker& w) {
    const std::uint64_t popped = s.word.fetch_add(flag::running - flag::queued, std::memory_order_acq_rel);
    const std::uint32_t generation = generation_of(popped);
    const bool cancelling = (popped & flag::cancel) != 0;
    const frame_handle frame = s.frame.get();

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

    if (ended) {
      end(s, w, generation, cancelling);
      return;
    }
    // Tasks woken during the run go ahead of this one (see "Queues").
    take_inject(w);
    std::uint64_t word = s.word.load(std::memory_order_acquire);
    for (;;) {
      const bool again = (word & (flag::notified | flag::cancel)) != 0;
      const std::uint64_t to = again ? (word & ~(flag::running | flag::notified)) | flag::queued : word & ~flag::running;
      if (s.word.compare_exchange_weak(word, to, std::memory_order_acq_rel)) {
        if (again) w.local.mut().push_back(&s);
        return;
      }
    }
  }

  // The task in `s` ended on worker `w`: old wakers and handles no longer
  // match it. Its slot goes back to free_ in batches (one table_lock_ for
  // many ends), and when `w` idles.
  void end(slot& s, worker& w, std::uint32_t generation, bool cancelled) {
    s.frame.mut() = {};
    s.word.store(word_of(generation + 1, 0), std::memory_order_release);
    auto& freed = w.freed.mut();
    freed.push_back(s.index);
    if (freed.size() >= free_batch) give_back_slots(w);
    count(cancelled ? w.cancelled : w.completed);
    if (++w.unsettled.mut() >= free_batch) settle_ends(w);
  }

  static constexpr std::size_t free_batch = 32;

  // Takes the tasks w ended off live_, in one read-modify-write for up to
  // free_batch ends, and at the latest before w idles: live_ reaches 0
  // only once every ended task is settled, so no worker returns early, and
  // the settle that brings it to 0 rouses them (see "Idle workers").
  void settle_ends(worker& w) {
    std::size_t& n = w.unsettled.mut();
    if (n == 0) return;
    const std::size_t ended = std::exchange(n, 0);
    if (live_.fetch_sub(ended, std::memory_order_seq_cst) == ended && closing_.load(std::memory_order_seq_cst))
      rouse_all_workers();
  }

  void give_back_slots(worker& w) {
    auto& freed = w.freed.mut();
    if (freed.empty()) return;
    typename Sync::unique_lock lock = sync::lock_spinning<Sync>(table_lock_);
    auto& free = free_.mut();
    free.insert(free.end(), freed.begin(), freed.end());
    freed.clear();
  }

  // One more in a count only its owner writes.
  static void count(typename Sync::template atomic<std::uint64_t>& n) {
    n.store(n.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  // block_on's handshake with its task: the task's last act sets `done`
  // under ended_lock_ (after it wrote the value or the error), and block_on
  // waits for it there. `done` lives on block_on's stack: the task touches
  // nothing of it after that unlock, and the frame ends without it.
  void signal_done(typename Sync::template cell<bool>& done) {
    typename Sync::unique_lock lock(ended_lock_);
    done.mut() = true;
    ended_.notify_all();
  }
  void wait_for_done(typename Sync::template cell<bool>& done) {
    typename Sync::unique_lock lock(ended_lock_);
    while (!done.get()) ended_.wait(lock);
  }

  slot& take_slot() {
    typename Sync::unique_lock lock = sync::lock_spinning<Sync>(table_lock_);
    auto& slots = slots_.mut();
    if (auto& free = free_.mut(); !free.empty()) {
      const std::uint32_t index = free.back();
      free.pop_back();
      return slots[index];
    }
    return slots.emplace_back(this, std::uint32_t(slots.size()));
  }

  slot* find(task_handle t) const {
    typename Sync::unique_lock lock(table_lock_);
    auto& slots = const_cast<std::deque<slot>&>(slots_.get());
    return t.slot < slots.size() ? &slots[t.slot] : nullptr;
  }

  bool exit_now() const {
    return stopping_.load(std::memory_order_seq_cst) ||
           (closing_.load(std::memory_order_seq_cst) && live_.load(std::memory_order_seq_cst) == 0);
  }

  void rouse_all_workers() {
    for (worker& w : workers_) {
      typename Sync::unique_lock lock(w.m);
      if constexpr (Sync::real_time) {
        rouse(w);
      } else {
        w.work.notify_all();
      }
    }
  }

  // With w.m held, after a post to `w`: a spinning worker is told by the
  // store alone (its poll sees it: no kernel wake); a parked one is
  // notified, once. A busy or already roused worker needs nothing. A model
  // backend notifies every time (see "Under a model backend").
  void rouse(worker& w) {
    if constexpr (!Sync::real_time) {
      w.work.notify_one();  // only its own worker waits on `work`
      return;
    }
    switch (w.state.load(std::memory_order_relaxed)) {
      case idle::spinning:
        w.state.store(idle::roused, std::memory_order_relaxed);
        ++w.handoffs.mut().to_spinning;
        return;
      case idle::parked:
        w.state.store(idle::roused, std::memory_order_relaxed);
        ++w.handoffs.mut().to_parked;
        w.work.notify_one();
        return;
      default:
        return;
    }
  }

  std::uint8_t idle_of(int index) const {
    const worker& w = workers_[std::size_t(index)];
    typename Sync::unique_lock lock(w.m);
    return w.state.load(std::memory_order_relaxed);
  }

  // With w.m held: w has posts to take, or may return.
  bool posted_or_exit(const worker& w) const { return !w.inject.get().empty() || exit_now(); }

  // Worker `w` found both its queues empty: spin, then park until a post.
  // Returns true when it is to return (exit, nothing queued), false when
  // its inject queue has tasks (taken onto local).
  bool wait_for_work(worker& w) {
    give_back_slots(w);
    settle_ends(w);
    typename Sync::unique_lock lock = sync::lock_spinning<Sync>(w.m);
    if constexpr (Sync::real_time) {
      if (!posted_or_exit(w)) {
        w.state.store(idle::spinning, std::memory_order_relaxed);
        lock.unlock();
        sync::spin_wait<Sync>([&] { return w.state.load(std::memory_order_relaxed) != idle::spinning; });
        sync::relock_spinning<Sync>(lock);
      }
    }
    while (!posted_or_exit(w)) {
      if constexpr (Sync::real_time) w.state.store(idle::parked, std::memory_order_relaxed);
      w.work.wait(lock);
    }
    if constexpr (Sync::real_time) w.state.store(idle::busy, std::memory_order_relaxed);
    if (w.inject.get().empty()) return true;
    drain_locked(w);
    return false;
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
  task<void> keep_result(task<T> t, std::optional<T>& value, std::exception_ptr& error,
                         typename Sync::template cell<bool>& done) {
    try {
      value.emplace(co_await std::move(t));
    } catch (...) {
      error = std::current_exception();
    }
    signal_done(done);
  }
  task<void> keep_error(task<void> t, std::exception_ptr& error, typename Sync::template cell<bool>& done) {
    try {
      co_await std::move(t);
    } catch (...) {
      error = std::current_exception();
    }
    signal_done(done);
  }

  const woken_runs_on rule_;                                       // fixed at construction
  std::deque<worker> workers_;                                     // fixed after construction
  mutable typename Sync::mutex table_lock_;
  typename Sync::template cell<std::deque<slot>> slots_;           // grows under table_lock_; slots never move
  typename Sync::template cell<std::vector<std::uint32_t>> free_;  // guarded by table_lock_
  typename Sync::template atomic<std::size_t> live_{0};            // spawned, not ended
  typename Sync::template atomic<bool> closing_{false};
  typename Sync::template atomic<bool> stopping_{false};
  mutable typename Sync::mutex ended_lock_;
  typename Sync::condition_variable ended_;                        // a block_on task ended; with ended_lock_
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
