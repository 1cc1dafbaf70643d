// engine: runs one execution of a program, its threads as fibers, every
// Sync operation a scheduling point whose order a scheduler decides; keeps
// the state of every sync object, C++ happens-before, lifetimes and
// allocations, and ends an execution with a verdict when something fails.
//
// Contexts: threads 0..n-1 run on fibers; context n is the setup/check
// context (the OS thread's own stack), which builds the state before the
// threads start, checks it after every thread returned and destroys it. A
// Sync operation there runs at once, without a scheduling point.
//
// A step: a thread announces its next Sync operation (announce()) and gives
// the processor back; the engine computes which announced steps are enabled
// (a lock of a held mutex, a wait nobody notified, a yield nobody answered
// are not), asks the scheduler for one and resumes that thread, which
// performs the operation and runs on to its next announcement. The program
// must be deterministic apart from that order: the same choices give the
// same execution, which is what makes stateless search and replay work.
//
// Blocking: every live thread blocked -> deadlock naming who waits on what;
// all of them only spinning (yield with nothing else able to move) ->
// livelock; more than max_steps steps -> livelock. A yield disables its
// thread until another thread writes an object whose value the thread
// read since its previous yield (atomics, cells, mutexes it tried to take:
// what the spin loop looked at, and would only look at again unchanged), or
// until no other thread can move (a yield alone is no wait); spinning
// threads that go round with nobody writing anything are a livelock. A
// write to a watched object between the look and the yield means the
// yield does not park at all.
//
// Lifetimes: every sync object registers its handle's address when built
// and marks it dead when destroyed; an operation on a dead handle is a
// use_after_free. Memory from Sync::allocate is quarantined until the
// execution ends (so a new object cannot hide an old one's death), a double
// free is a use_after_free and what is still allocated after teardown a
// leak.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <exception>
#include <memory>
#include <source_location>
#include <string>
#include <unordered_map>
#include <vector>

#include "../impls/sync/verdict.hpp"
#include "fiber.hpp"
#include "race_detector.hpp"
#include "scheduler.hpp"
#include "step.hpp"
#include "vector_clock.hpp"

namespace oncecheck::explore {

// What the engine runs: a scenario adapted by explore_cell.hpp, or a test's
// litmus program.
class program {
 public:
  virtual ~program() = default;
  virtual int threads() const = 0;
  virtual void setup() = 0;           // builds the shared state
  virtual void run(int tid) = 0;      // thread tid's body
  virtual void check() = 0;           // after every thread returned
  virtual void teardown() = 0;        // destroys the state
  virtual void abandon() = 0;         // an execution ended early: forget the state, never destroy it
  // The next setup() must build what the latest one built: a failing
  // execution is about to run again with its trace (a program that draws
  // its input per execution pins it here).
  virtual void pin_inputs() {}
};

enum class object_kind : std::uint8_t { atomic, mutex, shared_mutex, condition_variable, cell };

constexpr const char* to_string(object_kind k) noexcept {
  switch (k) {
    case object_kind::atomic: return "atomic";
    case object_kind::mutex: return "mutex";
    case object_kind::shared_mutex: return "shared_mutex";
    case object_kind::condition_variable: return "condition_variable";
    case object_kind::cell: return "cell";
  }
  return "?";
}

struct engine_options {
  int max_steps = 20000;      // more steps in one execution: livelock
  bool collect_trace = false;  // keep a readable trace of the execution
};

struct execution_result {
  execution_end end = execution_end::complete;
  verdict result = verdict::pass;
  std::string reason;
  std::string trace;
  std::vector<std::uint8_t> schedule;  // the thread of every step, in order
  int steps = 0;
};

class engine {
 public:
  explicit engine(int threads, engine_options o = {}) : n_(threads), options_(o) {
    if (threads < 1 || threads + 1 > max_clock_threads) throw std::invalid_argument("explore: 1..15 threads");
    for (int t = 0; t < n_; ++t) threads_.push_back(std::make_unique<thread_state>());
    pending_.resize(std::size_t(n_));
  }
  engine(const engine&) = delete;
  engine& operator=(const engine&) = delete;

  // The engine whose execution is running on this OS thread (null outside).
  static engine*& active() noexcept {
    static thread_local engine* e = nullptr;
    return e;
  }

  engine_options& options() noexcept { return options_; }

  execution_result run(program& p, scheduler& s) {
    begin(p, s);
    active() = this;
    phase_ = phase::setup;
    p.setup();
    if (!failed_) start_threads();
    while (!failed_) {
      const thread_set en = enabled_set();
      const engine_view v = view(en);
      if (en == 0) {
        if (finished_ == all_threads()) break;
        // Only yielders left: a yield with nobody else to run goes on, but
        // a round of spins in which nobody wrote anything never ends.
        if (any_yielded() && writes_ != writes_at_wake_) {
          writes_at_wake_ = writes_;
          for (auto& t : threads_) t->yielded = false;
          continue;
        }
        stuck();
        break;
      }
      if (steps_ >= options_.max_steps) {
        fail_here(verdict::livelock, "no end after " + std::to_string(steps_) + " steps (the step bound)");
        break;
      }
      const int t = s.choose(v);
      if (t < 0) {
        out_.end = execution_end::redundant;
        break;
      }
      if (!has(en, t)) throw std::logic_error("explore: the scheduler chose a thread that cannot run");
      take_step(t, s);
    }
    if (!failed_ && out_.end != execution_end::redundant) finish(p);
    if (failed_ || out_.end == execution_end::redundant) p.abandon();
    else release_quarantine(true);
    active() = nullptr;
    phase_ = phase::idle;
    if (failed_) out_.end = execution_end::failed;
    out_.steps = steps_;
    s.end_execution(out_.end);
    return std::move(out_);
  }

  // --- what the backend calls -------------------------------------------

  bool in_setup() const noexcept { return cur_ == n_; }
  int context() const noexcept { return cur_; }

  object_id create(object_kind k, const void* handle, std::source_location born) {
    object_state o;
    o.kind = k;
    o.handle = handle;
    o.born = born;
    objects_.push_back(std::move(o));
    const object_id id = object_id(objects_.size());
    by_handle_[handle] = id;
    return id;
  }
  void destroy(object_id id, const void* handle) {
    if (!id) return;
    auto it = by_handle_.find(handle);
    if (it != by_handle_.end() && it->second == id) {
      objects_[id - 1].alive = false;
      touched(id, true);
    }
  }

  // The object behind `handle`, or a use_after_free failure.
  object_id live(object_id id, const void* handle, const char* what, std::source_location where) {
    auto it = by_handle_.find(handle);
    if (it == by_handle_.end()) return 0;  // built outside any execution
    if (it->second != id || id == 0 || id > objects_.size() || !objects_[it->second - 1].alive) {
      fail(verdict::use_after_free, std::string(what) + " on a destroyed " + describe(it->second) + " at " + place(where));
    }
    return id;
  }

  // A scheduling point: returns once the scheduler has chosen this step.
  void announce(const step& s) {
    if (in_setup()) {
      setup_step(s);
      return;
    }
    thread_state& t = *threads_[std::size_t(cur_)];
    step& p = pending_[std::size_t(cur_)];
    p = s;
    p.spin = t.yielded;
    if (t.yielded) p.watch = t.watching;
    else if (s.kind == op::yield) p.watch = sorted(t.seen);
    t.announced = true;
    switch_context(t.f.ctx(), main_);
  }

  // Effects, called by the backend right after its step was chosen.
  void atomic_load(object_id o, std::memory_order mo) { sync_of(o).load(clock(), mo); }
  void atomic_store(object_id o, std::memory_order mo) {
    sync_of(o).store(clock(), mo);
    tick();
  }
  void atomic_rmw(object_id o, std::memory_order mo) {
    sync_of(o).rmw(clock(), mo);
    tick();
  }

  void lock(object_id m, bool shared) {
    if (!m) return;
    object_state& o = obj(m);
    if (shared) {
      o.readers |= bit(cur_);
      ++o.read_holds[std::size_t(cur_)];
    } else {
      o.owner = cur_;
      clock().join(o.released_shared);
    }
    clock().join(o.released);
  }
  // The running context holds `m` in a way that blocks taking it again.
  bool holds(object_id m, bool shared) const {
    if (!m) return false;
    const object_state& o = objects_[m - 1];
    return o.owner == cur_ || (!shared && has(o.readers, cur_));
  }
  bool try_lock(object_id m, bool shared) {
    if (!m) return true;
    object_state& o = obj(m);
    if (o.owner >= 0 || (!shared && o.readers)) return false;
    lock(m, shared);
    return true;
  }
  void unlock(object_id m, bool shared, std::source_location where) {
    if (!m) return;
    object_state& o = obj(m);
    if (shared ? !has(o.readers, cur_) : o.owner != cur_)
      fail(verdict::assert_failed, std::string("unlock of a ") + to_string(o.kind) + " this thread does not hold at " +
                                       place(where));
    if (shared) {
      // A context may read-hold a mutex more than once (tasks parked on one
      // worker, each with its guard): it keeps it until the last unlock.
      if (--o.read_holds[std::size_t(cur_)] == 0) o.readers &= ~bit(cur_);
      o.released_shared.join(clock());
    } else {
      o.owner = -1;
      o.released.join(clock());
    }
    tick();
  }

  // After a yield: this thread waits until another thread writes what it
  // looked at, unless one already did since it looked; it looks afresh.
  void spin() {
    if (in_setup()) return;
    thread_state& t = self();
    if (!t.seen_written) {
      t.yielded = true;
      t.watching = sorted(t.seen);
    }
    t.seen.clear();
    t.seen_written = false;
  }

  // Wait sets (condition variables and atomics): first in, first woken.
  void join_wait_set(object_id w) {
    if (!w) return;
    obj(w).waiters.push_back(cur_);
    thread_state& t = self();
    t.waiting_on = w;
    t.notified = false;
  }
  // Leaves the wait set; true if a notify took it out (false: timed out).
  bool leave_wait_set(object_id w) {
    if (!w) return true;
    thread_state& t = self();
    const bool woken = t.notified;
    if (!woken) std::erase(obj(w).waiters, cur_);
    t.waiting_on = 0;
    t.notified = false;
    return woken;
  }
  void notify(object_id w, bool all) {
    if (!w) return;
    auto& q = obj(w).waiters;
    while (!q.empty()) {
      thread_state& t = *threads_[std::size_t(q.front())];
      q.pop_front();
      t.notified = true;
      if (!all) break;
    }
  }

  void cell_read(object_id c, std::source_location where) {
    if (!c) return;
    touched(c, false);
    if (auto other = obj(c).history.read(cur_, clock(), where)) race(c, *other, "read", where);
  }
  void cell_write(object_id c, std::source_location where) {
    if (!c) return;
    touched(c, true);
    if (auto other = obj(c).history.write(cur_, clock(), where)) race(c, *other, "write", where);
  }

  void* allocate(std::size_t bytes, std::source_location where) {
    void* p = std::malloc(bytes ? bytes : 1);
    allocations_[p] = allocation{where, true};
    return p;
  }
  void deallocate(void* p, std::source_location where) {
    if (!p) return;
    auto it = allocations_.find(p);
    if (it == allocations_.end()) {  // not ours (allocated outside any execution)
      std::free(p);
      return;
    }
    if (!it->second.live) fail(verdict::use_after_free, "double free at " + place(where) + " of memory allocated at " + place(it->second.born));
    it->second.live = false;  // quarantined: freed when the execution ends
  }

  void note(const char* op, unsigned long long key, bool has_key, const char* what, std::source_location where) {
    if (!options_.collect_trace) return;
    char buf[320];
    std::snprintf(buf, sizeof buf, "    %s [design] %s%s%s%s%s (%s)\n", who(cur_).c_str(), op,
                  has_key ? " key=" : "", has_key ? std::to_string(key).c_str() : "", *what ? " " : "", what,
                  place(where).c_str());
    out_.trace += buf;
  }

  // A failed check (Sync::fail) or a failure the engine found. On a thread
  // it ends the execution there; in the setup context (the checks) the
  // first failure is kept and the checks go on.
  void fail(verdict v, std::string reason) {
    if (!failed_) {
      failed_ = true;
      out_.result = v;
      out_.reason = std::move(reason);
      if (options_.collect_trace) out_.trace += "    " + who(cur_) + " FAILS: " + out_.reason + "\n";
    }
    if (!in_setup()) {
      switch_context(self().f.ctx(), main_);
      std::abort();  // an abandoned fiber is never resumed
    }
  }

  static std::string place(const std::source_location& l) {
    std::string f = l.file_name();
    if (auto slash = f.rfind('/'); slash != std::string::npos) f = f.substr(slash + 1);
    return f + ":" + std::to_string(l.line());
  }

 private:
  enum class phase { idle, setup, threads, check };

  struct thread_state {
    fiber f;
    bool announced = false;
    bool yielded = false;       // spinning: waits for another thread to write one of `watching`
    std::vector<object_id> seen;      // objects whose value it read since its last yield
    bool seen_written = false;        // ... and another thread wrote one of them since
    std::vector<object_id> watching;  // while yielded, sorted
    object_id waiting_on = 0;   // in this wait set
    bool notified = false;      // taken out of it by a notify
    vector_clock hb;            // C++ happens-before
  };

  struct object_state {
    object_kind kind = object_kind::atomic;
    const void* handle = nullptr;
    bool alive = true;
    std::source_location born{};
    int owner = -1;              // mutex: the holder
    thread_set readers = 0;      // shared_mutex: the shared holders
    std::array<std::uint16_t, max_clock_threads> read_holds{};  // per context
    vector_clock released;       // what an exclusive unlock (or an atomic's release sequence) publishes
    vector_clock released_shared;
    atomic_sync sync;
    std::deque<int> waiters;     // condition variable / atomic wait set
    cell_history history;
  };

  struct allocation {
    std::source_location born;
    bool live;
  };

  thread_set all_threads() const noexcept { return n_ == 32 ? ~thread_set(0) : bit(n_) - 1; }
  thread_state& self() { return *threads_[std::size_t(cur_)]; }
  object_state& obj(object_id id) { return objects_[id - 1]; }
  atomic_sync& sync_of(object_id id) {
    static atomic_sync none;
    return id ? obj(id).sync : none;
  }
  vector_clock& clock() { return in_setup() ? setup_clock_ : self().hb; }
  void tick() { ++clock()[cur_]; }

  std::string who(int ctx) const { return ctx == n_ ? std::string("setup") : "T" + std::to_string(ctx); }

  void begin(program& p, scheduler&) {
    if (p.threads() != n_) throw std::invalid_argument("explore: program and engine disagree on the thread count");
    program_ = &p;
    out_ = {};
    objects_.clear();
    by_handle_.clear();
    release_quarantine(false);
    failed_ = false;
    finished_ = 0;
    steps_ = 0;
    last_ = -1;
    cur_ = n_;
    setup_clock_.clear();
    setup_clock_[n_] = 1;
    writes_ = 0;
    writes_at_wake_ = ~std::uint64_t(0);
    for (auto& t : threads_) {
      t->announced = false;
      t->yielded = false;
      t->seen.clear();
      t->seen_written = false;
      t->watching.clear();
      t->waiting_on = 0;
      t->notified = false;
    }
  }

  static void thread_entry(std::uintptr_t tid) {
    engine& e = *active();
    try {
      e.program_->run(int(tid));
    } catch (const std::exception& x) {
      e.fail(verdict::assert_failed, std::string("exception escaped thread: ") + x.what());
    } catch (...) {
      e.fail(verdict::assert_failed, "exception escaped thread");
    }
    e.finished_ |= bit(int(tid));
    e.threads_[tid]->announced = false;
    switch_context(e.threads_[tid]->f.ctx(), e.main_);  // for good: the loop restarts it next time
  }

  void start_threads() {
    phase_ = phase::threads;
    ++setup_clock_[n_];
    for (int t = 0; t < n_ && !failed_; ++t) {
      thread_state& ts = *threads_[std::size_t(t)];
      ts.hb = setup_clock_;  // thread start: the setup happens before it
      ts.hb[t] = 1;
      ts.f.restart(&thread_entry, std::uintptr_t(t));
      cur_ = t;
      switch_context(main_, ts.f.ctx());  // runs to its first Sync operation
    }
    cur_ = n_;
  }

  bool enabled(int t) const {
    const thread_state& ts = *threads_[std::size_t(t)];
    if (has(finished_, t) || !ts.announced || ts.yielded) return false;
    const step& s = pending_[std::size_t(t)];
    auto free_for = [&](object_id m, bool shared) {
      if (!m) return true;
      const object_state& o = objects_[m - 1];
      return o.owner < 0 && (shared || o.readers == 0);
    };
    switch (s.kind) {
      case op::lock: return free_for(s.object, false);
      case op::lock_shared: return free_for(s.object, true);
      case op::cv_reacquire: return (ts.notified || s.timed) && free_for(s.mutex, false);
      case op::atomic_wake: return ts.notified;
      default: return true;
    }
  }
  bool any_yielded() const {
    for (const auto& t : threads_)
      if (t->yielded) return true;
    return false;
  }
  thread_set enabled_set() const {
    thread_set en = 0;
    for (int t = 0; t < n_; ++t)
      if (enabled(t)) en |= bit(t);
    return en;
  }
  engine_view view(thread_set en) const {
    return engine_view{n_, steps_, last_, en, finished_, pending_.data()};
  }

  void take_step(int t, scheduler& s) {
    const step st = pending_[std::size_t(t)];
    const int index = steps_++;
    out_.schedule.push_back(std::uint8_t(t));
    s.on_step(view(enabled_set()), index, t, st);
    if (options_.collect_trace) trace_step(index, t, st);
    if (writes_any(st)) ++writes_;
    thread_state& ts = *threads_[std::size_t(t)];
    for (object_id o : {st.object, st.mutex}) {
      if (!o) continue;
      if (looks_at(st, o)) saw(ts, o);
      if (writes(st, o)) wrote(t, o);
    }
    last_ = t;
    ts.announced = false;
    cur_ = t;
    tail_.clear();
    switch_context(main_, ts.f.ctx());
    cur_ = n_;
    if (failed_) return;
    s.on_transition(view(enabled_set()), index, t, tail_);
    if (ts.announced) s.on_announce(view(enabled_set()), t);
  }

  // What spin loops watch (see "Blocking" above): the objects whose value
  // the loop reads (atomics, cells) and mutexes it only tries to take. A
  // blocking lock, an unlock or a condition variable gives the loop no
  // value: another thread taking that mutex changes nothing it would see.
  bool looks_at(const step& st, object_id o) const {
    const object_kind k = objects_[o - 1].kind;
    return k == object_kind::atomic || k == object_kind::cell || st.kind == op::try_lock ||
           st.kind == op::try_lock_shared;
  }
  static void saw(thread_state& t, object_id o) {
    if (std::find(t.seen.begin(), t.seen.end(), o) == t.seen.end()) t.seen.push_back(o);
  }
  // Context `by` wrote `o`: a thread that looked at it looks again.
  void wrote(int by, object_id o) {
    for (int u = 0; u < n_; ++u) {
      if (u == by) continue;
      thread_state& t = *threads_[std::size_t(u)];
      if (t.yielded) {
        if (std::binary_search(t.watching.begin(), t.watching.end(), o)) t.yielded = false;
      } else if (!t.seen_written && std::find(t.seen.begin(), t.seen.end(), o) != t.seen.end()) {
        t.seen_written = true;
      }
    }
  }
  static std::vector<object_id> sorted(std::vector<object_id> v) {
    std::sort(v.begin(), v.end());
    return v;
  }

  // The running transition's tail (see step.hpp). A thread's first
  // transition, from its start to its first step, has none: it runs before
  // any choice, and a conflict with it has no happens-before edge to hide
  // behind (the race detector reports it).
  void touched(object_id o, bool write) {
    if (phase_ != phase::threads || in_setup()) return;
    if (obj(o).kind == object_kind::cell) saw(self(), o);
    if (write) {
      ++writes_;
      wrote(cur_, o);
    }
    for (access& a : tail_)
      if (a.object == o) {
        a.write |= write;
        return;
      }
    tail_.push_back(access{o, write});
  }

  void trace_step(int index, int t, const step& st) {
    char buf[320];
    std::string objs = st.object ? describe(st.object) : std::string();
    if (st.mutex) objs += " with " + describe(st.mutex);
    std::snprintf(buf, sizeof buf, "  #%-4d T%d %s %s%s (%s)\n", index, t, std::string(to_string(st.kind)).c_str(),
                  objs.c_str(), st.kind == op::yield ? "" : "", place(st.where).c_str());
    out_.trace += buf;
  }

  std::string describe(object_id id) const {
    if (!id || id > objects_.size()) return "?";
    const object_state& o = objects_[id - 1];
    std::string d = std::string(to_string(o.kind)) + "#" + std::to_string(id);
    return o.born.line() ? d + "@" + place(o.born) : d;
  }

  // A step of the setup context: it runs at once, or the setup is stuck.
  void setup_step(const step& s) {
    if (s.kind == op::yield) {
      if (++setup_yields_ > options_.max_steps)
        fail(verdict::livelock, "the setup/check context spins at " + place(s.where) + " with no thread left to move");
      return;
    }
    bool ok = true;
    if (s.kind == op::lock || s.kind == op::lock_shared || s.kind == op::cv_reacquire) {
      const object_id m = acquires(s);
      const object_state& o = objects_[m - 1];
      ok = o.owner < 0 && (s.kind == op::lock_shared || o.readers == 0);
    }
    if (s.kind == op::cv_reacquire && !s.timed) ok = false;  // nobody is left to notify
    if (s.kind == op::atomic_wake) ok = false;
    if (!ok) fail(verdict::deadlock, "the setup/check context blocks: " + std::string(to_string(s.kind)) + " " + describe(s.object) + " at " + place(s.where));
  }

  // No thread can move: who waits on what.
  void stuck() {
    std::string why;
    bool all_spin = true;
    for (int t = 0; t < n_; ++t) {
      if (has(finished_, t)) continue;
      const thread_state& ts = *threads_[std::size_t(t)];
      const step& s = pending_[std::size_t(t)];
      if (!why.empty()) why += "; ";
      why += "T" + std::to_string(t);
      if (ts.yielded) {
        why += " spins (yield at " + place(s.where) + ")";
        continue;
      }
      all_spin = false;
      switch (s.kind) {
        case op::lock:
        case op::lock_shared: {
          const object_state& o = objects_[s.object - 1];
          why += std::string(" waits to ") + (s.kind == op::lock ? "lock " : "read-lock ") + describe(s.object);
          if (o.owner >= 0) why += " held by " + who(o.owner);
          else if (o.readers) why += " read-held";
          break;
        }
        case op::cv_reacquire:
          why += (ts.notified ? " waits to relock " + describe(s.mutex) : " waits on " + describe(s.object));
          break;
        case op::atomic_wake: why += " waits on " + describe(s.object); break;
        default: why += " " + std::string(to_string(s.kind)); break;
      }
      why += " at " + place(s.where);
    }
    fail_here(all_spin ? verdict::livelock : verdict::deadlock,
              (all_spin ? "every live thread spins with nothing to wait for: " : "every live thread is blocked: ") + why);
  }

  void fail_here(verdict v, std::string reason) {
    cur_ = n_;
    fail(v, std::move(reason));
  }

  void finish(program& p) {
    phase_ = phase::check;
    cur_ = n_;
    for (int t = 0; t < n_; ++t) setup_clock_.join(threads_[std::size_t(t)]->hb);  // join
    ++setup_clock_[n_];
    setup_yields_ = 0;
    p.check();
    if (failed_) return;
    p.teardown();
    if (failed_) return;
    for (const auto& [ptr, a] : allocations_)
      if (a.live) {
        fail(verdict::leak, "memory allocated at " + place(a.born) + " is never freed");
        break;
      }
  }

  void release_quarantine(bool) {
    for (auto& [ptr, a] : allocations_)
      if (!a.live) std::free(ptr);
    allocations_.clear();  // still-live blocks of an abandoned execution are left to the OS
  }

  void race(object_id c, const access_site& other, const char* what, std::source_location where) {
    fail(verdict::data_race, std::string("data race on ") + describe(c) + ": " + who(cur_) + " " + what + " at " +
                                 place(where) + " is not ordered after " + who(other.context) + "'s access at " +
                                 place(other.where) + " (no happens-before edge between them)");
  }

  const int n_;
  engine_options options_;
  std::vector<std::unique_ptr<thread_state>> threads_;
  std::vector<step> pending_;
  tail tail_;  // what the running transition touched after its step
  std::vector<object_state> objects_;
  std::unordered_map<const void*, object_id> by_handle_;
  std::unordered_map<void*, allocation> allocations_;
  explore::context main_{};  // the exploring thread, while a fiber runs
  program* program_ = nullptr;
  phase phase_ = phase::idle;
  execution_result out_;
  vector_clock setup_clock_;
  thread_set finished_ = 0;
  int cur_ = 0;
  int steps_ = 0;
  int last_ = -1;
  int setup_yields_ = 0;
  std::uint64_t writes_ = 0;  // writes (steps and tails) in this execution
  std::uint64_t writes_at_wake_ = ~std::uint64_t(0);  // writes_ when the yielders were last let go
  bool failed_ = false;
};

}  // namespace oncecheck::explore
