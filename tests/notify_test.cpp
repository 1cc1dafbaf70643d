// The notify primitive (impls/notify.hpp) that notify_map and
// sharded_entry_map share, on real threads, std_backend. notify_map itself is
// checked against the once-map contract in once_map_contract_test.cpp.
//
// No test depends on timing: a test that needs listeners blocked spins on
// waiting() until they are, and every thread that may block runs in a crew
// (tests/test_support.hpp), so a lost wake-up fails instead of hanging.
#include "impls/notify.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <vector>

#include "tests/test_support.hpp"

namespace oncecheck {
namespace {

using test_support::crew;
using test_support::eventually;
using notify_t = notify<>;

TEST(Notify, WakesEveryListenerEnabledBeforeIt) {
  constexpr int n = 3;
  notify_t nt;
  std::vector<notify_t::listener> ls;
  for (int i = 0; i < n; ++i) ls.push_back(nt.enable());
  std::vector<notify_t::wake> got(n, notify_t::wake::timed_out);
  {
    crew c([&] { nt.close(); });
    for (int i = 0; i < n; ++i) c.spawn([&, i] { got[std::size_t(i)] = nt.wait(ls[std::size_t(i)]); });
    EXPECT_TRUE(eventually([&] { return nt.waiting() == n; }));
    nt.notify_waiters();
    EXPECT_TRUE(c.join());
  }
  for (auto w : got) EXPECT_EQ(w, notify_t::wake::notified);
  EXPECT_EQ(nt.waiting(), 0u);
}

TEST(Notify, EnabledButNotYetWaitingStillSeesTheNotification) {
  notify_t nt;
  const auto l = nt.enable();
  nt.notify_waiters();
  EXPECT_EQ(nt.wait(l), notify_t::wake::notified);
}

TEST(Notify, StoresNoPermitForLaterListeners) {
  notify_t nt;
  nt.notify_waiters();
  const auto l = nt.enable();  // after the notification: waits for the next one
  EXPECT_EQ(nt.wait_until(l, std::chrono::steady_clock::now()), notify_t::wake::timed_out);
  EXPECT_EQ(nt.waiting(), 0u);
  nt.notify_waiters();
  EXPECT_EQ(nt.wait(l), notify_t::wake::notified);
}

TEST(Notify, CloseWakesPresentAndFutureListeners) {
  notify_t nt;
  const auto before = nt.enable();
  notify_t::wake got = notify_t::wake::timed_out;
  {
    // If close() does not wake it, a notification still can (and the
    // listener then reports `notified`, which fails below).
    crew c([&] { nt.notify_waiters(); });
    c.spawn([&] { got = nt.wait(before); });
    EXPECT_TRUE(eventually([&] { return nt.waiting() == 1; }));
    nt.close();
    EXPECT_TRUE(c.join());
  }
  EXPECT_EQ(got, notify_t::wake::closed);
  EXPECT_EQ(nt.wait(nt.enable()), notify_t::wake::closed);
}

// wait() spins before it sleeps: a notification may land during the spin
// (even rounds: sent as soon as the listener is enabled) or after the waiter
// went to sleep (odd rounds: sent once waiting() counts it). Either way it
// is delivered once, and none is lost.
TEST(Notify, NoRoundLostWhetherTheWaiterSpinsOrSleeps) {
  constexpr int rounds = 2000;
  notify_t nt;
  std::atomic<int> enabled{-1};  // the round whose listener is enabled
  int woken = 0;
  {
    crew c([&] { nt.close(); });
    c.spawn([&] {
      for (int r = 0; r < rounds; ++r) {
        const auto l = nt.enable();
        enabled.store(r);
        if (nt.wait(l) != notify_t::wake::notified) return;
        ++woken;
      }
    });
    for (int r = 0; r < rounds; ++r) {
      ASSERT_TRUE(eventually([&] { return enabled.load() == r; })) << "round " << r;
      if (r % 2 == 1) {
        ASSERT_TRUE(eventually([&] { return nt.waiting() == 1; })) << "round " << r;
      }
      nt.notify_waiters();
    }
    EXPECT_TRUE(c.join());
  }
  EXPECT_EQ(woken, rounds);
}

}  // namespace
}  // namespace oncecheck
