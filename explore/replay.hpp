// replay: a schedule as a string, and the scheduler that follows one.
//
// The string lists the thread of every step, runs of one thread
// compressed: "e1:0x3.1.0x2" is T0 T0 T0 T1 T0 T0 ("e1" is the format).
// Since the engine is deterministic given its choices, the same binary
// replays the same execution from it, every time.
#pragma once

#include <charconv>
#include <cstdint>
#include <optional>
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

// nullopt when `text` is not a schedule of at most `max_steps` steps (a
// longer one is no execution: it would be a livelock first).
inline std::optional<std::vector<std::uint8_t>> decode_schedule(std::string_view text,
                                                                std::size_t max_steps = 10'000'000) {
  if (!text.starts_with("e1:")) return std::nullopt;
  text.remove_prefix(3);
  std::vector<std::uint8_t> out;
  while (!text.empty()) {
    std::size_t end = text.find('.');
    std::string_view run = text.substr(0, end);
    text = end == std::string_view::npos ? std::string_view{} : text.substr(end + 1);
    const std::size_t x = run.find('x');
    // Digits and nothing else: "0abc", " 1" and "+1" are not thread numbers.
    auto whole = [](std::string_view d) -> std::optional<std::size_t> {
      std::size_t v = 0;
      const auto r = std::from_chars(d.data(), d.data() + d.size(), v);
      if (d.empty() || r.ec != std::errc() || r.ptr != d.data() + d.size()) return std::nullopt;
      return v;
    };
    const auto t = whole(run.substr(0, x));
    const auto n = x == std::string_view::npos ? std::optional<std::size_t>(1) : whole(run.substr(x + 1));
    if (!t || !n || *t > 31 || *n < 1 || *n > max_steps - out.size()) return std::nullopt;
    out.insert(out.end(), *n, std::uint8_t(*t));
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
