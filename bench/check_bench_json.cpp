// oncecheck-bench-check: reads a bench.json written by oncecheck-bench and
// checks what the contract of docs/results.md promises, never a timing:
//   - every benchmark name that must be there is there: each correct design
//     of the catalogue (harness/registry.hpp) x each workload x T (or W), and
//     every floor; the expectation comes from the catalogue, not from the
//     benchmark binary, so a design that stops being registered is missed;
//   - no benchmark ended in an error (a wrong value, a lost key);
//   - each has its workload's counters, and each design its floor_ratio;
//   - W3 with task waiters (notify_task) and W2 with task callers
//     (coalesce_task) for every design with async_wait, and W3's with its
//     floor (floor.executor);
//   - W4 at scale (distinct_miss/<design>/threads:2/keys:N) for every design
//     and its floor (floor.random_load);
//   - every correct design's coalesce and coalesce_task run has
//     violations == 0 and as many computes as rounds, in every repetition;
//   - with repetitions (--benchmark_repetitions), each repetition's
//     floor_ratio is its figure over the median of its floor's repetitions
//     (bench/floor_table.hpp), so the median aggregate is median over median.
// Usage: oncecheck-bench-check [--workload NAME]... bench.json
// (--workload restricts the check to those workloads; default: all.)
// Exit code 0 when everything holds, 1 with one line per problem otherwise,
// 2 on bad input.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "../harness/registry.hpp"
#include "../scenarios/percentile.hpp"

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

// The figure a benchmark's floor_ratio divides, as bench/workload_*.hpp
// hands it to floor_table, and the floor it divides by: its workload's
// floor at the same T or W (docs/results.md). nullopt: no ratio is taken.
struct ratio_rule {
  std::string floor;                          // the floor's contract name
  double (*figure)(const nlohmann::json& run);  // NaN when the counter is missing
};

double counter(const nlohmann::json& run, const char* name) {
  return run.contains(name) && run[name].is_number() ? run[name].get<double>() : std::nan("");
}

std::optional<ratio_rule> ratio_rule_of(const std::string& name) {
  const auto part = [&](std::size_t i) {
    std::size_t start = 0;
    for (; i > 0; --i) start = name.find('/', start) + 1;
    return name.substr(start, name.find('/', start) - start);
  };
  const std::string workload = part(0), param = part(2);
  if (part(1).starts_with("floor.")) return std::nullopt;
  if (workload == "hit" || workload == "distinct_miss")
    return ratio_rule{"hit/floor.lockfree/" + param, [](const nlohmann::json& r) { return counter(r, "core_ns_per_op"); }};
  if (workload == "coalesce" || workload == "coalesce_task")
    return ratio_rule{"coalesce/floor.barrier/" + param,
                      [](const nlohmann::json& r) { return 1 / counter(r, "rounds_per_sec"); }};
  if (workload == "notify" || workload == "notify_task")
    return ratio_rule{"notify/floor.futex/" + param, [](const nlohmann::json& r) { return counter(r, "wake_p50"); }};
  return std::nullopt;
}

// The file's text with Google Benchmark's non-JSON numbers read as null.
// libbenchmark 1.7.1 writes a NaN or infinite double as NaN / Infinity
// (with a sign): a repetition's `cv` aggregate of a counter whose mean is 0
// (violations, in every repetition of a correct design) is NaN. No check
// reads a cv; the rest of the file is left as written (strings included).
std::string with_non_numbers_as_null(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      out += c;
      if (c == '\\' && i + 1 < text.size()) out += text[++i];
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    const std::string_view rest = std::string_view(text).substr(i + (c == '-' ? 1 : 0));
    bool replaced = false;
    for (const std::string_view word : {"NaN", "Infinity"})
      if (rest.starts_with(word)) {
        out += "null";
        i += word.size() - (c == '-' ? 0 : 1);
        replaced = true;
        break;
      }
    if (!replaced) out += c;
  }
  return out;
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
    doc = nlohmann::json::parse(with_non_numbers_as_null(std::string(std::istreambuf_iterator<char>(in), {})));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "oncecheck-bench-check: %s is not JSON: %s\n", path.c_str(), e.what());
    return 2;
  }

  if (!doc.contains("benchmarks") || !doc["benchmarks"].is_array()) {
    std::fprintf(stderr, "oncecheck-bench-check: %s has no \"benchmarks\" array\n", path.c_str());
    return 2;
  }
  // Each name's repetitions (one without --benchmark_repetitions), in
  // run order; points into doc.
  std::map<std::string, std::vector<const nlohmann::json*>> runs;
  for (const auto& b : doc["benchmarks"])
    if (b.value("run_type", "iteration") == "iteration") runs[contract_name(b.value("name", ""))].push_back(&b);

  int problems = 0;
  auto problem = [&](const std::string& name, const std::string& what) {
    std::printf("%s: %s\n", name.c_str(), what.c_str());
    ++problems;
  };
  std::size_t checked = 0;
  // The repetitions of `name` if it is there and each ended without an
  // error, with every counter in `counters`; nullptr (and a problem) otherwise.
  auto present = [&](const std::string& name,
                     const std::vector<std::string>& counters) -> const std::vector<const nlohmann::json*>* {
    const auto it = runs.find(name);
    if (it == runs.end()) {
      problem(name, "missing");
      return nullptr;
    }
    ++checked;
    for (const nlohmann::json* run : it->second) {
      if (run->value("error_occurred", false)) {
        problem(name, "ended in an error: " + run->value("error_message", std::string("?")));
        return nullptr;
      }
      for (const std::string& c : counters)
        if (!run->contains(c)) problem(name, "no counter " + c);
    }
    return &it->second;
  };
  // A coalesce run of a correct design: no violation, one compute a round.
  auto single_flight_held = [&](const std::string& name, const std::vector<const nlohmann::json*>& reps) {
    for (const nlohmann::json* run : reps) {
      const double violations = run->value("violations", -1.0);
      if (violations != 0) problem(name, "violations = " + std::to_string(violations) + ", must be 0");
      if (run->value("computes", -1.0) != run->value("rounds", -2.0)) problem(name, "computes != rounds");
    }
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
        const auto* reps = present(name, w.counters);
        if (!reps) continue;
        if (is_design && w.has_floor_ratio && !reps->back()->contains("floor_ratio")) problem(name, "no floor_ratio");
        if (w.name == "coalesce" && is_design) single_flight_held(name, *reps);
      }
    }
  }
  // W3 with task waiters: the designs that can park a task, on the
  // notifier's worker and on the other one (moved when woken, or pinned).
  // Their floor (bench/task_wake_floor.hpp) at the same W and placements.
  if (only.empty() || only.contains("notify_task")) {
    std::vector<std::string> with_tasks{"floor.executor"};
    for (const std::string& d : correct_designs(true)) with_tasks.push_back(d);
    for (const std::string& who : with_tasks)
      for (const char* placement : {"same_worker", "other_worker", "other_worker_pinned"})
        for (int waiters : {1, 8, 64})
          present("notify_task/" + who + "/waiters:" + std::to_string(waiters) + "/placement:" + placement,
                  {"wake_p50", "wake_p99", "first_p50", "not_blocked", "floor_ratio"});
  }
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
        if (const auto* reps = present(name, {"rounds_per_sec", "computes", "violations", "floor_ratio"}))
          single_flight_held(name, *reps);
      }
  // Every floor_ratio of a benchmark whose floor is in the file is its
  // figure over the median of the floor's repetitions (with one repetition,
  // over the floor's figure).
  for (const auto& [name, reps] : runs) {
    const std::optional<ratio_rule> rule = ratio_rule_of(name);
    const auto floor = rule ? runs.find(rule->floor) : runs.end();
    if (floor == runs.end()) continue;
    if (!only.empty() && !only.contains(name.substr(0, name.find('/')))) continue;
    std::vector<double> floor_figures;
    for (const nlohmann::json* f : floor->second) floor_figures.push_back(rule->figure(*f));
    const double floor_median = oncecheck::median_of(floor_figures);
    for (const nlohmann::json* run : reps) {
      if (run->value("error_occurred", false)) continue;  // no figures: named as an error where it is expected
      const double ratio = counter(*run, "floor_ratio"), want = rule->figure(*run) / floor_median;
      if (!(std::fabs(ratio - want) <= 1e-6 * std::fabs(want)))
        problem(name, "floor_ratio " + std::to_string(ratio) + " is not its figure over the median of " +
                          rule->floor + "'s " + std::to_string(floor_figures.size()) + " repetitions (" +
                          std::to_string(want) + ")");
    }
  }
  if (problems == 0) std::printf("oncecheck-bench-check: %zu benchmarks as the contract says\n", checked);
  return problems == 0 ? 0 : 1;
}
