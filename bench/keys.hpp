// The key and value convention of WORKLOADS.md in the benchmarks' namespace:
// 64-bit keys, the value of key k is 2k+1 (so 0 is never a value, and the
// benchmarks use 0 for "no value"), and splitmix64, the generator W1 draws
// its random keys with.
#pragma once

#include <cstdint>

#include "../scenarios/scenario_support.hpp"

namespace oncecheck::bench {

using scenarios::key_t;
using scenarios::value_of;
using scenarios::value_t;

inline std::uint64_t splitmix64(std::uint64_t& state) noexcept {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

}  // namespace oncecheck::bench
