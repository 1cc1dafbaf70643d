// Runs one cell (a design-or-flaw x a scenario) under one of Relacy's
// schedulers and turns what Relacy finds into a verdict.
//
// Budgets: the random scheduler stops after `iterations`; the context-bound
// and full-search schedulers enumerate schedules until the tree is exhausted,
// which can take far longer than anyone waits, so every scheduler is also
// stopped at `iterations` or `time_limit`, whichever comes first. A stop on
// budget is a pass that says how far it got (not exhaustive).
//
// Replay: when Relacy finds a failure it gives the scheduler state that
// reproduces that one execution. The replay command runs the cell again from
// that state and prints the trace.
#pragma once

#include "../impls/sync/relacy_backend.hpp"  // after every other header: see its top

#include <chrono>
#include <cstdio>
#include <optional>
#include <sstream>
#include <string>

#include "../harness/cell_result.hpp"
#include "trace.hpp"

namespace oncecheck::model {

enum class scheduler { random, bound, full };

inline std::string_view to_string(scheduler s) {
  switch (s) {
    case scheduler::random: return "random";
    case scheduler::bound: return "bound";
    case scheduler::full: return "full";
  }
  return "?";
}

inline std::optional<scheduler> parse_scheduler(std::string_view s) {
  if (s == "random") return scheduler::random;
  if (s == "bound") return scheduler::bound;
  if (s == "full") return scheduler::full;
  return std::nullopt;
}

struct budget {
  std::uint64_t iterations = 20000;
  double time_limit_s = 60;
  unsigned context_bound = 2;  // preemptions per schedule (bound scheduler)
  bool progress = false;  // a progress line on stderr every few seconds
};

// The budget of the run in progress, read at the start of every iteration.
struct run_control {
  std::uint64_t iterations = 0;
  std::uint64_t max_iterations = 0;
  double max_ms = 0;
  bool budget_hit = false;
  bool progress = false;
  std::chrono::steady_clock::time_point start, last_progress;
  const char* label = "";

  void reset(std::uint64_t max_it, double max_s, bool show_progress, const char* what) {
    iterations = 0;
    max_iterations = max_it;
    max_ms = max_s * 1000.0;
    budget_hit = false;
    progress = show_progress;
    start = last_progress = std::chrono::steady_clock::now();
    label = what;
  }
  double elapsed_ms() const {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  }
};

inline run_control& control() {
  static run_control c;
  return c;
}

// Called by the test suite at the start of each iteration.
inline void on_iteration() {
  run_control& c = control();
  ++c.iterations;
  if ((c.iterations & 255) != 0) return;
  const double ms = c.elapsed_ms();
  if (c.progress && std::chrono::steady_clock::now() - c.last_progress > std::chrono::seconds(5)) {
    c.last_progress = std::chrono::steady_clock::now();
    std::fprintf(stderr, "  %s: %llu iterations, %.1f s\n", c.label,
                 static_cast<unsigned long long>(c.iterations), ms / 1000.0);
  }
  if (c.iterations >= c.max_iterations || ms >= c.max_ms) {
    c.budget_hit = true;
    rl::ctx().rl_until("model budget exhausted", sync::relacy_detail::info(std::source_location::current()));
  }
}

template <class Variant, template <class, class> class Scenario>
struct model_test;

template <class Variant, template <class, class> class Scenario>
using model_scenario = Scenario<typename Variant::template map<sync::relacy_backend>, sync::relacy_backend>;

// The Relacy test: one iteration builds the scenario's state, runs its
// threads and checks it. Relacy checks for leaks after after().
template <class Variant, template <class, class> class Scenario>
struct model_test
    : rl::test_suite<model_test<Variant, Scenario>, rl::thread_id_t(model_scenario<Variant, Scenario>::model_threads)> {
  using scn = model_scenario<Variant, Scenario>;
  typename scn::state* st = nullptr;

  void before() {
    on_iteration();
    st = new typename scn::state(scn::model_threads);
  }
  void thread(unsigned tid) { scn::thread(*st, int(tid)); }
  void after() {
    scn::check(*st);
    delete st;
  }
};

inline verdict verdict_of(rl::test_result_e r, std::string& reason) {
  switch (r) {
    case rl::test_result_success:
    case rl::test_result_until_condition_hit: return verdict::pass;
    case rl::test_result_user_assert_failed:
    case rl::test_result_user_invariant_failed: {
      const auto& f = sync::relacy_failure();
      reason = f.message;
      if (auto v = parse_verdict(f.kind)) return *v;
      return verdict::assert_failed;
    }
    case rl::test_result_data_race: return verdict::data_race;
    case rl::test_result_access_to_freed_memory:
    case rl::test_result_double_free: return verdict::use_after_free;
    case rl::test_result_memory_leak:
    case rl::test_result_resource_leak: return verdict::leak;
    case rl::test_result_deadlock: return verdict::deadlock;
    // A thread that takes a lock it already holds (or read-locks what it
    // write-locked) waits for itself: a self-deadlock.
    case rl::test_result_recursion_on_nonrecursive_mutex:
    case rl::test_result_mutex_write_to_read_upgrade:
    case rl::test_result_mutex_read_to_write_upgrade:
      reason = "self-deadlock: a thread locks what it already holds";
      return verdict::deadlock;
    case rl::test_result_livelock: return verdict::livelock;
    default: return verdict::assert_failed;
  }
}

template <class Test>
rl::test_result_e run_relacy(rl::test_params& p, std::ostream& state_out, scheduler s) {
  constexpr auto n = Test::params::thread_count;
  switch (s) {
    case scheduler::random: return rl::run_test<Test, rl::random_scheduler<n>>(p, state_out, false);
    case scheduler::bound: return rl::run_test<Test, rl::context_bound_scheduler<n>>(p, state_out, false);
    case scheduler::full: return rl::run_test<Test, rl::full_search_scheduler<n>>(p, state_out, false);
  }
  return rl::test_result_success;
}

// Runs the cell; on a failure runs the failing iteration once more with
// history on and keeps the readable trace. `replay_state` starts from a
// state a previous failure gave.
template <class Variant, template <class, class> class Scenario>
cell_result run_cell(scheduler sched, const budget& b, const std::optional<std::string>& replay_state) {
  using test = model_test<Variant, Scenario>;
  using scn = typename test::scn;
  cell_result out;
  out.design = std::string(Variant::design);
  out.flaw = std::string(Variant::flaw);
  out.scenario = std::string(scn::name);
  out.mode = "model";
  out.scheduler = std::string(to_string(sched));
  out.threads = scn::model_threads;

  // Streams Relacy writes into while its context is alive must not allocate
  // through the checked heap: rl::ostringstream uses Relacy's raw allocator.
  static rl::ostringstream sink;  // Relacy's progress lines: our own replace them
  auto params = [&] {
    rl::test_params p;
    p.iteration_count = b.iterations;
    p.search_type = sched == scheduler::random ? rl::sched_random
                    : sched == scheduler::bound ? rl::sched_bound
                                                : rl::sched_full;
    p.context_bound = b.context_bound;
    p.execution_depth_limit = 20000;
    p.progress_stream = &sink;
    return p;
  };

  const std::string label = out.name();
  sync::relacy_failure() = {};
  control().reset(replay_state ? ~0ull : b.iterations, replay_state ? 1e9 : b.time_limit_s, b.progress,
                  label.c_str());
  rl::test_params p = params();
  rl::ostringstream history, state;
  p.output_stream = &history;
  if (replay_state) {
    p.initial_state = replay_state->c_str();
    p.collect_history = true;
    p.iteration_count = ~0ull;
  }
  const rl::test_result_e r = run_relacy<test>(p, state, sched);
  out.elapsed_ms = control().elapsed_ms();
  out.iterations = control().iterations;
  out.result = verdict_of(r, out.reason);
  if (out.result == verdict::pass) {
    out.exhausted_search = r == rl::test_result_success && sched != scheduler::random;
    out.reason = r == rl::test_result_success && sched != scheduler::random
                     ? "every schedule within the bound explored"
                     : "no failure in " + std::to_string(out.iterations) + " iterations";
    return out;
  }
  out.first_failure_iteration = p.stop_iteration;
  const std::string failing_state = replay_state ? *replay_state : std::string(state.str().c_str());

  if (!replay_state) {
    // Once more, that one execution only, with history on.
    sync::relacy_failure() = {};
    control().reset(~0ull, 1e9, false, label.c_str());
    rl::test_params again = params();
    again.output_stream = &history;
    again.initial_state = failing_state.c_str();
    again.collect_history = true;
    again.iteration_count = ~0ull;
    rl::ostringstream unused;
    std::string reason2;
    verdict_of(run_relacy<test>(again, unused, sched), reason2);
  }
  // A run that ended blocked: the scenario may know why (a completion that
  // was lost, a cycle of keys). Its probe holds the failing execution's end,
  // since the history run above replayed exactly that execution.
  if constexpr (requires { scn::explain_stuck(); }) {
    if (out.result == verdict::deadlock || out.result == verdict::livelock)
      if (auto why = scn::explain_stuck()) {
        out.result = parse_verdict(why->verdict).value_or(out.result);
        out.reason = why->message;
      }
  }
  const readable_trace t = make_readable(std::string(history.str().c_str()), scn::model_threads);
  out.trace = t.text;
  if (out.reason.empty()) out.reason = t.last_event;
  out.replay = failing_state;  // the caller turns it into a command line
  return out;
}

}  // namespace oncecheck::model
