// explore_cell: runs one scenario (scenarios/scenario_support.hpp) under
// the explorer and gives its verdict, evidence and search figures; the
// interface a runner core's `dpor` / `pct` engine calls.
//
//   explore_result r = explore_cell<Scenario<Map<explore_backend>, explore_backend>>(options);
//
// Schedulers: "dpor" (exhaustive, partial-order reduced, optionally
// preemption-bounded), "dfs" (exhaustive, no reduction: a reference),
// "pct" (randomised with a probability guarantee). `replay` runs the one
// execution a failure's replay string names, with its trace.
//
// Budgets: a search stops at max_executions or time_limit_s, whichever
// comes first; a stopped DPOR search says so (exhausted = false) and
// estimates the fraction of its tree it covered.
#pragma once

#include <chrono>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>

#include "../harness/interrupt.hpp"
#include "../impls/sync/verdict.hpp"
#include "../scenarios/program_source.hpp"
#include "dpor.hpp"
#include "engine.hpp"
#include "pct.hpp"
#include "prefix_split.hpp"
#include "checkpoint.hpp"
#include "replay.hpp"

namespace oncecheck::explore {

struct explore_options {
  std::string scheduler = "dpor";  // dpor | dfs | pct
  std::optional<int> preemption_bound;  // dpor only; none: unbounded
  std::uint64_t max_executions = 1'000'000;
  double time_limit_s = 60;
  int pct_depth = 3;
  std::uint64_t seed = 1;
  int max_steps = 20000;  // per execution; more is a livelock
  std::optional<std::string> replay;  // a replay string: run that execution only
  std::vector<std::uint8_t> prefix;    // dpor, dfs: only the subtree under it (prefix_split.hpp)
  // dpor, dfs (checkpoint.hpp): where a search that stops before its end
  // (budget, time limit, SIGINT) writes its place, and a place to go on
  // from; `label` names the cell in it.
  std::string checkpoint, label;
  std::optional<std::string> resume;
};

struct explore_result {
  verdict result = verdict::pass;
  std::string reason;
  std::string trace;                  // the failing execution, step by step
  std::optional<std::string> replay;  // reproduces the failure (explore_options::replay)
  bool replay_diverged = false;       // the replay string left the program's schedules
  std::string scheduler;
  int threads = 0;
  std::uint64_t executions = 0;         // executions run (DPOR: distinct traces completed)
  std::uint64_t redundant_executions = 0;  // DPOR: sleep-set-blocked branches
  std::optional<std::uint64_t> first_failure_execution;
  bool exhausted = false;               // every schedule (up to the reduction and the bound) explored
  std::optional<int> preemption_bound;
  double estimated_fraction = 0;        // of the tree explored (1 when exhausted)
  int longest_execution = 0;            // steps
  std::string guarantee;                // PCT's probability statement
  double elapsed_ms = 0;
  // A scenario that draws programs: how many a tree search took, and how
  // many of their trees it explored to the end.
  std::uint64_t programs = 0, programs_exhausted = 0;
};

// A scenario as an explored program: its state is built, checked and
// destroyed in the setup context, its threads run as fibers.
template <class Scenario>
class scenario_program final : public program {
 public:
  explicit scenario_program(int threads = Scenario::model_threads) : threads_(threads) {}
  int threads() const override { return threads_; }
  void setup() override { state_ = new typename Scenario::state(threads_); }
  void run(int tid) override { Scenario::thread(*state_, tid); }
  void check() override { Scenario::check(*state_); }
  void teardown() override {
    delete state_;
    state_ = nullptr;
  }
  // A stopped execution's state may be locked or waited on by fibers that
  // will never run again: it is leaked, not destroyed.
  void abandon() override { state_ = nullptr; }
  void pin_inputs() override {
    if constexpr (scenarios::draws_programs<Scenario>) scenarios::program_source().pin_last();
  }

 private:
  int threads_;
  typename Scenario::state* state_ = nullptr;
};

inline std::unique_ptr<scheduler> make_scheduler(const explore_options& o, int threads) {
  if (o.scheduler == "dpor" || o.scheduler == "dfs")
    return std::make_unique<dpor_scheduler>(
        dpor_scheduler::options{o.scheduler == "dpor", o.preemption_bound, o.prefix, -1});
  if (o.scheduler == "pct")
    return std::make_unique<pct_scheduler>(threads, pct_scheduler::options{o.pct_depth, o.seed, o.max_executions});
  throw std::invalid_argument("explore: no scheduler " + o.scheduler);
}

inline explore_result explore_program(program& p, const explore_options& o) {
  const auto start = std::chrono::steady_clock::now();
  auto elapsed_ms = [&] {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  };
  explore_result out;
  out.threads = p.threads();
  out.scheduler = o.scheduler;
  engine e(p.threads(), engine_options{o.max_steps, false});

  auto traced = [&](const std::vector<std::uint8_t>& schedule, execution_result& into) {
    replay_scheduler again(schedule);
    again.begin_execution();
    e.options().collect_trace = true;
    into = e.run(p, again);
    e.options().collect_trace = false;
    return !again.diverged();
  };

  if (o.replay) {
    auto schedule = decode_schedule(*o.replay);
    if (!schedule) throw std::invalid_argument("explore: not a replay string: " + *o.replay);
    execution_result r;
    const bool same = traced(*schedule, r);
    out.executions = 1;
    out.result = r.result;
    out.reason = same ? r.reason : "the replay string does not fit this cell (it diverged at step " +
                                       std::to_string(r.steps) + ")";
    if (!same) out.result = verdict::unsupported, out.replay_diverged = true;
    out.trace = r.trace;
    out.longest_execution = r.steps;
    if (r.result != verdict::pass) out.replay = *o.replay;
    out.elapsed_ms = elapsed_ms();
    return out;
  }

  std::unique_ptr<scheduler> s = make_scheduler(o, p.threads());
  auto* dpor = dynamic_cast<dpor_scheduler*>(s.get());
  out.preemption_bound = dpor ? s->preemption_bound() : std::nullopt;
  if ((o.resume || !o.checkpoint.empty()) && !dpor)
    throw std::invalid_argument("--checkpoint and --resume are for the tree searches (dpor, dfs), not " + o.scheduler);
  double earlier_ms = 0;  // the sessions before a resumed one
  if (dpor && o.resume) {
    const checkpoint c = read_checkpoint(*o.resume);
    if (c.cell != o.label || c.scheduler != o.scheduler || c.preemption_bound != o.preemption_bound ||
        c.prefix != o.prefix)
      throw std::invalid_argument("--resume " + *o.resume + ": a checkpoint of " + c.cell + " [" + c.scheduler +
                                  "], not of this search");
    dpor->restore(c.search);
    earlier_ms = c.elapsed_ms;
  }
  std::uint64_t runs = 0;
  std::optional<execution_result> failure;
  while (true) {
    if (runs >= o.max_executions || interrupt_requested()) break;  // harness/interrupt.hpp
    if ((runs & 63) == 0 && elapsed_ms() > o.time_limit_s * 1000) break;
    if (!s->begin_execution()) break;
    execution_result r = e.run(p, *s);
    ++runs;
    out.longest_execution = std::max(out.longest_execution, r.steps);
    if (r.end == execution_end::failed) {
      failure = std::move(r);
      break;
    }
  }
  if (dpor && !failure && !s->exhausted() && !o.checkpoint.empty()) {
    write_checkpoint(o.checkpoint, {o.label, o.scheduler, o.preemption_bound, o.prefix, earlier_ms + elapsed_ms(),
                                    dpor->save()});
    std::fprintf(stderr, "checkpoint: %s (%llu executions so far; --resume %s goes on)\n", o.checkpoint.c_str(),
                 static_cast<unsigned long long>(dpor->executions()), o.checkpoint.c_str());
  }
  out.executions = dpor ? dpor->executions() : runs;
  out.redundant_executions = dpor ? dpor->redundant_executions() : 0;
  out.exhausted = s->exhausted();
  out.estimated_fraction = s->estimated_fraction();
  out.guarantee = s->guarantee();
  if (failure) {
    p.pin_inputs();
    // DPOR counts the executions it completed, not the sleep-set-blocked
    // ones: the failing execution is the last it counted.
    out.first_failure_execution = dpor ? std::max<std::uint64_t>(1, dpor->executions()) : runs;
    out.result = failure->result;
    out.reason = failure->reason;
    out.replay = encode_schedule(failure->schedule);
    execution_result again;
    traced(failure->schedule, again);  // the same execution, with its trace
    out.trace = again.trace;
  }
  out.elapsed_ms = elapsed_ms();
  return out;
}

// A scenario that draws a generated program per execution
// (scenarios/program_source.hpp). pct samples: each execution builds the
// next program. A tree search (dpor, dfs) pins one program at a time and
// explores up to `per_program` executions of it (2000 by default), with a
// preemption bound of 2 unless one is given (a program's tree is small
// within it, so most are explored to the end), until the budget ends.
inline constexpr std::uint64_t default_executions_per_program = 2000;

inline explore_result explore_programs(program& p, explore_options o) {
  const auto plan = scenarios::program_plan::of(scenarios::current_run_options());
  const bool tree = o.scheduler != "pct";
  if (tree && !o.preemption_bound) o.preemption_bound = 2;
  plan.start(tree);
  if (o.replay || plan.pinned() || !tree) {
    if (plan.programs && !o.replay && !plan.pinned()) o.max_executions = *plan.programs;
    explore_result r = explore_program(p, o);
    r.programs = o.replay || plan.pinned() ? 1 : r.executions;
    r.programs_exhausted = r.exhausted ? 1 : 0;
    return r;
  }
  const std::uint64_t per_program = plan.per_program.value_or(default_executions_per_program);
  const std::uint64_t total = plan.programs ? *plan.programs * per_program : o.max_executions;
  const auto start = std::chrono::steady_clock::now();
  explore_result all;
  all.scheduler = o.scheduler;
  all.preemption_bound = o.preemption_bound;
  for (std::uint64_t seed = plan.first; all.executions < total && (!plan.programs || all.programs < *plan.programs);
       ++seed) {
    const double spent_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (spent_s >= o.time_limit_s || interrupt_requested()) break;
    scenarios::program_source().reset(seed, true);
    explore_options one = o;
    one.max_executions = std::min(per_program, total - all.executions);
    one.time_limit_s = o.time_limit_s - spent_s;
    explore_result r = explore_program(p, one);
    ++all.programs;
    all.programs_exhausted += r.exhausted ? 1 : 0;
    all.threads = r.threads;
    all.longest_execution = std::max(all.longest_execution, r.longest_execution);
    all.redundant_executions += r.redundant_executions;
    if (r.result != verdict::pass) {
      r.first_failure_execution = all.executions + r.first_failure_execution.value_or(r.executions);
      r.executions += all.executions;
      r.programs = all.programs, r.programs_exhausted = all.programs_exhausted;
      r.redundant_executions = all.redundant_executions;
      r.elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      return r;
    }
    all.executions += r.executions;
  }
  all.elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return all;  // not exhausted: there is always a next program
}

// The subtrees a sharded dpor search of the scenario is cut into.
template <class Scenario>
std::vector<prefix> split_cell(const explore_options& o, int threads = Scenario::model_threads) {
  scenario_program<Scenario> p(threads);
  return split_prefixes(p, o.preemption_bound, o.max_steps);
}

// Their sizes, estimated for dealing them to shards.
template <class Scenario>
std::vector<double> estimate_cell_subtrees(const explore_options& o, const std::vector<prefix>& prefixes,
                                           int threads = Scenario::model_threads) {
  scenario_program<Scenario> p(threads);
  return estimate_subtrees(p, prefixes, o.preemption_bound, o.max_steps);
}

// Runs a scenario; a run that ended blocked asks the scenario why (its
// stuck probe holds the end of the failing execution, replayed last).
template <class Scenario>
explore_result explore_cell(const explore_options& o, int threads = Scenario::model_threads) {
  scenario_program<Scenario> p(threads);
  explore_result r;
  if constexpr (scenarios::draws_programs<Scenario>) r = explore_programs(p, o);
  else r = explore_program(p, o);
  if constexpr (requires { Scenario::explain_stuck(); }) {
    if (r.result == verdict::deadlock || r.result == verdict::livelock)
      if (auto why = Scenario::explain_stuck()) {
        r.result = why->kind;
        r.reason = why->message;
      }
  }
  return r;
}

}  // namespace oncecheck::explore
