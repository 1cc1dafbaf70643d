// notify_map (a mutex map of key -> value | shared notify, tokio's listener
// protocol) and the notify primitive it shares with sharded_entry_map, on real
// threads, std_backend.
//
// No test depends on timing: a test that needs waiters to be blocked spins on
// waiting() until they are, and a timeout is only asked of a wait nobody will
// ever complete.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <thread>
#include <vector>

#include "impls/notify.hpp"
#include "impls/notify_map.hpp"

namespace oncecheck {
namespace {

using map_t = notify_map<std::uint64_t, std::uint64_t>;
static_assert(require_once_map<map_t>());

constexpr std::uint64_t key = 7;
constexpr std::uint64_t value = 2 * key + 1;

void await_waiters(const map_t& m, std::uint64_t k, std::size_t n) {
  while (m.waiting(k) < n) std::this_thread::yield();
}

// Starts n threads that each wait() on k and store what they got.
struct waiters {
  waiters(map_t& m, std::uint64_t k, int n) : results(std::size_t(n), wait_error::not_registered) {
    for (int i = 0; i < n; ++i) threads.emplace_back([&m, k, i, this] { results[std::size_t(i)] = m.wait(k); });
  }
  void join() {
    for (auto& t : threads) t.join();
    threads.clear();
  }
  ~waiters() {
    for (auto& t : threads)
      if (t.joinable()) t.join();
  }
  std::vector<outcome<std::uint64_t>> results;
  std::vector<std::thread> threads;
};

TEST(NotifyMap, ValueDeliveredOnceToAllCallers) {
  constexpr int n = 8;
  map_t m;
  std::atomic<int> computes{0};
  std::vector<outcome<std::uint64_t>> results(n, wait_error::not_registered);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i)
    threads.emplace_back([&, i] {
      results[std::size_t(i)] = get_or_compute(m, key, [&] {
        computes.fetch_add(1);
        // Nobody else can get the value before we return it, so every other
        // caller ends up blocked in wait(): hold the compute until they are.
        await_waiters(m, key, n - 1);
        return value;
      });
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(computes.load(), 1);
  for (const auto& r : results) {
    ASSERT_TRUE(r.has_value());
    EXPECT_EQ(r.value(), value);
  }
  EXPECT_EQ(m.get(key), value);
  EXPECT_EQ(m.waiting(key), 0u);
  EXPECT_FALSE(m.register_key(key)) << "a filled key has no new leader";
}

TEST(NotifyMap, ManyKeysManyRounds) {
  constexpr int n = 4, keys = 64;
  map_t m;
  std::vector<std::atomic<int>> computes(keys);
  std::vector<std::thread> threads;
  std::atomic<bool> bad{false};
  for (int i = 0; i < n; ++i)
    threads.emplace_back([&] {
      for (std::uint64_t k = 0; k < keys; ++k) {
        auto r = get_or_compute(m, k, [&] {
          computes[k].fetch_add(1);
          return 2 * k + 1;
        });
        if (!r || r.value() != 2 * k + 1) bad = true;
      }
    });
  for (auto& t : threads) t.join();
  EXPECT_FALSE(bad.load());
  for (auto& c : computes) EXPECT_EQ(c.load(), 1);
}

TEST(NotifyMap, FailDeliversTheErrorAndFreesTheKey) {
  map_t m;
  ASSERT_TRUE(m.register_key(key));
  waiters w(m, key, 3);
  await_waiters(m, key, 3);
  m.fail(key, wait_error::leader_failed);
  w.join();
  for (const auto& r : w.results) EXPECT_EQ(r, outcome<std::uint64_t>(wait_error::leader_failed));
  EXPECT_EQ(m.get(key), std::nullopt);

  // A failed key may be led again, and this round's waiters see its value.
  ASSERT_TRUE(m.register_key(key));
  EXPECT_FALSE(m.register_key(key));
  waiters w2(m, key, 2);
  await_waiters(m, key, 2);
  m.done(key, value);
  w2.join();
  for (const auto& r : w2.results) EXPECT_EQ(r, outcome<std::uint64_t>(value));
}

TEST(NotifyMap, FailCarriesTheGivenError) {
  map_t m;
  ASSERT_TRUE(m.register_key(key));
  waiters w(m, key, 2);
  await_waiters(m, key, 2);
  m.fail(key, wait_error::cancelled);
  w.join();
  for (const auto& r : w.results) EXPECT_EQ(r, outcome<std::uint64_t>(wait_error::cancelled));
}

TEST(NotifyMap, DroppedLeaderHandleFailsTheKey) {
  map_t m;
  {
    auto lead = try_lead(m, key);
    ASSERT_TRUE(lead);
    waiters w(m, key, 2);
    await_waiters(m, key, 2);
    lead.reset();  // neither completed nor failed: the handle fails the key
    w.join();
    for (const auto& r : w.results) EXPECT_EQ(r, outcome<std::uint64_t>(wait_error::leader_failed));
  }
  // The same through get_or_compute: the compute throws.
  std::atomic<bool> computing{false}, threw{false};
  std::thread leader([&] {
    try {
      (void)get_or_compute(m, key, [&]() -> std::uint64_t {
        computing = true;
        await_waiters(m, key, 2);
        throw std::runtime_error("compute failed");
      });
    } catch (const std::runtime_error&) {
      threw = true;
    }
  });
  while (!computing) std::this_thread::yield();  // registered: the waiters below wait on its round
  waiters w(m, key, 2);
  leader.join();
  w.join();
  for (const auto& r : w.results) EXPECT_EQ(r, outcome<std::uint64_t>(wait_error::leader_failed));
  EXPECT_TRUE(threw.load());
  EXPECT_TRUE(m.register_key(key));
}

TEST(NotifyMap, CloseWakesEveryBlockedWaiter) {
  map_t m;
  ASSERT_TRUE(m.register_key(key));
  ASSERT_TRUE(m.register_key(key + 1));
  waiters a(m, key, 3), b(m, key + 1, 2);
  await_waiters(m, key, 3);
  await_waiters(m, key + 1, 2);
  m.close();
  a.join();
  b.join();
  for (const auto& r : a.results) EXPECT_EQ(r, outcome<std::uint64_t>(wait_error::closed));
  for (const auto& r : b.results) EXPECT_EQ(r, outcome<std::uint64_t>(wait_error::closed));
  EXPECT_EQ(m.wait(key), outcome<std::uint64_t>(wait_error::closed));
  EXPECT_EQ(m.wait(key + 2), outcome<std::uint64_t>(wait_error::closed));
  EXPECT_FALSE(m.register_key(key + 3));
}

TEST(NotifyMap, DestroyingTheMapReturnsClosedToBlockedWaiters) {
  auto m = std::make_unique<map_t>();
  ASSERT_TRUE(m->register_key(key));
  std::vector<outcome<std::uint64_t>> results(4, wait_error::not_registered);
  std::vector<std::thread> threads;
  map_t* raw = m.get();
  for (std::size_t i = 0; i < results.size(); ++i) threads.emplace_back([&, i] { results[i] = raw->wait(key); });
  await_waiters(*m, key, results.size());
  m.reset();
  for (auto& t : threads) t.join();
  for (const auto& r : results) EXPECT_EQ(r, outcome<std::uint64_t>(wait_error::closed));
}

TEST(NotifyMap, WaitForTimesOutAndLeavesNothingBehind) {
  map_t m;
  ASSERT_TRUE(m.register_key(key));
  EXPECT_EQ(m.wait_for(key, std::chrono::milliseconds(1)), outcome<std::uint64_t>(wait_error::timed_out));
  EXPECT_EQ(m.wait_for(key, std::chrono::nanoseconds(0)), outcome<std::uint64_t>(wait_error::timed_out));
  EXPECT_EQ(m.waiting(key), 0u);
  m.done(key, value);
  EXPECT_EQ(m.wait_for(key, std::chrono::milliseconds(1)), outcome<std::uint64_t>(value));
  EXPECT_EQ(m.wait(key), outcome<std::uint64_t>(value));
}

TEST(NotifyMap, GetNeverBlocks) {
  map_t m;
  EXPECT_EQ(m.get(key), std::nullopt);
  ASSERT_TRUE(m.register_key(key));
  waiters w(m, key, 2);
  await_waiters(m, key, 2);
  // From another thread too, while the key is in flight and has blocked waiters.
  std::optional<std::uint64_t> seen = 42;
  std::thread([&] { seen = m.get(key); }).join();
  EXPECT_EQ(seen, std::nullopt);
  m.done(key, value);
  w.join();
  EXPECT_EQ(m.get(key), value);
}

TEST(NotifyMap, WaitingCountsBlockedCallers) {
  map_t m;
  EXPECT_EQ(m.waiting(key), 0u);
  ASSERT_TRUE(m.register_key(key));
  EXPECT_EQ(m.waiting(key), 0u);
  waiters w(m, key, 3);
  await_waiters(m, key, 3);
  EXPECT_EQ(m.waiting(key), 3u);
  EXPECT_EQ(m.waiting(key + 1), 0u);
  m.done(key, value);
  w.join();
  EXPECT_EQ(m.waiting(key), 0u);
}

TEST(NotifyMap, UnregisteredKeyIsNotWaitedFor) {
  map_t m;
  EXPECT_EQ(m.wait(key), outcome<std::uint64_t>(wait_error::not_registered));
  m.done(key, value);  // a done without a register publishes
  EXPECT_EQ(m.get(key), value);
}

TEST(NotifyMap, ASlowKeyDoesNotHoldUpAnother) {
  map_t m;
  ASSERT_TRUE(m.register_key(key));  // never completed before the other keys are
  waiters w(m, key, 1);
  await_waiters(m, key, 1);
  for (std::uint64_t k = 100; k < 110; ++k)
    EXPECT_EQ(get_or_compute(m, k, [k] { return 2 * k + 1; }), outcome<std::uint64_t>(2 * k + 1));
  m.done(key, value);
  w.join();
  EXPECT_EQ(w.results[0], outcome<std::uint64_t>(value));
}

// The completion races the waiters' check-then-listen on every round: a lost
// wake-up would hang this test (the listener_after_check window).
TEST(NotifyMap, CompletionRacingTheWaitersIsNeverLost) {
  constexpr int rounds = 1000, n = 3;
  for (int round = 0; round < rounds; ++round) {
    map_t m;
    ASSERT_TRUE(m.register_key(key));
    std::atomic<int> arrived{0};
    std::vector<outcome<std::uint64_t>> results(n, wait_error::not_registered);
    std::vector<std::thread> threads;
    for (int i = 0; i < n; ++i)
      threads.emplace_back([&, i] {
        arrived.fetch_add(1);
        results[std::size_t(i)] = m.wait(key);
      });
    while (arrived.load() < n) std::this_thread::yield();
    m.done(key, value);
    for (auto& t : threads) t.join();
    for (const auto& r : results) ASSERT_EQ(r, outcome<std::uint64_t>(value));
  }
}

using notify_t = notify<>;

TEST(Notify, WakesEveryListenerEnabledBeforeIt) {
  notify_t nt;
  constexpr int n = 3;
  std::vector<notify_t::listener> ls;
  for (int i = 0; i < n; ++i) ls.push_back(nt.enable());
  std::vector<notify_t::wake> got(n, notify_t::wake::timed_out);
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) threads.emplace_back([&, i] { got[std::size_t(i)] = nt.wait(ls[std::size_t(i)]); });
  while (nt.waiting() < n) std::this_thread::yield();
  nt.notify_waiters();
  for (auto& t : threads) t.join();
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
  std::thread t([&] { EXPECT_EQ(nt.wait(before), notify_t::wake::closed); });
  while (nt.waiting() < 1) std::this_thread::yield();
  nt.close();
  t.join();
  EXPECT_EQ(nt.wait(nt.enable()), notify_t::wake::closed);
}

}  // namespace
}  // namespace oncecheck
