// What a stress child leaves behind besides its JSON, read as a verdict: the
// report a sanitizer wrote before it halted the program, or a crash.
//
// Each child runs with the caller's sanitizer options (or the project's
// defaults) plus a log_path into the child's own directory. The caller's are
// read once, before the first child changes the variables: appending to what
// the previous child was given would pile up one log_path per cell.
#pragma once

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <sstream>
#include <string>

#include "../runner/child_cell.hpp"
#include "round_file.hpp"

namespace oncecheck::stress {

inline void set_sanitizer_logs(const std::filesystem::path& dir) {
  static const auto callers = [](const char* name, const char* fallback) {
    const char* value = std::getenv(name);
    return std::string(value ? value : fallback);
  };
  static const std::string tsan = callers("TSAN_OPTIONS", "halt_on_error=1 detect_deadlocks=1 second_deadlock_stack=1");
  static const std::string asan = callers("ASAN_OPTIONS", "detect_stack_use_after_return=1");
  const std::string log = " log_path=" + (dir / "san").string();
  setenv("TSAN_OPTIONS", (tsan + log).c_str(), 1);
  setenv("ASAN_OPTIONS", (asan + log).c_str(), 1);
}

inline verdict verdict_of_report(const std::string& report) {
  auto has = [&](const char* s) { return report.find(s) != std::string::npos; };
  if (has("data race")) return verdict::data_race;
  if (has("use-after-free") || has("use-after-return") || has("use-after-scope") || has("SEGV"))
    return verdict::use_after_free;  // a crash too: see crash_verdict
  if (has("lock-order-inversion")) return verdict::deadlock;
  if (has("leak")) return verdict::leak;
  return verdict::assert_failed;
}

// The round the child was in when it died (round_file.hpp): its first
// failure, and the rounds it ran.
inline void died_in_round(const std::filesystem::path& dir, cell_result& cell) {
  cell.first_failure_iteration = round_file::read(dir / "cell.json.round");
  if (cell.first_failure_iteration) cell.iterations = *cell.first_failure_iteration;
}

// The first sanitizer report the child left in `dir`, as a verdict.
inline std::optional<cell_result> sanitizer_verdict(const std::filesystem::path& dir, cell_result cell) {
  std::string report;
  if (std::filesystem::exists(dir))
    for (const auto& f : std::filesystem::directory_iterator(dir))
      if (f.path().filename().string().starts_with("san")) report += runner::read_text(f.path());
  if (report.empty()) return std::nullopt;
  cell.result = verdict_of_report(report);
  died_in_round(dir, cell);
  const auto summary = report.find("SUMMARY: ");
  cell.reason = summary == std::string::npos ? "sanitizer report"
                                              : report.substr(summary + 9, report.find('\n', summary) - summary - 9);
  std::istringstream lines(report);
  std::string line;
  for (int i = 0; i < 60 && std::getline(lines, line); ++i) cell.trace += "  " + line + "\n";
  return cell;
}

// Nothing in a scenario dereferences a bad pointer of its own: a crash is
// the design touching memory that was no longer its to touch.
inline std::optional<cell_result> crash_verdict(const std::filesystem::path& dir, const runner::child_outcome& o,
                                                cell_result cell) {
  if (o.signal != SIGSEGV && o.signal != SIGBUS) return std::nullopt;
  cell.result = verdict::use_after_free;
  died_in_round(dir, cell);
  cell.reason = std::string("the run crashed with ") + (o.signal == SIGSEGV ? "SIGSEGV" : "SIGBUS") +
                ": it touched memory that was freed or out of scope";
  if (std::filesystem::exists(dir / "log.txt")) cell.trace = runner::read_text(dir / "log.txt");
  return cell;
}

}  // namespace oncecheck::stress
