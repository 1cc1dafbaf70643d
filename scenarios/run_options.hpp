// run_options: what a run tells a scenario beyond its design and backend,
// and what a failing run tells its replay command.
//
// The runner sets them once per run, before the first round or iteration,
// from the command line: `--seed S` and any number of `--param name=value`
// (a scenario documents the names it reads; the runner passes the rest
// through untouched, so a scenario's parameters plug in without touching the
// runner). A scenario reads them with
//
//   const run_options& o = current_run_options();
//   const std::uint64_t programs = o.number("programs", 100);
//
// and, when what it needs to reproduce one failure is narrower than the run
// (the seed of the one generated program that failed), records it with
// note_replay_param("program_seed", "1234"); the runner adds it to the
// failure's replay command as `--param program_seed=1234`.
//
// Why process-wide: the scenario's state and thread bodies are built by the
// engines with fixed signatures (state(threads), thread(state&, tid)) under
// every backend; a run is one cell in one process (the runner runs each cell
// in a child), so there is exactly one set of options at a time. The replay
// note is a fixed buffer: under Relacy a heap allocation inside the checked
// program would be charged to it as a leak.
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

namespace oncecheck::scenarios {

struct run_options {
  std::uint64_t seed = 1;
  std::map<std::string, std::string> params;  // --param name=value

  std::string text(const std::string& name, const std::string& fallback = "") const {
    const auto it = params.find(name);
    return it == params.end() ? fallback : it->second;
  }
  std::uint64_t number(const std::string& name, std::uint64_t fallback) const {
    const auto it = params.find(name);
    if (it == params.end()) return fallback;
    try {
      std::size_t used = 0;
      const std::uint64_t v = std::stoull(it->second, &used);
      if (used == it->second.size()) return v;
    } catch (const std::exception&) {
    }
    throw std::invalid_argument("--param " + name + "=" + it->second + ": not a number");
  }
};

inline run_options& mutable_run_options() {
  static run_options options;
  return options;
}
inline const run_options& current_run_options() { return mutable_run_options(); }

// "name=value name=value": what a replay of the failure must pass.
struct replay_note {
  char text[256] = {};
};
inline replay_note& current_replay_note() {
  static replay_note note;
  return note;
}

inline void note_replay_param(std::string_view name, std::string_view value) {
  replay_note& n = current_replay_note();
  const std::size_t used = std::char_traits<char>::length(n.text);
  std::snprintf(n.text + used, sizeof n.text - used, "%s%.*s=%.*s", used ? " " : "", int(name.size()), name.data(),
                int(value.size()), value.data());
}

}  // namespace oncecheck::scenarios
