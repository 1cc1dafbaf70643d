// program_source: which generated program (scenarios/spec/program.hpp) each
// round of a program-drawing scenario (random_programs) runs, and how a run
// asks for them.
//
// A run names its programs with the run options (scenarios/run_options.hpp):
//
//   --seed S                  the first program's seed (default 1)
//   --programs N              how many programs (--param programs=N)
//   --param per_program=K     a tree search's schedules per program
//   --param program=S         one program only, by its seed (a replay)
//   --param program='T0: ...' one program only, as written (a shrunk one)
//
// How an engine uses them depends on what its scheduler is:
//   - a sampler (Relacy's random, the explorer's pct, real threads) runs one
//     schedule per round and draws a new program every round: the source
//     is left unpinned and hands out S, S+1, ...;
//   - a tree search (Relacy's bound and full, the explorer's dpor and dfs)
//     needs the same program in every execution of its tree, so it pins one
//     program at a time and explores `per_program` schedules of it before
//     it moves to the next.
// After a failure the source's `last` is the failing program: the engine
// pins it (a replay of the failing schedule must rebuild the same program)
// and notes `program=last` for the replay command.
//
// One source per process: the scenario's state constructor takes its program
// from here, and the engines build that state through fixed signatures.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "run_options.hpp"
#include "spec/program.hpp"

namespace oncecheck::scenarios {

struct program_source_state {
  std::uint64_t base = 1;
  bool pinned = false;                 // every round runs program `base`
  std::uint64_t next = 0;              // rounds taken so far
  std::uint64_t last = 0;              // the seed of the latest round
  std::optional<spec::program> exact;  // a given program instead (shrinking, a shrunk replay)
  spec::program last_program;          // the latest round's program

  spec::program take(int threads) {
    if (exact) {
      last = exact->seed;
      last_program = *exact;
    } else {
      last = pinned ? base : base + next++;
      last_program = spec::generate(last, threads);
    }
    return last_program;
  }
  void reset(std::uint64_t seed, bool pin) {
    base = seed;
    pinned = pin;
    next = 0;
    last = seed;
  }
  // The program the latest round ran, in every round from now on.
  void pin_last() {
    if (!exact) reset(last, true);
  }
};

inline program_source_state& program_source() {
  static program_source_state s;
  return s;
}

// The last failure's full account (the history and the longest order), for
// the runner to show under the trace; a fixed buffer, as a heap string would
// outlive a model iteration.
inline char (&last_program_failure())[8192] {
  static char text[8192] = {};
  return text;
}

// A scenario whose state takes its program from program_source().
template <class Scn>
concept draws_programs = requires { Scn::draws_programs; };

// What the run options ask of the programs of one run.
struct program_plan {
  std::uint64_t first = 1;                // --seed
  std::optional<std::uint64_t> programs;  // --programs
  std::optional<std::uint64_t> per_program;
  std::optional<std::uint64_t> pinned_seed;
  std::optional<spec::program> pinned_program;

  bool pinned() const { return pinned_seed || pinned_program; }

  static program_plan of(const run_options& o) {
    program_plan p;
    p.first = o.seed;
    if (o.params.count("programs")) p.programs = positive(o, "programs");
    if (o.params.count("per_program")) p.per_program = positive(o, "per_program");
    const std::string one = o.text("program");
    if (one.empty()) return p;
    if (one.find_first_not_of("0123456789") == std::string::npos) {
      p.pinned_seed = o.number("program", 0);
      return p;
    }
    p.pinned_program = spec::from_line(one);
    if (!p.pinned_program)
      throw std::invalid_argument("--param program=" + one +
                                  ": neither a program seed nor a program line (T0: step; step | T1: ...)");
    return p;
  }

  // Sets the source up for a run: one program pinned, or programs from
  // `first` on, pinned one at a time by a tree search (pin_first) or drawn
  // per round by a sampler.
  void start(bool pin_first) const {
    program_source_state& s = program_source();
    last_program_failure()[0] = '\0';
    s.exact = pinned_program;
    s.reset(pinned_seed.value_or(first), pinned() || pin_first);
  }

 private:
  static std::uint64_t positive(const run_options& o, const std::string& name) {
    const std::uint64_t n = o.number(name, 0);
    if (n == 0) throw std::invalid_argument("--param " + name + "=" + o.text(name) + ": must be at least 1");
    return n;
  }
};

}  // namespace oncecheck::scenarios
