// The floor of W1 (`hit`) and W4 (`distinct_miss`): what looking a key up
// costs with no once-map around it. A 1024-key open-addressing table (linear
// probing, power-of-two capacity at half load), filled before the threads
// start and only read afterwards, so the lock-free floor needs no atomics at
// all: thread creation orders the fill before every read.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace oncecheck::bench {

class open_addressing_table {
 public:
  static constexpr std::size_t capacity = 2048;  // twice the 1024 keys of W1

  void insert(std::uint64_t key, std::uint64_t value) {
    for (std::size_t i = home(key);; i = (i + 1) % capacity) {
      if (!slots_[i].used || slots_[i].key == key) {
        slots_[i] = {key, value, true};
        return;
      }
    }
  }

  // The value, or 0 (no key of the workloads has the value 0: values are 2k+1).
  std::uint64_t find(std::uint64_t key) const {
    for (std::size_t i = home(key);; i = (i + 1) % capacity) {
      const slot& s = slots_[i];
      if (!s.used) return 0;
      if (s.key == key) return s.value;
    }
  }

 private:
  struct slot {
    std::uint64_t key = 0;
    std::uint64_t value = 0;
    bool used = false;
  };

  // Fibonacci hashing: consecutive keys land far apart.
  static std::size_t home(std::uint64_t key) noexcept {
    return std::size_t((key * 0x9E3779B97F4A7C15ull) >> 53);  // top 11 bits: [0, 2048)
  }

  std::array<slot, capacity> slots_{};
};

}  // namespace oncecheck::bench
