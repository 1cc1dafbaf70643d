// The explore backend's verdicts on small programs: deadlock with who
// waits on what, races by C++ happens-before (the explorer is sequentially
// consistent, so store buffering is no failure), lifetimes, and replay
// strings and PCT.
#include <gtest/gtest.h>

#include <set>

#include "explore_litmus.hpp"

namespace oncecheck::explore::testing {
namespace {

struct two_mutexes {
  X::mutex a, b;
};

TEST(ExploreBackend, LockOrderInversionIsADeadlockNamingBothThreads) {
  litmus<two_mutexes> p(2, [](two_mutexes& s, int tid) {
    X::unique_lock first(tid == 0 ? s.a : s.b);
    X::unique_lock second(tid == 0 ? s.b : s.a);
  });
  const explore_result r = explore(p);
  ASSERT_EQ(r.result, verdict::deadlock);
  EXPECT_NE(r.reason.find("T0 waits to lock mutex"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("T1 waits to lock mutex"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("held by T1"), std::string::npos) << r.reason;
  ASSERT_TRUE(r.replay);
  EXPECT_FALSE(r.trace.empty());
}

TEST(ExploreBackend, RelockingAHeldMutexIsASelfDeadlock) {
  litmus<two_mutexes> p(1, [](two_mutexes& s, int) {
    X::unique_lock first(s.a);
    X::unique_lock again(s.a);
  });
  const explore_result r = explore(p);
  EXPECT_EQ(r.result, verdict::deadlock);
  EXPECT_NE(r.reason.find("self-deadlock"), std::string::npos) << r.reason;
}

struct waiter_state {
  X::mutex m;
  X::condition_variable cv;
  X::cell<bool> ready{false};
};

// A notify that lands before the waiter sleeps is lost when the waiter
// does not check a predicate under the lock.
TEST(ExploreBackend, AWaitWithoutAPredicateLosesAnEarlyNotify) {
  litmus<waiter_state> p(2, [](waiter_state& s, int tid) {
    X::unique_lock lock(s.m);
    if (tid == 0) s.cv.wait(lock);
    else s.cv.notify_one();
  });
  const explore_result r = explore(p);
  EXPECT_EQ(r.result, verdict::deadlock);
  EXPECT_NE(r.reason.find("T0 waits on condition_variable"), std::string::npos) << r.reason;
}

TEST(ExploreBackend, AWaitWithAPredicateUnderTheLockPasses) {
  litmus<waiter_state> p(2, [](waiter_state& s, int tid) {
    X::unique_lock lock(s.m);
    if (tid == 0) {
      while (!s.ready.get()) s.cv.wait(lock);
    } else {
      s.ready.mut() = true;
      s.cv.notify_one();
    }
  });
  const explore_result r = explore(p);
  EXPECT_EQ(r.result, verdict::pass) << r.reason;
  EXPECT_TRUE(r.exhausted);
}

struct message {
  X::cell<int> data{0};
  X::atomic<int> flag{0};
  X::atomic<int> x{0}, y{0};
  X::cell<int> r0{-1}, r1{-1};
};

// Message passing: plain data published through a flag.
explore_result message_passing(std::memory_order store, std::memory_order load) {
  litmus<message> p(2, [=](message& s, int tid) {
    if (tid == 0) {
      s.data.mut() = 42;
      s.flag.store(1, store);
    } else if (s.flag.load(load) == 1) {
      EXPECT_EQ(s.data.get(), 42);  // sequentially consistent: never stale here
    }
  });
  return explore(p);
}

TEST(ExploreBackend, MessagePassingWithARelaxedFlagIsADataRace) {
  const explore_result r = message_passing(std::memory_order_relaxed, std::memory_order_relaxed);
  EXPECT_EQ(r.result, verdict::data_race);
  EXPECT_NE(r.reason.find("data race on cell"), std::string::npos) << r.reason;
  const explore_result half = message_passing(std::memory_order_release, std::memory_order_relaxed);
  EXPECT_EQ(half.result, verdict::data_race);
}

TEST(ExploreBackend, MessagePassingWithReleaseAcquirePasses) {
  const explore_result r = message_passing(std::memory_order_release, std::memory_order_acquire);
  EXPECT_EQ(r.result, verdict::pass) << r.reason;
  EXPECT_TRUE(r.exhausted);
  const explore_result sc = message_passing(std::memory_order_seq_cst, std::memory_order_seq_cst);
  EXPECT_EQ(sc.result, verdict::pass) << sc.reason;
}

// Store buffering: under C++ both loads may read 0 with relaxed atomics;
// the explorer is sequentially consistent, so that outcome never happens
// and nothing is flagged (Relacy's engine is the one for weak memory).
TEST(ExploreBackend, StoreBufferingIsNotFlaggedTheExplorerIsSequentiallyConsistent) {
  std::set<std::pair<int, int>> outcomes;
  litmus<message> p(2, [](message& s, int tid) {
    auto& mine = tid == 0 ? s.x : s.y;
    auto& other = tid == 0 ? s.y : s.x;
    mine.store(1, std::memory_order_relaxed);
    (tid == 0 ? s.r0 : s.r1).mut() = other.load(std::memory_order_relaxed);
  }, [&](message& s) { outcomes.insert({s.r0.get(), s.r1.get()}); });
  const explore_result r = explore(p);
  EXPECT_EQ(r.result, verdict::pass) << r.reason;
  EXPECT_EQ(outcomes, (std::set<std::pair<int, int>>{{0, 1}, {1, 0}, {1, 1}}));
}

struct counter {
  X::atomic<int> n{0};
  X::cell<int> plain{0};
};

// A relaxed RMW continues a release sequence; a lock orders plain data.
TEST(ExploreBackend, RelaxedCounterOrdersNothing) {
  litmus<counter> p(2, [](counter& s, int) {
    s.plain.mut() += 1;
    s.n.fetch_add(1, std::memory_order_relaxed);
  });
  EXPECT_EQ(explore(p).result, verdict::data_race);
}

struct heap_node {
  X::condition_variable cv;
  X::cell<int> value{0};
};
struct owner {
  X::mutex m;
  X::cell<heap_node*> node{nullptr};
  X::atomic<int> linked{0};
};

// Thread 1 notifies through a pointer thread 0 frees after a relaxed
// handshake: in some schedule the node is gone when the notify runs.
TEST(ExploreBackend, AnOperationOnAFreedObjectIsAUseAfterFree) {
  litmus<owner> p(2, [](owner& s, int tid) {
    if (tid == 0) {
      void* mem = X::allocate(sizeof(heap_node));
      heap_node* n = new (mem) heap_node();
      {
        X::unique_lock lock(s.m);
        s.node.mut() = n;
      }
      s.linked.store(1);
      n->~heap_node();
      X::deallocate(mem);
    } else {
      heap_node* n = nullptr;
      {
        X::unique_lock lock(s.m);
        n = s.node.get();
      }
      if (n) n->cv.notify_one();
    }
  });
  const explore_result r = explore(p);
  EXPECT_EQ(r.result, verdict::use_after_free);
  EXPECT_NE(r.reason.find("destroyed condition_variable"), std::string::npos) << r.reason;
}

TEST(ExploreBackend, MemoryNeverFreedIsALeakAndFreedTwiceAUseAfterFree) {
  litmus<counter> leak(1, [](counter&, int) { (void)X::allocate(16); });
  const explore_result r = explore(leak);
  EXPECT_EQ(r.result, verdict::leak);
  EXPECT_NE(r.reason.find("never freed"), std::string::npos) << r.reason;
  litmus<counter> twice(1, [](counter&, int) {
    void* p = X::allocate(16);
    X::deallocate(p);
    X::deallocate(p);
  });
  EXPECT_EQ(explore(twice).result, verdict::use_after_free);
}

TEST(ExploreBackend, LargeAllocationsAreCheckedLikeOthers) {
  constexpr std::size_t bytes = std::size_t(4) << 20;
  litmus<counter> leak(1, [](counter&, int) { (void)X::allocate_large(bytes); });
  EXPECT_EQ(explore(leak).result, verdict::leak);
  litmus<counter> balanced(1, [](counter&, int) { X::deallocate_large(X::allocate_large(bytes), bytes); });
  EXPECT_EQ(explore(balanced).result, verdict::pass);
}

TEST(ExploreBackend, ASpinNothingAnswersIsALivelock) {
  litmus<counter> p(2, [](counter& s, int tid) {
    if (tid == 0) while (s.n.load() == 0) X::yield();
  });
  const explore_result r = explore(p);
  EXPECT_EQ(r.result, verdict::livelock);
  EXPECT_NE(r.reason.find("T0 spins"), std::string::npos) << r.reason;
}

TEST(ExploreBackend, AtomicWaitIsWokenByNotifyAndAMissingNotifyDeadlocks) {
  auto run = [](bool notify) {
    litmus<counter> p(2, [notify](counter& s, int tid) {
      if (tid == 0) {
        s.n.wait(0);
      } else {
        s.n.store(1);
        if (notify) s.n.notify_all();
      }
    });
    return explore(p);
  };
  EXPECT_EQ(run(true).result, verdict::pass);
  EXPECT_EQ(run(false).result, verdict::deadlock);
}

// A failure's replay string runs exactly that execution again: same
// verdict, same trace, every time.
TEST(ExploreBackend, AReplayStringReproducesTheFailureExactly) {
  litmus<two_mutexes> p(3, [](two_mutexes& s, int tid) {
    if (tid == 2) return;
    X::unique_lock first(tid == 0 ? s.a : s.b);
    X::unique_lock second(tid == 0 ? s.b : s.a);
  });
  const explore_result found = explore(p);
  ASSERT_EQ(found.result, verdict::deadlock);
  ASSERT_TRUE(found.replay);
  explore_options o;
  o.replay = found.replay;
  for (int i = 0; i < 3; ++i) {
    const explore_result again = explore_program(p, o);
    EXPECT_EQ(again.result, verdict::deadlock);
    EXPECT_EQ(again.reason, found.reason);
    EXPECT_EQ(again.trace, found.trace);
    EXPECT_EQ(again.replay, found.replay);
  }
  // A replay that does not fit the program is said to, not run as another.
  o.replay = "e1:1x40";
  EXPECT_EQ(explore_program(p, o).result, verdict::unsupported);
  EXPECT_EQ(decode_schedule(encode_schedule({0, 0, 1, 2, 2, 2, 0})), (std::vector<std::uint8_t>{0, 0, 1, 2, 2, 2, 0}));
}

TEST(ExploreBackend, PctFindsALockInversionAndStatesItsGuarantee) {
  litmus<two_mutexes> p(2, [](two_mutexes& s, int tid) {
    X::unique_lock first(tid == 0 ? s.a : s.b);
    X::unique_lock second(tid == 0 ? s.b : s.a);
  });
  explore_options o;
  o.scheduler = "pct";
  o.max_executions = 1000;
  const explore_result r = explore_program(p, o);
  EXPECT_EQ(r.result, verdict::deadlock);
  EXPECT_NE(r.guarantee.find("1/(n k^(d-1))"), std::string::npos) << r.guarantee;
  EXPECT_DOUBLE_EQ(pct_scheduler::probability(2, 10, 3), 1.0 / 200);
}

}  // namespace
}  // namespace oncecheck::explore::testing
