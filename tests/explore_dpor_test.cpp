// The reduction is trustworthy: DPOR's execution count on litmus programs
// equals their number of Mazurkiewicz traces, and every final state plain
// DFS reaches, DPOR reaches too.
#include <gtest/gtest.h>

#include <set>
#include <tuple>

#include "explore_litmus.hpp"

namespace oncecheck::explore::testing {
namespace {

std::uint64_t factorial(int n) { return n <= 1 ? 1 : std::uint64_t(n) * factorial(n - 1); }
std::uint64_t binomial(int n, int k) {
  std::uint64_t r = 1;
  for (int i = 1; i <= k; ++i) r = r * std::uint64_t(n - k + i) / std::uint64_t(i);
  return r;
}

struct one_mutex {
  X::mutex m;
  X::cell<int> counter{0};
};

// n threads each lock one shared mutex once: the order of the critical
// sections is the trace, n! of them.
TEST(ExploreDpor, OneMutexLockedOncePerThreadGivesNFactorialTraces) {
  for (int n = 1; n <= 5; ++n) {
    litmus<one_mutex> p(n, [](one_mutex& s, int) {
      X::unique_lock lock(s.m);
      ++s.counter.mut();
    }, [n](one_mutex& s) { EXPECT_EQ(s.counter.get(), n); });
    const explore_result r = explore(p);
    EXPECT_EQ(r.result, verdict::pass) << r.reason;
    EXPECT_TRUE(r.exhausted);
    EXPECT_EQ(r.executions, factorial(n)) << n << " threads";
  }
}

// A search stopped by its budget says so and estimates how much of the
// tree it covered: the 5! traces of the mutex program are a uniform tree,
// where the estimate along the path is close to the true share.
TEST(ExploreDpor, AStoppedSearchEstimatesTheShareOfTheTreeItCovered) {
  litmus<one_mutex> p(5, [](one_mutex& s, int) {
    X::unique_lock lock(s.m);
    ++s.counter.mut();
  });
  explore_options o;
  o.max_executions = 30;
  const explore_result r = explore_program(p, o);
  EXPECT_FALSE(r.exhausted);
  EXPECT_EQ(r.executions, 30u);
  EXPECT_NEAR(r.estimated_fraction, 30.0 / 120.0, 0.05);
}

struct disjoint {
  X::atomic<int> slot[6];
};

// Threads that touch disjoint data: every interleaving is one trace.
TEST(ExploreDpor, DisjointDataGivesOneTrace) {
  for (int n = 1; n <= 6; ++n) {
    litmus<disjoint> p(n, [](disjoint& s, int tid) {
      for (int i = 0; i < 3; ++i) s.slot[tid].store(s.slot[tid].load() + 1);
    });
    const explore_result r = explore(p);
    EXPECT_TRUE(r.exhausted);
    EXPECT_EQ(r.executions, 1u) << n << " threads";
  }
}

struct one_atomic {
  X::atomic<int> x{0};
};

// Two threads each write one atomic k times: the traces are the
// interleavings of two chains of k dependent writes, C(2k, k).
TEST(ExploreDpor, TwoWritersOfKWritesGiveBinomialTraces) {
  for (int k = 1; k <= 6; ++k) {
    litmus<one_atomic> p(2, [k](one_atomic& s, int tid) {
      for (int i = 0; i < k; ++i) s.x.store(tid * 100 + i, std::memory_order_relaxed);
    });
    const explore_result r = explore(p);
    EXPECT_TRUE(r.exhausted);
    EXPECT_EQ(r.executions, binomial(2 * k, k)) << "k=" << k;
  }
}

// Readers commute with each other: two threads reading one atomic that a
// third writes once give 3 traces (the write before both, between, after)
// per reader: 2 x 2 = 4 orders of the write against each read.
TEST(ExploreDpor, ReadsCommuteWithReads) {
  litmus<one_atomic> p(3, [](one_atomic& s, int tid) {
    if (tid == 0) s.x.store(1);
    else (void)s.x.load();
  });
  const explore_result r = explore(p);
  EXPECT_TRUE(r.exhausted);
  EXPECT_EQ(r.executions, 4u);
}

// A program with locks, atomics, reads and a condition variable: the
// final states DFS reaches are exactly those DPOR reaches.
using mixed = waits;  // explore_litmus.hpp

template <class Body>
std::set<std::tuple<int, int, int>> final_states(const char* scheduler, int threads, Body body, std::uint64_t* count) {
  std::set<std::tuple<int, int, int>> states;
  litmus<mixed> p(threads, body, [&](mixed& s) { states.insert({s.a.load(), s.b.load(), s.shared.get()}); });
  const explore_result r = explore(p, scheduler);
  EXPECT_EQ(r.result, verdict::pass) << r.reason;
  EXPECT_TRUE(r.exhausted);
  *count = r.executions;
  return states;
}

TEST(ExploreDpor, DporReachesEveryFinalStateDfsReaches) {
  auto body = [](mixed& s, int tid) {
    switch (tid) {
      case 0: {
        s.a.store(1);
        const int seen = s.b.load();
        X::unique_lock lock(s.m);
        s.shared.mut() = s.shared.get() * 10 + 1 + seen;
        s.ready.mut() = true;
        s.cv.notify_all();
        break;
      }
      case 1: {
        s.b.store(s.a.load() + 1);
        X::unique_lock lock(s.m);
        s.shared.mut() = s.shared.get() * 10 + 2;
        break;
      }
      case 2: {
        X::unique_lock lock(s.m);
        while (!s.ready.get()) s.cv.wait(lock);
        s.shared.mut() = s.shared.get() * 10 + 3;
        s.a.fetch_add(s.b.load());
        break;
      }
    }
  };
  std::uint64_t dfs = 0, dpor = 0;
  const auto all = final_states("dfs", 3, body, &dfs);
  const auto reduced = final_states("dpor", 3, body, &dpor);
  EXPECT_EQ(all, reduced);
  EXPECT_LT(dpor, dfs);
  EXPECT_GT(all.size(), 3u);
}

// The same for spin loops with yield and a timed wait.
TEST(ExploreDpor, DporMatchesDfsWithYieldAndTimedWait) {
  auto body = [](mixed& s, int tid) { notify_timed_wait_and_spin(s, tid); };
  std::uint64_t dfs = 0, dpor = 0;
  const auto all = final_states("dfs", 3, body, &dfs);
  const auto reduced = final_states("dpor", 3, body, &dpor);
  EXPECT_EQ(all, reduced);
  EXPECT_LE(dpor, dfs);
  // Both a woken and a timed-out wait happen.
  std::set<int> bs;
  for (const auto& [a, b, c] : all) bs.insert(b);
  EXPECT_EQ(bs, (std::set<int>{1, 2}));
}

// With a preemption bound of 0 the threads run one after another: n! for
// n threads that only lock (each switch happens at an end).
TEST(ExploreDpor, PreemptionBoundIsReportedAndLimitsTheSearch) {
  litmus<one_atomic> p(2, [](one_atomic& s, int tid) {
    for (int i = 0; i < 4; ++i) s.x.store(tid);
  });
  const explore_result bounded = explore(p, "dpor", 0);
  EXPECT_EQ(bounded.preemption_bound, 0);
  EXPECT_TRUE(bounded.exhausted);
  EXPECT_EQ(bounded.executions, 2u);
  const explore_result one = explore(p, "dpor", 1);
  EXPECT_GT(one.executions, 2u);
  EXPECT_LT(one.executions, binomial(8, 4));
}

// A spin loop watches what it reads: a thread waiting for a flag with
// yield() is dependent with the flag's store and with nothing else, so
// two other threads taking a mutex k times each multiply the traces by the
// three places of the flag's store (before the loop's load, between it and
// the yield, after the yield), not by every lock they take.
struct spin_on_flag {
  X::atomic<int> flag{0};
  X::mutex m;
};

TEST(ExploreDpor, ASpinLoopDependsOnlyOnWhatItReads) {
  for (int k = 1; k <= 3; ++k) {
    auto lockers = [k](spin_on_flag& s, int tid) {
      for (int i = 0; i < k; ++i) {
        s.m.lock();
        s.m.unlock();
      }
      if (tid == 0) s.flag.store(1);
    };
    litmus<spin_on_flag> without(2, lockers);
    litmus<spin_on_flag> with(3, [&](spin_on_flag& s, int tid) {
      if (tid < 2) lockers(s, tid);
      else
        while (!s.flag.load()) X::yield();
    });
    const explore_result a = explore(without), b = explore(with);
    ASSERT_TRUE(a.exhausted && b.exhausted);
    EXPECT_EQ(a.executions, binomial(2 * k, k)) << "k=" << k;
    EXPECT_EQ(b.executions, 3 * a.executions) << "k=" << k;
    EXPECT_EQ(b.result, verdict::pass) << b.reason;
  }
}

// A transition is its step and what its thread does up to its next step
// (step.hpp): a cell one thread reads after an unrelated step and another
// thread destroys after one has no Sync object in common with it, yet the
// order of the two is the difference between a use_after_free and none.
// The cell lives in storage the test owns, so reading it after its
// destruction is caught by the engine and never touches freed memory.
struct reader_and_destroyer {
  X::atomic<int> a{0}, b{0};
  alignas(X::cell<int>) unsigned char storage[sizeof(X::cell<int>)];
  X::cell<int>* node = new (storage) X::cell<int>(7);
  std::atomic<int> refs{2};  // a reference count the explorer does not see (shared_ptr's)
  bool destroyed = false;
  ~reader_and_destroyer() {
    if (!destroyed) node->~cell();
  }
  void drop() {
    if (refs.fetch_sub(1) == 1) {
      node->~cell();
      destroyed = true;
    }
  }
};

TEST(ExploreDpor, ADestructionAfterAStepDependsOnAReadAfterAnother) {
  auto body = [](reader_and_destroyer& s, int tid) {
    if (tid == 0) {
      s.a.store(1);
      (void)s.node->get();
    } else {
      s.b.store(1);
      s.node->~cell();
      s.destroyed = true;
    }
  };
  for (const char* scheduler : {"dfs", "dpor"}) {
    litmus<reader_and_destroyer> p(2, body);
    const explore_result r = explore(p, scheduler);
    EXPECT_EQ(r.result, verdict::use_after_free) << scheduler << ": " << r.reason;
  }
}

// The same two threads, each dropping its reference: whoever drops last
// destroys the cell, never while the other reads it, so no order is a
// failure (a check of destruction against happens-before instead would
// call this a use_after_free: the count is invisible to it). The count is
// invisible to the reduction too, so which thread destroys is not a
// distinction it keeps: the two orders may be one trace to it.
TEST(ExploreDpor, TheLastReferenceDestroysInEitherOrderWithoutAFailure) {
  litmus<reader_and_destroyer> p(2, [](reader_and_destroyer& s, int tid) {
    if (tid == 0) {
      s.a.store(1);
      (void)s.node->get();
      s.drop();
    } else {
      s.b.store(1);
      s.drop();
    }
  });
  for (const char* scheduler : {"dfs", "dpor"}) {
    const explore_result r = explore(p, scheduler);
    EXPECT_EQ(r.result, verdict::pass) << scheduler << ": " << r.reason;
    EXPECT_TRUE(r.exhausted) << scheduler;
  }
}

}  // namespace
}  // namespace oncecheck::explore::testing
