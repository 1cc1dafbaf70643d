// shard: `--shard I/N`, one of N processes (on one machine or many) that
// together run one search or one matrix, and how work is dealt to them.
//
// Units of work. A cell an engine can split (engine::split_units) is cut
// into units whose list depends on the cell and its budget only, never on
// N: a random-like cell's iterations (Relacy `random`, the explorer's
// `pct`) into a fixed number of parts, a tree search (the explorer's
// `dpor`) into the subtrees under each prefix of its first choices. So 1,
// 2 or 4 shards run the same units and their merged totals are equal
// (harness/runner/merge.hpp); `--shard 1/1` is the unsplit reference of a
// sharded run. A cell that cannot be split (Relacy's tree schedulers, whose
// search state cannot be given an end; a scenario that draws programs) is
// one unit, dealt whole.
//
// Dealing, deterministic so that every shard computes the same list
// without talking to the others: a cell's units go round-robin in unit
// order (unit u to shard u mod N); whole cells go round-robin over the
// matrix plan in its own order, which lists every cell under one scheduler
// before the next scheduler, so each shard gets its share of every kind of
// run. Balance comes from many units per cell (a dpor split aims at 32 or
// more prefixes, so up to 8 shards each hold 4 or more), not from an
// estimate of each unit's size.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

namespace oncecheck::runner {

struct shard_spec {
  unsigned index = 1;  // 1..count
  unsigned count = 1;

  // Unit u (0-based) of a split cell, or the u-th whole run of a plan.
  bool owns(std::uint64_t u) const noexcept { return u % count == index - 1; }
  std::string text() const { return std::to_string(index) + "/" + std::to_string(count); }
};

// "I/N" with 1 <= I <= N <= 4096, both in decimal digits; nullopt otherwise.
inline std::optional<shard_spec> parse_shard(const std::string& text) {
  const auto slash = text.find('/');
  if (slash == std::string::npos) return std::nullopt;
  auto number = [](const std::string& s) -> std::optional<unsigned> {
    unsigned v = 0;
    if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
    return v;
  };
  const auto i = number(text.substr(0, slash)), n = number(text.substr(slash + 1));
  if (!i || !n || *n == 0 || *n > 4096 || *i == 0 || *i > *n) return std::nullopt;
  return shard_spec{*i, *n};
}

// The first and one-past-last of `total` items that part `u` of `parts`
// takes: contiguous ranges whose sizes differ by at most one.
inline std::pair<std::uint64_t, std::uint64_t> part_range(std::uint64_t total, std::uint64_t u, std::uint64_t parts) {
  return {total / parts * u + std::min(u, total % parts), total / parts * (u + 1) + std::min(u + 1, total % parts)};
}

// A distinct seed for part `u` of a run seeded `seed` (splitmix64 of both).
inline std::uint64_t part_seed(std::uint64_t seed, std::uint64_t u) {
  std::uint64_t z = seed + 0x9e3779b97f4a7c15ull * (u + 1);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// Random-like cells are cut into this many parts, whatever N.
inline constexpr std::uint64_t random_parts = 8;

}  // namespace oncecheck::runner
