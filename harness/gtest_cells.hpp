// gtest_cells: a registered design's cells as GoogleTest cases in the user's
// own test binary, run by the explorer (DPOR over fibers, in-process: no
// child, no Relacy, so it sits beside any other test).
//
//   // my_map_test.cpp, compiled with ONCECHECK_USER_IMPL="my_map.hpp"
//   // (oncecheck_gtest_cells(my_map_test HEADER my_map.hpp) in CMake)
//   #include "harness/gtest_cells.hpp"
//   ONCECHECK_GTEST_CELLS(MyMap);
//
// gives one value-parameterised case per scenario of the build
// (Oncecheck/MyMap.Explore/coalesce, ...; ONCECHECK_SCENARIOS narrows them),
// each held to what the design is expected to give: the rule of
// harness/runner/expectations.hpp (what the project's correct designs of its
// kind give, read from ONCECHECK_EXPECTED_MATRIX, with the registration's
// overrides). A case that gives another verdict fails with the explorer's
// trace and the command that replays that one execution: the same test
// binary, filtered to the case, with ONCECHECK_REPLAY set to the schedule.
//
// Budget: dpor, unbounded, for ONCECHECK_GTEST_SECONDS (default 3) per case:
// a pass says whether the search reached the end of its tree.
#pragma once

#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "../explore/explore_cell.hpp"
#include "../impls/sync/explore_backend.hpp"
#include "registry.hpp"
#include "runner/expectations.hpp"

#ifndef ONCECHECK_USER_IMPL
#error "gtest_cells.hpp checks a registered design: compile with ONCECHECK_USER_IMPL=\"my_map.hpp\""
#endif
#ifndef ONCECHECK_EXPECTED_MATRIX
#error "gtest_cells.hpp needs ONCECHECK_EXPECTED_MATRIX, the path of models/expected.tsv"
#endif

namespace oncecheck::gtest {

struct cell_case {
  std::string scenario;  // as the catalogue names it: coalesce, notify_latency/1w
  explore::explore_result (*run)(const explore::explore_options&);
  bool draws_programs = false;
};

// How GoogleTest prints a case's parameter: its scenario.
inline void PrintTo(const cell_case& c, std::ostream* os) { *os << c.scenario; }

// GoogleTest's name for a case: the scenario, '/' spelled '_'.
inline std::string case_name(const ::testing::TestParamInfo<cell_case>& info) {
  std::string name = info.param.scenario;
  for (char& ch : name)
    if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
  return name;
}

inline std::vector<cell_case> cases() {
  std::vector<cell_case> out;
  for_each_cell([&]<class V, template <class, class> class S>() {
    using scenario = S<typename V::template map<sync::explore_backend>, sync::explore_backend>;
    auto run = [](const explore::explore_options& o) { return explore::explore_cell<scenario>(o); };
    out.push_back({std::string(scenario::name), +run, scenarios::draws_programs<scenario>});
  });
  return out;
}

inline double seconds_per_case() {
  const char* s = std::getenv("ONCECHECK_GTEST_SECONDS");
  return s && std::atof(s) > 0 ? std::atof(s) : 3.0;
}

// The verdicts the case may give ("pass", "deadlock", "pass|hang"...).
inline std::string expected_for(const std::string& scenario) {
  const expected_matrix m = runner::load_expected(ONCECHECK_EXPECTED_MATRIX);
  const std::string design(first_variant::design);
  const expected_row* row = m.find(design, "none", scenario);
  return row ? row->model_for("dpor") : "pass";
}

inline void check(const cell_case& c) {
  explore::explore_options o;
  o.scheduler = "dpor";
  o.max_executions = 10'000'000;
  o.time_limit_s = seconds_per_case();
  if (const char* replay = std::getenv("ONCECHECK_REPLAY")) o.replay = replay;
  scenarios::mutable_run_options() = {};
  if (c.draws_programs) scenarios::mutable_run_options().params["programs"] = "60";
  const explore::explore_result r = c.run(o);

  cell_result got;
  got.result = r.result;
  got.expected = expected_for(c.scenario);
  if (got.matches_expected()) {
    if (o.replay) GTEST_SKIP() << "ONCECHECK_REPLAY gave " << to_string(r.result) << ", as expected";
    return;
  }
  const ::testing::TestInfo* test = ::testing::UnitTest::GetInstance()->current_test_info();
  std::string message = std::string(first_variant::design) + " " + c.scenario + " [dpor]: got " +
                        std::string(to_string(r.result)) + ", expected " + got.expected + "\n";
  if (!r.reason.empty()) message += "    " + r.reason + "\n";
  message += r.trace;
  if (r.replay)
    message += "  replay: ONCECHECK_REPLAY='" + *r.replay + "' " + std::filesystem::read_symlink("/proc/self/exe").string() +
               " --gtest_filter='" + test->test_suite_name() + "." + test->name() + "'\n";
  ADD_FAILURE() << message;
}

}  // namespace oncecheck::gtest

// One GoogleTest case per scenario of the registered design, in suite
// `suite_name` (Oncecheck/<suite_name>.Explore/<scenario>).
#define ONCECHECK_GTEST_CELLS(suite_name)                                                             \
  class suite_name : public ::testing::TestWithParam<::oncecheck::gtest::cell_case> {};               \
  TEST_P(suite_name, Explore) { ::oncecheck::gtest::check(GetParam()); }                              \
  INSTANTIATE_TEST_SUITE_P(Oncecheck, suite_name, ::testing::ValuesIn(::oncecheck::gtest::cases()), \
                           ::oncecheck::gtest::case_name)
