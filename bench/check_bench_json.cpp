// oncecheck-bench-check: reads a bench.json written by oncecheck-bench and
// checks what the contract of docs/results.md promises, never a timing:
//   - every benchmark name that must be there is there: each correct design
//     of the catalogue (harness/registry.hpp) x each workload x T (or W), and
//     every floor; the expectation comes from the catalogue, not from the
//     benchmark binary, so a design that stops being registered is missed;
//   - no benchmark ended in an error (a wrong value, a lost key);
//   - each has its workload's counters, and each design its floor_ratio;
//   - W3 with task waiters (notify_task) and W2 with task callers
//     (coalesce_task) for every design with async_wait;
//   - W4 at scale (distinct_miss/<design>/threads:2/keys:N) for every design
//     and its floor (floor.random_load);
//   - every correct design's coalesce and coalesce_task run has
//     violations == 0 and as many computes as rounds.
// Usage: oncecheck-bench-check [--workload NAME]... bench.json
// (--workload restricts the check to those workloads; default: all.)
// Exit code 0 when everything holds, 1 with one line per problem otherwise,
// 2 on bad input.
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "../harness/registry.hpp"

namespace {

struct workload {
  std::string name;
  std::string param;  // threads or waiters
  std::vector<int> values;
  std::vector<std::string> floors;
  std::vector<std::string> counters;  // besides floor_ratio
  bool has_floor_ratio;
};

const std::vector<workload>& workloads() {
  static const std::vector<workload> all = {
      {"hit", "threads", {1, 2, 4, 8}, {"floor.lockfree", "floor.read_lock", "floor.shared_read_lock"},
       {"ns_per_op", "ops_per_sec", "core_ns_per_op"}, true},
      {"coalesce", "threads", {1, 2, 4, 8}, {"floor.barrier"}, {"rounds_per_sec", "computes", "violations"}, true},
      {"notify", "waiters", {1, 8, 64}, {"floor.futex", "floor.condvar", "floor.spin"},
       {"wake_p50", "wake_p99", "not_blocked"}, true},
      {"distinct_miss", "threads", {1, 2, 4, 8}, {}, {"ns_per_op", "ops_per_sec", "core_ns_per_op"}, true},
      {"memory", "waiters", {1, 8, 64}, {}, {"allocs_per_waiter", "bytes_per_waiter", "allocs_per_key", "bytes_per_key"},
       false},
  };
  return all;
}

std::vector<std::string> correct_designs(bool async_only = false) {
  std::vector<std::string> designs;
  oncecheck::for_each_variant([&]<class Variant>() {
    using map = typename Variant::template map<oncecheck::sync::std_backend>;
    if constexpr (Variant::flaw == oncecheck::flaw::none::name)
      if (!async_only || map::traits.async_wait) designs.emplace_back(Variant::design);
  });
  return designs;
}

// "coalesce/condvar/threads:4/manual_time" -> "coalesce/condvar/threads:4":
// Google Benchmark's own parts (real_time, manual_time, iterations:N...) go.
std::string contract_name(const std::string& name) {
  std::string kept;
  std::size_t part = 0, start = 0;
  for (;;) {
    const std::size_t end = name.find('/', start);
    const std::string piece = name.substr(start, end == std::string::npos ? std::string::npos : end - start);
    if (part < 2 || piece.starts_with("threads:") || piece.starts_with("waiters:") || piece.starts_with("placement:") ||
        piece.starts_with("keys:"))
      kept += (kept.empty() ? "" : "/") + piece;
    if (end == std::string::npos) return kept;
    start = end + 1;
    ++part;
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::set<std::string> only;
  std::string path;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--workload" && i + 1 < argc) only.insert(argv[++i]);
    else if (path.empty() && !arg.starts_with("--")) path = arg;
    else {
      std::fprintf(stderr, "usage: oncecheck-bench-check [--workload NAME]... bench.json\n");
      return 2;
    }
  }
  std::ifstream in(path);
  if (path.empty() || !in) {
    std::fprintf(stderr, "oncecheck-bench-check: cannot read '%s'\n", path.c_str());
    return 2;
  }
  nlohmann::json doc;
  try {
    doc = nlohmann::json::parse(in);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "oncecheck-bench-check: %s is not JSON: %s\n", path.c_str(), e.what());
    return 2;
  }

  if (!doc.contains("benchmarks") || !doc["benchmarks"].is_array()) {
    std::fprintf(stderr, "oncecheck-bench-check: %s has no \"benchmarks\" array\n", path.c_str());
    return 2;
  }
  std::map<std::string, const nlohmann::json*> runs;  // points into doc
  for (const auto& b : doc["benchmarks"])
    if (b.value("run_type", "iteration") == "iteration") runs[contract_name(b.value("name", ""))] = &b;

  int problems = 0;
  auto problem = [&](const std::string& name, const std::string& what) {
    std::printf("%s: %s\n", name.c_str(), what.c_str());
    ++problems;
  };
  std::size_t checked = 0;
  // The run of `name` if it is there and ended without an error, with every
  // counter in `counters`; nullptr (and a problem) otherwise.
  auto present = [&](const std::string& name, const std::vector<std::string>& counters) -> const nlohmann::json* {
    const auto it = runs.find(name);
    if (it == runs.end()) {
      problem(name, "missing");
      return nullptr;
    }
    ++checked;
    const nlohmann::json& run = *it->second;
    if (run.value("error_occurred", false)) {
      problem(name, "ended in an error: " + run.value("error_message", std::string("?")));
      return nullptr;
    }
    for (const std::string& counter : counters)
      if (!run.contains(counter)) problem(name, "no counter " + counter);
    return &run;
  };
  // A coalesce run of a correct design: no violation, one compute a round.
  auto single_flight_held = [&](const std::string& name, const nlohmann::json& run) {
    const double violations = run.value("violations", -1.0);
    if (violations != 0) problem(name, "violations = " + std::to_string(violations) + ", must be 0");
    if (run.value("computes", -1.0) != run.value("rounds", -2.0)) problem(name, "computes != rounds");
  };
  const std::vector<std::string> designs = correct_designs();
  for (const workload& w : workloads()) {
    if (!only.empty() && !only.contains(w.name)) continue;
    std::vector<std::pair<std::string, bool>> expected;  // (who, is a design)
    for (const std::string& f : w.floors) expected.emplace_back(f, false);
    for (const std::string& d : designs) expected.emplace_back(d, true);
    for (const auto& [who, is_design] : expected) {
      for (int value : w.values) {
        const std::string name = w.name + "/" + who + "/" + w.param + ":" + std::to_string(value);
        const nlohmann::json* run = present(name, w.counters);
        if (!run) continue;
        if (is_design && w.has_floor_ratio && !run->contains("floor_ratio")) problem(name, "no floor_ratio");
        if (w.name == "coalesce" && is_design) single_flight_held(name, *run);
      }
    }
  }
  // W3 with task waiters: the designs that can park a task, on the
  // notifier's worker and on the other one (moved when woken, or pinned).
  if (only.empty() || only.contains("notify_task"))
    for (const std::string& d : correct_designs(true))
      for (const char* placement : {"same_worker", "other_worker", "other_worker_pinned"})
        for (int waiters : {1, 8, 64})
          present("notify_task/" + d + "/waiters:" + std::to_string(waiters) + "/placement:" + placement,
                  {"wake_p50", "wake_p99", "first_p50", "not_blocked", "floor_ratio"});
  // W4 at scale: the N of bench/workload_miss_at_scale.hpp (miss_at_scale_keys),
  // for its floor (bench/random_load_floor.hpp) and every design.
  if (only.empty() || only.contains("distinct_miss")) {
    std::vector<std::string> at_scale{"floor.random_load"};
    at_scale.insert(at_scale.end(), designs.begin(), designs.end());
    for (const std::string& who : at_scale)
      for (const char* keys : {"10000", "1000000", "10000000"})
        present("distinct_miss/" + who + "/threads:2/keys:" + std::string(keys),
                {"ns_per_op", "ops_per_sec", "core_ns_per_op", "floor_ratio"});
  }
  // W2 with task callers, for the same designs.
  if (only.empty() || only.contains("coalesce_task"))
    for (const std::string& d : correct_designs(true))
      for (int threads : {1, 2, 4, 8}) {
        const std::string name = "coalesce_task/" + d + "/threads:" + std::to_string(threads);
        if (const nlohmann::json* run = present(name, {"rounds_per_sec", "computes", "violations", "floor_ratio"}))
          single_flight_held(name, *run);
      }
  if (problems == 0) std::printf("oncecheck-bench-check: %zu benchmarks as the contract says\n", checked);
  return problems == 0 ? 0 : 1;
}
