// The history checker: is there an order of the recorded calls, each placed
// inside its own interval, that the specification (once_map_spec.hpp)
// allows? Wing and Gong's search with Lowe's memoisation: linearize one call
// at a time, only a call that no unlinearized call finished before, and
// remember every (set of linearized calls, state) that led nowhere so it is
// never explored twice. Keys are checked one by one (see once_map_spec.hpp,
// "Why per key"): close() contributes one point to every key's history.
//
// Verdicts, when some key's history has no order:
//   duplicate_compute  two leaders of one key held it at the same time (each
//                      one's register_key returned before the other's
//                      done/fail was called), or a key was led again after a
//                      done() on it had returned;
//   wrong_value        a result no order can explain: a value nobody passed
//                      to done() for that key before the call returned, an
//                      error nobody raised (closed without a close, an error
//                      no fail() of that key raised), timed_out from wait();
//   not_linearizable   otherwise: the calls that cannot be ordered are named
//                      (the longest order found, and the calls none of which
//                      could come next).
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "../../impls/sync/verdict.hpp"
#include "history.hpp"
#include "once_map_spec.hpp"

namespace oncecheck::spec {

struct check_result {
  verdict result = verdict::pass;  // pass, duplicate_compute, wrong_value, not_linearizable, assert_failed
  std::string message;           // one line: why
  std::string explanation;       // several lines: the history and the longest order found
  bool ok() const { return result == verdict::pass; }
};

namespace detail {

// One point of one call in one key's history.
struct point {
  enum class part : std::uint8_t { whole, join, leave, close_begin, close_end, refuse, refuse_end };
  int op;  // index into the history
  part what;
  std::uint64_t call, ret;
  int after = -1;  // a point that must be linearized before this one
};

class key_search {
 public:
  key_search(const std::vector<recorded_op>& h, key_t key, bool weak_reads) : h_(h) {
    std::vector<int> last_point_of_thread;  // per thread: its latest point on this key
    for (int i = 0; i < int(h.size()); ++i) {
      const recorded_op& o = h[std::size_t(i)];
      // A call that never returned (the history of a run that hung) has no
      // result to check and may or may not have taken effect: left out.
      if (o.kind == op_kind::compute || !o.returned) continue;
      if (!o.touches_every_key() && o.key != key) continue;
      if (std::size_t(o.thread) >= last_point_of_thread.size()) {
        last_point_of_thread.resize(std::size_t(o.thread) + 1, -1);
      }
      const int prev_point = last_point_of_thread[std::size_t(o.thread)];
      // See check_history: a read may see the key as its own thread last
      // left it, however long ago that was in the interleaving.
      std::uint64_t read_from = o.call;
      int read_after = -1;
      const bool reads = o.kind == op_kind::get || o.is_wait() || (o.kind == op_kind::register_key && !o.flag);
      if (weak_reads && reads) {
        read_from = 0;
        read_after = prev_point;
      }
      const int first = int(points_.size());
      if (o.touches_every_key()) {
        // close() reaches each key in two steps (condvar: the map's flag,
        // then the key's entry): from the first, nobody leads and a done()
        // is dropped; from the second, the round is over for its waiters.
        points_.push_back({i, point::part::close_begin, o.call, o.ret});
        points_.push_back({i, point::part::close_end, o.call, o.ret, first});
      } else if (o.is_wait()) {
        points_.push_back({i, point::part::join, read_from, o.ret, read_after});
        points_.push_back({i, point::part::leave, o.call, o.ret, first});
      } else if (o.kind == op_kind::register_key && !o.flag) {
        points_.push_back({i, point::part::refuse, read_from, o.ret, read_after});
        points_.push_back({i, point::part::refuse_end, o.call, o.ret, first});
      } else if (reads) {
        points_.push_back({i, point::part::whole, read_from, o.ret, read_after});
      } else {
        points_.push_back({i, point::part::whole, o.call, o.ret});
      }
      last_point_of_thread[std::size_t(o.thread)] = int(points_.size()) - 1;
    }
    joined_.assign(points_.size(), 0);
  }

  bool too_big() const { return points_.size() > 62; }

  bool run() {
    key_spec s;
    return dfs(0, s);
  }

  // The longest order found, and the calls none of which could follow it.
  std::vector<int> best_order() const { return best_order_; }
  std::vector<int> stuck_calls() const { return best_stuck_; }

 private:
  static outcome<value_t> result_of(const recorded_op& o) {
    if (o.has_value) return o.value;
    return o.error;
  }

  // How many ways point p may act on s: a done/fail in close()'s window
  // may be dropped or take effect (key_spec::closing_window).
  int ways(std::size_t p, const key_spec& s) const {
    const op_kind k = h_[std::size_t(points_[p].op)].kind;
    return points_[p].what == point::part::whole && (k == op_kind::done || k == op_kind::fail) &&
                   s.closing_window()
               ? 2
               : 1;
  }

  // Applies point p to s (its `way`-th way); false if the specification
  // forbids it there.
  bool apply(std::size_t p, key_spec& s, std::vector<int>& joined, int way) const {
    const point& pt = points_[p];
    const recorded_op& o = h_[std::size_t(pt.op)];
    switch (pt.what) {
      case point::part::close_begin: s.close_begin(); return true;
      case point::part::close_end: s.close_end(); return true;
      case point::part::join: {
        const int n = s.join(result_of(o));
        if (n < 0) return false;
        joined[p] = n;
        return true;
      }
      case point::part::leave: {
        const int n = joined[std::size_t(points_[p].after)];  // its join
        return n == 0 || s.leave(n, result_of(o), o.kind == op_kind::wait_for);
      }
      case point::part::refuse: {
        // plain refusal first; a phantom round only if that fails
        int n = s.refused(false);
        if (n < 0) n = s.refused(true);
        if (n < 0) return false;
        joined[p] = n;
        return true;
      }
      case point::part::refuse_end: {
        const int n = joined[std::size_t(points_[p].after)];
        return n == 0 || s.refused_end(n);
      }
      case point::part::whole: break;
    }
    switch (o.kind) {
      case op_kind::register_key: return s.register_key(o.flag);
      case op_kind::done: return s.done(o.arg_value, way == 1);
      case op_kind::fail: return s.fail(o.arg_error, way == 1);
      case op_kind::get: return s.get(o.has_value, o.value);
      default: return false;
    }
  }

  // A first point whose second point follows it, and whose outcome (the
  // round it joined, 0 if none) is part of the search state.
  bool two_step(std::size_t p) const {
    return points_[p].what == point::part::join || points_[p].what == point::part::refuse;
  }

  bool ready(std::size_t p, std::uint64_t done_mask) const {
    return points_[p].after < 0 || (done_mask >> points_[p].after & 1);
  }

  bool dfs(std::uint64_t done_mask, const key_spec& s) {
    const std::size_t n = points_.size();
    const int depth = std::popcount(done_mask);
    if (depth == int(n)) return true;
    std::vector<std::uint64_t> key{done_mask};
    s.fingerprint(key);
    for (std::size_t p = 0; p < n; ++p)
      if (two_step(p) && (done_mask >> p & 1) && !(done_mask >> (p + 1) & 1))
        key.push_back(std::uint64_t(joined_[p]) << 8 | p);
    if (!seen_.insert(key).second) return false;

    std::uint64_t min_ret = never;
    for (std::size_t p = 0; p < n; ++p)
      if (!(done_mask >> p & 1)) min_ret = std::min(min_ret, points_[p].ret);
    std::vector<int> stuck;
    for (std::size_t p = 0; p < n; ++p) {
      if (done_mask >> p & 1) continue;
      const point& pt = points_[p];
      if (pt.call > min_ret) continue;  // a call that returned before it must come first
      if (!ready(p, done_mask)) continue;
      bool allowed = false;
      for (int way = 0; way < ways(p, s); ++way) {
        key_spec next = s;
        std::vector<int> joined = joined_;
        if (!apply(p, next, joined, way)) continue;
        allowed = true;
        std::uint64_t mask = done_mask | std::uint64_t(1) << p;
        // A wait answered at its join leaves at once.
        if (two_step(p) && joined[p] == 0) mask |= std::uint64_t(1) << (p + 1);
        order_.push_back(pt.op);
        std::swap(joined_, joined);
        const bool ok = dfs(mask, next);
        std::swap(joined_, joined);
        order_.pop_back();
        if (ok) return true;
      }
      if (!allowed) stuck.push_back(pt.op);
    }
    if (depth > best_depth_ || best_order_.empty()) {
      best_depth_ = depth;
      best_order_ = order_;
      best_stuck_.clear();
      for (std::size_t p = 0; p < n; ++p)
        if (!(done_mask >> p & 1) && points_[p].call <= min_ret && ready(p, done_mask))
          best_stuck_.push_back(points_[p].op);
    }
    return false;
  }

  const std::vector<recorded_op>& h_;
  std::vector<point> points_;
  std::vector<int> joined_;  // per join point: the round it joined, 0 if it answered at once
  std::set<std::vector<std::uint64_t>> seen_;
  std::vector<int> order_;
  int best_depth_ = -1;
  std::vector<int> best_order_, best_stuck_;
};

inline bool returned_before(const recorded_op& a, const recorded_op& b) { return a.returned && a.ret < b.call; }

// The leader's end of its tenure: its next done or fail of that key.
inline std::uint64_t tenure_end(const std::vector<recorded_op>& h, const recorded_op& reg) {
  std::uint64_t end = never;
  for (const recorded_op& o : h)
    if (o.thread == reg.thread && o.key == reg.key && o.call > reg.ret &&
        (o.kind == op_kind::done || o.kind == op_kind::fail))
      end = std::min(end, o.call);
  return end;
}

// The leader's resolution of its round: its next done or fail of that key.
inline const recorded_op* resolution(const std::vector<recorded_op>& h, const recorded_op& reg) {
  const recorded_op* r = nullptr;
  for (const recorded_op& o : h)
    if (o.thread == reg.thread && o.key == reg.key && o.call > reg.ret &&
        (o.kind == op_kind::done || o.kind == op_kind::fail) && (!r || o.call < r->call))
      r = &o;
  return r;
}

inline std::string duplicate_compute(const std::vector<recorded_op>& h, key_t key) {
  std::vector<const recorded_op*> leads;
  for (const recorded_op& o : h)
    if (o.key == key && o.kind == op_kind::register_key && o.returned && o.flag) leads.push_back(&o);
  for (const recorded_op* a : leads) {
    for (const recorded_op& d : h)
      if (d.kind == op_kind::done && d.key == key && returned_before(d, *a))
        return describe(*a) + " after " + describe(d) + " had returned: the value was computed again";
    for (const recorded_op* b : leads)
      if (a != b && a->call < b->call && b->ret < tenure_end(h, *a) && a->ret < tenure_end(h, *b))
        return describe(*a) + " and " + describe(*b) + " both lead key " + std::to_string(key) + " at once";
  }
  // A round that ended with a value is final: any other leader of the key
  // led either beside it or after it, unless its own round had failed
  // before the value's leader registered.
  for (const recorded_op* a : leads) {
    const recorded_op* done = resolution(h, *a);
    if (!done || done->kind != op_kind::done) continue;
    for (const recorded_op* b : leads) {
      if (a == b) continue;
      const recorded_op* gave_up = resolution(h, *b);
      if (gave_up && gave_up->kind == op_kind::fail && gave_up->call < a->ret) continue;
      return describe(*b) + " besides " + describe(*a) + ", whose round ended with " + describe(*done) +
             ": two computes of one key";
    }
  }
  return {};
}

inline std::string wrong_value(const std::vector<recorded_op>& h, key_t key) {
  auto raised = [&](const recorded_op& r, auto&& pred) {
    for (const recorded_op& o : h)
      if (o.call < r.ret && pred(o)) return true;
    return false;
  };
  for (const recorded_op& r : h) {
    if (r.key != key || !r.returned || (r.kind != op_kind::get && !r.is_wait())) continue;
    if (r.has_value) {
      if (!raised(r, [&](const recorded_op& o) {
            return o.kind == op_kind::done && o.key == key && o.arg_value == r.value;
          }))
        return describe(r) + ": nobody passed that value to done() for this key";
      continue;
    }
    if (r.kind == op_kind::get) continue;
    switch (r.error) {
      case wait_error::closed:
        if (!raised(r, [](const recorded_op& o) { return o.touches_every_key(); }))
          return describe(r) + ": nobody closed the map";
        break;
      case wait_error::timed_out:
        if (r.kind == op_kind::wait) return describe(r) + ": wait() has no timeout";
        break;
      case wait_error::leader_failed:
      case wait_error::cancelled:
        if (!raised(r, [&](const recorded_op& o) {
              return o.kind == op_kind::fail && o.key == key && o.arg_error == r.error;
            }))
          return describe(r) + ": no leader of this key failed with that error";
        break;
      case wait_error::not_registered: break;
    }
  }
  return {};
}

}  // namespace detail

// Checks a whole history (every thread's calls, every key).
//
// weak_reads: the history's order is an interleaving of a weak memory model
// (Relacy), not real time. An acquire load may still read a key's older
// state after another thread's completion "returned" in the interleaving, if
// nothing ordered the two threads (atomic_wait's lock-free lookups do; on
// x86 they cannot). So a read (get, the join of a wait, and a register_key
// that did not lead: atomic_wait's walk can find a round's node still
// pending after its leader failed it) may linearize at any earlier point,
// as long as it stays after its own thread's previous call on that key:
// what a thread saw or did to a key it cannot unsee. Writes and a
// register_key that led (a compare-exchange) keep their real intervals.
// The cost: a stale read across a synchronisation through another key or
// lock is not caught under Relacy (it is on real threads, where weak_reads
// is off).
inline check_result check_history(const std::vector<recorded_op>& h, bool weak_reads = false) {
  check_result out;
  std::vector<key_t> keys;
  for (const recorded_op& o : h)
    if (!o.touches_every_key() && std::find(keys.begin(), keys.end(), o.key) == keys.end()) keys.push_back(o.key);
  std::sort(keys.begin(), keys.end());
  for (key_t k : keys) {
    detail::key_search search(h, k, weak_reads);
    if (search.too_big()) {
      out.result = verdict::assert_failed;
      out.message = "history of key " + std::to_string(k) + " too long to check";
      return out;
    }
    if (search.run()) continue;

    std::string why = detail::duplicate_compute(h, k);
    out.result = verdict::duplicate_compute;
    if (why.empty()) {
      why = detail::wrong_value(h, k);
      out.result = verdict::wrong_value;
    }
    std::string order, stuck;
    for (int i : search.best_order()) order += (order.empty() ? "" : ", ") + describe(h[std::size_t(i)]);
    for (int i : search.stuck_calls()) stuck += (stuck.empty() ? "" : "; ") + describe(h[std::size_t(i)]);
    if (why.empty()) {
      out.result = verdict::not_linearizable;
      why = "key " + std::to_string(k) + ": after [" + order + "] none of {" + stuck + "} can come next";
    }
    out.message = why;
    out.explanation = "key " + std::to_string(k) + ": the longest order the specification allows:\n    " +
                      (order.empty() ? std::string("(none)") : order) + "\n  and none of these can come next:\n    " +
                      stuck + "\n";
    return out;
  }
  return out;
}

// The history as a table, one call a line, in order of call.
inline std::string format_history(std::vector<recorded_op> h) {
  std::sort(h.begin(), h.end(), [](const recorded_op& a, const recorded_op& b) { return a.call < b.call; });
  std::string out;
  char buf[48];
  for (const recorded_op& o : h) {
    if (o.returned) std::snprintf(buf, sizeof buf, "  [%3llu,%3llu] ", static_cast<unsigned long long>(o.call),
                                  static_cast<unsigned long long>(o.ret));
    else std::snprintf(buf, sizeof buf, "  [%3llu,  -] ", static_cast<unsigned long long>(o.call));
    out += buf + describe(o) + "\n";
  }
  return out;
}

}  // namespace oncecheck::spec
