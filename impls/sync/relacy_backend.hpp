// relacy_backend: the same names as std_backend, mapped onto Relacy's checked
// types, so that one design source is explored under every schedule Relacy's
// schedulers produce (make check-models).
//
// Only this header includes <relacy/relacy.hpp>. Relacy ends by #define-ing
// new, delete, malloc, free, assert, errno and the memory_order_* names; every
// standard header is included first and those names are #undef-ed right after,
// so nothing that follows (design code, scenarios, the standard library) sees
// them. Relacy's calls take a `debug_info`; each wrapper takes a
// std::source_location default argument instead, evaluated where the design
// wrote the call, so traces point into the design and design code never
// spells `$`.
//
// Allocation: Relacy replaces the global operator new/delete while a test
// runs, so containers inside a design are leak-checked. `make`/`destroy` below
// go through rl_malloc/rl_free explicitly so the trace also names the line.
//
// atomic<T>::wait/notify: Relacy has no futex. A wait is modelled as a
// Relacy mutex + condition variable beside the atomic: the waiter re-checks
// the value under the mutex and sleeps on the condition variable; notify
// takes and drops the mutex before notifying, so a notify that follows the
// store can never fall between the waiter's check and its sleep. A wait on a
// value nobody changes is then reported by Relacy as a deadlock, as a futex
// wait that is never woken would hang.
#pragma once

// Every standard and system header a program around the models may want:
// Relacy's pthread and semaphore macros break any of them included later.
#include <algorithm>
#include <array>
#include <atomic>
#include <barrier>
#include <cassert>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <latch>
#include <map>
#include <memory>
#include <mutex>
#include <new>
#include <optional>
#include <semaphore>
#include <set>
#include <shared_mutex>
#include <source_location>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <variant>
#include <vector>

#include <pthread.h>
#include <semaphore.h>

#pragma push_macro("errno")
#pragma push_macro("assert")
#include <relacy/relacy.hpp>
#undef new
#undef delete
#undef malloc
#undef calloc
#undef realloc
#undef free
#undef assert
#undef errno
#undef memory_order_relaxed
#undef memory_order_consume
#undef memory_order_acquire
#undef memory_order_release
#undef memory_order_acq_rel
#undef memory_order_seq_cst
#pragma pop_macro("assert")
#pragma pop_macro("errno")

#include "failure.hpp"
#include "located_lock.hpp"

namespace oncecheck::sync::relacy_detail {
// Relacy's replacement operator delete is `inline`: a program that happens not
// to emit it leaves libstdc++'s sized delete calling glibc's free() on memory
// Relacy handed out. Taking its address makes every such program emit it.
// (CMake builds also pass -fno-sized-deallocation.)
[[gnu::used]] inline void (*volatile keep_operator_delete)(void*) = static_cast<void (*)(void*)>(&::operator delete);
}  // namespace oncecheck::sync::relacy_detail

namespace oncecheck::sync {

namespace relacy_detail {

using loc = std::source_location;

inline rl::debug_info info(const loc& l) noexcept {
  return rl::debug_info(l.function_name(), l.file_name(), unsigned(l.line()));
}

constexpr rl::memory_order to_rl(std::memory_order mo) noexcept {
  switch (mo) {
    case std::memory_order_relaxed: return rl::mo_relaxed;
    case std::memory_order_consume: return rl::mo_consume;
    case std::memory_order_acquire: return rl::mo_acquire;
    case std::memory_order_release: return rl::mo_release;
    case std::memory_order_acq_rel: return rl::mo_acq_rel;
    case std::memory_order_seq_cst: return rl::mo_seq_cst;
  }
  return rl::mo_seq_cst;
}

// The failure load of a compare-exchange may not be release or acq_rel.
constexpr std::memory_order failure_order(std::memory_order mo) noexcept {
  if (mo == std::memory_order_acq_rel) return std::memory_order_acquire;
  if (mo == std::memory_order_release) return std::memory_order_relaxed;
  return mo;
}

struct condvar_tag;
struct rw_tag;

}  // namespace relacy_detail

// The last failed scenario check of the current Relacy run. Written only when
// a check fails (so it does not make the explored program non-deterministic)
// and read by the model driver to name the verdict. Fixed buffers: a heap
// allocation here would be charged to the checked program.
struct relacy_failure_record {
  verdict kind = verdict::assert_failed;
  char message[400] = {};
  bool set = false;
};
inline relacy_failure_record& relacy_failure() noexcept {
  static relacy_failure_record record;
  return record;
}

struct relacy_backend {
  static constexpr std::string_view name = "relacy";
  static constexpr bool real_time = false;
  using loc = std::source_location;

  template <class T>
  class atomic {
   public:
    atomic() : value_(T{}) { wake_.init(false, relacy_detail::info(loc::current())); }
    explicit atomic(T v) : value_(v) { wake_.init(false, relacy_detail::info(loc::current())); }
    ~atomic() { wake_.deinit(relacy_detail::info(loc::current())); }
    atomic(const atomic&) = delete;
    atomic& operator=(const atomic&) = delete;

    T load(std::memory_order mo = std::memory_order_seq_cst, loc l = loc::current()) const {
      return value_.load(relacy_detail::to_rl(mo), relacy_detail::info(l));
    }
    void store(T v, std::memory_order mo = std::memory_order_seq_cst, loc l = loc::current()) {
      value_.store(v, relacy_detail::to_rl(mo), relacy_detail::info(l));
    }
    T exchange(T v, std::memory_order mo = std::memory_order_seq_cst, loc l = loc::current()) {
      return value_.exchange(v, relacy_detail::to_rl(mo), relacy_detail::info(l));
    }
    bool compare_exchange_strong(T& expected, T desired,
                                 std::memory_order mo = std::memory_order_seq_cst,
                                 loc l = loc::current()) {
      auto i = relacy_detail::info(l);
      return value_.compare_exchange_strong(
          expected, desired, relacy_detail::to_rl(mo), i,
          relacy_detail::to_rl(relacy_detail::failure_order(mo)), i);
    }
    bool compare_exchange_weak(T& expected, T desired,
                               std::memory_order mo = std::memory_order_seq_cst,
                               loc l = loc::current()) {
      auto i = relacy_detail::info(l);
      return value_.compare_exchange_weak(
          expected, desired, relacy_detail::to_rl(mo), i,
          relacy_detail::to_rl(relacy_detail::failure_order(mo)), i);
    }
    T fetch_add(T d, std::memory_order mo = std::memory_order_seq_cst, loc l = loc::current()) {
      return value_.fetch_add(d, relacy_detail::to_rl(mo), relacy_detail::info(l));
    }
    T fetch_sub(T d, std::memory_order mo = std::memory_order_seq_cst, loc l = loc::current()) {
      return value_.fetch_sub(d, relacy_detail::to_rl(mo), relacy_detail::info(l));
    }

    // See "atomic<T>::wait/notify" at the top of this file.
    void wait(T old, std::memory_order mo = std::memory_order_seq_cst, loc l = loc::current()) const {
      auto i = relacy_detail::info(l);
      waiters_.lock(i);
      while (value_.load(relacy_detail::to_rl(mo), i) == old) wake_.wait(waiters_, false, i);
      waiters_.unlock(i);
    }
    void notify_one(loc l = loc::current()) const { notify(l, false); }
    void notify_all(loc l = loc::current()) const { notify(l, true); }

   private:
    void notify(const loc& l, bool all) const {
      auto i = relacy_detail::info(l);
      waiters_.lock(i);
      waiters_.unlock(i);
      if (all) wake_.notify_all(i); else wake_.notify_one(i);
    }

    rl::atomic<T> value_;
    mutable rl::mutex waiters_;
    mutable rl::condvar<relacy_detail::condvar_tag> wake_;
  };

  class mutex {
   public:
    mutex() = default;
    mutex(const mutex&) = delete;
    mutex& operator=(const mutex&) = delete;
    void lock(loc l = loc::current()) { m_.lock(relacy_detail::info(l)); }
    bool try_lock(loc l = loc::current()) { return m_.try_lock(relacy_detail::info(l)); }
    void unlock(loc l = loc::current()) { m_.unlock(relacy_detail::info(l)); }
    rl::mutex& native() noexcept { return m_; }

   private:
    rl::mutex m_;
  };

  class shared_mutex {
   public:
    shared_mutex() { m_.init(true, false, false, false, relacy_detail::info(loc::current())); }
    ~shared_mutex() { m_.deinit(relacy_detail::info(loc::current())); }
    shared_mutex(const shared_mutex&) = delete;
    shared_mutex& operator=(const shared_mutex&) = delete;
    void lock(loc l = loc::current()) { m_.lock_exclusive(relacy_detail::info(l)); }
    bool try_lock(loc l = loc::current()) { return m_.try_lock_exclusive(relacy_detail::info(l)); }
    void unlock(loc l = loc::current()) { m_.unlock_exclusive(relacy_detail::info(l)); }
    void lock_shared(loc l = loc::current()) { m_.lock_shared(relacy_detail::info(l)); }
    bool try_lock_shared(loc l = loc::current()) { return m_.try_lock_shared(relacy_detail::info(l)); }
    void unlock_shared(loc l = loc::current()) { m_.unlock_shared(relacy_detail::info(l)); }

   private:
    rl::generic_mutex<relacy_detail::rw_tag> m_;
  };

  // Guards that name the design's line (located_lock.hpp).
  template <class Mutex, bool Shared>
  using basic_lock = located_lock<Mutex, Shared>;

  using unique_lock = basic_lock<mutex, false>;
  using write_lock = basic_lock<shared_mutex, false>;
  using read_lock = basic_lock<shared_mutex, true>;
  using clock = std::chrono::steady_clock;

  // Spurious wake-ups are allowed, as on real systems: a design that does not
  // re-check its predicate is caught. A timed wait may time out in any
  // schedule, whatever the deadline says.
  class condition_variable {
   public:
    condition_variable() { cv_.init(true, relacy_detail::info(loc::current())); }
    ~condition_variable() { cv_.deinit(relacy_detail::info(loc::current())); }
    condition_variable(const condition_variable&) = delete;
    condition_variable& operator=(const condition_variable&) = delete;

    void wait(unique_lock& lock, loc l = loc::current()) {
      cv_.wait(lock.mutex()->native(), false, relacy_detail::info(l));
    }
    wait_status wait_until(unique_lock& lock, clock::time_point, loc l = loc::current()) {
      auto r = cv_.wait(lock.mutex()->native(), true, relacy_detail::info(l));
      return r == rl::sema_wakeup_reason_timeout ? wait_status::timed_out : wait_status::woken;
    }
    void notify_one(loc l = loc::current()) { cv_.notify_one(relacy_detail::info(l)); }
    void notify_all(loc l = loc::current()) { cv_.notify_all(relacy_detail::info(l)); }

   private:
    rl::condvar<relacy_detail::condvar_tag> cv_;
  };

  // Plain data beside a small rl::var that is read on every const access and
  // written on every mutable one (loom's UnsafeCell idea): two unordered
  // accesses, one of them mutable, are a data race Relacy reports. The value
  // itself stays plain, because rl::var copies its value on every access.
  template <class T>
  class cell {
   public:
    template <class... Args>
    explicit cell(Args&&... args) : value_(std::forward<Args>(args)...) {}
    cell(const cell&) = delete;
    cell& operator=(const cell&) = delete;

    const T& get(loc l = loc::current()) const {
      (void)touch_(relacy_detail::info(l)).load();
      return value_;
    }
    T& mut(loc l = loc::current()) {
      touch_(relacy_detail::info(l)).store(0);
      return value_;
    }

   private:
    T value_;
    rl::var<int> touch_{0};
  };

  static void yield(loc l = loc::current()) { rl::yield(1, relacy_detail::info(l)); }

  // Time means nothing to the model: every schedule is explored anyway.
  static void busy_for(std::chrono::nanoseconds) noexcept {}
  template <class Pred>
  static void busy_until(Pred&&, std::chrono::nanoseconds) noexcept {}

  static void* allocate(std::size_t bytes, loc l = loc::current()) {
    return rl::rl_malloc(bytes, relacy_detail::info(l));
  }
  static void deallocate(void* p, loc l = loc::current()) { rl::rl_free(p, relacy_detail::info(l)); }
  // A model has no pages to advise: allocate()'s memory, checked the same.
  static void* allocate_large(std::size_t bytes, loc l = loc::current()) { return allocate(bytes, l); }
  static void deallocate_large(void* p, std::size_t, loc l = loc::current()) { deallocate(p, l); }

  template <class K>
  static void note(const char* op, const K& key, const char* what = "", loc l = loc::current()) {
    rl::context& c = rl::ctx();
    if (!c.collecting_history()) return;
    char buf[192];
    // "[design]" marks the design's own events for the trace reader.
    if constexpr (std::is_integral_v<K>)
      std::snprintf(buf, sizeof buf, "[design] %s key=%llu%s%s", op, static_cast<unsigned long long>(key),
                    *what ? " " : "", what);
    else
      std::snprintf(buf, sizeof buf, "[design] %s%s%s", op, *what ? " " : "", what);
    c.exec_log_msg(relacy_detail::info(l), buf);
  }

  static void fail(verdict kind, std::string_view message, loc l = loc::current()) {
    relacy_failure_record& r = relacy_failure();
    const std::string_view name = to_string(kind);
    r.kind = kind;
    std::snprintf(r.message, sizeof r.message, "%.*s: %.*s", int(name.size()), name.data(),
                  int(message.size()), message.data());
    r.set = true;
    rl::ctx().fail_test(r.message, rl::test_result_user_assert_failed, relacy_detail::info(l));
  }
};

}  // namespace oncecheck::sync
