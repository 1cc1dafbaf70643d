// tree_split: Relacy's tree searches (bound, full) cut into subtrees, the
// units of a sharded cell (harness/runner/shard.hpp).
//
// A tree-search state (replay_state.hpp) is the path of one execution: at
// each decision, how many choices there were, the one taken and its kind.
// Relacy walks its tree depth first: after an execution it moves the
// deepest decision that has a choice left to its next choice and drops the
// decisions below it (tree_search_scheduler::iteration_end_impl). So the
// executions under a fixed prefix of decisions are contiguous in its walk,
// and the subtree under a prefix is searched by starting from the prefix
// (test_params::initial_state) and stopping when the walk would move a
// decision of the prefix. Relacy has the start but not the stop: the
// subtree_search wrapper below is that stop. A subtree is the union of the
// subtrees under its prefix extended by each choice of the next decision
// (or is one execution, when it ends there), so the units below, cut that
// way from the whole tree, hold every execution exactly once: their
// executions add up to the unsplit search's, and an exhausted tree is
// exhausted in every unit.
//
// Cutting: from the whole tree, the largest unit not yet known to be small
// is replaced by the subtrees one decision below it (listed by the same
// walk cut at that depth, one execution each), until there are enough
// units (model_run.hpp, split_tree). Sizes, for dealing the units to the
// shards by size: a probe walks up to `probe` executions of a unit; one
// it ends is small and its size exact; for the others Knuth's estimator
// (next_sample below). Counts, not times, from seeds that depend on the
// prefix alone: every shard computes the same units and sizes. A failure
// met while listing ends Relacy's run; the listing notes its prefix and
// starts again after it (the unit's search finds the failure).
#pragma once

#include <algorithm>
#include <compare>
#include <cstdint>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "../harness/runner/shard.hpp"  // splitmix64

// Included after impls/sync/relacy_backend.hpp (models/model_run.hpp).

namespace oncecheck::model {

// One decision of a tree-search state (Relacy's stree_node).
struct tree_decision {
  unsigned count = 1, index = 0, type = 0;
  friend auto operator<=>(const tree_decision&, const tree_decision&) = default;
};
using tree_prefix = std::vector<tree_decision>;

// What the wrapper does in the search under way; set by the runner around
// one Relacy run (single-threaded: one search at a time in a process).
struct tree_split_control {
  std::size_t floor = 0;  // the first `floor` decisions are fixed (a unit's prefix)
  std::size_t cut = 0;    // > 0: listing prefixes of this depth
  std::uint64_t probe = 0;  // > 0: estimating, the walk ends after this many executions
  // listing: each execution's prefix. Noted while Relacy's context is
  // alive, so in Relacy's raw allocator: a plain allocation there would come
  // from the checked heap (and its free would be a scheduling decision).
  rl::vector<rl::vector<tree_decision>::type>::type listed = {};
  std::uint64_t walked = 0;         // estimating: executions so far
  bool probe_ended = false;         // estimating: the walk ended at `probe`, not at its end
  // > 0: sampling, the walk goes down `samples` random paths of the
  // subtree (Knuth's estimator), each choice uniform among its count.
  std::uint64_t samples = 0;
  std::uint64_t random = 0;         // sampling: splitmix64 state
  std::size_t level = 0;            // sampling: the decisions of this path chosen so far
  std::uint64_t samples_done = 0;
  double sample_sum = 0;            // sampling: the products of the paths' counts
  // Every search: the decisions the execution under way was started with
  // (the walk's step gave them; the rest it makes as it goes). A search
  // stopped at the start of an execution goes on from those alone: what
  // Relacy does after the stop (freeing the test's memory) adds decisions
  // of its own to the state it writes.
  std::size_t started_with = 0;
};

inline tree_split_control& tree_split() {
  static tree_split_control c;
  return c;
}

// Restores the control to "no split" when a run ends, however it ends.
struct tree_split_scope {
  explicit tree_split_scope(tree_split_control c) { tree_split() = std::move(c); }
  ~tree_split_scope() { tree_split() = {}; }
  tree_split_scope(const tree_split_scope&) = delete;
  tree_split_scope& operator=(const tree_split_scope&) = delete;
};

// Relacy's state string for a search that starts at `p`: the iteration
// it counts from, then the decisions.
inline std::string state_of(const tree_prefix& p, std::uint64_t iteration = 1) {
  std::string s = std::to_string(iteration) + " " + std::to_string(p.size());
  for (const tree_decision& d : p)
    s += " " + std::to_string(d.count) + " " + std::to_string(d.index) + " " + std::to_string(d.type);
  return s;
}

// The decisions of a state Relacy wrote ("iteration size c i t ...").
inline tree_prefix decisions_of(const std::string& state) {
  std::istringstream in(state);
  std::uint64_t iteration = 0, size = 0;
  in >> iteration >> size;
  tree_prefix p;
  for (std::uint64_t i = 0; i < size && in; ++i) {
    tree_decision d;
    in >> d.count >> d.index >> d.type;
    p.push_back(d);
  }
  return p;
}

// The prefix the walk goes to after `p` (cut at its own depth) without
// moving its first `floor` decisions, or none.
inline std::optional<tree_prefix> next_prefix(tree_prefix p, std::size_t floor = 0) {
  while (p.size() > floor) {
    tree_decision& last = p.back();
    if (last.index + 1 < last.count) {
      ++last.index;
      return p;
    }
    p.pop_back();
  }
  return std::nullopt;
}

// A Relacy tree-search scheduler (Base: context_bound_scheduler or
// full_search_scheduler) that can search one subtree, list prefixes, probe
// and sample paths, and notes where each execution started (a checkpoint's
// place). It hides Relacy's iteration_begin and iteration_end by name (the
// context calls it on its scheduler's own type, models/follow_replay.hpp);
// with nothing asked of it, it is Relacy's.
template <class Base>
class subtree_search : public Base {
 public:
  using Base::Base;

  void set_state(std::istream& in) {
    Base::set_state(in);
    floor_ = std::min(tree_split().floor, this->stree_.size());
  }

  rl::thread_id_t iteration_begin(rl::iteration_t iter) {
    tree_split().started_with = this->stree_.size();
    return Base::iteration_begin(iter);
  }

  // After an execution: Relacy's step to the next one, never moving the
  // first floor_ decisions; true when there is none.
  bool iteration_end() {
    tree_split_control& c = tree_split();
    if (floor_ == 0 && c.cut == 0 && c.probe == 0 && c.samples == 0) return Base::iteration_end();
    auto& tree = this->stree_;
    if (c.samples) return next_sample(c);
    std::size_t size = tree.size();
    if (c.cut) {
      size = std::min(size, c.cut);
      auto& p = c.listed.emplace_back();
      for (std::size_t i = 0; i < size; ++i) p.push_back({tree[i].count_, tree[i].index_, unsigned(tree[i].type_)});
    }
    this->thread_ = nullptr;  // as scheduler::iteration_end leaves it
    for (std::size_t i = size; i > floor_; --i) {
      auto& d = tree[i - 1];
      if (d.index_ + 1 != d.count_) {
        tree.resize(i);
        d.index_ += 1;
        if (c.probe && ++c.walked >= c.probe) {
          c.probe_ended = true;
          return true;
        }
        return false;
      }
    }
    if (c.probe) ++c.walked;
    return true;
  }

 private:
  // Knuth's estimator: a path down the subtree whose every choice is drawn
  // uniformly among its count; the product of the counts along it is an
  // unbiased estimate of the subtree's executions. Relacy extends a path
  // with the first choice of each new decision, so the path is drawn a
  // decision at a time: where the draw is not the choice the execution
  // took, the walk goes there and runs again (about one execution per
  // decision with more than one choice).
  bool next_sample(tree_split_control& c) {
    auto& tree = this->stree_;
    this->thread_ = nullptr;
    c.level = std::max(c.level, floor_);
    for (; c.level < tree.size(); ++c.level) {
      auto& d = tree[c.level];
      const unsigned pick = unsigned(runner::splitmix64(c.random) % d.count_);
      if (pick != d.index_) {
        d.index_ = pick;
        tree.resize(++c.level);
        return false;
      }
    }
    double product = 1;
    for (std::size_t i = floor_; i < tree.size(); ++i) product *= tree[i].count_;
    c.sample_sum += product;
    c.level = floor_;
    if (++c.samples_done >= c.samples) return true;
    tree.resize(floor_);  // the next path starts again at the subtree's root
    return false;
  }

  std::size_t floor_ = 0;  // decisions fixed for this search (a unit's prefix)
};

}  // namespace oncecheck::model
