// scheduler: the one interface every exploration strategy implements (one
// file per strategy: dpor.hpp, pct.hpp, replay.hpp), and what the engine
// shows it at each scheduling point.
//
// The engine runs one execution at a time. At every scheduling point it
// asks choose() which enabled thread runs its announced step; it reports
// each step taken (on_step) and each new step a thread announces
// (on_announce), and what each step's transition touched after it
// (on_transition), which is all a dynamic partial-order reduction needs to
// find races. Between executions, begin_execution() says whether there is
// another one to run.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "step.hpp"

namespace oncecheck::explore {

using thread_set = std::uint32_t;
constexpr thread_set bit(int t) noexcept { return thread_set(1) << t; }
constexpr bool has(thread_set s, int t) noexcept { return (s >> t) & 1u; }

// What a scheduler sees of the execution in progress.
struct engine_view {
  int threads = 0;
  int depth = 0;               // steps taken so far in this execution
  int last = -1;               // the thread that took the previous step
  thread_set enabled = 0;      // threads whose announced step can run now
  thread_set finished = 0;
  const step* pending = nullptr;  // pending[t]: thread t's announced step
};

// How one execution ended.
enum class execution_end {
  complete,   // every thread returned (the checks may still have failed)
  failed,     // a failure stopped it (deadlock, race, a failed check...)
  redundant,  // the scheduler abandoned it (a sleep-set-blocked DPOR branch)
};

class scheduler {
 public:
  virtual ~scheduler() = default;
  virtual std::string_view name() const = 0;
  // Another execution to run? (false: the search is over)
  virtual bool begin_execution() = 0;
  // The thread to run now, one of v.enabled; -1 abandons the execution.
  virtual int choose(const engine_view& v) = 0;
  // Step number `index` was taken by `tid`.
  virtual void on_step(const engine_view&, int /*index*/, int /*tid*/, const step&) {}
  // The transition of step `index` (by `tid`) has run to its thread's next
  // announcement (or its end), touching `tail` on the way.
  virtual void on_transition(const engine_view&, int /*index*/, int /*tid*/, const tail&) {}
  // `tid` has announced a new step (v.pending[tid]).
  virtual void on_announce(const engine_view&, int /*tid*/) {}
  virtual void end_execution(execution_end) {}

  // Figures for the result.
  virtual bool exhausted() const { return false; }  // the whole tree was explored
  virtual std::optional<int> preemption_bound() const { return std::nullopt; }
  virtual double estimated_fraction() const { return 0; }  // of the tree explored so far
  virtual std::string guarantee() const { return ""; }     // a probability statement, if any
};

}  // namespace oncecheck::explore
