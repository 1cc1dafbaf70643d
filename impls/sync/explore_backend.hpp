// explore_backend: the same names as std_backend, run by oncecheck's own
// explorer (explore/engine.hpp): every operation on an atomic, a mutex, a
// condition variable, every yield is a scheduling point whose order a
// scheduler (exhaustive DPOR, PCT, a replay) decides, and every access to
// a cell is checked for a data race against C++ happens-before.
//
// Semantics, and where they differ from real threads (docs say so too):
//   - sequentially consistent: a load sees the latest store. A stale load
//     or store buffering never happens here (Relacy's weak-memory model
//     checks those); missing release/acquire on plain data is still caught,
//     as a data race on the cell it should have ordered.
//   - a timed wait (wait_until) may time out in any schedule: timing out is
//     the waiter running before anyone notified it. There are no spurious
//     wake-ups of untimed waits, and notify_one wakes the longest waiter.
//   - atomic<T>::wait is a futex: compare and sleep in one step, woken by
//     notify_one/notify_all, compared again.
//   - yield() parks its thread until another thread writes something the
//     spin loop read since its previous yield (no infinite tree, and no
//     turn for writes the loop cannot see), and a spin that nothing can
//     answer is a livelock.
//   - time means nothing: busy_for/busy_until do nothing, as in Relacy.
// Outside an explored execution (no engine active) every type works as a
// plain single-threaded object, so a stray static does not crash.
//
// Identity and lifetime: each object's first member is a `handle` that
// registers its address with the engine; an operation on an object whose
// handle was destroyed is a use_after_free (see engine.hpp).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <source_location>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "../../explore/engine.hpp"
#include "failure.hpp"
#include "located_lock.hpp"

namespace oncecheck::sync {

struct explore_backend {
  static constexpr std::string_view name = "explore";
  static constexpr bool real_time = false;
  // yield() parks its thread until another thread writes something it
  // read (see yield below): a spin-wait on it cannot starve the thread it waits for,
  // and a timed wait would be the worse pause here (it may time out in any
  // schedule, so a waiting loop could run to the step bound).
  static constexpr bool yield_waits_for_progress = true;
  using loc = std::source_location;
  using engine = explore::engine;
  using object_id = explore::object_id;
  using op = explore::op;

  // An object's identity for the engine; the first member of every type
  // below, so nested objects never share an address.
  class handle {
   public:
    handle(explore::object_kind k, const loc& born) {
      if (engine* e = engine::active()) id_ = e->create(k, this, born);
    }
    ~handle() {
      if (engine* e = engine::active()) e->destroy(id_, this);
    }
    handle(const handle&) = delete;
    handle& operator=(const handle&) = delete;

    // The live object, or a use_after_free; 0 outside an execution.
    object_id use(engine* e, const char* what, const loc& l) const { return e ? e->live(id_, this, what, l) : 0; }

    // A scheduling point for `kind` on this object (and `mutex`).
    object_id point(engine* e, op kind, std::memory_order mo, const char* what, const loc& l, object_id mutex = 0,
                    bool timed = false) const {
      if (!e) return 0;
      object_id o = use(e, what, l);
      e->announce(explore::step{kind, mo, o, mutex, timed, false, l});
      return use(e, what, l);  // still alive now that it runs
    }

   private:
    object_id id_ = 0;
  };

  template <class T>
  class atomic {
   public:
    atomic(loc born = loc::current()) : h_(explore::object_kind::atomic, born), value_(T{}) {}
    explicit atomic(T v, loc born = loc::current()) : h_(explore::object_kind::atomic, born), value_(v) {}
    atomic(const atomic&) = delete;
    atomic& operator=(const atomic&) = delete;

    T load(std::memory_order mo = std::memory_order_seq_cst, loc l = loc::current()) const {
      engine* e = engine::active();
      if (object_id o = h_.point(e, op::load, mo, "load", l)) e->atomic_load(o, mo);
      return value_;
    }
    void store(T v, std::memory_order mo = std::memory_order_seq_cst, loc l = loc::current()) {
      engine* e = engine::active();
      if (object_id o = h_.point(e, op::store, mo, "store", l)) e->atomic_store(o, mo);
      value_ = v;
    }
    T exchange(T v, std::memory_order mo = std::memory_order_seq_cst, loc l = loc::current()) {
      rmw(mo, "exchange", l);
      return std::exchange(value_, v);
    }
    bool compare_exchange_strong(T& expected, T desired, std::memory_order mo = std::memory_order_seq_cst,
                                 loc l = loc::current()) {
      engine* e = engine::active();
      object_id o = h_.point(e, op::rmw, mo, "compare_exchange", l);
      if (value_ == expected) {
        if (o) e->atomic_rmw(o, mo);
        value_ = desired;
        return true;
      }
      if (o) e->atomic_load(o, failure_order(mo));
      expected = value_;
      return false;
    }
    // Never fails spuriously here: a spurious failure only repeats a loop.
    bool compare_exchange_weak(T& expected, T desired, std::memory_order mo = std::memory_order_seq_cst,
                               loc l = loc::current()) {
      return compare_exchange_strong(expected, desired, mo, l);
    }
    T fetch_add(T d, std::memory_order mo = std::memory_order_seq_cst, loc l = loc::current()) {
      rmw(mo, "fetch_add", l);
      return std::exchange(value_, T(value_ + d));
    }
    T fetch_sub(T d, std::memory_order mo = std::memory_order_seq_cst, loc l = loc::current()) {
      rmw(mo, "fetch_sub", l);
      return std::exchange(value_, T(value_ - d));
    }

    void wait(T old, std::memory_order mo = std::memory_order_seq_cst, loc l = loc::current()) const {
      engine* e = engine::active();
      op kind = op::atomic_wait;
      for (;;) {
        object_id o = h_.point(e, kind, mo, "wait", l);
        if (o) e->atomic_load(o, mo);
        if (!(value_ == old) || !o) return;
        e->join_wait_set(o);  // in the same step as the comparison: no wake-up falls between
        kind = op::atomic_wake;
      }
    }
    void notify_one(loc l = loc::current()) const { notify(op::notify_one, l); }
    void notify_all(loc l = loc::current()) const { notify(op::notify_all, l); }

   private:
    static constexpr std::memory_order failure_order(std::memory_order mo) noexcept {
      if (mo == std::memory_order_acq_rel) return std::memory_order_acquire;
      if (mo == std::memory_order_release) return std::memory_order_relaxed;
      return mo;
    }
    void rmw(std::memory_order mo, const char* what, const loc& l) {
      engine* e = engine::active();
      if (object_id o = h_.point(e, op::rmw, mo, what, l)) e->atomic_rmw(o, mo);
    }
    void notify(op kind, const loc& l) const {
      engine* e = engine::active();
      if (object_id o = h_.point(e, kind, std::memory_order_seq_cst, "notify", l)) e->notify(o, kind == op::notify_all);
    }

    handle h_;
    T value_;
  };

  template <explore::object_kind Kind>
  class basic_mutex {
   public:
    basic_mutex(loc born = loc::current()) : h_(Kind, born) {}
    basic_mutex(const basic_mutex&) = delete;
    basic_mutex& operator=(const basic_mutex&) = delete;

    void lock(loc l = loc::current()) { acquire(false, l); }
    bool try_lock(loc l = loc::current()) { return try_acquire(false, l); }
    void unlock(loc l = loc::current()) { release(false, l); }
    void lock_shared(loc l = loc::current()) { acquire(true, l); }
    bool try_lock_shared(loc l = loc::current()) { return try_acquire(true, l); }
    void unlock_shared(loc l = loc::current()) { release(true, l); }

    object_id id(engine* e, const loc& l) const { return h_.use(e, "wait", l); }

   private:
    void acquire(bool shared, const loc& l) {
      engine* e = engine::active();
      if (!e) return;
      const object_id pre = h_.use(e, "lock", l);
      if (e->holds(pre, shared))
        e->fail(verdict::deadlock, "self-deadlock: " + std::string(shared ? "read-" : "") +
                                       "locks a mutex it already holds at " + engine::place(l));
      if (object_id o = h_.point(e, shared ? op::lock_shared : op::lock, std::memory_order_acquire, "lock", l))
        e->lock(o, shared);
    }
    bool try_acquire(bool shared, const loc& l) {
      engine* e = engine::active();
      if (!e) return true;
      object_id o = h_.point(e, shared ? op::try_lock_shared : op::try_lock, std::memory_order_acquire, "try_lock", l);
      return e->try_lock(o, shared);
    }
    void release(bool shared, const loc& l) {
      engine* e = engine::active();
      if (object_id o = h_.point(e, shared ? op::unlock_shared : op::unlock, std::memory_order_release, "unlock", l))
        e->unlock(o, shared, l);
    }

    handle h_;
  };

  using mutex = basic_mutex<explore::object_kind::mutex>;
  using shared_mutex = basic_mutex<explore::object_kind::shared_mutex>;

  // Guards that name the design's line (located_lock.hpp).
  template <class Mutex, bool Shared>
  using basic_lock = located_lock<Mutex, Shared>;

  using unique_lock = basic_lock<mutex, false>;
  using write_lock = basic_lock<shared_mutex, false>;
  using read_lock = basic_lock<shared_mutex, true>;
  using clock = std::chrono::steady_clock;

  class condition_variable {
   public:
    condition_variable(loc born = loc::current()) : h_(explore::object_kind::condition_variable, born) {}
    condition_variable(const condition_variable&) = delete;
    condition_variable& operator=(const condition_variable&) = delete;

    void wait(unique_lock& lock, loc l = loc::current()) { (void)sleep(lock, false, l); }
    // May time out in any schedule, whatever the deadline says.
    wait_status wait_until(unique_lock& lock, clock::time_point, loc l = loc::current()) {
      return sleep(lock, true, l) ? wait_status::woken : wait_status::timed_out;
    }
    template <class Rep, class Period>
    wait_status wait_for(unique_lock& lock, std::chrono::duration<Rep, Period>, loc l = loc::current()) {
      return sleep(lock, true, l) ? wait_status::woken : wait_status::timed_out;
    }
    void notify_one(loc l = loc::current()) { notify(op::notify_one, l); }
    void notify_all(loc l = loc::current()) { notify(op::notify_all, l); }

   private:
    // Two steps: release the mutex and join the wait set; then, once woken
    // (or timing out) and the mutex is free, take it again.
    bool sleep(unique_lock& lock, bool timed, const loc& l) {
      engine* e = engine::active();
      if (!e) return !timed;
      const object_id m = lock.mutex()->id(e, l);
      object_id cv = h_.point(e, op::cv_wait, std::memory_order_seq_cst, "wait", l, m, timed);
      e->unlock(m, false, l);
      e->join_wait_set(cv);
      cv = h_.point(e, op::cv_reacquire, std::memory_order_seq_cst, "wait", l, m, timed);
      const bool woken = e->leave_wait_set(cv);
      e->lock(m, false);
      return woken;
    }
    void notify(op kind, const loc& l) {
      engine* e = engine::active();
      if (object_id o = h_.point(e, kind, std::memory_order_seq_cst, "notify", l)) e->notify(o, kind == op::notify_all);
    }

    handle h_;
  };

  // Plain shared data: no scheduling point, a race check on every access.
  // (Its constructor forwards any arguments, so it cannot take the
  // design's line: a cell is named by its number.)
  template <class T>
  class cell {
   public:
    template <class... Args>
    explicit cell(Args&&... args) : h_(explore::object_kind::cell, loc{}), value_(std::forward<Args>(args)...) {}
    cell(const cell&) = delete;
    cell& operator=(const cell&) = delete;

    const T& get(loc l = loc::current()) const {
      if (engine* e = engine::active()) e->cell_read(h_.use(e, "read", l), l);
      return value_;
    }
    T& mut(loc l = loc::current()) {
      if (engine* e = engine::active()) e->cell_write(h_.use(e, "write", l), l);
      return value_;
    }

   private:
    handle h_;
    T value_;
  };

  static void yield(loc l = loc::current()) {
    engine* e = engine::active();
    if (!e) return;
    e->announce(explore::step{op::yield, std::memory_order_seq_cst, 0, 0, false, false, l});
    e->spin();
  }

  static void busy_for(std::chrono::nanoseconds) noexcept {}
  template <class Pred>
  static void busy_until(Pred&&, std::chrono::nanoseconds) noexcept {}

  static void* allocate(std::size_t bytes, loc l = loc::current()) {
    if (engine* e = engine::active()) return e->allocate(bytes, l);
    return std::malloc(bytes ? bytes : 1);  // as the engine allocates: either may free it
  }
  static void deallocate(void* p, loc l = loc::current()) {
    if (engine* e = engine::active()) e->deallocate(p, l);
    else std::free(p);
  }
  // A model has no pages to advise: allocate()'s memory, checked the same.
  static void* allocate_large(std::size_t bytes, loc l = loc::current()) { return allocate(bytes, l); }
  static void deallocate_large(void* p, std::size_t, loc l = loc::current()) { deallocate(p, l); }

  template <class K>
  static void note(const char* op_name, const K& key, const char* what = "", loc l = loc::current()) {
    engine* e = engine::active();
    if (!e) return;
    if constexpr (std::is_integral_v<K>) e->note(op_name, static_cast<unsigned long long>(key), true, what, l);
    else e->note(op_name, 0, false, what, l);
  }

  static void fail(verdict kind, std::string_view message, loc l = loc::current()) {
    engine* e = engine::active();
    if (!e) {
      report_failure(kind, message, l);
      return;
    }
    e->fail(kind, std::string(to_string(kind)) + ": " + std::string(message) + " (" + engine::place(l) + ")");
  }
};

}  // namespace oncecheck::sync
