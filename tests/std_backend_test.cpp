// Unit tests of std_backend and plain_cell: the real-thread side of the sync
// backend contract (impls/sync/std_backend.hpp) that every design relies on.
//
// Nothing here asserts speed. Deadlines exist only so that a broken backend
// fails a test instead of hanging it: a helper thread that does not return
// in time is reported, then released so that it can still be joined.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <source_location>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include "impls/sync/failure.hpp"
#include "impls/sync/plain_cell.hpp"
#include "impls/sync/std_backend.hpp"

namespace oncecheck::sync {
namespace {

using namespace std::chrono_literals;
using Sync = std_backend;

// Generous: only a hang should ever get near it.
constexpr auto kHangTimeout = 30s;

// The backend shape the designs rely on, checked at compile time so that a
// renamed type breaks this file rather than the designs' instantiations.
static_assert(std::is_same_v<Sync::atomic<int>, std::atomic<int>>);
static_assert(std::is_same_v<Sync::cell<int>, plain_cell<int>>);
static_assert(std::is_same_v<Sync::unique_lock::mutex_type, Sync::mutex>);
static_assert(std::is_same_v<Sync::write_lock::mutex_type, Sync::shared_mutex>);
static_assert(std::is_same_v<Sync::read_lock::mutex_type, Sync::shared_mutex>);
static_assert(Sync::name == "std");

TEST(PlainCell, ForwardsConstructorArgumentsAndExposesTheValue) {
  plain_cell<std::string> c(3, 'x');
  EXPECT_EQ(c.get(), "xxx");
  c.mut() += "y";
  EXPECT_EQ(c.get(), "xxxy");
  // get() and mut() are views of one object, not copies: a design keeps
  // references to the slot it guards.
  EXPECT_EQ(&c.get(), &c.mut());
  const plain_cell<std::string>& cref = c;
  EXPECT_EQ(&cref.get(), &c.mut());
}

TEST(PlainCell, DefaultConstructsItsValue) {
  plain_cell<std::vector<int>> c;
  EXPECT_TRUE(c.get().empty());
  c.mut().push_back(7);
  ASSERT_EQ(c.get().size(), 1u);
  EXPECT_EQ(c.get()[0], 7);
}

TEST(StdBackend, ConditionVariableTimesOutWhenNobodyNotifies) {
  Sync::mutex m;
  Sync::condition_variable cv;
  Sync::unique_lock lock(m);
  const auto deadline = Sync::clock::now() + 20ms;
  // A spurious wake-up may return `woken` before the deadline; the contract
  // only promises `timed_out` once the deadline has passed.
  wait_status status = wait_status::woken;
  for (int attempts = 0; attempts < 1000 && status == wait_status::woken; ++attempts)
    status = cv.wait_until(lock, deadline);
  EXPECT_EQ(status, wait_status::timed_out);
  EXPECT_GE(Sync::clock::now(), deadline);
  EXPECT_TRUE(lock.owns_lock()) << "wait_until must return with the lock held again";
}

TEST(StdBackend, ConditionVariableWaitUntilReportsWokenWhenNotified) {
  Sync::mutex m;
  Sync::condition_variable cv;
  bool asleep = false;  // guarded by m
  bool ready = false;   // guarded by m
  std::promise<wait_status> last_status;
  auto result = last_status.get_future();

  std::thread waiter([&] {
    Sync::unique_lock lock(m);
    asleep = true;
    const auto deadline = Sync::clock::now() + kHangTimeout;
    wait_status status = wait_status::woken;
    do status = cv.wait_until(lock, deadline);
    while (!ready && status == wait_status::woken);
    last_status.set_value(status);
  });
  // The waiter drops m only inside wait_until, so once m shows `asleep` the
  // notify below reaches a sleeping waiter, not one that has yet to wait.
  for (const auto until = Sync::clock::now() + kHangTimeout; Sync::clock::now() < until;) {
    Sync::unique_lock lock(m);
    if (asleep) {
      ready = true;
      break;
    }
    lock.unlock();
    Sync::yield();
  }
  cv.notify_one();

  const bool returned = result.wait_for(kHangTimeout + 5s) == std::future_status::ready;
  waiter.join();  // returns by its deadline at worst
  ASSERT_TRUE(returned);
  EXPECT_EQ(result.get(), wait_status::woken);
}

TEST(StdBackend, ConditionVariableNotifyAllWakesEveryWaiter) {
  constexpr int kWaiters = 4;
  Sync::mutex m;
  Sync::condition_variable cv;
  bool go = false;   // guarded by m
  int asleep = 0;    // guarded by m
  std::atomic<int> woke{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < kWaiters; ++i)
    waiters.emplace_back([&] {
      Sync::unique_lock lock(m);
      ++asleep;
      while (!go) cv.wait(lock);
      woke.fetch_add(1);
    });
  // Every waiter must be asleep before the notify, or the test would not be
  // about notify_all waking sleepers.
  for (const auto until = Sync::clock::now() + kHangTimeout; Sync::clock::now() < until;) {
    Sync::unique_lock lock(m);
    if (asleep == kWaiters) break;
    lock.unlock();
    Sync::yield();
  }
  {
    Sync::unique_lock lock(m);
    EXPECT_EQ(asleep, kWaiters);
    go = true;
  }
  cv.notify_all();
  for (auto& t : waiters) t.join();
  EXPECT_EQ(woke.load(), kWaiters);
}

TEST(StdBackend, UniqueLockExcludesAndReleases) {
  Sync::mutex m;
  {
    Sync::unique_lock lock(m);
    EXPECT_TRUE(lock.owns_lock());
    std::thread other([&] { EXPECT_FALSE(m.try_lock()); });
    other.join();
    lock.unlock();
    EXPECT_FALSE(lock.owns_lock());
    lock.lock();
    EXPECT_TRUE(lock.owns_lock());
  }
  EXPECT_TRUE(m.try_lock()) << "the guard must unlock on scope exit";
  m.unlock();
}

TEST(StdBackend, ReadLocksShareAndWriteLockExcludes) {
  Sync::shared_mutex m;
  {
    Sync::read_lock r1(m);
    EXPECT_TRUE(r1.owns_lock());
    // A second reader on another thread gets in while the first holds on.
    std::thread reader([&] {
      Sync::read_lock r2(m, std::try_to_lock);
      EXPECT_TRUE(r2.owns_lock());
      Sync::write_lock w(m, std::try_to_lock);
      EXPECT_FALSE(w.owns_lock()) << "a writer must not get in beside readers";
    });
    reader.join();
  }
  {
    Sync::write_lock w(m);
    EXPECT_TRUE(w.owns_lock());
    std::thread other([&] {
      Sync::read_lock r(m, std::try_to_lock);
      EXPECT_FALSE(r.owns_lock()) << "a reader must not get in beside a writer";
      Sync::write_lock w2(m, std::try_to_lock);
      EXPECT_FALSE(w2.owns_lock());
    });
    other.join();
  }
  Sync::write_lock again(m, std::try_to_lock);
  EXPECT_TRUE(again.owns_lock()) << "both guards must unlock on scope exit";
}

TEST(StdBackend, WriteLockProtectsACellAgainstReaders) {
  // The pattern the designs use: a cell guarded by a shared_mutex, written
  // under write_lock and read under read_lock. TSan builds check it.
  Sync::shared_mutex m;
  Sync::cell<long> total{0L};
  constexpr int kWriters = 2, kReaders = 2, kRounds = 2000;
  std::vector<std::thread> threads;
  for (int i = 0; i < kWriters; ++i)
    threads.emplace_back([&] {
      for (int r = 0; r < kRounds; ++r) {
        Sync::write_lock w(m);
        ++total.mut();
      }
    });
  for (int i = 0; i < kReaders; ++i)
    threads.emplace_back([&] {
      long last = 0;
      for (int r = 0; r < kRounds; ++r) {
        Sync::read_lock rl(m);
        const long now = total.get();
        EXPECT_GE(now, last) << "a counter only grows";
        last = now;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(total.get(), long(kWriters) * kRounds);
}

TEST(StdBackend, AtomicWaitReturnsOnceTheValueChangesAndIsNotified) {
  Sync::atomic<int> flag{0};
  std::atomic<bool> returned{false};
  std::thread waiter([&] {
    flag.wait(0, std::memory_order_acquire);
    returned.store(true);
  });
  flag.store(1, std::memory_order_release);
  flag.notify_one();

  bool ok = false;
  for (const auto until = Sync::clock::now() + kHangTimeout; !ok && Sync::clock::now() < until;) {
    ok = returned.load();
    if (!ok) std::this_thread::sleep_for(1ms);
  }
  EXPECT_TRUE(ok) << "wait(0) did not return after store(1) + notify_one";
  waiter.join();
}

TEST(StdBackend, AtomicWaitOnADifferentValueReturnsAtOnce) {
  Sync::atomic<int> flag{5};
  flag.wait(4);  // the value is not 4: no notify is needed
  EXPECT_EQ(flag.load(), 5);
}

TEST(StdBackend, AtomicNotifyAllWakesEveryWaiter) {
  constexpr int kWaiters = 4;
  Sync::atomic<int> flag{0};
  std::atomic<int> returned{0};
  std::vector<std::thread> waiters;
  for (int i = 0; i < kWaiters; ++i)
    waiters.emplace_back([&] {
      flag.wait(0);
      returned.fetch_add(1);
    });
  flag.store(1);
  flag.notify_all();
  bool ok = false;
  for (const auto until = Sync::clock::now() + kHangTimeout; !ok && Sync::clock::now() < until;) {
    ok = returned.load() == kWaiters;
    if (!ok) std::this_thread::sleep_for(1ms);
  }
  EXPECT_TRUE(ok) << returned.load() << " of " << kWaiters << " waiters returned";
  for (auto& t : waiters) t.join();
}

TEST(StdBackend, AtomicReadModifyWriteOperations) {
  Sync::atomic<int> a{1};
  EXPECT_EQ(a.exchange(2), 1);
  int expected = 3;
  EXPECT_FALSE(a.compare_exchange_strong(expected, 4));
  EXPECT_EQ(expected, 2);
  EXPECT_TRUE(a.compare_exchange_strong(expected, 4, std::memory_order_acq_rel));
  EXPECT_EQ(a.fetch_add(3), 4);
  EXPECT_EQ(a.fetch_sub(2), 7);
  EXPECT_EQ(a.load(std::memory_order_relaxed), 5);
}

TEST(StdBackend, AllocateDeallocateYieldBusyForAndNoteAreUsable) {
  void* p = Sync::allocate(64);
  ASSERT_NE(p, nullptr);
  static_cast<unsigned char*>(p)[63] = 0xAB;  // the whole block is usable
  Sync::deallocate(p);
  Sync::yield();
  Sync::busy_for(0ns);
  Sync::busy_for(1us);
  Sync::note("register", 1, "-> leader");
  Sync::note("register", std::string("key"));
}

// A large block is aligned to the huge-page size, so a machine whose
// transparent huge pages are `always` can put it on whole huge pages; a
// small one is allocate()'s. Both are usable to their last byte
// and go back through deallocate_large with their size.
TEST(StdBackend, AllocateLargeAlignsBlocksOfAHugePageAndMore) {
  constexpr std::size_t huge = Sync::huge_page_bytes;
  for (const std::size_t bytes : {std::size_t(64), huge - 1, huge, 3 * huge + 16}) {
    void* p = Sync::allocate_large(bytes);
    ASSERT_NE(p, nullptr) << bytes;
    if (bytes >= huge) EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % huge, 0u) << bytes;
    static_cast<unsigned char*>(p)[0] = 1;
    static_cast<unsigned char*>(p)[bytes - 1] = 2;
    Sync::deallocate_large(p, bytes);
  }
}

// The hook is a plain function pointer, so what it saw goes to statics.
struct seen_failure {
  int calls = 0;
  std::string kind, message;
  unsigned line = 0;
};
seen_failure& seen() {
  static seen_failure s;
  return s;
}
void recording_handler(verdict kind, std::string_view message, const std::source_location& where) {
  ++seen().calls;
  seen().kind = std::string(to_string(kind));
  seen().message = std::string(message);
  seen().line = unsigned(where.line());
}

// Installs the handler and puts back whatever was there before, even when an
// assertion ends the test early: other tests in this binary must find the
// hook as they left it.
class HookGuard {
 public:
  explicit HookGuard(failure_handler h)
      : previous_(failure_hook().exchange(h, std::memory_order_acq_rel)) {}
  ~HookGuard() { failure_hook().store(previous_, std::memory_order_release); }
  HookGuard(const HookGuard&) = delete;
  HookGuard& operator=(const HookGuard&) = delete;

 private:
  failure_handler previous_;
};

TEST(StdBackend, FailCallsTheInstalledHookAndReturns) {
  const failure_handler before = failure_hook().load();
  seen() = {};
  {
    HookGuard guard(&recording_handler);
    const unsigned line = std::source_location::current().line() + 1;
    Sync::fail(verdict::duplicate_compute, "key 1 computed 2 times");
    EXPECT_EQ(seen().calls, 1);
    EXPECT_EQ(seen().kind, "duplicate_compute");
    EXPECT_EQ(seen().message, "key 1 computed 2 times");
    EXPECT_EQ(seen().line, line) << "the location must be the caller's, not the backend's";

    report_failure(verdict::wrong_value, "thread 2 got 4", std::source_location::current());
    EXPECT_EQ(seen().calls, 2);
    EXPECT_EQ(seen().kind, "wrong_value");
  }
  EXPECT_EQ(failure_hook().load(), before) << "the hook must be restored";
}

TEST(StdBackendDeathTest, FailWithoutAHookAborts) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  HookGuard none(nullptr);
  EXPECT_DEATH(Sync::fail(verdict::assert_failed, "no handler installed"), "oncecheck: assert: no handler installed");
}

}  // namespace
}  // namespace oncecheck::sync
