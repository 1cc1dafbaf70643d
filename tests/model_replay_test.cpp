// Pinned replays of the known flaws (shuttle's demo-test idea): each flaw of
// a design must be found by the model checker, and the state Relacy gives
// for the failure must replay to the same verdict with a trace that points
// into the design. The correct design must pass the same scenarios, and the
// context-bound search of it must run to its end.
//
// These go through model::run_cell, the same entry point the check-models
// runner uses, so a change there that breaks finding, naming or replaying a
// failure fails here.
#include <gtest/gtest.h>

#include <optional>
#include <string>

#include "harness/cell_result.hpp"
#include "harness/registry.hpp"
#include "impls/sync/verdict.hpp"
#include "models/trace.hpp"
#include "scenarios/coalesce.hpp"
#include "scenarios/drop_with_waiters.hpp"

// Last: Relacy #defines pthread and semaphore names that break any header
// included after it (see the top of impls/sync/relacy_backend.hpp).
#include "models/model_run.hpp"

// Relacy replaces the global operator new/delete with *inline* functions,
// and not the sized delete std::allocator calls. libstdc++'s sized delete
// then calls operator delete(void*) through the dynamic symbol, which is
// Relacy's only if this program emits an out-of-line copy; when the
// optimizer inlines every call (seen at -O1) none is emitted, and a
// std::deque node Relacy allocated reaches glibc's free(): "free(): invalid
// pointer". The CMake build also passes -fno-sized-deallocation; taking the
// addresses keeps the copies so that a plain `g++` build of this file works
// too.
[[gnu::used]] static void (*const keep_relacy_delete)(void*) noexcept = &::operator delete;
[[gnu::used]] static void (*const keep_relacy_delete_array)(void*) noexcept = &::operator delete[];

namespace oncecheck {
namespace {

using correct = variant<condvar_map, flaw::none>;
using unchained = variant<condvar_map, flaw::notify_one_unchained>;
using check_then_act = variant<condvar_map, flaw::check_then_act>;

// gtest prints enums as numbers; the verdict's name is what a reader wants.
std::string name(verdict v) { return std::string(to_string(v)); }

// The budget the brief of each flaw was written against: plenty of random
// schedules for a three-thread scenario, and a time limit only a hang of the
// checker itself would reach.
constexpr model::budget kFindBudget{20000, 30, 1, false};

// Finds the flaw, then replays it from the state the first run gave.
template <class Variant, template <class, class> class Scenario>
void expect_found_and_replayed(verdict expected) {
  const cell_result found = model::run_cell<Variant, Scenario>(model::scheduler::random, kFindBudget, std::nullopt);
  ASSERT_EQ(name(found.result), name(expected)) << found.name() << ": " << found.reason;
  ASSERT_FALSE(found.replay_state.empty()) << "a failure must come with the state that reproduces it";
  EXPECT_TRUE(found.first_failure_iteration.has_value());
  EXPECT_NE(found.trace.find("condvar_map.hpp"), std::string::npos) << found.trace;

  const cell_result replayed =
      model::run_cell<Variant, Scenario>(model::scheduler::random, kFindBudget, found.replay_state);
  EXPECT_EQ(name(replayed.result), name(expected)) << replayed.name() << ": " << replayed.reason;
  EXPECT_FALSE(replayed.trace.empty()) << "a replay must print the counterexample";
  EXPECT_NE(replayed.trace.find("condvar_map.hpp"), std::string::npos)
      << "the trace must point into the design:\n"
      << replayed.trace;
  EXPECT_EQ(replayed.first_failure_iteration, found.first_failure_iteration)
      << "the replay must stop at the failing iteration it was given";
  EXPECT_EQ(replayed.replay_state, found.replay_state);
}

TEST(ModelReplay, NotifyOneUnchainedDeadlocksInCoalesce) {
  expect_found_and_replayed<unchained, scenarios::coalesce>(verdict::deadlock);
}

TEST(ModelReplay, CheckThenActComputesTwiceInCoalesce) {
  expect_found_and_replayed<check_then_act, scenarios::coalesce>(verdict::duplicate_compute);
}

// A duplicate compute is reported the moment the second compute starts: the
// reason names the scenario's own message, not Relacy's generic assert.
TEST(ModelReplay, DuplicateComputeReasonNamesTheScenarioCheck) {
  const cell_result r =
      model::run_cell<check_then_act, scenarios::coalesce>(model::scheduler::random, kFindBudget, std::nullopt);
  ASSERT_EQ(name(r.result), name(verdict::duplicate_compute));
  EXPECT_NE(r.reason.find("computed 2 times"), std::string::npos) << r.reason;
}

template <class Variant, template <class, class> class Scenario>
void expect_pass_random() {
  const cell_result r =
      model::run_cell<Variant, Scenario>(model::scheduler::random, model::budget{3000, 60, 1, false}, std::nullopt);
  EXPECT_EQ(name(r.result), name(verdict::pass)) << r.name() << ": " << r.reason << "\n" << r.trace;
  EXPECT_EQ(r.iterations, 3000u) << "a pass must have run its whole budget";
  EXPECT_FALSE(r.exhausted_search) << "a random run never claims to be exhaustive";
  EXPECT_TRUE(r.replay_state.empty());
}

template <class Variant, template <class, class> class Scenario>
void expect_pass_bound() {
  // The iteration and time budget are far above what the bound-1 tree of a
  // three-thread scenario needs: the search must end by exhausting it.
  const cell_result r = model::run_cell<Variant, Scenario>(model::scheduler::bound,
                                                           model::budget{2'000'000, 120, 1, false}, std::nullopt);
  EXPECT_EQ(name(r.result), name(verdict::pass)) << r.name() << ": " << r.reason << "\n" << r.trace;
  EXPECT_TRUE(r.exhausted_search) << "stopped after " << r.iterations << " schedules: " << r.reason;
  EXPECT_GT(r.iterations, 1u);
}

TEST(ModelCorrectDesign, CoalescePassesRandom) { expect_pass_random<correct, scenarios::coalesce>(); }
TEST(ModelCorrectDesign, CoalescePassesBoundExhaustively) { expect_pass_bound<correct, scenarios::coalesce>(); }
TEST(ModelCorrectDesign, DropWithWaitersPassesRandom) { expect_pass_random<correct, scenarios::drop_with_waiters>(); }
TEST(ModelCorrectDesign, DropWithWaitersPassesBoundExhaustively) {
  expect_pass_bound<correct, scenarios::drop_with_waiters>();
}

// A mutex used after the object that owned it was destroyed: Relacy calls it
// "USAGE OF NON INITIALIZED MUTEX"; the verdict is use_after_free, and the
// reason names the mutex and where it was used.
template <class Map, class Sync>
struct lock_after_destroy {
  static constexpr std::string_view name = "lock_after_destroy";
  static constexpr std::string_view summary = "locks a mutex whose owner is gone";
  static constexpr int model_threads = 1;
  static constexpr int min_threads = 1;
  struct state {
    explicit state(int) {}
  };
  static void thread(state&, int) {
    using mutex = typename Sync::mutex;
    alignas(mutex) unsigned char owner[sizeof(mutex)];
    mutex* m = ::new (static_cast<void*>(owner)) mutex;
    std::destroy_at(m);
    m->lock();
  }
  static void check(state&) {}
};

TEST(ModelVerdict, ADestroyedMutexIsUseAfterFreeNamingIt) {
  const cell_result r =
      model::run_cell<correct, lock_after_destroy>(model::scheduler::random, model::budget{10, 30, 1, false}, std::nullopt);
  EXPECT_EQ(name(r.result), name(verdict::use_after_free)) << r.reason << "\n" << r.trace;
  EXPECT_TRUE(r.reason.starts_with("a mutex")) << r.reason;
  EXPECT_NE(r.reason.find("used after the object that owned it was destroyed"), std::string::npos) << r.reason;
  EXPECT_NE(r.reason.find("lock_after_destroy"), std::string::npos) << "where it was used: " << r.reason;
}

}  // namespace
}  // namespace oncecheck
