// Verdicts: the one vocabulary shared by the scenarios' checks (Sync::fail,
// scenarios::expect), the engines, the expected matrix and the JSON results
// (see DESIGN.md, "Results"). It sits beside the backends, below the
// scenarios, so a check names a verdict as `verdict::duplicate_compute` and a
// misspelled one is a compile error, not a run-time fallback.
#pragma once

#include <array>
#include <optional>
#include <string_view>

namespace oncecheck {

enum class verdict {
  pass,
  deadlock,
  hang,
  lost_wakeup,
  duplicate_compute,
  wrong_value,
  data_race,
  use_after_free,
  leak,
  livelock,
  assert_failed,
  unsupported,
  not_linearizable,  // a recorded history no sequential order of the contract explains
  // Ends from outside the design: the run says nothing about it, so a cell
  // with one of these never differs from the expected matrix and is never
  // read as a design's verdict (see outside_end).
  interrupted,  // a signal ended the run (Ctrl-C, a kill, the OOM killer)
  unfinished,   // the runner's own time limit (--max-time) stopped it
};

inline constexpr std::array<std::pair<verdict, std::string_view>, 15> verdict_names{{
    {verdict::pass, "pass"},
    {verdict::deadlock, "deadlock"},
    {verdict::hang, "hang"},
    {verdict::lost_wakeup, "lost_wakeup"},
    {verdict::duplicate_compute, "duplicate_compute"},
    {verdict::wrong_value, "wrong_value"},
    {verdict::data_race, "data_race"},
    {verdict::use_after_free, "use_after_free"},
    {verdict::leak, "leak"},
    {verdict::livelock, "livelock"},
    {verdict::assert_failed, "assert"},
    {verdict::unsupported, "unsupported"},
    {verdict::not_linearizable, "not_linearizable"},
    {verdict::interrupted, "interrupted"},
    {verdict::unfinished, "unfinished"},
}};

// Not something the design did: the run was ended from outside.
constexpr bool outside_end(verdict v) noexcept { return v == verdict::interrupted || v == verdict::unfinished; }

constexpr std::string_view to_string(verdict v) noexcept {
  for (const auto& [value, name] : verdict_names)
    if (value == v) return name;
  return "?";
}

constexpr std::optional<verdict> parse_verdict(std::string_view s) noexcept {
  for (const auto& [value, name] : verdict_names)
    if (name == s) return value;
  return std::nullopt;
}

}  // namespace oncecheck
