// dpor: exhaustive depth-first search over schedules, with dynamic
// partial-order reduction (Flanagan and Godefroid, "Dynamic Partial-Order
// Reduction for Model Checking Software", POPL 2005) and sleep sets
// (Godefroid 1996), optionally bounded in preemptions.
//
// Stateless: each execution runs from the start; the search keeps the path
// of the last execution, one node per step, and replays a prefix of it to
// reach the next branch.
//
// Per node (the state before step k):
//   enabled    the threads that could take step k
//   next[t]    each thread's announced step there
//   backtrack  threads the search must try at this node
//   done       threads tried (or being tried) here
//   sleep      threads whose step is known to lead only to executions
//              equivalent to ones explored already (inherited from the
//              parent, minus those the parent's step depends on)
//   tails[t]   what thread t's transition here touched after its step
//              (step.hpp), for t chosen here or asleep here: a transition
//              is its step and its tail, and both count for dependency
//
// Race detection (FG's update): when thread p announces a step, find the
// last step i of another thread that is dependent and co-enabled with it
// and does not happen before p (dependency order, vector clocks indexed by
// step number); p must also be tried at node i (all of node i's enabled
// threads if p was not enabled there). Incrementally: a new step is
// checked against every other thread's pending step at once; a thread that
// moved rescans the path for its new step. A tail is known only once its
// transition has run, so it is checked then (on_transition): against the
// path's steps and tails, and against every other thread's pending step.
// That is the race check of source-set DPOR, on the executed sequence; a
// pending step's own tail is checked when it runs.
//
// With sleep sets every complete execution the search counts is a
// different Mazurkiewicz trace; with DPOR every trace (of an acyclic,
// terminating program) has one: the count of a litmus program is its trace
// count (tests/explore_dpor_test.cpp checks that). A branch that runs into
// its sleep set is finished without branching and not counted.
//
// Preemption bound: choosing another thread while the previous one is
// still enabled is a preemption; a branch that would exceed the bound is
// not taken. Since that loses races DPOR relies on, a backtrack point the
// bound forbids is also placed at the latest earlier node where switching
// is no preemption (Coons, Musuvathi, McKinley, "Bounded Partial-Order
// Reduction", OOPSLA 2013, conservative variant).
//
// reduce = false gives plain DFS: every enabled thread at every node, no
// sleep sets (the reference the tests compare the reduction against).
//
// A subtree (sharded searches, harness/runner/shard.hpp): with `prefix`
// set, the search explores only the executions that begin with those
// choices. Races a subtree finds would add backtrack points to nodes above
// the split, which other subtrees own, so the split is made sound without
// any communication: above the split depth every enabled thread (within
// the bound) is explored, by one subtree each, in thread order (no
// reduction there, the persistent set is all of them); the sleep sets the
// subtree inherits are those of that order, computed from the prefix alone
// (the siblings before the prefix's thread count as explored, they are
// other subtrees'; but their transitions never ran here, so their tails are
// unknown and they do not sleep below: `untold`); below the split DPOR runs
// as usual, and backtrack
// points above it are dropped (they are all explored already). A prefix
// whose thread is asleep, or out of the bound, is a subtree with nothing
// new: one redundant execution. `max_depth` (with reduce = false) stops
// branching below that depth: its executions list the prefixes of a split
// (explore/prefix_split.hpp).
#pragma once

#include <array>
#include <bit>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "scheduler.hpp"
#include "vector_clock.hpp"

namespace oncecheck::explore {

class dpor_scheduler final : public scheduler {
 public:
  struct options {
    bool reduce = true;
    std::optional<int> preemption_bound;
    std::vector<std::uint8_t> prefix;  // explore only the subtree under these choices
    int max_depth = -1;                // reduce = false: branch only above this depth
  };

  dpor_scheduler() = default;
  explicit dpor_scheduler(options o) : o_(o) {}

  std::string_view name() const override { return o_.reduce ? "dpor" : "dfs"; }

  bool begin_execution() override {
    redundant_ = false;
    thread_clock_.assign(max_clock_threads, vector_clock{});
    object_clock_.clear();
    last_access_.clear();
    if (!started_) {
      started_ = true;
      path_.clear();
      replay_ = 0;
      return true;
    }
    // The deepest node with a thread still to try (below a subtree's split).
    for (int k = int(path_.size()) - 1; k >= split(); --k) {
      node& nd = path_[std::size_t(k)];
      const thread_set todo = candidates(nd);
      if (!todo) continue;
      const int t = pick(nd, todo);
      nd.chosen = t;
      nd.done |= bit(t);
      path_.resize(std::size_t(k) + 1);
      replay_ = k + 1;
      return true;
    }
    exhausted_ = true;
    return false;
  }

  int choose(const engine_view& v) override {
    const int d = v.depth;
    if (redundant_) return lowest(v.enabled);
    if (d < replay_) {
      node& nd = path_[std::size_t(d)];
      if (!has(v.enabled, nd.chosen) || nd.enabled != v.enabled)
        throw std::runtime_error("explore: the program is not deterministic: replaying step " + std::to_string(d) +
                                 " found other threads enabled");
      return nd.chosen;
    }
    if (o_.max_depth >= 0 && d >= o_.max_depth) return lowest(v.enabled);
    node nd;
    nd.enabled = v.enabled;
    nd.prev = v.last;
    nd.next.assign(v.pending, v.pending + v.threads);
    if (d > 0) {
      const node& parent = path_[std::size_t(d) - 1];
      nd.preemptions = parent.preemptions + (preempts(parent, parent.chosen) ? 1 : 0);
      if (o_.reduce) {
        const step& taken = parent.next[std::size_t(parent.chosen)];
        const tail& taken_tail = parent.tail_of(parent.chosen);
        const thread_set asleep = parent.sleep | (parent.done & ~bit(parent.chosen));
        for (int r = 0; r < v.threads; ++r)
          if (has(asleep, r) && !has(parent.untold, r) &&
              !dependent(parent.next[std::size_t(r)], parent.tail_of(r), taken, taken_tail)) {
            nd.sleep |= bit(r);
            nd.set_tail(r, parent.tail_of(r));  // the same transition, not yet taken
          }
      }
    }
    thread_set todo = v.enabled & ~nd.sleep;
    if (d < split()) return take_prefix(std::move(nd), d);
    if (o_.reduce) {
      thread_set allowed = 0;
      for (int t = 0; t < v.threads; ++t)
        if (has(todo, t) && within_bound(nd, t)) allowed |= bit(t);
      if (!allowed) {
        // Sleep-set blocked: every way on is equivalent to an explored one.
        redundant_ = true;
        return lowest(v.enabled);
      }
      nd.chosen = has(allowed, v.last) ? v.last : lowest(allowed);
      nd.backtrack = bit(nd.chosen);
    } else {
      nd.backtrack = v.enabled;
      nd.chosen = has(v.enabled, v.last) ? v.last : lowest(v.enabled);
    }
    nd.done = bit(nd.chosen);
    path_.push_back(std::move(nd));
    return path_.back().chosen;
  }

  void on_step(const engine_view& v, int index, int tid, const step& s) override {
    if (redundant_ || !o_.reduce) return;
    // The step's place in the dependency order.
    vector_clock c = thread_clock_[std::size_t(tid)];
    for (object_id o : {s.object, s.mutex}) {
      if (!o) continue;
      c.join(clocks_of(o).write);
      if (!reads_only(s, o)) c.join(clocks_of(o).reads);
    }
    for (object_id o : s.watch) c.join(clocks_of(o).write);  // a yield reads what it watches
    c[tid] = std::uint32_t(index) + 1;
    thread_clock_[std::size_t(tid)] = c;
    for (object_id o : {s.object, s.mutex}) {
      if (!o) continue;
      if (reads_only(s, o)) {
        object_clock_[o].reads.join(c);
      } else {
        object_clock_[o].write = c;
        object_clock_[o].reads.clear();
      }
    }
    for (object_id o : s.watch) clocks_of(o).reads.join(c);
    for (object_id o : {s.object, s.mutex})
      if (o) record(o, writes(s, o), tid, index);
    for (object_id o : s.watch) record(o, false, tid, index);
    // The new step against every other thread's pending step: it is the
    // latest step before them, and cannot happen before them yet.
    for (int q = 0; q < v.threads; ++q) {
      if (q == tid || has(v.finished, q)) continue;
      const step& next = v.pending[q];
      if (dependent(s, next) && co_enabled(s, next)) add_backtrack(index, q);
    }
  }

  void on_transition(const engine_view& v, int index, int tid, const tail& t) override {
    if (redundant_ || !o_.reduce) return;
    path_[std::size_t(index)].set_tail(tid, t);
    if (t.empty()) return;
    // The tail against earlier transitions: per object, its latest write
    // and (for a write) every thread's latest read since, when they do not
    // happen before this transition, are races.
    const vector_clock& mine = thread_clock_[std::size_t(tid)];
    auto race = [&](int i) {
      if (i < 0) return;
      const int by = path_[std::size_t(i)].chosen;
      if (by != tid && mine[by] <= std::uint32_t(i)) add_backtrack(i, tid);
    };
    for (const access& a : t) {
      const last_access& la = last_of(a.object);
      race(la.write);
      if (a.write)
        for (int u = 0; u < v.threads; ++u) race(la.reads[std::size_t(u)]);
    }
    for (const access& a : t) record(a.object, a.write, tid, index);
    // Its place in the dependency order, through the objects it touched.
    vector_clock c = mine;
    for (const access& a : t) {
      object_clocks& oc = clocks_of(a.object);
      c.join(oc.write);
      if (a.write) c.join(oc.reads);
    }
    thread_clock_[std::size_t(tid)] = c;
    for (const access& a : t) {
      object_clocks& oc = clocks_of(a.object);
      if (a.write) {
        oc.write = c;
        oc.reads.clear();
      } else {
        oc.reads.join(c);
      }
    }
    // ... and against every other thread's pending step.
    for (int q = 0; q < v.threads; ++q)
      if (q != tid && !has(v.finished, q) && conflicts(t, v.pending[q])) add_backtrack(index, q);
  }

  void on_announce(const engine_view& v, int tid) override {
    if (redundant_ || !o_.reduce) return;
    const step& next = v.pending[tid];
    const vector_clock& mine = thread_clock_[std::size_t(tid)];
    for (int i = v.depth - 1; i >= 0; --i) {
      const node& nd = path_[std::size_t(i)];
      const int by = nd.chosen;
      if (by == tid || mine[by] > std::uint32_t(i)) continue;  // own step, or it happens before tid
      const step& s = nd.next[std::size_t(by)];
      if ((dependent(s, next) && co_enabled(s, next)) || conflicts(nd.tail_of(by), next)) {
        add_backtrack(i, tid);
        return;
      }
    }
  }

  void end_execution(execution_end end) override {
    if (redundant_ || end == execution_end::redundant) ++redundant_runs_;
    else ++executions_;
  }

  bool exhausted() const override { return exhausted_; }
  std::optional<int> preemption_bound() const override { return o_.preemption_bound; }

  // Knuth's estimate along the current path: at each node, the share of its
  // branches already finished, weighted by the share of the tree the node
  // stands for (its siblings assumed to be alike).
  double estimated_fraction() const override {
    if (exhausted_) return 1.0;
    double fraction = 0, weight = 1;
    for (std::size_t k = std::size_t(split()); k < path_.size(); ++k) {
      const node& nd = path_[k];
      const int branches = std::popcount(nd.done | candidates(nd));
      if (branches <= 0) break;
      fraction += weight * double(std::popcount(nd.done) - 1) / branches;
      weight /= branches;
    }
    return fraction;
  }

  // The choices of the current execution's nodes (with max_depth: one
  // prefix of a split).
  std::vector<std::uint8_t> choices() const {
    std::vector<std::uint8_t> out;
    for (const node& nd : path_) out.push_back(std::uint8_t(nd.chosen));
    return out;
  }

  // Where the search stands between two executions: the path of the last
  // one with each node's backtrack, done and sleep sets, and the counts
  // (explore/checkpoint.hpp writes it to a file and reads it back).
  // Restoring it into a scheduler of the same options, before its first
  // begin_execution, goes on exactly where the saved one would have.
  struct node_state {
    thread_set enabled = 0, backtrack = 0, done = 0, sleep = 0;
    int chosen = -1, prev = -1, preemptions = 0;
    std::vector<step> next;
    std::vector<tail> tails;
    thread_set untold = 0;
  };
  struct search_state {
    bool started = false, exhausted = false;
    std::uint64_t executions = 0, redundant = 0;
    std::vector<node_state> path;
  };
  search_state save() const {
    search_state s{started_, exhausted_, executions_, redundant_runs_, {}};
    for (const node& nd : path_)
      s.path.push_back(
          {nd.enabled, nd.backtrack, nd.done, nd.sleep, nd.chosen, nd.prev, nd.preemptions, nd.next, nd.tails, nd.untold});
    return s;
  }
  void restore(const search_state& s) {
    started_ = s.started, exhausted_ = s.exhausted, executions_ = s.executions, redundant_runs_ = s.redundant;
    path_.clear();
    for (const node_state& n : s.path)
      path_.push_back({n.enabled, n.backtrack, n.done, n.sleep, n.chosen, n.prev, n.preemptions, n.next, n.tails,
                       n.untold});
  }

  // Complete executions that were not sleep-set blocked: one per trace.
  std::uint64_t executions() const noexcept { return executions_; }
  std::uint64_t redundant_executions() const noexcept { return redundant_runs_; }

 private:
  struct node {
    thread_set enabled = 0, backtrack = 0, done = 0, sleep = 0;
    int chosen = -1;
    int prev = -1;
    int preemptions = 0;  // before this node's step
    std::vector<step> next;
    std::vector<tail> tails;  // by thread; empty until known
    thread_set untold = 0;    // done here by other subtrees: their tails are unknown

    const tail& tail_of(int t) const {
      static const tail none;
      return std::size_t(t) < tails.size() ? tails[std::size_t(t)] : none;
    }
    void set_tail(int t, const tail& what) {
      if (what.empty() && std::size_t(t) >= tails.size()) return;
      if (tails.size() <= std::size_t(t)) tails.resize(std::size_t(t) + 1);
      tails[std::size_t(t)] = what;
    }
  };
  struct object_clocks {
    vector_clock write, reads;
  };

  // The latest step (by index) that wrote each object, and each thread's
  // latest read of it since: where a tail's race partner is.
  struct last_access {
    int write = -1;
    std::array<int, max_clock_threads> reads;
    last_access() { reads.fill(-1); }
  };
  last_access& last_of(object_id o) {
    if (last_access_.size() < o + 1) last_access_.resize(o + 1);
    return last_access_[o];
  }
  void record(object_id o, bool write, int tid, int index) {
    last_access& la = last_of(o);
    if (write) {
      la = last_access{};
      la.write = index;
    } else {
      la.reads[std::size_t(tid)] = index;
    }
  }

  object_clocks& clocks_of(object_id o) {
    if (object_clock_.size() < o + 1) object_clock_.resize(o + 1);
    return object_clock_[o];
  }

  static int lowest(thread_set s) noexcept { return std::countr_zero(s); }

  int split() const noexcept { return int(o_.prefix.size()); }

  // Node d above a subtree's split: the prefix's thread, with the threads
  // before it in thread order (not asleep, within the bound) counted as
  // explored, so the sleep sets below are those of the full top.
  int take_prefix(node nd, int d) {
    const int t = o_.prefix[std::size_t(d)];
    if (!has(nd.enabled, t))
      throw std::runtime_error("explore: a subtree's prefix does not fit the program: thread " + std::to_string(t) +
                               " is not enabled at step " + std::to_string(d));
    if (o_.reduce && (has(nd.sleep, t) || !within_bound(nd, t))) {
      redundant_ = true;  // its executions are another subtree's, or out of the bound
      return lowest(nd.enabled);
    }
    nd.chosen = t;
    nd.backtrack = nd.done = bit(t);
    for (int u = 0; u < t; ++u)
      if (has(nd.enabled & ~nd.sleep, u) && within_bound(nd, u)) nd.done |= bit(u), nd.untold |= bit(u);
    path_.push_back(std::move(nd));
    return t;
  }

  bool preempts(const node& nd, int t) const noexcept { return nd.prev >= 0 && t != nd.prev && has(nd.enabled, nd.prev); }
  bool within_bound(const node& nd, int t) const noexcept {
    return !o_.preemption_bound || nd.preemptions + (preempts(nd, t) ? 1 : 0) <= *o_.preemption_bound;
  }

  thread_set candidates(const node& nd) const {
    const thread_set asleep = nd.sleep | nd.done;
    thread_set out = 0;
    for (int t = 0; t < 32; ++t)
      if (has(nd.backtrack & nd.enabled & ~asleep, t) && within_bound(nd, t)) out |= bit(t);
    return out;
  }

  int pick(const node& nd, thread_set todo) const { return has(todo, nd.prev) ? nd.prev : lowest(todo); }

  // Nodes above a subtree's split explore every thread already.
  void add_backtrack(int i, int q) {
    if (i < split()) return;
    node& nd = path_[std::size_t(i)];
    nd.backtrack |= has(nd.enabled, q) ? bit(q) : nd.enabled;
    if (within_bound(nd, q) || !has(nd.enabled, q)) return;
    for (int j = i - 1; j >= split(); --j) {
      node& earlier = path_[std::size_t(j)];
      if (earlier.prev >= 0 && has(earlier.enabled, earlier.prev)) continue;
      earlier.backtrack |= has(earlier.enabled, q) ? bit(q) : earlier.enabled;
      return;
    }
  }

  options o_;
  std::vector<node> path_;
  int replay_ = 0;
  bool started_ = false;
  bool exhausted_ = false;
  bool redundant_ = false;
  std::uint64_t executions_ = 0, redundant_runs_ = 0;
  std::vector<vector_clock> thread_clock_;
  std::vector<object_clocks> object_clock_;
  std::vector<last_access> last_access_;  // by object, this execution
};

}  // namespace oncecheck::explore
