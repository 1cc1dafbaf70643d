// oncecheck-explore: the explorer engine of the runner core (explore/,
// impls/sync/explore_backend.hpp): every cell under dynamic partial-order
// reduction (`dpor`), plain depth-first search (`dfs`, the reference the
// reduction is tested against) or PCT (`pct`).
//
//   oncecheck-explore --list
//   oncecheck-explore --design condvar --flaw none --scenario coalesce
//                     [--scheduler dpor|dfs|pct] [--preemption-bound N]
//                     [--iterations N] [--time-limit S] [--replay STRING]
//   oncecheck-explore --check-all --expected models/expected.tsv --json build/results/models-explore.json
//
// Everything but running one cell is the runner core's
// (harness/runner/main.hpp). Its cells are `mode: model` with schedulers
// dpor and pct, compared with the expected matrix's model column; `make
// check-models` merges them with Relacy's into models.json. The explorer is
// sequentially consistent (docs/explorer.md): a flaw only a weak memory
// model shows is Relacy's to find.
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "../harness/runner/main.hpp"
#include "../impls/sync/explore_backend.hpp"
#include "explore_cell.hpp"

namespace oncecheck::explore {
namespace {

using runner::cell;
using runner::run_request;
using backend = sync::explore_backend;

// Settings of this engine alone, bound to its own options and passed on to
// children and replays by request_args / replay_args.
struct settings {
  int preemption_bound = -1;  // -1: none
  int pct_depth = 3;
  int max_steps = 20000;
  std::string checkpoint;             // explore/checkpoint.hpp
  std::optional<std::string> resume;
};

explore_options options_of(const run_request& r, const settings& s) {
  explore_options o;
  o.scheduler = r.scheduler;
  if (s.preemption_bound >= 0) o.preemption_bound = s.preemption_bound;
  o.max_executions = r.iterations;
  o.time_limit_s = r.time_limit_s;
  o.pct_depth = s.pct_depth;
  o.seed = r.options.seed;
  o.max_steps = s.max_steps;
  o.replay = r.replay;
  o.checkpoint = s.checkpoint, o.resume = s.resume;
  return o;
}

// A search cut into units for shards: dpor and pct, not dfs (a reference),
// not a scenario that draws programs (each its own search), not a replay.
// In a matrix dpor is dealt whole: each shard would list and probe every
// cell's subtrees again, and a split tree is not reduced above its split,
// so the default matrix's two explorer shards took 186 and 193 s where
// one unsharded run takes 140 s; its cells end within their 10 s, and
// there are hundreds to deal.
bool splittable(const cell& c, const run_request& r) {
  return !c.draws_programs && !r.replay &&
         (r.scheduler == "pct" || (r.scheduler == "dpor" && !r.from_matrix));
}

cell_result to_cell_result(const cell& c, const explore_result& x) {
  cell_result out = c.blank("model", x.scheduler);
  out.threads = x.threads;
  out.result = x.result;
  out.reason = x.reason;
  out.trace = x.trace;
  out.iterations = x.executions;
  out.executions = x.executions;
  out.elapsed_ms = x.elapsed_ms;
  out.first_failure_iteration = x.first_failure_execution;
  out.exhausted_search = x.exhausted;
  out.preemption_bound = x.preemption_bound;
  // Knuth's estimate of a tree search stopped by its budget; PCT samples,
  // and has no tree to estimate (docs/results.md: null).
  if (!x.exhausted && x.result == verdict::pass && x.programs <= 1 && x.scheduler != "pct")
    out.estimated_fraction = x.estimated_fraction;
  if (out.result == verdict::pass) {
    out.reason = x.exhausted ? "every schedule explored" + std::string(x.preemption_bound ? " within the bound" : "")
                             : "no failure in " + std::to_string(x.executions) + " executions";
    if (x.programs > 1)
      out.reason += " of " + std::to_string(x.programs) + " generated programs" +
                    (x.programs_exhausted ? " (" + std::to_string(x.programs_exhausted) + " explored to the end)" : "");
    if (!x.guarantee.empty()) out.reason += "; " + x.guarantee;
  }
  if (x.replay) out.replay_state = *x.replay;
  return out;
}

// A shard's part of a split cell (harness/runner/shard.hpp): pct's
// executions in runner::random_parts parts, part u with its share of the
// budget and a seed of its own; dpor's tree in the subtrees under the
// prefixes of prefix_split.hpp, dealt by their estimated sizes, each
// explored to its end or to the time left.
template <class Scenario>
cell_result run_shard(const cell& c, const run_request& r, const explore_options& o) {
  std::vector<prefix> prefixes;
  std::vector<unsigned> owner;  // pct: round-robin
  if (o.scheduler != "pct") {
    prefixes = split_cell<Scenario>(o);
    owner = runner::deal_by_size(estimate_cell_subtrees<Scenario>(o, prefixes), r.shard->count);
  }
  const std::uint64_t units = o.scheduler == "pct" ? runner::random_parts : prefixes.size();
  cell_result blank = c.blank("model", o.scheduler);
  blank.threads = Scenario::model_threads;
  blank.executions = 0;
  blank.preemption_bound = o.preemption_bound;
  return runner::run_units(blank, *r.shard, units, o.time_limit_s, [&](std::uint64_t u, double left_s) {
    explore_options one = o;
    one.time_limit_s = left_s;
    if (o.scheduler == "pct") {
      const auto [first, end] = runner::part_range(o.max_executions, u, units);
      one.max_executions = end - first;
      one.seed = runner::part_seed(o.seed, u);
    } else {
      one.prefix = prefixes[u];
    }
    return to_cell_result(c, explore_cell<Scenario>(one));
  }, owner);
}

struct entries {
  template <class V, template <class, class> class S>
  static runner::entry_point entry() {
    return [](const cell& c, const run_request& r) {
      using scenario = S<typename V::template map<backend>, backend>;
      if (r.shard && splittable(c, r)) return run_shard<scenario>(c, r, options_of(r, active()));
      explore_options o = options_of(r, active());
      o.label = c.row() + " " + c.scenario;
      const explore_result x = explore_cell<scenario>(o);
      if (x.replay_diverged)  // bad input, found only by following it: one line and exit 2
        throw std::invalid_argument("--replay '" + *r.replay + "' is not a schedule of " + c.scenario + ": " + x.reason);
      return to_cell_result(c, x);
    };
  }
  static settings& active() {
    static settings s;
    return s;
  }
};

// Matrix budgets. dpor runs unbounded: most correct cells are exhausted in
// under 8 s (docs/explorer.md), and a cell stopped by the time limit says
// how much of its tree it covered; the quick budget (make test) gives each
// 3 s. pct draws executions with seed 1: every seeded flaw is found within
// 1000 (the slowest, notify/listener_after_check x check_then_act, at 309).
run_request matrix_budget(run_request r, const std::string& scheduler, bool quick) {
  r.scheduler = scheduler;
  if (scheduler == "pct") r.iterations = quick ? 1000 : 5000, r.time_limit_s = quick ? 5 : 20;
  else r.iterations = 10'000'000, r.time_limit_s = quick ? 3 : 10;
  return r;
}

// random_programs (scenarios/program_source.hpp): budgets in programs, not
// seconds, so a verdict is the same on every machine. pct runs one
// execution of each of 20,000 programs (10,000 quick; the slowest seeded
// flaw, notify/listener_after_check, is at program 6332), about half a
// second; dpor explores 200 programs (60 quick) within preemption bound 2,
// up to 2000 executions each, about 5 s. Failures are shrunk for up to 10 s.
run_request program_budget(run_request r, const std::string& scheduler, bool quick) {
  r.scheduler = scheduler;
  r.iterations = 10'000'000, r.time_limit_s = quick ? 30 : 60;
  r.options.params["programs"] = scheduler == "pct" ? (quick ? "10000" : "20000") : (quick ? "60" : "200");
  r.options.params["shrink_seconds"] = "10";
  return r;
}

class explore_engine final : public runner::engine {
 public:
  std::string_view program() const override { return "oncecheck-explore"; }
  std::string_view mode() const override { return "model"; }
  std::vector<std::string> schedulers() const override { return {"dpor", "pct", "dfs"}; }
  std::vector<std::string> matrix_schedulers() const override { return {"dpor", "pct"}; }
  std::string_view iteration_unit() const override { return "ex"; }
  std::string default_results() const override { return "build/results/models-explore.json"; }

  void add_options(CLI::App& app, run_request& r) override {
    r.scheduler = "dpor";
    r.iterations = 1'000'000;
    settings& s = entries::active();
    app.add_option("--iterations,--max-executions", r.iterations, "executions before a search stops")
        ->transform(runner::whole_number(1, 1'000'000'000'000));
    app.add_option("--time-limit", r.time_limit_s, "seconds before a search stops (pass, not exhaustive)")
        ->transform(runner::finite_number(0.001, 1e6));
    app.add_option("--preemption-bound", s.preemption_bound, "dpor, dfs: at most N preemptions per execution")
        ->transform(runner::whole_number(0, 1000));
    app.add_option("--pct-depth", s.pct_depth, "pct: the bug depth d it targets (d-1 change points)")
        ->transform(runner::whole_number(1, 100));
    app.add_option("--max-steps", s.max_steps, "steps per execution before it is a livelock")
        ->transform(runner::whole_number(10, 10'000'000));
    app.add_option("--replay", r.replay, "a failure's replay string: run exactly that execution");
    runner::add_checkpoint_options(app, s.checkpoint, s.resume, "dpor, dfs");
  }

  std::vector<std::string> request_args(const run_request& r) const override {
    std::vector<std::string> out{"--iterations", std::to_string(r.iterations), "--time-limit",
                                 runner::number_arg(r.time_limit_s)};
    append_settings(out);
    return out;
  }

  std::vector<std::string> replay_args(const cell_result& c, const run_request&) const override {
    std::vector<std::string> out{"--scheduler", c.scheduler};
    append_settings(out);
    if (!c.replay_state.empty()) out.insert(out.end(), {"--replay", c.replay_state});
    return out;
  }

  run_request matrix_request(const cell& c, const std::string& scheduler, bool, const std::string& budget,
                             const run_request& base) const override {
    run_request r = c.draws_programs ? program_budget(base, scheduler, budget == "quick")
                                     : matrix_budget(base, scheduler, budget == "quick");
    r.threads = c.model_threads;
    return r;
  }

  std::string expected_of(const expected_row& row, const std::string& scheduler) const override {
    return row.model_for(scheduler);
  }

  cell_result run(const cell& c, const run_request& r) override { return entries_[c.index](c, r); }
  bool splits(const cell& c, const run_request& r) const override { return splittable(c, r); }

  std::optional<std::string> check_replay(const std::string& text, const cell& c, const run_request&) const override {
    const auto schedule = decode_schedule(text, std::size_t(entries::active().max_steps));
    if (!schedule)
      return "--replay '" + text + "': not a replay string (e1: then thread numbers, runs as TxN, at most " +
             std::to_string(entries::active().max_steps) + " steps)";
    for (const std::uint8_t t : *schedule)
      if (t >= c.model_threads)
        return "--replay '" + text + "': thread " + std::to_string(t) + " where " + c.scenario + " has " +
               std::to_string(c.model_threads);
    return std::nullopt;
  }

 private:
  static void append_settings(std::vector<std::string>& out) {
    const settings& s = entries::active();
    if (s.preemption_bound >= 0) out.insert(out.end(), {"--preemption-bound", std::to_string(s.preemption_bound)});
    out.insert(out.end(), {"--pct-depth", std::to_string(s.pct_depth), "--max-steps", std::to_string(s.max_steps)});
  }

  std::vector<runner::entry_point> entries_ = runner::make_entries<entries>();
};

}  // namespace
}  // namespace oncecheck::explore

int main(int argc, char** argv) {
  oncecheck::explore::explore_engine engine;
  return oncecheck::runner::main(engine, argc, argv);
}
