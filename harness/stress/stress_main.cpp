// oncecheck-stress: the real-threads engine of the runner core, built plain
// and with ThreadSanitizer (the build's label is its scheduler: plain, tsan,
// asan).
//
//   oncecheck-stress --list
//   oncecheck-stress --design condvar --flaw none --scenario drop_with_waiters
//                    --threads 8 --rounds 100000 --seed 7 --timeout 10 --json out.json
//   oncecheck-stress --all --expected models/expected.tsv --json build/results/stress-plain.json
//   oncecheck-stress --merge a.json b.json --json build/results/stress.json
//
// A cell always runs in a child process: a sanitizer that halts the program,
// a crash or a hang ends the child, and this process still writes the
// verdict (the sanitizer's report goes to a log file it reads back).
// Everything else is the runner core's (harness/runner/main.hpp).
#include <algorithm>

#include "../runner/main.hpp"
#include "sanitizer_logs.hpp"
#include "stress_run.hpp"

#ifndef ONCECHECK_STRESS_LABEL
#define ONCECHECK_STRESS_LABEL "plain"
#endif

namespace oncecheck::stress {
namespace {

using runner::cell;
using runner::run_request;

template <class V, template <class, class> class S>
using stress_scenario = S<typename V::template map<stress_backend>, stress_backend>;

struct entries {
  template <class V, template <class, class> class S>
  static runner::entry_point entry() {
    return [](const cell& c, const run_request& r) {
      stress_options o;
      o.threads = c.fixed_threads ? c.fixed_threads : r.threads;
      o.rounds = r.iterations, o.seed = r.options.seed, o.timeout_s = r.stall_timeout_s;
      o.progress = r.progress, o.label = ONCECHECK_STRESS_LABEL, o.json_on_hang = r.result_path;
      if (!r.result_path.empty()) o.round_path = r.result_path + ".round";
      if constexpr (scenarios::draws_programs<stress_scenario<V, S>>) {
        // Round k runs program seed+k-1 (or the one pinned); --programs N is N rounds.
        const auto plan = scenarios::program_plan::of(r.options);
        plan.start(false);
        if (plan.programs) o.rounds = *plan.programs;
      }
      return run_stress<stress_scenario<V, S>>(c.blank("stress", o.label), o);
    };
  }
};

class threads_engine final : public runner::engine {
 public:
  std::string_view program() const override { return "oncecheck-stress"; }
  std::string_view mode() const override { return "stress"; }
  std::vector<std::string> schedulers() const override { return {ONCECHECK_STRESS_LABEL}; }
  std::vector<std::string> matrix_schedulers() const override { return schedulers(); }
  std::string_view iteration_unit() const override { return "rounds"; }
  std::string default_results() const override { return "build/results/stress.json"; }

  void add_options(CLI::App& app, run_request& r) override {
    r.threads = 8, r.iterations = 10000, r.stall_timeout_s = 10;
    app.add_option("--threads", r.threads, "threads per round")->transform(runner::whole_number(1, 256));
    app.add_option("--rounds", r.iterations, "rounds to run")->transform(runner::whole_number(1, 1'000'000'000'000));
    app.add_option("--timeout", r.stall_timeout_s, "seconds without progress before a round is a hang")
        ->transform(runner::finite_number(0.1, 86400));
    app.add_option("--max-time", max_time_s_, "seconds a whole cell may take")->transform(runner::finite_number(0.1, 1e6));
  }

  std::vector<std::string> request_args(const run_request& r) const override {
    return {"--threads", std::to_string(r.threads), "--rounds", std::to_string(r.iterations), "--timeout",
            runner::number_arg(r.stall_timeout_s)};
  }

  std::vector<std::string> replay_args(const cell_result&, const run_request& r) const override {
    std::vector<std::string> out = request_args(r);
    out.insert(out.end(), {"--seed", std::to_string(r.options.seed)});
    return out;
  }

  run_request matrix_request(const cell& c, const std::string& scheduler, bool, const std::string&,
                             const run_request& base) const override {
    run_request r = base;
    r.scheduler = scheduler;
    r.threads = std::max(base.threads, c.min_threads);
    return r;
  }

  std::string expected_of(const expected_row& row, const std::string& label) const override {
    return row.stress_for(label);
  }

  cell_result run(const cell& c, const run_request& r) override { return entries_[c.index](c, r); }

  bool single_run_in_child(const run_request&) const override { return true; }
  int matrix_parallelism() const override { return 1; }  // rounds are timed: one cell at a time
  double child_time_limit(const run_request&) const override { return max_time_s_; }
  void before_child(const std::filesystem::path& dir) const override { set_sanitizer_logs(dir); }
  std::optional<cell_result> verdict_of_child(const std::filesystem::path& dir, const runner::child_outcome& o,
                                              const cell_result& base) const override {
    if (auto san = sanitizer_verdict(dir, base)) return san;
    if (std::filesystem::exists(dir / "cell.json")) return std::nullopt;  // the child's own verdict
    return crash_verdict(dir, o, base);
  }

 private:
  double max_time_s_ = 1800;
  std::vector<runner::entry_point> entries_ = runner::make_entries<entries>();
};

}  // namespace
}  // namespace oncecheck::stress

int main(int argc, char** argv) {
  oncecheck::stress::threads_engine engine;
  return oncecheck::runner::main(engine, argc, argv);
}
