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

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <optional>
#include <sstream>
#include <string>

#include "../harness/cell_result.hpp"
#include "../harness/interrupt.hpp"
#include "../scenarios/program_source.hpp"
#include "follow_replay.hpp"
#include "trace.hpp"
#include "tree_split.hpp"

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
  // random: the number of the first iteration (its seed, in Relacy's random
  // scheduler); 0 is the start. A part of a sharded cell runs iterations
  // first_iteration .. first_iteration + iterations - 1 of the whole run.
  std::uint64_t first_iteration = 0;
  // bound, full: the subtree under these decisions only (tree_split.hpp);
  // empty: the whole tree.
  tree_prefix subtree = {};
  // bound, full: go on from a checkpoint's state (model_checkpoint.hpp),
  // after the iterations and milliseconds of the sessions before it.
  std::string resume_state = {};
  std::uint64_t earlier_iterations = 0;
  double earlier_ms = 0;
  // bound, full: when set, a search that stops before its end (budget,
  // time limit, interrupt) leaves the state it would go on from here.
  std::string* stopped_state = nullptr;
};

// The budget of the run in progress, read at the start of every iteration.
struct run_control {
  std::uint64_t iterations = 0;
  std::uint64_t max_iterations = 0;
  double max_ms = 0;
  bool budget_hit = false;
  bool progress = false;
  bool one_execution = false;  // a replay: the schedule it names, and no other
  std::chrono::steady_clock::time_point start, last_progress;
  const char* label = "";

  void reset(std::uint64_t max_it, double max_s, bool show_progress, const char* what) {
    iterations = 0;
    max_iterations = max_it;
    max_ms = max_s * 1000.0;
    budget_hit = false;
    one_execution = false;
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
  if (c.one_execution && c.iterations > 1) {  // the replayed schedule passed: Relacy would search on
    c.budget_hit = true;
    rl::ctx().rl_until("replay done", sync::relacy_detail::info(std::source_location::current()));
  }
  if (interrupt_requested()) {  // Ctrl-C: stop as at the end of the budget (harness/interrupt.hpp)
    c.budget_hit = true;
    rl::ctx().rl_until("interrupted", sync::relacy_detail::info(std::source_location::current()));
  }
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
      return f.set ? f.kind : verdict::assert_failed;
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
    // Relacy marks a destroyed mutex or condition variable as uninitialised:
    // using one is using the memory of the object that owned it after that
    // object was destroyed. The caller names the object from the trace.
    case rl::test_result_usage_of_non_initialized_mutex:
    case rl::test_result_usage_of_non_initialized_condvar:
    case rl::test_result_usage_of_non_initialized_semaphore:
    case rl::test_result_usage_of_non_initialized_event: return verdict::use_after_free;
    default: return verdict::assert_failed;
  }
}

// What Relacy calls uninitialised when the object was destroyed under it.
inline const char* destroyed_object(rl::test_result_e r) {
  switch (r) {
    case rl::test_result_usage_of_non_initialized_mutex: return "a mutex";
    case rl::test_result_usage_of_non_initialized_condvar: return "a condition variable";
    case rl::test_result_usage_of_non_initialized_semaphore: return "a semaphore";
    case rl::test_result_usage_of_non_initialized_event: return "an event";
    default: return nullptr;
  }
}

template <class Test>
rl::test_result_e run_relacy(rl::test_params& p, std::ostream& state_out, scheduler s) {
  constexpr auto n = Test::params::thread_count;
  switch (s) {
    case scheduler::random: return rl::run_test<Test, rl::random_scheduler<n>>(p, state_out, false);
    case scheduler::bound:
      return rl::run_test<Test, follow_replay<subtree_search<rl::context_bound_scheduler<n>>, n>>(p, state_out, false);
    case scheduler::full:
      return rl::run_test<Test, follow_replay<subtree_search<rl::full_search_scheduler<n>>, n>>(p, state_out, false);
  }
  return rl::test_result_success;
}

inline rl::test_params relacy_params(scheduler sched, const budget& b) {
  // Streams Relacy writes into while its context is alive must not allocate
  // through the checked heap: rl::ostringstream uses Relacy's raw allocator.
  static rl::ostringstream sink;  // Relacy's progress lines: our own replace them
  rl::test_params p;
  p.iteration_count = b.iterations;
  p.search_type = sched == scheduler::random ? rl::sched_random
                  : sched == scheduler::bound ? rl::sched_bound
                                              : rl::sched_full;
  p.context_bound = b.context_bound;
  p.execution_depth_limit = 20000;
  p.progress_stream = &sink;
  return p;
}

// ---- Scenarios that draw a program per round (random_programs) ----------
// Which programs a run takes: scenarios/program_source.hpp. The random
// scheduler samples: every iteration builds its state with the next
// program. A tree search (bound, full) needs one program for its whole
// tree, so it pins the programs one at a time and explores up to
// `per_program` schedules of each (400 by default: a tiny program's tree
// within context bound 2 is often all of it) until the budget ends. A
// replay, or --param program=..., pins one program for the whole run.
inline constexpr std::uint64_t default_schedules_per_program = 400;

template <class Test>
rl::test_result_e run_programs(rl::test_params& p, std::ostream& state_out, scheduler s, bool replay,
                               std::uint64_t& programs_run) {
  const auto plan = scenarios::program_plan::of(scenarios::current_run_options());
  const bool tree = s != scheduler::random;
  const std::uint64_t per_program = plan.per_program.value_or(default_schedules_per_program);
  run_control& c = control();
  if (plan.programs && !replay) {
    c.max_iterations = *plan.programs * (tree && !plan.pinned() ? per_program : 1);
    p.iteration_count = c.max_iterations;  // Relacy's own cap, else --iterations'
  }
  plan.start(tree);
  if (replay || plan.pinned() || !tree) {
    const rl::test_result_e r = run_relacy<Test>(p, state_out, s);
    programs_run = plan.pinned() || replay ? 1 : c.iterations;
    return r;
  }
  const std::uint64_t total = c.max_iterations;
  for (std::uint64_t seed = plan.first;; ++seed) {
    scenarios::program_source().reset(seed, true);
    c.max_iterations = std::min(total, c.iterations + per_program);
    // Its own state stream: Relacy writes one per search, and the replay
    // state is the failing search's alone.
    rl::ostringstream state;
    const rl::test_result_e r = run_relacy<Test>(p, state, s);
    ++programs_run;
    if (r != rl::test_result_success && r != rl::test_result_until_condition_hit) {
      state_out << state.str().c_str();
      return r;
    }
    c.budget_hit = false;
    if (c.iterations >= total || c.elapsed_ms() >= c.max_ms || interrupt_requested()) break;
    if (plan.programs && programs_run >= *plan.programs) break;
  }
  c.budget_hit = true;
  return rl::test_result_until_condition_hit;
}

// Runs the one execution `state` names again, with history on, into `history`.
template <class Test>
void replay_with_history(scheduler sched, const budget& b, const std::string& state, rl::ostringstream& history,
                         const char* label) {
  sync::relacy_failure() = {};
  control().reset(~0ull, 1e9, false, label);
  rl::test_params again = relacy_params(sched, b);
  again.output_stream = &history;
  again.initial_state = state.c_str();
  again.collect_history = true;
  again.iteration_count = ~0ull;
  rl::ostringstream unused;
  std::string reason;
  verdict_of(run_relacy<Test>(again, unused, sched), reason);
}

// The failure's trace and what it is about, from the failing execution's
// history (the scenario's probe holds that execution's end too).
template <class Scn>
void describe_failure(cell_result& out, rl::test_result_e r, const std::string& history) {
  // A run that ended blocked: the scenario may know why (a completion that
  // was lost, a cycle of keys).
  if constexpr (requires { Scn::explain_stuck(); }) {
    if (out.result == verdict::deadlock || out.result == verdict::livelock)
      if (auto why = Scn::explain_stuck()) {
        out.result = why->kind;
        out.reason = why->message;
      }
  }
  const readable_trace t = make_readable(history, Scn::model_threads);
  out.trace = t.text;
  if (out.reason.empty()) out.reason = t.last_event;
  if (const char* object = destroyed_object(r))
    out.reason = std::string(object) + (t.last_object.empty() ? "" : " " + t.last_object) +
                 " used after the object that owned it was destroyed" +
                 (t.last_where.empty() ? "" : ", in " + t.last_where) + " (Relacy: " + t.last_event + ")";
}

// Runs the cell; on a failure runs the failing iteration once more with
// history on and keeps the readable trace. `replay_state` starts from a
// state a previous failure gave.
template <class Variant, template <class, class> class Scenario>
cell_result run_cell(scheduler sched, const budget& b, const std::optional<std::string>& replay_state) {
  using test = model_test<Variant, Scenario>;
  using scn = typename test::scn;
  cell_result out;
  out.design = std::string(Variant::design), out.flaw = std::string(Variant::flaw);
  out.scenario = std::string(scn::name), out.mode = "model", out.scheduler = std::string(to_string(sched));
  out.threads = scn::model_threads;

  const std::string label = out.name();
  sync::relacy_failure() = {};
  control().reset(b.iterations, b.time_limit_s, b.progress, label.c_str());
  control().one_execution = replay_state.has_value();
  rl::test_params p = relacy_params(sched, b);
  rl::ostringstream history, state;
  p.output_stream = &history;
  const std::string subtree_state = state_of(b.subtree);
  std::optional<tree_split_scope> subtree;
  if (replay_state) {
    p.initial_state = replay_state->c_str();
    p.collect_history = true;
    p.iteration_count = ~0ull;
  } else if (b.first_iteration > 0 && sched == scheduler::random) {
    // Relacy's state "N " starts at iteration N; its random scheduler stops
    // after iteration iteration_count.
    p.initial_state = std::to_string(b.first_iteration).c_str();
    p.iteration_count = b.first_iteration + b.iterations - 1;
  } else if (!b.subtree.empty() && sched != scheduler::random) {
    p.initial_state = subtree_state.c_str();
    subtree.emplace(tree_split_control{.floor = b.subtree.size()});
  } else if (!b.resume_state.empty() && sched != scheduler::random) {
    p.initial_state = b.resume_state.c_str();
  }
  std::uint64_t programs = 0;
  rl::test_result_e r;
  if constexpr (scenarios::draws_programs<scn>) r = run_programs<test>(p, state, sched, replay_state.has_value(), programs);
  else r = run_relacy<test>(p, state, sched);
  out.elapsed_ms = b.earlier_ms + control().elapsed_ms();
  out.iterations = b.earlier_iterations + control().iterations;
  // Stopped at the start of an execution (on_iteration): its path is the
  // state to go on from, and it was counted but not run.
  if (b.stopped_state && sched != scheduler::random && r == rl::test_result_until_condition_hit &&
      control().budget_hit && !replay_state) {
    tree_prefix next = decisions_of(std::string(state.str().c_str()));
    next.resize(std::min(next.size(), tree_split().started_with));
    *b.stopped_state = state_of(next, p.stop_iteration);
    --out.iterations;
  }
  out.result = verdict_of(r, out.reason);
  subtree.reset();  // the replay below runs the failing path alone, unsplit
  if (out.result == verdict::pass) {
    out.exhausted_search = r == rl::test_result_success && sched != scheduler::random;
    out.reason = out.exhausted_search ? "every schedule within the bound explored"
                                      : "no failure in " + std::to_string(out.iterations) + " iterations";
    if (programs) out.reason += " of " + std::to_string(programs) + " generated program" + (programs > 1 ? "s" : "");
    if (replay_state) out.iterations = 1, out.exhausted_search = false, out.reason = "the replayed schedule passed";
    return out;
  }
  // Across several programs' searches Relacy counts each search from 1.
  out.first_failure_iteration = programs > 1 ? control().iterations : p.stop_iteration;
  out.replay_state = replay_state ? *replay_state : std::string(state.str().c_str());
  // The replay below, and the replay command, must rebuild the failing program.
  if constexpr (scenarios::draws_programs<scn>) scenarios::program_source().pin_last();
  if (!replay_state) replay_with_history<test>(sched, b, out.replay_state, history, label.c_str());
  describe_failure<scn>(out, r, std::string(history.str().c_str()));
  return out;  // the runner turns replay_state into a command line
}

// ---- Subtrees of a tree search, for shards (tree_split.hpp) -------------

// One walk of the cell's tree for the split (listing, probing, sampling)
// from the state `start`, ended by what tree_split() asks of it, not by a
// budget; a failure's state goes to `failed`.
template <class Test>
rl::test_result_e walk_from(scheduler sched, const budget& b, const std::string& start, const char* what,
                            std::string* failed = nullptr) {
  sync::relacy_failure() = {};
  control().reset(~0ull, 1e9, false, what);
  rl::test_params p = relacy_params(sched, b);
  p.iteration_count = ~0ull;
  rl::ostringstream history, state;
  p.output_stream = &history;
  p.initial_state = start.c_str();
  const rl::test_result_e r = run_relacy<Test>(p, state, sched);
  if (failed) *failed = state.str().c_str();
  return r;
}

// The prefixes one decision deeper than `from`, in the subtree under it
// (where an execution ends first, its whole path), in walk order.
template <class Variant, template <class, class> class Scenario>
std::vector<tree_prefix> children_of(scheduler sched, const budget& b, const tree_prefix& from) {
  using test = model_test<Variant, Scenario>;
  const std::size_t depth = from.size() + 1;
  tree_split_scope scope(tree_split_control{.floor = from.size(), .cut = depth});
  std::string start = state_of(from), state;
  for (;;) {
    const rl::test_result_e r = walk_from<test>(sched, b, start, "listing subtrees", &state);
    if (r == rl::test_result_success || r == rl::test_result_until_condition_hit) break;  // listed, or Ctrl-C
    // A failure ends Relacy's walk before it notes the execution: note its
    // prefix here and go on from the next one.
    tree_prefix failed = decisions_of(state);
    failed.resize(std::min(failed.size(), depth));
    tree_split().listed.emplace_back(failed.begin(), failed.end());
    const auto next = next_prefix(failed, from.size());
    if (!next) break;
    start = state_of(*next);
  }
  std::vector<tree_prefix> out;
  for (const auto& p : tree_split().listed) out.emplace_back(p.begin(), p.end());
  return out;
}

// Knuth's estimate of the executions under `prefix`: the mean of the
// products of the counts along `samples` random paths (tree_split.hpp),
// drawn from a seed that depends on the prefix alone. 0 if the first path
// fails (its search stops there anyway).
template <class Variant, template <class, class> class Scenario>
double knuth_estimate(scheduler sched, const budget& b, const tree_prefix& prefix, std::uint64_t samples = 16) {
  using test = model_test<Variant, Scenario>;
  std::uint64_t seed = 0x6a09e667f3bcc909ull;
  for (const tree_decision& d : prefix) seed = seed * 1000003 + d.index * 31 + d.count;
  tree_split_scope scope(tree_split_control{.floor = prefix.size(), .samples = samples, .random = seed});
  (void)walk_from<test>(sched, b, state_of(prefix), "estimating subtrees");
  const tree_split_control& t = tree_split();
  return t.samples_done ? t.sample_sum / double(t.samples_done) : 0;
}

// A unit of a split tree search and its size in executions: exact when a
// probe of `probe` executions walked it to its end, else Knuth's estimate.
struct tree_unit {
  tree_prefix prefix;
  double size = 0;
  bool walked = false;  // the probe ended it: `size` is exact
};

template <class Variant, template <class, class> class Scenario>
tree_unit probe_subtree(scheduler sched, const budget& b, tree_prefix prefix, std::uint64_t probe) {
  using test = model_test<Variant, Scenario>;
  tree_split_scope scope(tree_split_control{.floor = prefix.size(), .probe = probe});
  const rl::test_result_e r = walk_from<test>(sched, b, state_of(prefix), "estimating subtrees");
  const tree_split_control& t = tree_split();
  const double runs = double(std::max<std::uint64_t>(t.walked, 1));
  // A failure ends the probe early; the unit's own search stops at it too,
  // so it is not cut further: its size is what the probe walked.
  if (r != rl::test_result_success && r != rl::test_result_until_condition_hit) return {prefix, runs, true};
  if (!t.probe_ended) return {prefix, runs, true};
  return {prefix, std::max(runs + 1, knuth_estimate<Variant, Scenario>(sched, b, prefix)), false};
}

// The units a sharded tree search is cut into: starting from the whole
// tree, the largest unit the probes did not walk to its end is replaced by
// its children, until every unit is walked or there are `max_units`. A
// probe is up to `probe` executions, and 16 sampled paths for a unit it
// does not end: about 0.4 s for the 256 units of condvar coalesce at
// context bound 2 (1.2 million schedules). The largest first, so that no
// unit is left a large share of the tree when there are shards to spread
// it over. In walk order; the same list for every number of shards.
template <class Variant, template <class, class> class Scenario>
std::vector<tree_unit> split_tree(scheduler sched, const budget& b, std::size_t max_units = 256,
                                  std::uint64_t probe = 32) {
  std::vector<tree_unit> units{probe_subtree<Variant, Scenario>(sched, b, {}, probe)};
  for (std::size_t rounds = 0; units.size() < max_units && rounds < 4 * max_units; ++rounds) {
    auto big = units.end();
    for (auto u = units.begin(); u != units.end(); ++u)
      if (!u->walked && (big == units.end() || u->size > big->size)) big = u;
    if (big == units.end() || interrupt_requested()) break;
    const tree_prefix from = big->prefix;
    units.erase(big);
    for (const tree_prefix& child : children_of<Variant, Scenario>(sched, b, from))
      units.push_back(probe_subtree<Variant, Scenario>(sched, b, child, probe));
  }
  std::sort(units.begin(), units.end(), [](const tree_unit& x, const tree_unit& y) { return x.prefix < y.prefix; });
  return units;
}

}  // namespace oncecheck::model
