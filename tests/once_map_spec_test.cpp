// The once-map specification and its history checker on hand-written
// histories: ones every correct design may give (must pass), and the
// characteristic history of each seeded flaw and of each bug class of
// issue 18 (must fail, with the verdict it names).
//
// Timestamps are written by hand: [call, ret] of each call, in the order the
// calls really ran; overlapping intervals are concurrent calls.
#include <gtest/gtest.h>

#include "scenarios/spec/linearizability.hpp"

namespace oncecheck::spec {
namespace {

class history {
 public:
  history& reg(int t, key_t k, std::uint64_t c, std::uint64_t r, bool leads) {
    add(t, op_kind::register_key, k, c, r).flag = leads;
    return *this;
  }
  history& done(int t, key_t k, value_t v, std::uint64_t c, std::uint64_t r) {
    add(t, op_kind::done, k, c, r).arg_value = v;
    return *this;
  }
  history& fail(int t, key_t k, wait_error e, std::uint64_t c, std::uint64_t r) {
    add(t, op_kind::fail, k, c, r).arg_error = e;
    return *this;
  }
  history& get(int t, key_t k, std::uint64_t c, std::uint64_t r, std::optional<value_t> v) {
    recorded_op& o = add(t, op_kind::get, k, c, r);
    o.has_value = v.has_value();
    o.value = v.value_or(0);
    return *this;
  }
  history& wait(int t, key_t k, std::uint64_t c, std::uint64_t r, outcome<value_t> out) {
    return waited(op_kind::wait, t, k, c, r, out);
  }
  history& wait_for(int t, key_t k, std::uint64_t c, std::uint64_t r, outcome<value_t> out) {
    return waited(op_kind::wait_for, t, k, c, r, out);
  }
  history& close(int t, std::uint64_t c, std::uint64_t r) {
    add(t, op_kind::close, 0, c, r);
    return *this;
  }
  history& destroy(int t, std::uint64_t c, std::uint64_t r) {
    add(t, op_kind::destroy, 0, c, r);
    return *this;
  }
  // A waiter still blocked when the run ended (a hang): no result.
  history& blocked(int t, key_t k, std::uint64_t c) {
    recorded_op& o = add(t, op_kind::wait, k, c, never);
    o.returned = false;
    return *this;
  }

  check_result check(bool weak_reads = false) const { return check_history(ops_, weak_reads); }
  std::string verdict() const { return std::string(to_string(check().result)); }

 private:
  recorded_op& add(int t, op_kind kind, key_t k, std::uint64_t c, std::uint64_t r) {
    recorded_op o;
    o.thread = t;
    o.kind = kind;
    o.key = k;
    o.call = c;
    o.ret = r;
    o.returned = true;
    ops_.push_back(o);
    return ops_.back();
  }
  history& waited(op_kind kind, int t, key_t k, std::uint64_t c, std::uint64_t r, outcome<value_t> out) {
    recorded_op& o = add(t, kind, k, c, r);
    o.has_value = out.has_value();
    if (out.has_value()) o.value = out.value();
    else o.error = out.error();
    return *this;
  }

  std::vector<recorded_op> ops_;
};

constexpr value_t v1 = 0x10001, v2 = 0x10102, w1 = 0x20001;
constexpr auto lf = wait_error::leader_failed;
constexpr auto closed = wait_error::closed;

// ---- histories every correct design may give -------------------------------

TEST(OnceMapSpec, CoalescedWaitersGetTheOneValue) {
  auto h = history()
               .reg(0, 1, 1, 2, true)
               .wait(1, 1, 3, 9, v1)
               .wait(2, 1, 4, 10, v1)
               .done(0, 1, v1, 5, 6)
               .get(1, 1, 11, 12, v1)
               .reg(2, 1, 13, 14, false);
  EXPECT_TRUE(h.check().ok()) << h.check().message;
}

TEST(OnceMapSpec, AWaitMayLinearizeAnywhereInItsInterval) {
  // The waiter was called before the first round failed and returned after
  // the second round's value: it may have joined the second round.
  auto h = history()
               .reg(0, 1, 1, 2, true)
               .wait(1, 1, 3, 12, v2)
               .fail(0, 1, lf, 4, 5)
               .reg(2, 1, 6, 7, true)
               .done(2, 1, v2, 8, 9);
  EXPECT_TRUE(h.check().ok()) << h.check().message;
  // ... or the first, and get its error.
  auto g = history()
               .reg(0, 1, 1, 2, true)
               .wait(1, 1, 3, 12, lf)
               .fail(0, 1, lf, 4, 5)
               .reg(2, 1, 6, 7, true)
               .done(2, 1, v2, 8, 9);
  EXPECT_TRUE(g.check().ok()) << g.check().message;
}

TEST(OnceMapSpec, AFailedKeyIsLedAgainWithWaitersOfBothRounds) {
  auto h = history()
               .reg(0, 1, 1, 2, true)
               .wait(1, 1, 3, 20, lf)  // joined round 1, woke late
               .fail(0, 1, lf, 4, 5)
               .reg(2, 1, 6, 7, true)
               .wait(0, 1, 8, 15, v2)  // joined round 2
               .done(2, 1, v2, 10, 11)
               .wait(3, 1, 16, 17, v2);
  EXPECT_TRUE(h.check().ok()) << h.check().message;
}

TEST(OnceMapSpec, AFailedKeyMayBeForgotten) {
  // shared_future removes a failed entry: not_registered, as if absent.
  auto h = history().reg(0, 1, 1, 2, true).fail(0, 1, lf, 3, 4).wait(1, 1, 5, 6, wait_error::not_registered);
  EXPECT_TRUE(h.check().ok()) << h.check().message;
}

TEST(OnceMapSpec, CloseIsOnePointPerKey) {
  // sharded_entry closes shard after shard: key 2's shard is still open
  // when key 1's already refuses, inside one close() call.
  auto h = history().close(0, 1, 10).reg(1, 1, 2, 3, false).reg(1, 2, 4, 5, true).wait(2, 2, 11, 12, closed);
  EXPECT_TRUE(h.check().ok()) << h.check().message;
}

TEST(OnceMapSpec, TimedOutWaiterWhileTheMapIsDestroyed) {
  auto h = history().reg(0, 1, 1, 2, true).wait_for(1, 1, 3, 9, wait_error::timed_out).destroy(0, 4, 8);
  EXPECT_TRUE(h.check().ok()) << h.check().message;
  auto woken = history().reg(0, 1, 1, 2, true).wait_for(1, 1, 3, 9, closed).destroy(0, 4, 8);
  EXPECT_TRUE(woken.check().ok()) << woken.check().message;
}

TEST(OnceMapSpec, LeaderFailsWhileSeveralWait) {
  auto h = history()
               .reg(0, 1, 1, 2, true)
               .wait(1, 1, 3, 10, lf)
               .wait(2, 1, 4, 11, lf)
               .wait(3, 1, 5, 12, lf)
               .fail(0, 1, lf, 6, 7);
  EXPECT_TRUE(h.check().ok()) << h.check().message;
}

TEST(OnceMapSpec, AWaiterOfAFailedRoundMayReadALaterError) {
  // Designs keep the last error of a key only.
  auto h = history()
               .reg(0, 1, 1, 2, true)
               .wait(1, 1, 3, 20, wait_error::cancelled)
               .fail(0, 1, lf, 4, 5)
               .reg(2, 1, 6, 7, true)
               .fail(2, 1, wait_error::cancelled, 8, 9);
  EXPECT_TRUE(h.check().ok()) << h.check().message;
}

TEST(OnceMapSpec, AValueStaysThroughClose) {
  auto h = history().reg(0, 1, 1, 2, true).done(0, 1, v1, 3, 4).close(1, 5, 6).get(2, 1, 7, 8, v1).wait(2, 1, 9, 10, v1);
  EXPECT_TRUE(h.check().ok()) << h.check().message;
}

TEST(OnceMapSpec, DoneAfterCloseIsANoOp) {
  auto h = history().reg(0, 1, 1, 2, true).close(1, 3, 4).done(0, 1, v1, 5, 6).get(2, 1, 7, 8, std::nullopt).wait(2, 1, 9, 10, closed);
  EXPECT_TRUE(h.check().ok()) << h.check().message;
}

TEST(OnceMapSpec, ACloseInProgressMayDropTheLeadersDone) {
  // condvar: close() set the map's flag (done is refused) but has not
  // reached the key's entry yet, so a waiter still sees it pending.
  auto h = history()
               .reg(2, 2, 3, 8, true)
               .close(0, 4, 17)
               .done(2, 2, v1, 11, 12)
               .wait_for(2, 2, 13, 16, wait_error::timed_out)
               .get(1, 2, 20, 22, std::nullopt);
  EXPECT_TRUE(h.check().ok()) << h.check().message;
}

TEST(OnceMapSpec, UnderAWeakMemoryModelAReadMayBeStaleButNotOlderThanItsOwnThread) {
  // atomic_wait's lookups are acquire loads: with nothing ordering T1 after
  // T0, T1 may miss T0's published round in a model's interleaving.
  auto stale = history().reg(0, 1, 1, 2, true).done(0, 1, v1, 3, 4).get(1, 1, 5, 6, std::nullopt).wait(1, 1, 7, 8, wait_error::not_registered);
  EXPECT_EQ(stale.verdict(), "not_linearizable");
  EXPECT_TRUE(stale.check(true).ok()) << stale.check(true).message;
  // T1 failed round 1 itself; it may still read the key as failed while T0
  // already leads round 2.
  auto own = history().reg(1, 1, 1, 2, true).fail(1, 1, lf, 3, 8).reg(0, 1, 4, 5, true).done(0, 1, v2, 6, 7).wait(1, 1, 9, 10, lf);
  EXPECT_TRUE(own.check(true).ok()) << own.check(true).message;
  // but not older than what it did itself: its own done, then none
  auto mine = history().reg(0, 1, 1, 2, true).done(0, 1, v1, 3, 4).get(0, 1, 5, 6, std::nullopt);
  EXPECT_EQ(to_string(mine.check(true).result), "not_linearizable");
}

TEST(OnceMapSpec, ARegistrationThatRacedCloseMayEndItsOwnRound) {
  // atomic_wait: T1 pushed its round, T0 saw it pending, close() came, and
  // T1 found the map closed and closed its own round.
  auto h = history().reg(0, 1, 1, 3, false).reg(1, 1, 2, 5, false).close(0, 4, 7).wait(1, 1, 6, 9, closed);
  EXPECT_TRUE(h.check().ok()) << h.check().message;
  // Without a close, nobody may refuse a fresh key.
  auto g = history().reg(0, 1, 1, 3, false).reg(1, 1, 2, 5, false);
  EXPECT_EQ(g.verdict(), "not_linearizable");
}

// ---- the bug classes of issue 18 -------------------------------------------

TEST(OnceMapSpec, AStaleRoundsValueIsCaught) {
  // The leader's done() came after close(): the key never got v1.
  auto h = history().reg(0, 1, 1, 2, true).close(2, 3, 4).done(0, 1, v1, 5, 6).wait(1, 1, 7, 8, v1);
  EXPECT_EQ(h.verdict(), "not_linearizable") << h.check().message;
}

TEST(OnceMapSpec, AnOldRoundsErrorAfterTheKeyCompletedIsCaught) {
  auto h = history()
               .reg(0, 1, 1, 2, true)
               .fail(0, 1, lf, 3, 4)
               .reg(1, 1, 5, 6, true)
               .done(1, 1, v2, 7, 8)
               .wait(2, 1, 9, 10, lf);
  EXPECT_EQ(h.verdict(), "not_linearizable") << h.check().message;
}

TEST(OnceMapSpec, AWaiterGivenTheNextRoundsValueAfterItsRoundFailed) {
  // Called and returned inside round 1, it can only have joined round 1:
  // round 2's value (published later) is a value nobody had yet.
  auto h = history()
               .reg(0, 1, 1, 2, true)
               .wait(1, 1, 3, 4, v2)  // inside round 1: nobody had v2 yet
               .fail(0, 1, lf, 5, 6)
               .reg(2, 1, 7, 8, true)
               .done(2, 1, v2, 9, 10);
  EXPECT_EQ(h.verdict(), "wrong_value") << h.check().message;
}

TEST(OnceMapSpec, ATimedOutWaitAfterTheMapWasDestroyedIsCaught) {
  auto h = history().reg(0, 1, 1, 2, true).destroy(0, 3, 4).wait_for(1, 1, 5, 6, wait_error::timed_out);
  EXPECT_EQ(h.verdict(), "not_linearizable") << h.check().message;
}

TEST(OnceMapSpec, ALeaderAfterCloseReturnedIsCaught) {
  auto h = history().close(0, 1, 2).reg(1, 2, 3, 4, true);
  EXPECT_EQ(h.verdict(), "not_linearizable") << h.check().message;
}

TEST(OnceMapSpec, OneKeysFailureGivenToAnotherKeysWaiterIsCaught) {
  auto h = history()
               .reg(0, 1, 1, 2, true)
               .reg(1, 2, 3, 4, true)
               .wait(2, 2, 5, 10, lf)
               .fail(0, 1, lf, 6, 7)
               .done(1, 2, w1, 8, 9);
  EXPECT_EQ(h.verdict(), "wrong_value") << h.check().message;
}

TEST(OnceMapSpec, AThirdWaiterGivenAnotherKeysValueIsCaught) {
  auto h = history()
               .reg(0, 1, 1, 2, true)
               .reg(0, 2, 3, 4, true)
               .wait(1, 1, 5, 12, v1)
               .wait(2, 1, 6, 13, v1)
               .wait(3, 1, 7, 14, w1)
               .done(0, 2, w1, 8, 9)
               .done(0, 1, v1, 10, 11);
  EXPECT_EQ(h.verdict(), "wrong_value") << h.check().message;
}

TEST(OnceMapSpec, ClosedWithoutACloseIsCaught) {
  auto h = history().reg(0, 1, 1, 2, true).wait(1, 1, 3, 6, closed).fail(0, 1, lf, 4, 5);
  EXPECT_EQ(h.verdict(), "wrong_value") << h.check().message;
}

TEST(OnceMapSpec, TimedOutFromAnUntimedWaitIsCaught) {
  auto h = history().reg(0, 1, 1, 2, true).wait(1, 1, 3, 6, wait_error::timed_out).done(0, 1, v1, 4, 5);
  EXPECT_EQ(h.verdict(), "wrong_value") << h.check().message;
}

TEST(OnceMapSpec, ATimedOutWaitOnACompletedKeyIsCaught) {
  auto h = history().reg(0, 1, 1, 2, true).done(0, 1, v1, 3, 4).wait_for(1, 1, 5, 6, wait_error::timed_out);
  EXPECT_EQ(h.verdict(), "not_linearizable") << h.check().message;
}

// ---- close() racing the other operations (found by random_programs under
// the explorer's dpor; the programs named are their seeds) ------------------

TEST(OnceMapSpec, InsideClosesWindowOneWaitSaysClosedAnotherTimesOut) {
  // Program 345 on condvar and shared_future: the first wait_for found no
  // entry and read the map's flag; the second found the leader's round
  // still pending, as close() had not reached the key yet.
  auto h = history()
               .wait(0, 1, 1, 3, wait_error::not_registered)
               .reg(1, 1, 2, 5, true)
               .wait_for(0, 1, 4, 7, closed)
               .close(1, 6, 10)
               .wait_for(0, 1, 8, 9, wait_error::timed_out)
               .fail(1, 1, lf, 11, 12)
               .close(1, 13, 14);
  EXPECT_TRUE(h.check().ok()) << h.check().message << h.check().explanation;
}

TEST(OnceMapSpec, InsideClosesWindowADoneMayStillPublish) {
  // Program 1779 on atomic_wait: done() checked the flag before close()
  // set it and published after; a waiter told `closed` meanwhile is right,
  // and so is a later waiter given the value.
  auto h = history()
               .reg(0, 1, 1, 4, true)
               .close(1, 2, 19)
               .wait_for(2, 1, 3, 8, closed)
               .wait_for(0, 1, 5, 6, wait_error::timed_out)
               .done(0, 1, v1, 7, 14)
               .get(2, 1, 9, 10, std::nullopt)
               .reg(2, 1, 11, 12, false)
               .wait(2, 1, 13, 21, v1)
               .close(0, 15, 16)
               .reg(0, 1, 17, 18, false)
               .destroy(0, 20, 22);
  EXPECT_TRUE(h.check().ok()) << h.check().message << h.check().explanation;
}

TEST(OnceMapSpec, ATimedOutWaitAfterCloseReturnedIsCaught) {
  // Program 180 on atomic_wait before its fix: a register_key that raced
  // close() pushed a pending node after close() had walked the bucket, and
  // a wait that began after close() returned timed out on it.
  auto h = history().reg(0, 1, 1, 2, true).close(1, 3, 4).wait_for(2, 1, 5, 6, wait_error::timed_out);
  EXPECT_EQ(h.verdict(), "not_linearizable") << h.check().message;
}

TEST(OnceMapSpec, ALeaderAfterARegisterWasRefusedForCloseIsCaught) {
  // Program 161 on condvar before its fix: close() had begun, T0's
  // register_key was refused for it, and then T1's register_key (which had
  // inserted the entry before close() began) claimed the key.
  auto h = history().close(2, 1, 10).reg(0, 1, 2, 3, false).reg(1, 1, 4, 5, true);
  EXPECT_EQ(h.verdict(), "not_linearizable") << h.check().message;
}

// ---- the seeded flaws' characteristic histories ----------------------------

TEST(OnceMapSpec, CheckThenActTwoLeadersAtOnce) {
  // condvar/check_then_act: both requests saw the key vacant.
  auto h = history().reg(0, 1, 1, 4, true).reg(1, 1, 2, 5, true).done(0, 1, v1, 6, 7).done(1, 1, v2, 8, 9);
  const check_result r = h.check();
  EXPECT_EQ(to_string(r.result), "duplicate_compute") << r.message;
  EXPECT_NE(r.message.find("both lead"), std::string::npos) << r.message;
}

TEST(OnceMapSpec, CheckThenActASecondLeaderInsideTheWindow) {
  // The second request decided before the first published, and registered
  // after: no order explains it, and it is two computes of one key.
  auto h = history().reg(1, 1, 1, 2, true).done(1, 1, v2, 3, 6).reg(0, 1, 4, 8, true).done(0, 1, v1, 9, 10);
  const check_result r = h.check();
  EXPECT_EQ(to_string(r.result), "duplicate_compute") << r.message;
  EXPECT_NE(r.message.find("two computes of one key"), std::string::npos) << r.message;
}

TEST(OnceMapSpec, RemoveNewerEntryComputesACompletedKeyAgain) {
  // shared_future/remove_newer_entry: the leader removed its own entry.
  auto h = history().reg(0, 1, 1, 2, true).done(0, 1, v1, 3, 4).reg(0, 1, 5, 6, true).done(0, 1, v2, 7, 8);
  const check_result r = h.check();
  EXPECT_EQ(to_string(r.result), "duplicate_compute") << r.message;
  EXPECT_NE(r.message.find("computed again"), std::string::npos) << r.message;
}

TEST(OnceMapSpec, WakeBeforeWaitLostLeavesTheKeyPending) {
  // intrusive/wake_before_wait_lost: done() with nobody linked stored
  // nothing; get() then finds no value, and a waiter sleeps for good.
  auto h = history().reg(0, 1, 1, 2, true).done(0, 1, v1, 3, 4).get(1, 1, 5, 6, std::nullopt);
  const check_result r = h.check();
  EXPECT_EQ(to_string(r.result), "not_linearizable") << r.message;
  EXPECT_NE(r.message.find("T1 get(k1) -> none"), std::string::npos) << r.message;
}

TEST(OnceMapSpec, HangsAreTheEnginesVerdictNotTheHistorys) {
  // notify_one_unchained, listener_after_check, no_wake_on_drop,
  // entry_held_across_wait, get_while_entry_held: a waiter that never
  // returns. Everything that did return is linearizable; the engine
  // (deadlock, hang) names the flaw. relaxed_publish (a data race) and
  // no_unlink_on_cancel (a use after free) likewise leave lawful histories.
  auto h = history().reg(0, 1, 1, 2, true).wait(1, 1, 3, 6, v1).blocked(2, 1, 4).done(0, 1, v1, 5, 7);
  EXPECT_TRUE(h.check().ok()) << h.check().message;
}

// Tasks are history processes of their own (first_task_process + n), and a
// task cancelled while parked leaves a wait that never returned: a call with
// no effect, whatever came after it.
TEST(OnceMapSpec, ATaskCancelledWhileParkedLeavesACallWithNoEffect) {
  constexpr int a0 = first_task_process, a1 = first_task_process + 1;
  auto h = history()
               .reg(0, 1, 1, 2, true)
               .blocked(a0, 1, 3)  // parked, then cancelled: destroyed before it could return
               .wait(a1, 1, 4, 9, lf)
               .fail(0, 1, lf, 5, 6)
               .reg(1, 1, 7, 8, true)
               .done(1, 1, v2, 10, 11)
               .get(0, 1, 12, 13, v2);
  EXPECT_TRUE(h.check().ok()) << h.check().message;
  recorded_op pending;
  pending.thread = a0;
  pending.kind = op_kind::wait;
  pending.key = 1;
  EXPECT_EQ(describe(pending), "a0 wait(k1) -> (never returned)");
}

TEST(OnceMapSpec, ATaskGivenTheValueOfARoundAfterItsOwnFailedIsCaught) {
  // the task parked on round 1 and returned before round 2 began: round 2's
  // value cannot be its own (a wait still open when round 2 ran could have
  // joined it: a wait has no effect and linearizes anywhere in its interval)
  constexpr int a0 = first_task_process;
  auto h = history()
               .reg(0, 1, 1, 2, true)
               .wait(a0, 1, 3, 6, v2)
               .fail(0, 1, lf, 4, 5)
               .reg(1, 1, 6, 7, true)
               .done(1, 1, v2, 8, 9)
               .get(0, 1, 10, 11, v2);
  EXPECT_FALSE(h.check().ok());
}

TEST(OnceMapSpec, NotLinearizableNamesTheCallsThatCannotBeOrdered) {
  auto h = history().reg(0, 1, 1, 2, true).done(0, 1, v1, 3, 4).get(1, 1, 5, 6, std::nullopt);
  const check_result r = h.check();
  EXPECT_NE(r.explanation.find("T0 done(k1, 10001)"), std::string::npos) << r.explanation;
  EXPECT_NE(r.explanation.find("T1 get(k1) -> none"), std::string::npos) << r.explanation;
}

}  // namespace
}  // namespace oncecheck::spec
