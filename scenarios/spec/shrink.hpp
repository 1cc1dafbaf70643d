// Shrinking a failing program: smaller candidates are tried, one change at a
// time, and kept whenever the same verdict still reproduces; it stops when
// no change keeps it (a local minimum) or the attempts run out.
//
// Changes, biggest first: drop a thread; drop a task (its cancel steps go
// with it); one worker fewer; drop a step (a cancel step too); merge a key
// into a smaller one (fewer keys); fewer rounds and simpler steps (a failing
// compute becomes a succeeding one, a cancelled or dropped lead a completed
// one, a held handle is ended at once, wait_for becomes wait). Every
// candidate goes through enforce_rules (program.hpp), so it still ends on a
// correct design.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "program.hpp"

namespace oncecheck::spec {

namespace detail {

inline program without_thread(const program& p, int t) {
  program q = p;
  q.threads = p.threads - 1;
  for (int u = t; u < q.threads; ++u) {
    q.steps[std::size_t(u)] = p.steps[std::size_t(u + 1)];
    q.length[std::size_t(u)] = p.length[std::size_t(u + 1)];
  }
  q.length[std::size_t(q.threads)] = 0;
  return q;
}

inline program without_step(const program& p, int t, int i) {
  program q = p;
  // A handle held across the dropped step is held one step less, so the
  // steps after it keep their place (outside the handle).
  for (int j = 0; j < i; ++j) {
    step& s = q.at(t, j);
    if (s.kind == step_kind::lead && s.hold > 0 && j + s.hold >= i) --s.hold;
  }
  int& n = q.length[std::size_t(t)];
  for (int j = i; j + 1 < n; ++j) q.at(t, j) = q.at(t, j + 1);
  --n;
  return q;
}

// Task n and its cancel steps removed; later tasks move down one.
inline program without_task(const program& p, int n) {
  program q = p;
  for (int t = 0; t < q.threads; ++t)
    for (int i = q.length[std::size_t(t)] - 1; i >= 0; --i) {
      step& s = q.at(t, i);
      if (s.kind != step_kind::cancel) continue;
      if (s.task == n) q = without_step(q, t, i);
      else if (s.task > n) --s.task;
    }
  for (int m = n; m + 1 < q.tasks; ++m) q.task_key[std::size_t(m)] = q.task_key[std::size_t(m + 1)];
  q.task_key[std::size_t(--q.tasks)] = 0;
  if (q.tasks == 0) q.workers = 0;
  return q;
}

inline program with_key_merged(const program& p, int from, int into) {
  program q = p;
  for (int n = 0; n < q.tasks; ++n) {
    std::uint8_t& k = q.task_key[std::size_t(n)];
    if (k == from) k = std::uint8_t(into);
    else if (k > from) k = std::uint8_t(k - 1);
  }
  for (int t = 0; t < q.threads; ++t)
    for (int i = 0; i < q.length[std::size_t(t)]; ++i) {
      step& s = q.at(t, i);
      if (s.key == from) s.key = std::uint8_t(into);
      else if (s.key > from) s.key = std::uint8_t(s.key - 1);
    }
  q.keys = p.keys - 1;
  return q;
}

// Simpler versions of one step, simplest first.
inline std::vector<step> simpler(const step& s) {
  std::vector<step> out;
  auto with = [&](auto&& change) {
    step c = s;
    change(c);
    if (!(c == s)) out.push_back(c);
  };
  switch (s.kind) {
    case step_kind::compute_throws: with([](step& c) { c.kind = step_kind::compute; }); break;
    case step_kind::lead:
      if (s.end != lead_end::abandon) {
        with([](step& c) { c.hold = 0; });
        if (s.hold > 1) with([](step& c) { --c.hold; });
        with([](step& c) { c.end = lead_end::complete; });
        with([](step& c) { c.kind = step_kind::compute; });
      }
      break;
    case step_kind::wait_for: with([](step& c) { c.kind = step_kind::wait; }); break;
    case step_kind::wait: with([](step& c) { c.kind = step_kind::get; }); break;
    default: break;
  }
  return out;
}

inline std::vector<program> candidates(const program& p) {
  std::vector<program> out;
  if (p.threads > 1)
    for (int t = p.threads - 1; t >= 0; --t) out.push_back(without_thread(p, t));
  for (int n = p.tasks - 1; n >= 0; --n) out.push_back(without_task(p, n));
  if (p.workers > 1) {
    program q = p;
    --q.workers;
    out.push_back(q);
  }
  for (int t = 0; t < p.threads; ++t)
    for (int i = p.length[std::size_t(t)] - 1; i >= 0; --i) out.push_back(without_step(p, t, i));
  for (int from = p.keys; from > 1; --from)
    for (int into = 1; into < from; ++into) out.push_back(with_key_merged(p, from, into));
  for (int t = 0; t < p.threads; ++t)
    for (int i = 0; i < p.length[std::size_t(t)]; ++i)
      for (const step& s : simpler(p.at(t, i))) {
        program q = p;
        q.at(t, i) = s;
        out.push_back(q);
      }
  for (program& q : out) enforce_rules(q);
  return out;
}

}  // namespace detail

struct shrink_result {
  program smallest;
  int attempts = 0;  // candidates run
  int accepted = 0;  // changes kept
};

// `fails(p)` runs program p and says whether it gives the verdict being
// shrunk. Candidates that are not smaller in (steps and tasks, threads and
// workers, keys) order of size, or not different, are skipped.
inline shrink_result shrink(const program& failing, const std::function<bool(const program&)>& fails,
                            int max_attempts = 400) {
  shrink_result r{failing};
  auto size = [](const program& p) {
    return std::vector<int>{p.total_steps() + p.tasks, p.model_threads(), p.keys};
  };
  bool changed = true;
  while (changed && r.attempts < max_attempts) {
    changed = false;
    for (const program& c : detail::candidates(r.smallest)) {
      if (r.attempts >= max_attempts) break;
      if (c == r.smallest || c.total_steps() == 0) continue;
      if (size(c) > size(r.smallest)) continue;
      ++r.attempts;
      if (!fails(c)) continue;
      r.smallest = c;
      ++r.accepted;
      changed = true;
      break;
    }
  }
  return r;
}

}  // namespace oncecheck::spec
