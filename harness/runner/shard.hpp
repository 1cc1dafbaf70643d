// shard: `--shard I/N`, one of N processes (on one machine or many) that
// together run one search or one matrix, and how work is dealt to them.
//
// Units of work. A cell an engine can split (engine::split_units) is cut
// into units whose list depends on the cell and its budget only, never on
// N: a random-like cell's iterations (Relacy `random`, the explorer's
// `pct`) into a fixed number of parts, a tree search (the explorer's
// `dpor`, Relacy's `bound` and `full`: models/tree_split.hpp) into the
// subtrees under each prefix of its first choices. So 1, 2 or 4 shards run
// the same units and their merged totals are equal
// (harness/runner/join_parts.hpp); `--shard 1/1` is the unsplit reference
// of a sharded run. A cell that cannot be split (the explorer's `dfs`; a
// scenario that draws programs, whose searches run program after program)
// is one unit, dealt whole. So is a tree search in a matrix
// (run_request::from_matrix): its budget caps it, there are hundreds of
// cells to deal, and split it would cost its listing, probes and budget
// once in every shard.
//
// Dealing, deterministic so that every shard computes the same list
// without talking to the others. Units of equal size (random parts) go
// round-robin in unit order (unit u to shard u mod N). Units of unequal
// size (tree subtrees, 64 or more per cell) are dealt by an estimate
// of their size, a count of executions and not a time so that every shard
// computes the same one (explore/prefix_split.hpp and
// models/tree_split.hpp probe each subtree):
// largest first, each to the shard with the least so far (ties to the
// lower shard), which keeps the largest shard near the mean once there
// are several units per shard. Whole cells go round-robin over the matrix
// plan in its own order, which lists every cell under one scheduler
// before the next scheduler, so each shard gets its share of every kind
// of run.
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace oncecheck::runner {

struct shard_spec {
  unsigned index = 1;  // 1..count
  unsigned count = 1;

  // Unit u (0-based) of a split cell, or the u-th whole run of a plan.
  bool owns(std::uint64_t u) const noexcept { return u % count == index - 1; }
  std::string text() const { return std::to_string(index) + "/" + std::to_string(count); }
};

// The shard (1..shards) of each unit, dealt by size as above.
inline std::vector<unsigned> deal_by_size(const std::vector<double>& sizes, unsigned shards) {
  std::vector<std::size_t> order(sizes.size());
  for (std::size_t u = 0; u < order.size(); ++u) order[u] = u;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return sizes[a] > sizes[b]; });
  std::vector<double> load(shards, 0.0);
  std::vector<unsigned> owner(sizes.size(), 1);
  for (const std::size_t u : order) {
    const auto least = std::size_t(std::min_element(load.begin(), load.end()) - load.begin());
    owner[u] = unsigned(least + 1);
    load[least] += sizes[u];
  }
  return owner;
}

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

// splitmix64: the next of a stream of well-mixed numbers from `state`.
inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// A distinct seed for part `u` of a run seeded `seed`.
inline std::uint64_t part_seed(std::uint64_t seed, std::uint64_t u) {
  std::uint64_t state = seed + 0x9e3779b97f4a7c15ull * u;
  return splitmix64(state);
}

// Random-like cells are cut into this many parts, whatever N.
inline constexpr std::uint64_t random_parts = 8;

}  // namespace oncecheck::runner
