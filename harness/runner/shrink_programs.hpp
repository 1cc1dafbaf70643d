// shrink_programs: what the runner core adds to a failing cell of a
// scenario that draws generated programs (random_programs, see
// scenarios/program_source.hpp), whatever the engine.
//
//   - the failing program, as a line, in the result (`program`), and
//     `--param program=S` in its replay command, so the replay rebuilds it;
//   - the program shrunk (scenarios/spec/shrink.hpp): candidates with a
//     thread, a task, a worker, a step or a key fewer, or simpler steps, are run through the
//     same engine and scheduler, pinned with `--param program='T0: ...'`,
//     and kept while they fail with the same verdict. The smallest is in
//     the result (`shrunk`) as a line, as C++ and with its own replay.
//
// Shrinking runs in the process that ran the cell, so only for engines that
// run cells in-process (the model checkers); real threads' verdicts come by
// chance and their runs are children, so a stress failure keeps its seed
// only. Budget: `--param shrink_seconds=N` (default 20; 0: no shrinking),
// each candidate at most `shrink_schedules` schedules (default 2000) and 2 s.
#pragma once

#include <algorithm>
#include <chrono>
#include <string>

#include "../../scenarios/program_source.hpp"
#include "../interrupt.hpp"
#include "../../scenarios/spec/shrink.hpp"
#include "engine.hpp"
#include "replay.hpp"

namespace oncecheck::runner {

// Threads count the program's executor workers, steps its tasks' waits: the
// sizes programs_shrunk compares with a hand-written scenario's model
// threads and operations.
inline program_text describe_program(const spec::program& p) {
  return {spec::to_line(p), p.seed, p.model_threads(), p.total_steps() + p.tasks, p.keys};
}

// The failing program into `out`, and into the replay's notes.
inline void record_failing_program(const cell& c, const run_request& r, cell_result& out) {
  if (!c.draws_programs || out.result == verdict::pass) return;
  const scenarios::program_source_state& src = scenarios::program_source();
  out.program = describe_program(src.last_program);
  // A history no order explains: the history itself and the longest order.
  if (*scenarios::last_program_failure()) out.trace += "\n" + std::string(scenarios::last_program_failure());
  if (!scenarios::program_plan::of(r.options).pinned())
    scenarios::note_replay_param("program", std::to_string(src.last));
}

inline void shrink_failing_program(engine& e, const cell& c, const run_request& r, cell_result& out,
                                   const std::string& display) {
  if (!c.draws_programs || out.result == verdict::pass || !out.program || r.replay) return;
  if (e.single_run_in_child(r) || scenarios::program_plan::of(r.options).pinned()) return;
  const std::uint64_t seconds = r.options.number("shrink_seconds", 20);
  if (seconds == 0) return;
  const std::uint64_t schedules = r.options.number("shrink_schedules", 2000);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  const spec::program failing = scenarios::program_source().last_program;
  const verdict wanted = out.result;

  cell_result smallest_run = out;  // the last candidate that failed, for its replay
  run_request smallest_request = r;
  auto fails = [&](const spec::program& p) {
    // Interrupted: the cell keeps the smallest program found so far.
    if (std::chrono::steady_clock::now() > deadline || interrupt_requested()) return false;
    run_request q = r;
    q.options.params["program"] = spec::to_line(p);
    q.iterations = std::min(r.iterations, schedules);
    q.time_limit_s = std::min(r.time_limit_s, 2.0);
    q.progress = false;
    scenarios::mutable_run_options() = q.options;
    cell_result got = e.run(c, q);
    if (got.result != wanted) return false;
    smallest_run = std::move(got);
    smallest_request = q;
    return true;
  };
  const spec::shrink_result s = spec::shrink(failing, fails);
  scenarios::mutable_run_options() = r.options;

  shrunk_program shrunk;
  shrunk.program = describe_program(s.smallest);
  shrunk.cpp = spec::to_cpp(s.smallest);
  shrunk.runs = s.attempts;
  if (s.accepted > 0) {
    std::vector<std::string> args = cell_args(smallest_run);
    for (auto& a : e.replay_args(smallest_run, smallest_request)) args.push_back(std::move(a));
    for (auto& a : param_args(smallest_request)) args.push_back(std::move(a));
    shrunk.replay = command_line(display, args);
  } else {
    shrunk.replay = out.replay.value_or("");
  }
  out.shrunk = std::move(shrunk);
}

}  // namespace oncecheck::runner
