// oncecheck-model: the Relacy engine of the runner core.
//
//   oncecheck-model --list
//   oncecheck-model --design condvar --flaw check_then_act --scenario coalesce
//                   [--scheduler random|bound|full] [--iterations N] [--replay STATE]
//                   [--checkpoint FILE] [--resume FILE]
//   oncecheck-model --check-all --expected models/expected.tsv --json build/results/models.json
//
// Everything but running one cell under one of Relacy's schedulers is the
// runner core's (harness/runner/main.hpp lists the shared command line).
// --check-all is `make check-models`: every cell under random and bound, and
// under full where a flaw is expected (to time its detection), each in a
// child process of its own, compared with the expected matrix.
#include "../harness/runner/main.hpp"
#include "model_checkpoint.hpp"
#include "replay_state.hpp"
#include "model_run.hpp"  // last: Relacy's macros break any header after it

namespace oncecheck::model {
namespace {

using runner::cell;
using runner::run_request;

// A search cut into units for shards (harness/runner/shard.hpp): the random
// scheduler's iterations, and the bound and full schedulers' trees
// (models/tree_split.hpp); not a scenario that draws programs, whose
// searches run one program after another, nor a replay. In a matrix a
// tree search is dealt whole: its budget caps it (250,000 schedules or
// 10 s, which 97 of the 240 bound cells reach), there are hundreds of
// cells to deal, and a split one would cost its budget once in every shard.
bool splittable(const cell& c, const run_request& r) {
  const auto s = parse_scheduler(r.scheduler);
  return !c.draws_programs && !r.replay && s && (*s == scheduler::random || !r.from_matrix);
}

// A shard's part of a split cell. random: iterations 1..N of the whole run
// in runner::random_parts contiguous ranges; Relacy seeds iteration i with
// i, so the parts run exactly the iterations the unsplit run would, and a
// failure's replay state names its iteration in the whole run. bound and
// full: the subtrees split_tree gives (tree_split.hpp), dealt by their
// estimated sizes, each walked to its end or to the budget (the
// iterations and the seconds left of the shard's, as for dpor: a shard
// meets a failure no later in its walk than the unsplit search does, so
// it finds what that search finds within the same budget). A part stopped
// by its budget is not exhausted. A failure's replay state is its whole
// path, prefix included, so it replays unsplit.
template <class V, template <class, class> class S>
cell_result run_shard(const cell& c, const run_request& r) {
  cell_result blank = c.blank("model", r.scheduler);
  blank.threads = c.model_threads;
  const scheduler sched = *parse_scheduler(r.scheduler);
  const budget whole{r.iterations, r.time_limit_s, r.context_bound, r.progress};
  if (sched != scheduler::random) {
    const std::vector<tree_unit> units = split_tree<V, S>(sched, whole);
    std::vector<double> sizes;
    for (const tree_unit& u : units) sizes.push_back(u.size);
    const auto owner = runner::deal_by_size(sizes, r.shard->count);
    std::uint64_t iterations_left = r.iterations;
    return runner::run_units(blank, *r.shard, units.size(), r.time_limit_s, [&](std::uint64_t u, double left_s) {
      if (iterations_left == 0) {
        cell_result none = blank;
        none.reason = "the iterations were spent before this subtree";
        return none;
      }
      budget b = whole;
      b.iterations = iterations_left, b.time_limit_s = left_s;
      b.subtree = units[u].prefix;
      cell_result part = run_cell<V, S>(sched, b, std::nullopt);
      iterations_left -= std::min(iterations_left, part.iterations);
      return part;
    }, owner);
  }
  const std::uint64_t units = runner::random_parts;
  return runner::run_units(blank, *r.shard, units, r.time_limit_s, [&](std::uint64_t u, double left_s) {
    const auto [first, end] = runner::part_range(r.iterations, u, units);
    if (first == end) {
      cell_result none = blank;
      none.reason = "no iteration in this part";
      return none;
    }
    budget b{end - first, left_s, r.context_bound, r.progress};
    b.first_iteration = first + 1;
    return run_cell<V, S>(scheduler::random, b, std::nullopt);
  });
}

// Settings of this engine alone: one search in this process, not passed
// to children (a single run without --replay runs here).
struct settings {
  std::string checkpoint;  // model_checkpoint.hpp
  std::optional<std::string> resume;
};

settings& active() {
  static settings s;
  return s;
}

std::string search_name(const cell& c) { return c.row() + " " + c.scenario; }

// --resume: the budget goes on from the checkpoint, which must be one of
// this very search (its path would not fit another).
void resume_into(budget& b, const cell& c, const run_request& r) {
  const settings& s = active();
  if (!s.resume && s.checkpoint.empty()) return;
  if (r.scheduler == "random")
    throw std::invalid_argument("--checkpoint and --resume are for the tree searches (bound, full), not random");
  if (c.draws_programs)
    throw std::invalid_argument("--checkpoint and --resume: " + c.scenario +
                                " runs a search a program; a checkpoint holds one search");
  if (!s.resume) return;
  const model_checkpoint k = read_model_checkpoint(*s.resume);
  if (k.cell != search_name(c) || k.scheduler != r.scheduler || k.context_bound != r.context_bound)
    throw std::invalid_argument("--resume " + *s.resume + ": a checkpoint of " + k.cell + " [" + k.scheduler +
                                ", context bound " + std::to_string(k.context_bound) + "], not of this search");
  if (auto bad = check_relacy_state(k.state, r.scheduler, unsigned(c.model_threads)))
    throw std::invalid_argument("--resume " + *s.resume + ": its state: " + *bad);
  b.resume_state = k.state, b.earlier_iterations = k.iterations, b.earlier_ms = k.elapsed_ms;
}

// --checkpoint: where a search that stopped before its end stood.
void keep_checkpoint(const cell& c, const run_request& r, const std::string& stopped, const cell_result& out) {
  const std::string& path = active().checkpoint;
  if (path.empty() || stopped.empty()) return;
  write_model_checkpoint(path, {search_name(c), r.scheduler, r.context_bound, stopped, out.iterations, out.elapsed_ms});
  std::fprintf(stderr, "checkpoint: %s (%llu iterations so far; --resume %s goes on)\n", path.c_str(),
               static_cast<unsigned long long>(out.iterations), path.c_str());
}

struct entries {
  template <class V, template <class, class> class S>
  static runner::entry_point entry() {
    return [](const cell& c, const run_request& r) {
      if (r.shard && splittable(c, r)) return run_shard<V, S>(c, r);
      budget b{r.iterations, r.time_limit_s, r.context_bound, r.progress};
      resume_into(b, c, r);
      std::string stopped;
      b.stopped_state = &stopped;
      const cell_result out = run_cell<V, S>(*parse_scheduler(r.scheduler), b, r.replay);
      keep_checkpoint(c, r, stopped, out);
      return out;
    };
  }
};

// Context bound 2: some lost wake-ups need two preemptions (the
// notify/listener_after_check race). The slowest flaw to find under it takes
// about 22,000 schedules (see the time-to-detection table), and the quick
// matrix finds every expected one within 150,000. The default gives 250,000
// schedules or 10 s: the proof under sequential consistency is the
// explorer's dpor now (its cells run beside these), so Relacy's tree search
// is a weak-memory sample and a detector, and the whole default
// make check-models stays within 5 minutes on 2 cores (a million schedules
// a cell took 6.5 minutes for Relacy alone). A cut-short search is reported
// as such. Detection runs (full
// search, only where a flaw is expected) are timed, not failed, when they do
// not reach the bug within their budget.
budget matrix_budget(const std::string& scheduler, bool detection_only, bool quick) {
  if (scheduler == "random") return quick ? budget{3000, 20, 2} : budget{20000, 60, 2};
  if (detection_only) return quick ? budget{20000, 5, 2} : budget{200000, 20, 2};
  return quick ? budget{150000, 20, 2} : budget{250000, 10, 2};
}

// random_programs (scenarios/program_source.hpp): the random scheduler
// draws a program per iteration, so its budget is the one above (20,000
// programs, 3,000 quick); every seeded flaw it finds, it finds within a few
// hundred. A tree search explores 100 programs, 400 schedules each (about
// 2 s): a count, not a time, so its verdict is the same on every machine.
// Only the random scheduler's failures are shrunk in the matrix (up to 20 s).
void program_budget(run_request& r, const std::string& scheduler) {
  if (scheduler == "random") {
    r.time_limit_s = std::max(r.time_limit_s, 60.0);
    return;
  }
  r.options.params["programs"] = "100";
  r.options.params["per_program"] = "400";
  r.options.params["shrink_seconds"] = "0";
  r.iterations = 100 * 400, r.time_limit_s = 60;
}

class relacy_engine final : public runner::engine {
 public:
  std::string_view program() const override { return "oncecheck-model"; }
  std::string_view mode() const override { return "model"; }
  std::vector<std::string> schedulers() const override { return {"random", "bound", "full"}; }
  std::vector<std::string> matrix_schedulers() const override { return {"random", "bound"}; }
  // Full search is no longer run by default (issue 12): without a reduction
  // it ends no cell's tree and misses flaws the others find in
  // milliseconds. `--detection-schedulers full` (make check-models FULL=1)
  // still times it on the flawed cells.
  std::string_view iteration_unit() const override { return "it"; }
  std::string default_results() const override { return "build/results/models.json"; }
  std::string companion_results() const override { return "build/results/stress.json"; }

  void add_options(CLI::App& app, run_request& r) override {
    r.iterations = 20000;
    app.add_option("--iterations", r.iterations, "iteration budget")->transform(runner::whole_number(1, 1'000'000'000'000));
    app.add_option("--time-limit", r.time_limit_s, "seconds before a search stops (pass, not exhaustive)")
        ->transform(runner::finite_number(0.001, 1e6));
    app.add_option("--context-bound", r.context_bound, "preemptions per schedule for --scheduler bound")
        ->transform(runner::whole_number(0, 100));
    app.add_option("--replay", r.replay, "scheduler state printed by a failing run: re-run exactly that schedule");
    runner::add_checkpoint_options(app, active().checkpoint, active().resume, "bound, full");
  }

  std::vector<std::string> request_args(const run_request& r) const override {
    return {"--iterations", std::to_string(r.iterations), "--time-limit", runner::number_arg(r.time_limit_s),
            "--context-bound", std::to_string(r.context_bound)};
  }

  std::vector<std::string> replay_args(const cell_result& c, const run_request& r) const override {
    std::vector<std::string> out{"--scheduler", c.scheduler};
    if (c.scheduler != "random") out.insert(out.end(), {"--context-bound", std::to_string(r.context_bound)});
    if (!c.replay_state.empty()) out.insert(out.end(), {"--replay", c.replay_state});
    return out;
  }

  run_request matrix_request(const cell& c, const std::string& scheduler, bool detection_only,
                             const std::string& budget_name, const run_request& base) const override {
    run_request r = base;
    const budget b = matrix_budget(scheduler, detection_only, budget_name == "quick");
    r.scheduler = scheduler;
    r.iterations = b.iterations, r.time_limit_s = b.time_limit_s, r.context_bound = b.context_bound;
    r.threads = c.model_threads;
    if (c.draws_programs) program_budget(r, scheduler);
    return r;
  }

  std::string expected_of(const expected_row& row, const std::string& scheduler) const override {
    return row.model_for(scheduler);
  }

  cell_result run(const cell& c, const run_request& r) override { return entries_[c.index](c, r); }
  bool splits(const cell& c, const run_request& r) const override { return splittable(c, r); }

  std::optional<std::string> check_replay(const std::string& state, const cell& c,
                                          const run_request& r) const override {
    return check_relacy_state(state, r.scheduler, unsigned(c.model_threads));
  }
  // A well-formed state that is not a schedule of this cell ends the
  // process that follows it (follow_replay.hpp), so a replay runs in a
  // child, with a time limit of its own (one execution takes milliseconds).
  bool single_run_in_child(const run_request& r) const override { return r.replay.has_value(); }
  double child_time_limit(const run_request& r) const override {
    return r.replay ? 30 : r.time_limit_s * 2 + 60;
  }

 private:
  std::vector<runner::entry_point> entries_ = runner::make_entries<entries>();
};

}  // namespace
}  // namespace oncecheck::model

int main(int argc, char** argv) {
  oncecheck::model::relacy_engine engine;
  return oncecheck::runner::main(engine, argc, argv);
}
