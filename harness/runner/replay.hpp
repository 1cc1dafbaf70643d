// replay: the shell command that reproduces one result, built once for every
// engine: `<program> --design D --flaw F --scenario S`, then the engine's own
// arguments for that failure (Relacy: the scheduler and its state; stress:
// threads, rounds, seed, timeout), then the run's `--param`s and what the
// scenario noted for this failure (scenarios/run_options.hpp). Run it from
// the repository root.
#pragma once

#include <charconv>
#include <sstream>
#include <string>
#include <vector>

#include "../cell_result.hpp"
#include "run_request.hpp"

namespace oncecheck::runner {

// Quoted only when the shell would split or expand it.
inline std::string shell_word(const std::string& s) {
  const bool plain = !s.empty() && s.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                       "0123456789_./=:,+-@%") == std::string::npos;
  if (plain) return s;
  std::string out = "'";
  for (char ch : s) out += ch == '\'' ? std::string("'\\''") : std::string(1, ch);
  return out + "'";
}

// A number as a person would write it (3, not 3.000000), and the shortest
// text that reads back as the same double: a child or a replay is given
// exactly the value that was checked (1234567, not 1.23457e+06).
inline std::string number_arg(double v) {
  char buf[64];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

// The arguments that name the run's parameters, and the failure's own notes.
inline std::vector<std::string> param_args(const run_request& r, const std::string& noted = "") {
  std::vector<std::string> out;
  for (const auto& [name, value] : r.options.params) out.insert(out.end(), {"--param", name + "=" + value});
  std::istringstream notes(noted);
  for (std::string item; notes >> item;) out.insert(out.end(), {"--param", item});
  return out;
}

inline std::string command_line(const std::string& program, const std::vector<std::string>& args) {
  std::string out = program;
  for (const auto& a : args) out += " " + shell_word(a);
  return out;
}

inline std::vector<std::string> cell_args(const cell_result& c) {
  return {"--design", c.design, "--flaw", c.flaw, "--scenario", c.scenario};
}

}  // namespace oncecheck::runner
