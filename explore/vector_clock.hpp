// vector_clock: one counter per explored thread (plus the setup context),
// for the two happens-before relations the explorer keeps:
//   - C++'s (release/acquire, mutex, thread start/join), which the race
//     detector checks plain data (Sync::cell) against;
//   - the dependency order of the explored steps, which dynamic
//     partial-order reduction uses to find reversible races.
// Fixed size, so a clock is a value: copying it allocates nothing.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>

namespace oncecheck::explore {

// Threads of one cell, the setup/check context included.
inline constexpr int max_clock_threads = 16;

class vector_clock {
 public:
  std::uint32_t operator[](int t) const noexcept { return c_[std::size_t(t)]; }
  std::uint32_t& operator[](int t) noexcept { return c_[std::size_t(t)]; }

  void join(const vector_clock& o) noexcept {
    for (std::size_t i = 0; i < c_.size(); ++i) c_[i] = std::max(c_[i], o.c_[i]);
  }
  // Every event this clock has seen, `o` has seen too.
  bool leq(const vector_clock& o) const noexcept {
    for (std::size_t i = 0; i < c_.size(); ++i)
      if (c_[i] > o.c_[i]) return false;
    return true;
  }
  void clear() noexcept { c_.fill(0); }

 private:
  std::array<std::uint32_t, max_clock_threads> c_{};
};

}  // namespace oncecheck::explore
