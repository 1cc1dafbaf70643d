// replay: a schedule as a string, and the scheduler that follows one.
//
// The string lists the thread of every step, runs of one thread
// compressed: "e1:0x3.1.0x2" is T0 T0 T0 T1 T0 T0 ("e1" is the format).
// Since the engine is deterministic given its choices, the same binary
// replays the same execution from it, every time.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "scheduler.hpp"

namespace oncecheck::explore {

inline std::string encode_schedule(const std::vector<std::uint8_t>& s) {
  std::string out = "e1:";
  for (std::size_t i = 0; i < s.size();) {
    std::size_t j = i;
    while (j < s.size() && s[j] == s[i]) ++j;
    if (i > 0) out += '.';
    out += std::to_string(s[i]);
    if (j - i > 1) out += "x" + std::to_string(j - i);
    i = j;
  }
  return out;
}

inline std::optional<std::vector<std::uint8_t>> decode_schedule(std::string_view text) {
  if (!text.starts_with("e1:")) return std::nullopt;
  text.remove_prefix(3);
  std::vector<std::uint8_t> out;
  while (!text.empty()) {
    std::size_t end = text.find('.');
    std::string_view run = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    const std::size_t x = run.find('x');
    try {
      const int t = std::stoi(std::string(run.substr(0, x)));
      const int n = x == std::string_view::npos ? 1 : std::stoi(std::string(run.substr(x + 1)));
      if (t < 0 || t > 31 || n < 1) return std::nullopt;
      out.insert(out.end(), std::size_t(n), std::uint8_t(t));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return out;
}

// Runs one execution along a recorded schedule.
class replay_scheduler final : public scheduler {
 public:
  explicit replay_scheduler(std::vector<std::uint8_t> s) : schedule_(std::move(s)) {}
  std::string_view name() const override { return "replay"; }
  bool begin_execution() override { return !ran_ && (ran_ = true); }
  int choose(const engine_view& v) override {
    if (std::size_t(v.depth) >= schedule_.size() || !has(v.enabled, schedule_[std::size_t(v.depth)])) {
      diverged_ = true;
      return -1;  // not this binary's schedule (or not this cell's)
    }
    return schedule_[std::size_t(v.depth)];
  }
  bool diverged() const noexcept { return diverged_; }

 private:
  std::vector<std::uint8_t> schedule_;
  bool ran_ = false;
  bool diverged_ = false;
};

}  // namespace oncecheck::explore
