// One cell of a run (a design-or-flaw x scenario x scheduler) and its JSON
// form, the shape DESIGN.md ("Results") fixes for models.json and
// stress.json. The rules a reader would otherwise re-derive (does it match
// the expected matrix, did it detect its flaw, does it count for the
// time-to-detection table) are written here once and go into the JSON as
// fields of their own (docs/results.md).
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "../scenarios/latency.hpp"
#include "../impls/sync/verdict.hpp"

namespace oncecheck {

// A generated program (scenarios/spec/program.hpp) in a result: the one
// that failed, and the smallest one the shrinker found that still fails
// with the same verdict (harness/runner/shrink_programs.hpp).
struct program_text {
  std::string line;  // spec::to_line: "T0: compute k1; get k1 | T1: wait k1"
  std::uint64_t seed = 0;  // 0: written, not generated
  int threads = 0, steps = 0, keys = 0;
};

struct shrunk_program {
  program_text program;
  std::string cpp;     // the program as a scenario body a user can paste
  std::string replay;  // a command that reproduces it
  int runs = 0;        // candidates run
};

struct cell_result {
  std::string design;
  std::string flaw = "none";
  std::string scenario;
  std::string mode;       // "model" or "stress"
  std::string scheduler;  // model: random, bound, full (Relacy), dpor, pct (explorer); stress: plain, tsan
  int threads = 0;
  std::string expected;   // a verdict name, or "" when the matrix has no row
  verdict result = verdict::pass;
  std::string reason;     // what the verdict is about, one line
  std::uint64_t iterations = 0;  // model iterations or stress rounds run
  double elapsed_ms = 0;
  std::optional<std::uint64_t> first_failure_iteration;
  std::optional<std::string> replay;  // a shell command that reproduces it
  std::string trace;                  // the readable counterexample
  bool exhausted_search = false;      // a tree search that ran to its end
  // What a systematic search (the explorer's dpor, pct) says of itself:
  // executions run, its preemption bound (none: unbounded), and for a search
  // stopped by its budget Knuth's estimate of the fraction of the tree it
  // covered. Absent from the JSON of engines that do not search.
  std::optional<std::uint64_t> executions;
  std::optional<int> preemption_bound;
  std::optional<double> estimated_fraction;
  std::vector<latency_row> latency;   // stress notify_latency: wake-up figures
  // random_programs: the failing generated program, and its shrunk form.
  std::optional<program_text> program;
  std::optional<shrunk_program> shrunk;
  // The flaw must show here and the correct design passes here (a scenario
  // every design fails the same way, recursive_keys' cycle, says nothing
  // about a flaw): a row of the time-to-detection table. Set with `expected`.
  bool counts_for_detection = false;
  // A part of a sharded run (harness/runner/shard.hpp): the cell was cut
  // into `units_total` units of work, of which this result covers `units`
  // (the ones dealt to shard `shard`, "I/N"; all of them once merged), and
  // its failure, if any, is that of unit `first_failure_unit`. Absent from
  // the JSON of an unsharded run.
  std::optional<std::uint64_t> units_total;
  std::uint64_t units = 0;
  std::optional<std::uint64_t> first_failure_unit;
  std::string shard;
  // The engine's token for the failing schedule (Relacy's scheduler state);
  // the runner turns it into the `replay` command. Not part of the JSON.
  std::string replay_state;

  std::string name() const { return design + "/" + flaw + " " + scenario + " [" + scheduler + "]"; }
  // It found a failure, at a known iteration or round.
  bool detected() const {
    return result != verdict::pass && result != verdict::unsupported && first_failure_iteration.has_value();
  }
  // `expected` may list alternatives ("pass|hang") for a cell whose bug real
  // threads reach only by chance.
  bool matches_expected() const {
    const std::string v(to_string(result));
    for (std::size_t b = 0; b <= expected.size();) {
      const std::size_t e = std::min(expected.find('|', b), expected.size());
      if (e > b && expected.compare(b, e - b, v) == 0) return true;
      b = e + 1;
    }
    return false;
  }
};

inline void to_json(nlohmann::json& j, const latency_row& r) {
  j = nlohmann::json{{"waiter", r.waiter}, {"notifier_yields", r.notifier_yields}, {"samples", r.samples},
                     {"p50_us", r.p50_us}, {"p99_us", r.p99_us}, {"max_us", r.max_us}};
}

inline void from_json(const nlohmann::json& j, latency_row& r) {
  j.at("waiter").get_to(r.waiter);
  j.at("notifier_yields").get_to(r.notifier_yields);
  j.at("samples").get_to(r.samples);
  j.at("p50_us").get_to(r.p50_us);
  j.at("p99_us").get_to(r.p99_us);
  j.at("max_us").get_to(r.max_us);
}

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(program_text, line, seed, threads, steps, keys)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(shrunk_program, program, cpp, replay, runs)

inline void to_json(nlohmann::json& j, const cell_result& c) {
  j = nlohmann::json{{"design", c.design},
                     {"flaw", c.flaw},
                     {"scenario", c.scenario},
                     {"mode", c.mode},
                     {"scheduler", c.scheduler},
                     {"threads", c.threads},
                     {"expected", c.expected.empty() ? nlohmann::json(nullptr) : nlohmann::json(c.expected)},
                     {"verdict", std::string(to_string(c.result))},
                     {"reason", c.reason},
                     {"iterations", c.iterations},
                     {"elapsed_ms", c.elapsed_ms},
                     {"first_failure_iteration", c.first_failure_iteration
                                                     ? nlohmann::json(*c.first_failure_iteration)
                                                     : nlohmann::json(nullptr)},
                     {"replay", c.replay ? nlohmann::json(*c.replay) : nlohmann::json(nullptr)},
                     {"trace", c.trace},
                     {"exhausted_search", c.exhausted_search},
                     {"matches_expected", c.matches_expected()},
                     {"detected", c.detected()},
                     {"counts_for_detection", c.counts_for_detection}};
  if (!c.latency.empty()) j["latency"] = c.latency;
  if (c.program) j["program"] = *c.program;
  if (c.shrunk) j["shrunk"] = *c.shrunk;
  if (c.units_total) {
    j["units_total"] = *c.units_total;
    j["units"] = c.units;
    j["first_failure_unit"] =
        c.first_failure_unit ? nlohmann::json(*c.first_failure_unit) : nlohmann::json(nullptr);
  }
  if (!c.shard.empty()) j["shard"] = c.shard;
  if (c.executions) {
    j["executions"] = *c.executions;
    j["preemption_bound"] = c.preemption_bound ? nlohmann::json(*c.preemption_bound) : nlohmann::json(nullptr);
    j["estimated_fraction"] =
        c.estimated_fraction ? nlohmann::json(*c.estimated_fraction) : nlohmann::json(nullptr);
  }
}

inline void from_json(const nlohmann::json& j, cell_result& c) {
  j.at("design").get_to(c.design);
  j.at("flaw").get_to(c.flaw);
  j.at("scenario").get_to(c.scenario);
  j.at("mode").get_to(c.mode);
  j.at("scheduler").get_to(c.scheduler);
  j.at("threads").get_to(c.threads);
  c.expected = j.at("expected").is_null() ? "" : j.at("expected").get<std::string>();
  const auto v = parse_verdict(j.at("verdict").get<std::string>());
  if (!v) throw std::runtime_error("unknown verdict '" + j.at("verdict").get<std::string>() + "'");
  c.result = *v;
  c.reason = j.value("reason", "");
  j.at("iterations").get_to(c.iterations);
  j.at("elapsed_ms").get_to(c.elapsed_ms);
  const auto& f = j.at("first_failure_iteration");
  c.first_failure_iteration = f.is_null() ? std::nullopt : std::optional<std::uint64_t>(f.get<std::uint64_t>());
  const auto& r = j.at("replay");
  c.replay = r.is_null() ? std::nullopt : std::optional<std::string>(r.get<std::string>());
  c.trace = j.value("trace", "");
  c.exhausted_search = j.value("exhausted_search", false);
  c.counts_for_detection = j.value("counts_for_detection", false);  // matches_expected, detected: derived
  if (j.contains("latency")) j.at("latency").get_to(c.latency);
  if (j.contains("program")) c.program = j.at("program").get<program_text>();
  if (j.contains("shrunk")) c.shrunk = j.at("shrunk").get<shrunk_program>();
  if (j.contains("units_total")) {
    c.units_total = j.at("units_total").get<std::uint64_t>();
    c.units = j.value("units", std::uint64_t(0));
    const auto& u = j.value("first_failure_unit", nlohmann::json(nullptr));
    c.first_failure_unit = u.is_null() ? std::nullopt : std::optional<std::uint64_t>(u.get<std::uint64_t>());
  }
  c.shard = j.value("shard", "");
  if (j.contains("executions")) {
    c.executions = j.at("executions").get<std::uint64_t>();
    const auto& b = j.value("preemption_bound", nlohmann::json(nullptr));
    c.preemption_bound = b.is_null() ? std::nullopt : std::optional<int>(b.get<int>());
    const auto& f = j.value("estimated_fraction", nlohmann::json(nullptr));
    c.estimated_fraction = f.is_null() ? std::nullopt : std::optional<double>(f.get<double>());
  }
}

// Written to a temporary name and renamed, so an interrupted run never
// leaves half a file where a reader expects results.
inline void write_json_file(const std::string& path, const nlohmann::json& j) {
  const std::string tmp = path + ".partial";
  if (const auto dir = std::filesystem::path(path).parent_path(); !dir.empty()) std::filesystem::create_directories(dir);
  {
    std::ofstream out(tmp);
    if (!out) throw std::runtime_error("cannot write " + tmp);
    out << j.dump(2) << '\n';
    if (!out) throw std::runtime_error("cannot write " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error("cannot rename " + tmp + " to " + path);
}

inline void write_results(const std::string& path, const std::vector<cell_result>& cells) {
  write_json_file(path, nlohmann::json(cells));
}

inline std::vector<cell_result> read_results(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw std::runtime_error(path + ": cannot open");
  try {
    return nlohmann::json::parse(in).get<std::vector<cell_result>>();
  } catch (const std::exception& e) {
    throw std::runtime_error(path + ": not a results file: " + e.what());
  }
}

}  // namespace oncecheck
