// Unit tests of relacy_backend: small programs whose verdict is known, run
// under Relacy, so that a change to the backend's wrappers that blinds the
// checker (a cell that no longer reports races, a wait that no longer
// deadlocks) fails here rather than turning flawed designs into passes.
//
// Inside a Relacy thread nothing may call into GoogleTest: while Relacy's
// context lives it owns operator new, so an EXPECT would allocate on the
// checked heap (a leak verdict) and its report would be lost. Checks inside
// the programs go through relacy_backend::fail (a user_assert_failed
// verdict); the GoogleTest assertions look only at the verdict afterwards.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <string>

// Last: Relacy #defines pthread and semaphore names that break any header
// included after it (see the top of relacy_backend.hpp).
#include "impls/sync/relacy_backend.hpp"

namespace oncecheck::sync {
namespace {

using R = relacy_backend;

// Small: these programs have a handful of steps, and a thousand random
// schedules find each of the bugs below many times over.
constexpr rl::iteration_t kIterations = 1000;

// gtest prints enums as numbers; the name says what Relacy found.
struct verdict_name {
  rl::test_result_e r;
  friend bool operator==(verdict_name a, verdict_name b) { return a.r == b.r; }
  friend std::ostream& operator<<(std::ostream& os, verdict_name v) { return os << rl::test_result_str(v.r); }
};
verdict_name V(rl::test_result_e r) { return {r}; }

struct run_result {
  verdict_name verdict;
  rl::iteration_t iterations;  // the failing one, or how many ran
};

// Runs Test under the given scheduler and returns Relacy's verdict. The
// context-bound scheduler enumerates every schedule with at most one
// preemption, so a pass there is exhaustive within the bound.
template <class Test>
run_result run(rl::scheduler_type_e scheduler = rl::sched_random) {
  // Relacy writes these while its context (and its operator new) is alive:
  // rl::ostringstream allocates through Relacy's raw allocator, a
  // std::ostringstream's buffer would be freed through the wrong heap.
  rl::ostringstream output, progress, state;
  rl::test_params p;
  p.iteration_count = kIterations;
  p.output_stream = &output;
  p.progress_stream = &progress;
  p.search_type = scheduler;
  p.context_bound = 1;
  relacy_failure() = {};
  constexpr auto n = Test::params::thread_count;
  rl::test_result_e r;
  if (scheduler == rl::sched_bound) r = rl::run_test<Test, rl::context_bound_scheduler<n>>(p, state, false);
  else r = rl::run_test<Test, rl::random_scheduler<n>>(p, state, false);
  return {V(r), p.stop_iteration};
}

// A pass under the random scheduler must have run the whole budget (a run
// that stopped early checked less than it claims), and the program must also
// pass every schedule within context bound 1.
template <class Test>
void expect_pass() {
  const run_result random = run<Test>();
  EXPECT_EQ(random.verdict, V(rl::test_result_success)) << "random scheduler, schedule " << random.iterations;
  EXPECT_EQ(random.iterations, kIterations);
  const run_result bound = run<Test>(rl::sched_bound);
  EXPECT_EQ(bound.verdict, V(rl::test_result_success)) << "context bound 1, schedule " << bound.iterations;
  EXPECT_GT(bound.iterations, 1u) << "the bounded search explored a single schedule";
}

template <class Test>
void expect_verdict(rl::test_result_e expected) {
  const run_result random = run<Test>();
  EXPECT_EQ(random.verdict, V(expected)) << "stopped at schedule " << random.iterations;
}

void check(bool ok, const char* message) {
  if (!ok) R::fail(verdict::assert_failed, message);
}

// Every program has two threads at least, even where one would do: Relacy's
// one-thread instantiations index past their own arrays (GCC's
// -Warray-bounds says so at -O3).

// ---- cell: plain data whose every access Relacy checks ----------------------

struct unlocked_writers : rl::test_suite<unlocked_writers, 2> {
  R::cell<int> counter{0};
  void thread(unsigned) { ++counter.mut(); }
};

struct locked_writers : rl::test_suite<locked_writers, 2> {
  R::mutex m;
  R::cell<int> counter{0};
  void thread(unsigned) {
    R::unique_lock lock(m);
    ++counter.mut();
  }
  void after() { check(counter.get() == 2, "both increments must land"); }
};

// A write racing with a read is a race too, not only write/write.
struct unlocked_reader : rl::test_suite<unlocked_reader, 2> {
  R::cell<int> value{0};
  void thread(unsigned tid) {
    if (tid == 0) value.mut() = 1;
    else (void)value.get();
  }
};

// Reads do not race with reads.
struct concurrent_readers : rl::test_suite<concurrent_readers, 3> {
  R::cell<int> value{7};
  void thread(unsigned) { check(value.get() == 7, "a read saw a changed value"); }
};

TEST(RelacyCell, UnlockedWritesAreADataRace) {
  expect_verdict<unlocked_writers>(rl::test_result_data_race);
}

TEST(RelacyCell, UnlockedReadBesideAWriteIsADataRace) {
  expect_verdict<unlocked_reader>(rl::test_result_data_race);
}

TEST(RelacyCell, ConcurrentReadsAreNotARace) {
  expect_pass<concurrent_readers>();
}

TEST(RelacyMutex, UniqueLockMakesTheWritesRaceFree) {
  expect_pass<locked_writers>();
}

// A guard unlocked early and locked again: the basic_lock bookkeeping the
// designs rely on (check_then_act does exactly this).
struct relocking_writers : rl::test_suite<relocking_writers, 2> {
  R::mutex m;
  R::cell<int> counter{0};
  void thread(unsigned) {
    R::unique_lock lock(m);
    ++counter.mut();
    lock.unlock();
    check(!lock.owns_lock(), "owns_lock after unlock");
    lock.lock();
    check(lock.owns_lock(), "owns_lock after lock");
    ++counter.mut();
  }
  void after() { check(counter.get() == 4, "every increment must land"); }
};

TEST(RelacyMutex, UnlockAndRelockThroughTheGuard) {
  expect_pass<relocking_writers>();
}

// ---- atomic publication -------------------------------------------------------

// Thread 0 writes the cell, then raises the flag; thread 1 reads the cell only
// once it sees the flag. Only a release/acquire pair orders the two.
template <std::memory_order Store, std::memory_order Load>
struct publish : rl::test_suite<publish<Store, Load>, 2> {
  R::atomic<int> ready{0};
  R::cell<int> data{0};
  void thread(unsigned tid) {
    if (tid == 0) {
      data.mut() = 42;
      ready.store(1, Store);
    } else if (ready.load(Load) == 1) {
      check(data.get() == 42, "the published value");
    }
  }
};

TEST(RelacyAtomic, RelaxedFlagDoesNotPublishTheCell) {
  expect_verdict<publish<std::memory_order_relaxed, std::memory_order_relaxed>>(rl::test_result_data_race);
}

TEST(RelacyAtomic, ReleaseWithoutAcquireDoesNotPublishTheCell) {
  expect_verdict<publish<std::memory_order_release, std::memory_order_relaxed>>(rl::test_result_data_race);
}

TEST(RelacyAtomic, ReleaseAcquireFlagPublishesTheCell) {
  expect_pass<publish<std::memory_order_release, std::memory_order_acquire>>();
}

// Two threads claim one slot with compare_exchange: exactly one wins, which
// is what makes the winner's plain write race free.
struct cas_claim : rl::test_suite<cas_claim, 2> {
  R::atomic<int> owner{-1};
  R::atomic<int> wins{0};
  R::cell<int> slot{0};
  void thread(unsigned tid) {
    int expected = -1;
    if (owner.compare_exchange_strong(expected, int(tid), std::memory_order_acq_rel)) {
      slot.mut() = int(tid);
      wins.fetch_add(1, std::memory_order_relaxed);
    } else {
      check(expected != -1, "a failed CAS must report the owner it saw");
    }
  }
  void after() { check(wins.load(std::memory_order_relaxed) == 1, "exactly one CAS wins"); }
};

TEST(RelacyAtomic, CompareExchangeHasExactlyOneWinner) {
  expect_pass<cas_claim>();
}

// ---- condition_variable -------------------------------------------------------

// The shape every condvar design uses: the waiter re-checks its predicate in
// a loop; the notifier sets it under the lock and notifies after unlocking.
struct cv_handoff : rl::test_suite<cv_handoff, 2> {
  R::mutex m;
  R::condition_variable cv;
  R::cell<bool> ready{false};
  R::cell<int> data{0};
  void thread(unsigned tid) {
    R::unique_lock lock(m);
    if (tid == 0) {
      data.mut() = 42;
      ready.mut() = true;
      lock.unlock();
      cv.notify_one();
    } else {
      while (!ready.get()) cv.wait(lock);
      check(data.get() == 42, "the value set before the notify");
    }
  }
};

// The same, with `if` for `while`: the backend allows spurious wake-ups, so
// a waiter that trusts any wake-up must be caught.
struct cv_no_recheck : rl::test_suite<cv_no_recheck, 2> {
  R::mutex m;
  R::condition_variable cv;
  R::cell<bool> ready{false};
  void thread(unsigned tid) {
    R::unique_lock lock(m);
    if (tid == 0) {
      ready.mut() = true;
      lock.unlock();
      cv.notify_one();
    } else {
      if (!ready.get()) cv.wait(lock);
      check(ready.get(), "woken before the predicate held");
    }
  }
};

// Nobody ever notifies: the waiter sleeps forever.
struct cv_nobody_notifies : rl::test_suite<cv_nobody_notifies, 2> {
  R::mutex m;
  R::condition_variable cv;
  R::cell<bool> ready{false};
  void thread(unsigned tid) {
    if (tid != 1) return;
    R::unique_lock lock(m);
    while (!ready.get()) cv.wait(lock);
  }
};

// The flaw::notify_one_unchained shape: one notify_one for two waiters.
struct cv_one_notify_two_waiters : rl::test_suite<cv_one_notify_two_waiters, 3> {
  R::mutex m;
  R::condition_variable cv;
  R::cell<bool> ready{false};
  void thread(unsigned tid) {
    R::unique_lock lock(m);
    if (tid == 0) {
      ready.mut() = true;
      cv.notify_one();
    } else {
      while (!ready.get()) cv.wait(lock);
    }
  }
};

// A timed wait nobody notifies ends in timed_out, not in a deadlock.
struct cv_timed_wait_alone : rl::test_suite<cv_timed_wait_alone, 2> {
  R::mutex m;
  R::condition_variable cv;
  void thread(unsigned tid) {
    if (tid != 1) return;
    R::unique_lock lock(m);
    wait_status s = wait_status::woken;
    // A spurious wake-up may come first.
    for (int i = 0; i < 100 && s == wait_status::woken; ++i)
      s = cv.wait_until(lock, R::clock::now() + std::chrono::milliseconds(1));
    check(s == wait_status::timed_out, "a timed wait nobody notifies must time out");
    check(lock.owns_lock(), "wait_until returns with the lock held");
  }
};

TEST(RelacyConditionVariable, WaitNotifyWithAPredicateLoopPasses) {
  expect_pass<cv_handoff>();
}

TEST(RelacyConditionVariable, SpuriousWakeupsCatchAWaitWithoutRecheck) {
  expect_verdict<cv_no_recheck>(rl::test_result_user_assert_failed);
}

TEST(RelacyConditionVariable, WaitNobodyNotifiesIsADeadlock) {
  expect_verdict<cv_nobody_notifies>(rl::test_result_deadlock);
}

TEST(RelacyConditionVariable, OneNotifyOneForTwoWaitersIsADeadlock) {
  expect_verdict<cv_one_notify_two_waiters>(rl::test_result_deadlock);
}

TEST(RelacyConditionVariable, TimedWaitNobodyNotifiesTimesOut) {
  expect_pass<cv_timed_wait_alone>();
}

// ---- atomic<T>::wait / notify ----------------------------------------------------

struct atomic_wait_nobody_notifies : rl::test_suite<atomic_wait_nobody_notifies, 2> {
  R::atomic<int> flag{0};
  void thread(unsigned tid) {
    if (tid == 1) flag.wait(0, std::memory_order_acquire);
  }
};

// The flag also publishes a cell: a wait that returns with acquire must see
// what the storer wrote before its release.
template <bool NotifyAll>
struct atomic_wait_notified : rl::test_suite<atomic_wait_notified<NotifyAll>, 2> {
  R::atomic<int> flag{0};
  R::cell<int> data{0};
  void thread(unsigned tid) {
    if (tid == 0) {
      data.mut() = 42;
      flag.store(1, std::memory_order_release);
      if (NotifyAll) flag.notify_all();
      else flag.notify_one();
    } else {
      flag.wait(0, std::memory_order_acquire);
      check(data.get() == 42, "the value stored before the notify");
    }
  }
};

// A store without a notify: a waiter that got to sleep first never wakes.
struct atomic_store_without_notify : rl::test_suite<atomic_store_without_notify, 2> {
  R::atomic<int> flag{0};
  void thread(unsigned tid) {
    if (tid == 0) flag.store(1);
    else flag.wait(0);
  }
};

TEST(RelacyAtomicWait, WaitNobodyNotifiesIsADeadlock) {
  expect_verdict<atomic_wait_nobody_notifies>(rl::test_result_deadlock);
}

TEST(RelacyAtomicWait, StoreThenNotifyAllWakesTheWaiter) {
  expect_pass<atomic_wait_notified<true>>();
}

TEST(RelacyAtomicWait, StoreThenNotifyOneWakesTheWaiter) {
  expect_pass<atomic_wait_notified<false>>();
}

TEST(RelacyAtomicWait, StoreWithoutNotifyIsADeadlock) {
  expect_verdict<atomic_store_without_notify>(rl::test_result_deadlock);
}

// ---- shared_mutex -----------------------------------------------------------------

// Thread 0 writes under write_lock, the others read under read_lock.
struct rw_protected : rl::test_suite<rw_protected, 3> {
  R::shared_mutex m;
  R::cell<int> value{0};
  void thread(unsigned tid) {
    if (tid == 0) {
      R::write_lock w(m);
      value.mut() = 1;
    } else {
      R::read_lock r(m);
      const int v = value.get();
      check(v == 0 || v == 1, "a torn value");
    }
  }
};

// A write under a *shared* lock: readers do not exclude each other, so the
// write races with the other reader. If read_lock were exclusive by mistake
// this would pass.
struct rw_write_under_read_lock : rl::test_suite<rw_write_under_read_lock, 2> {
  R::shared_mutex m;
  R::cell<int> value{0};
  void thread(unsigned tid) {
    R::read_lock r(m);
    if (tid == 0) value.mut() = 1;
    else (void)value.get();
  }
};

// Two writers under write_lock exclude each other.
struct rw_two_writers : rl::test_suite<rw_two_writers, 2> {
  R::shared_mutex m;
  R::cell<int> counter{0};
  void thread(unsigned) {
    R::write_lock w(m);
    ++counter.mut();
  }
  void after() { check(counter.get() == 2, "both increments must land"); }
};

TEST(RelacySharedMutex, WriteLockAgainstReadLocksProtectsTheCell) {
  expect_pass<rw_protected>();
}

TEST(RelacySharedMutex, WriteUnderAReadLockIsADataRace) {
  expect_verdict<rw_write_under_read_lock>(rl::test_result_data_race);
}

TEST(RelacySharedMutex, WriteLocksExcludeEachOther) {
  expect_pass<rw_two_writers>();
}

// ---- fail, allocate ------------------------------------------------------------------

struct failing_check : rl::test_suite<failing_check, 2> {
  void thread(unsigned tid) {
    if (tid == 1) R::fail(verdict::duplicate_compute, "key 1 computed 2 times");
  }
};

TEST(RelacyFail, FailEndsTheRunAndRecordsTheKind) {
  expect_verdict<failing_check>(rl::test_result_user_assert_failed);
  // The model driver names the verdict from this record.
  EXPECT_EQ(to_string(relacy_failure().kind), "duplicate_compute");
  EXPECT_TRUE(relacy_failure().set);
  EXPECT_NE(std::strstr(relacy_failure().message, "key 1 computed 2 times"), nullptr)
      << relacy_failure().message;
}

struct allocates : rl::test_suite<allocates, 2> {
  void thread(unsigned) {
    void* p = R::allocate(16);
    R::deallocate(p);
  }
};

// allocate_large is allocate() under a model: checked for leaks the same.
struct allocates_large : rl::test_suite<allocates_large, 2> {
  void thread(unsigned) {
    void* p = R::allocate_large(std::size_t(4) << 20);
    R::deallocate_large(p, std::size_t(4) << 20);
  }
};

struct leaks_large : rl::test_suite<leaks_large, 2> {
  void thread(unsigned tid) {
    if (tid == 1) (void)R::allocate_large(std::size_t(4) << 20);
  }
};

struct leaks : rl::test_suite<leaks, 2> {
  void thread(unsigned tid) {
    if (tid == 1) (void)R::allocate(16);
  }
};

TEST(RelacyAllocate, BalancedAllocationPasses) {
  expect_pass<allocates>();
}

TEST(RelacyAllocate, AnAllocationNeverFreedIsALeak) {
  expect_verdict<leaks>(rl::test_result_memory_leak);
}

TEST(RelacyAllocate, LargeAllocationsAreCheckedLikeOthers) {
  expect_pass<allocates_large>();
  expect_verdict<leaks_large>(rl::test_result_memory_leak);
}

}  // namespace
}  // namespace oncecheck::sync
