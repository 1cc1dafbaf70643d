// prefix_split: the subtrees a sharded dpor search is cut into (the units
// of harness/runner/shard.hpp), as prefixes of the first choices of its
// tree. dpor.hpp says why a subtree search under a prefix is sound.
//
// The split depth is the smallest d whose prefixes number at least
// `target` (64 by default: 8 or more per shard up to 8 shards), found by
// listing the top of the tree with plain DFS cut at depth d (one execution
// per prefix, milliseconds each), up to `max_depth`. It depends on the
// program and the bound only, never on the number of shards, so 1, 2 or 4
// shards explore the same subtrees and their totals add up to the same
// figure. That figure may differ from an unsplit dpor run's: the top d
// levels are not reduced, and are explored in thread order
// (docs/results.md).
//
// Failures met while listing are not reported: every execution listed
// belongs to one subtree, whose search finds it.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <vector>

#include "dpor.hpp"
#include "engine.hpp"

namespace oncecheck::explore {

using prefix = std::vector<std::uint8_t>;

// Every prefix of depth `depth` (shorter where an execution ends first),
// in the order plain DFS meets them.
inline std::vector<prefix> prefixes_at(engine& e, program& p, std::optional<int> bound, int depth) {
  dpor_scheduler top(dpor_scheduler::options{false, bound, {}, depth});
  std::vector<prefix> out;
  while (top.begin_execution()) {
    e.run(p, top);
    out.push_back(top.choices());
  }
  return out;
}

inline std::vector<prefix> split_prefixes(program& p, std::optional<int> bound, int max_steps,
                                          std::size_t target = 64, int max_depth = 16) {
  engine e(p.threads(), engine_options{max_steps, false});
  std::vector<prefix> found;
  for (int d = 1; d <= max_depth; ++d) {
    found = prefixes_at(e, p, bound, d);
    bool deeper = false;  // some execution is longer than d: a deeper split has more
    for (const prefix& x : found) deeper = deeper || int(x.size()) == d;
    if (found.size() >= target || !deeper) break;
  }
  // Sorted, so that the order is the prefixes' own and not the listing's.
  std::set<prefix> sorted(found.begin(), found.end());
  return {sorted.begin(), sorted.end()};
}

// The size of each subtree, estimated for dealing (shard.hpp): its
// executions if it ends within `probe` of them, else what `probe` makes of
// Knuth's estimate of the fraction it covered (a count, the same on every
// machine, not a time).
inline std::vector<double> estimate_subtrees(program& p, const std::vector<prefix>& prefixes,
                                             std::optional<int> bound, int max_steps, std::uint64_t probe = 200) {
  engine e(p.threads(), engine_options{max_steps, false});
  std::vector<double> out;
  for (const prefix& x : prefixes) {
    dpor_scheduler s(dpor_scheduler::options{true, bound, x, -1});
    std::uint64_t runs = 0;
    while (runs < probe && s.begin_execution()) {
      if (e.run(p, s).end == execution_end::failed) break;
      ++runs;
    }
    const double fraction = s.estimated_fraction();
    out.push_back(s.exhausted() || fraction <= 0 ? double(runs) : double(runs) / std::max(fraction, 1e-9));
  }
  return out;
}

}  // namespace oncecheck::explore
