// Generated operation programs: per thread a short list of steps over the
// whole contract, drawn from a seed; and the program printed as a scenario a
// user can paste.
//
// Steps (`k` is one of the program's keys):
//   compute k          get_or_compute whose compute returns a value unique to
//                      the key, the thread and the step (so a waiter handed
//                      the value of another round or key shows)
//   compute_throws k   get_or_compute whose compute throws: the leader handle
//                      fails the key with leader_failed, the exception leaves
//   lead k, hold h, end e
//                      try_lead; if it leads, the handle is kept across the
//                      next h steps of the thread and then ended: complete()
//                      with a unique value, fail(cancelled), dropped
//                      (leader_failed), or abandoned (only right before
//                      destroy: the map is destroyed under its leader)
//   get k, wait k, wait_for k (a short timeout), close, destroy
//   cancel aN          cancels task N (executor::cancel: never blocks; a
//                      no-op once the task ended)
//
// Tasks. A program may also have up to 3 tasks on 1 or 2 executor workers
// (impls/executor.hpp). Task N is one `wait_async k` (a design's wait_async,
// or its blocking wait() where it has none, which holds the worker), at home
// on worker N % workers. The workers are model threads after the plain
// threads: threads .. threads+workers-1 run the executor's workers. A task
// cancelled while parked is destroyed: its wait never returns, and the
// design must leave nothing of it behind.
//
// Every program ends on every correct design: no correct design may hang in
// a model, where a thread blocked for good is a deadlock. The generator
// keeps three rules:
//   1. a thread that holds a leader handle only takes steps that cannot block
//      (get, wait_for, close) until it ends it: so every pending round has a
//      leader that is running, and ends;
//   2. a blocking wait (wait, compute) therefore ends: its round ends, the
//      key is absent or failed (not_registered, the error), or closed;
//   3. destroy is thread 0's last step, after thread 0 ended its own rounds
//      (but the abandoned one). It waits until every other thread has
//      finished, or is in its last step, a blocking wait on the abandoned key,
//      and blocked there (the only waiters the contract lets a destructor
//      meet: "safe while waiters are still blocked"); so a blocking step on
//      that key is only ever a thread's last.
// and for tasks:
//   4. a task never waits on the abandoned key, and destroy also waits until
//      every task has ended (run to its end or cancelled). A task's wait is
//      only ever ended by rounds that plain-thread leaders end (rule 1), by
//      close, or by not_registered: so every task ends, and so does every
//      worker.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <sstream>
#include <string>

namespace oncecheck::spec {

enum class step_kind : std::uint8_t { compute, compute_throws, lead, get, wait, wait_for, close, destroy, cancel };
enum class lead_end : std::uint8_t { complete, cancel, drop, abandon };

constexpr const char* to_string(step_kind k) noexcept {
  switch (k) {
    case step_kind::compute: return "compute";
    case step_kind::compute_throws: return "compute_throws";
    case step_kind::lead: return "lead";
    case step_kind::get: return "get";
    case step_kind::wait: return "wait";
    case step_kind::wait_for: return "wait_for";
    case step_kind::close: return "close";
    case step_kind::destroy: return "destroy";
    case step_kind::cancel: return "cancel";
  }
  return "?";
}
constexpr const char* to_string(lead_end e) noexcept {
  switch (e) {
    case lead_end::complete: return "complete";
    case lead_end::cancel: return "cancel";
    case lead_end::drop: return "drop";
    case lead_end::abandon: return "abandon";
  }
  return "?";
}

struct step {
  step_kind kind = step_kind::get;
  std::uint8_t key = 1;   // keys are 1..keys
  std::uint8_t hold = 0;  // lead: how many following steps the handle is kept across
  lead_end end = lead_end::complete;
  std::uint8_t task = 0;  // cancel: which task
  friend bool operator==(const step&, const step&) = default;
};

struct program {
  static constexpr int max_threads = 4;
  static constexpr int max_steps = 6;
  static constexpr int max_workers = 2;
  static constexpr int max_tasks = 3;
  std::uint64_t seed = 0;
  int threads = 0;  // plain threads: model threads 0 .. threads-1
  int keys = 1;
  std::array<std::array<step, max_steps>, max_threads> steps{};
  std::array<int, max_threads> length{};
  int workers = 0;  // executor workers: model threads threads .. threads+workers-1
  int tasks = 0;    // task n: wait_async task_key[n], at home on worker n % workers
  std::array<std::uint8_t, max_tasks> task_key{};

  // The model threads the program needs: its plain threads and its workers.
  int model_threads() const { return threads + workers; }
  int task_home(int n) const { return n % workers; }

  int total_steps() const {
    int n = 0;
    for (int t = 0; t < threads; ++t) n += length[std::size_t(t)];
    return n;
  }
  const step& at(int t, int i) const { return steps[std::size_t(t)][std::size_t(i)]; }
  step& at(int t, int i) { return steps[std::size_t(t)][std::size_t(i)]; }
  bool destroys() const { return threads > 0 && length[0] > 0 && at(0, length[0] - 1).kind == step_kind::destroy; }
  // The key thread 0 abandons before destroying the map, or 0.
  int abandoned_key() const {
    if (!destroys() || length[0] < 2) return 0;
    const step& s = at(0, length[0] - 2);
    return s.kind == step_kind::lead && s.end == lead_end::abandon ? s.key : 0;
  }
  friend bool operator==(const program&, const program&) = default;
};

// Can step `s` block (wait for another thread)?
constexpr bool blocks(const step& s) { return s.kind == step_kind::wait || s.kind == step_kind::compute || s.kind == step_kind::compute_throws; }

// splitmix64: one stream per program, the same on every platform.
struct program_rng {
  std::uint64_t s;
  std::uint64_t next() {
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  int below(int n) { return int(next() % std::uint64_t(n)); }
  bool chance(int percent) { return below(100) < percent; }
};

// Makes a program keep the rules of the header (the generator's output and
// every shrunk or parsed program go through it).
inline void enforce_rules(program& p) {
  p.workers = std::clamp(p.workers, 0, program::max_workers);
  p.tasks = std::clamp(p.tasks, 0, program::max_tasks);
  if (p.workers == 0) p.tasks = 0;
  for (int t = 0; t < p.threads; ++t) {
    int& n = p.length[std::size_t(t)];
    // destroy only as thread 0's last step; abandon only right before it
    for (int i = 0; i < n; ++i) {
      step& s = p.at(t, i);
      const bool last = i == n - 1;
      if (s.kind == step_kind::destroy && (t != 0 || !last)) s.kind = step_kind::close;
      if (s.kind == step_kind::lead && s.end == lead_end::abandon &&
          !(t == 0 && i == n - 2 && p.at(0, n - 1).kind == step_kind::destroy))
        s.end = lead_end::drop;
    }
    // rule 1: no blocking step while a handle is held
    for (int i = 0; i < n; ++i) {
      step& s = p.at(t, i);
      if (s.kind != step_kind::lead || s.end == lead_end::abandon) continue;
      if (i + s.hold >= n) s.hold = std::uint8_t(n - 1 - i);
      for (int j = i + 1; j <= i + s.hold; ++j) {
        step& held = p.at(t, j);
        if (blocks(held)) held.kind = step_kind::wait_for;
        if (held.kind == step_kind::lead) held.kind = step_kind::get;  // no nested handles
        if (held.kind == step_kind::destroy) held.kind = step_kind::close;
      }
    }
  }
  // rule 3: a blocking step on the abandoned key only as a thread's last
  if (const int kd = p.abandoned_key())
    for (int t = 1; t < p.threads; ++t)
      for (int i = 0; i + 1 < p.length[std::size_t(t)]; ++i) {
        step& s = p.at(t, i);
        if (s.key == kd && blocks(s)) s.kind = step_kind::wait_for;
      }
  // rule 4: no task waits on the abandoned key (another key if there is
  // one, else the task goes); a cancel of a task that is not there is a get
  if (const int kd = p.abandoned_key())
    for (int n = 0; n < p.tasks; ++n)
      if (p.task_key[std::size_t(n)] == kd && p.keys > 1) p.task_key[std::size_t(n)] = std::uint8_t(kd % p.keys + 1);
  std::array<int, program::max_tasks> renumbered{};
  int kept = 0;
  for (int n = 0; n < p.tasks; ++n) {
    std::uint8_t& k = p.task_key[std::size_t(n)];
    if (k < 1 || k > p.keys) k = 1;
    const bool keep = k != p.abandoned_key();
    renumbered[std::size_t(n)] = keep ? kept : -1;
    if (keep) p.task_key[std::size_t(kept++)] = k;
  }
  for (int n = kept; n < program::max_tasks; ++n) p.task_key[std::size_t(n)] = 0;
  for (int t = 0; t < p.threads; ++t)
    for (int i = 0; i < p.length[std::size_t(t)]; ++i) {
      step& s = p.at(t, i);
      if (s.kind != step_kind::cancel) continue;
      const int to = s.task < p.tasks ? renumbered[s.task] : -1;
      if (to < 0) s = step{step_kind::get, s.key, 0, lead_end::complete, 0};
      else s.task = std::uint8_t(to);
    }
  p.tasks = kept;
  if (p.tasks == 0) p.workers = 0;
}

// Inserts `s` as step i of thread t (room permitting): a handle held across
// position i is held one step more, so the steps it covered stay covered.
inline void insert_step(program& p, int t, int i, const step& s) {
  int& n = p.length[std::size_t(t)];
  if (n == program::max_steps) return;
  for (int j = 0; j < i; ++j) {
    step& l = p.at(t, j);
    if (l.kind == step_kind::lead && l.hold > 0 && j + l.hold >= i) ++l.hold;
  }
  for (int j = n; j > i; --j) p.at(t, j) = p.at(t, j - 1);
  p.at(t, i) = s;
  ++n;
}

// Removes step i of thread t: the inverse of insert_step.
inline void remove_step(program& p, int t, int i) {
  for (int j = 0; j < i; ++j) {
    step& l = p.at(t, j);
    if (l.kind == step_kind::lead && l.hold > 0 && j + l.hold >= i) --l.hold;
  }
  int& n = p.length[std::size_t(t)];
  for (int j = i; j + 1 < n; ++j) p.at(t, j) = p.at(t, j + 1);
  p.at(t, n - 1) = step{};
  --n;
}

// The program without its tasks, their workers and the cancel steps.
inline program without_tasks(const program& p) {
  program q = p;
  for (int t = 0; t < q.threads; ++t)
    for (int i = q.length[std::size_t(t)] - 1; i >= 0; --i)
      if (q.at(t, i).kind == step_kind::cancel) remove_step(q, t, i);
  q.tasks = q.workers = 0;
  q.task_key = {};
  return q;
}

namespace detail {

// The task part of a generated program, from its own splitmix stream, so the
// plain threads of every program are what they were before tasks existed
// (pinned replays and expected verdicts name programs by seed): workers only
// where the plain threads leave room under `threads`, in a third of those;
// 1-3 tasks; and in some plain threads a cancel of one of them, anywhere but
// after thread 0's abandon or destroy, or after a last blocking wait on the
// abandoned key (rule 3 would move that wait).
inline void draw_tasks(program& p, std::uint64_t seed, int threads) {
  program_rng r{(seed ^ 0x7461736b73ull) * 0x9e3779b97f4a7c15ull + 0x243f6a8885a308d3ull};
  const int kd = p.abandoned_key();
  if (p.threads >= threads || (kd && p.keys == 1) || !r.chance(33)) return;  // rule 4 leaves no key
  p.workers = 1 + r.below(std::min(program::max_workers, threads - p.threads));
  p.tasks = 1 + r.below(program::max_tasks);
  for (int n = 0; n < p.tasks; ++n) {
    int k = 1 + r.below(kd ? p.keys - 1 : p.keys);
    if (kd && k >= kd) ++k;  // any key but the abandoned one
    p.task_key[std::size_t(n)] = std::uint8_t(k);
  }
  for (int t = 0; t < p.threads; ++t) {
    const int n = p.length[std::size_t(t)];
    if (n == program::max_steps || !r.chance(40)) continue;
    int room = n;  // positions 0..room
    if (t == 0 && p.destroys()) room = n - (kd ? 2 : 1);
    else if (kd && blocks(p.at(t, n - 1)) && p.at(t, n - 1).key == kd) room = n - 1;
    const int at = r.below(room + 1);
    insert_step(p, t, at, step{step_kind::cancel, 1, 0, lead_end::complete, std::uint8_t(r.below(p.tasks))});
  }
}

}  // namespace detail

// A program of 2..max_threads threads (at most `threads`), 1..3 keys,
// 1..max_steps steps a thread (fewer the more threads there are); and in
// some, tasks on workers, with threads + workers at most `threads`.
inline program generate(std::uint64_t seed, int threads) {
  program p;
  p.seed = seed;
  program_rng r{seed * 0x2545f4914f6cdd1dull + 0x1234567};
  p.threads = 2 + r.below(threads - 1);
  p.keys = 1 + r.below(3);
  const int max_len = p.threads >= 3 ? 3 : 4;
  for (int t = 0; t < p.threads; ++t) {
    const int n = 1 + r.below(max_len);
    p.length[std::size_t(t)] = n;
    for (int i = 0; i < n; ++i) {
      step s;
      s.key = std::uint8_t(1 + r.below(p.keys));
      const int d = r.below(100);
      if (d < 22) s.kind = step_kind::compute;
      else if (d < 28) s.kind = step_kind::compute_throws;
      else if (d < 50) {
        s.kind = step_kind::lead;
        s.hold = std::uint8_t(r.below(3));
        const int e = r.below(10);
        s.end = e < 5 ? lead_end::complete : e < 7 ? lead_end::cancel : lead_end::drop;
      } else if (d < 62) s.kind = step_kind::get;
      else if (d < 77) s.kind = step_kind::wait;
      else if (d < 92) s.kind = step_kind::wait_for;
      else s.kind = step_kind::close;
      p.at(t, i) = s;
    }
  }
  // The map destroyed at the end, a third of the time; half of those under a
  // leader that never completes its key (waiters then meet the destructor).
  if (r.chance(33) && p.length[0] < program::max_steps) {
    int& n = p.length[0];
    if (r.chance(50) && n + 2 <= program::max_steps) {
      p.at(0, n++) = step{step_kind::lead, std::uint8_t(1 + r.below(p.keys)), 0, lead_end::abandon};
      // one waiter on that key, as some thread's last step
      const int t = 1 + r.below(p.threads - 1);
      step& last = p.at(t, p.length[std::size_t(t)] - 1);
      last.key = p.at(0, n - 1).key;
      if (last.kind != step_kind::wait_for) last.kind = r.chance(50) ? step_kind::wait : step_kind::compute;
    }
    p.at(0, n++) = step{step_kind::destroy, 1, 0, lead_end::complete};
  }
  enforce_rules(p);
  detail::draw_tasks(p, seed, threads);
  enforce_rules(p);
  return p;
}

// The program as C++ a user can paste into a scenario's thread body:
//   switch (tid) { case 0: ...; }
inline std::string to_cpp(const program& p) {
  std::string out;
  char buf[160];
  std::snprintf(buf, sizeof buf, "// program seed %llu: %d threads, %d key%s\n",
                static_cast<unsigned long long>(p.seed), p.threads, p.keys, p.keys == 1 ? "" : "s");
  out += buf;
  if (p.tasks > 0) {
    std::snprintf(buf, sizeof buf, "// %d task%s on an executor of %d worker%s, spawned before the threads start:\n",
                  p.tasks, p.tasks == 1 ? "" : "s", p.workers, p.workers == 1 ? "" : "s");
    out += buf;
    for (int n = 0; n < p.tasks; ++n) {
      std::snprintf(buf, sizeof buf,
                    "task_handle a%d = exec.spawn([](Map& m) -> task<void> { co_await m.wait_async(%u); }(m), %d);\n", n,
                    unsigned(p.task_key[std::size_t(n)]), p.task_home(n));
      out += buf;
    }
    out += "exec.close_when_idle();\n";
  }
  out += "switch (tid) {\n";
  for (int t = 0; t < p.threads; ++t) {
    std::snprintf(buf, sizeof buf, "  case %d:\n", t);
    out += buf;
    int closing = -1;  // the step after which a held handle ends
    lead_end ending = lead_end::complete;
    std::string indent = "    ";
    for (int i = 0; i < p.length[std::size_t(t)]; ++i) {
      const step& s = p.at(t, i);
      const unsigned k = s.key;
      switch (s.kind) {
        case step_kind::compute:
          std::snprintf(buf, sizeof buf, "get_or_compute(m, %u, [] { return unique_value(%u, %d, %d); });", k, k, t, i);
          break;
        case step_kind::compute_throws:
          std::snprintf(buf, sizeof buf, "try { get_or_compute(m, %u, []() -> value_t { throw compute_failed{}; }); } catch (compute_failed&) {}", k);
          break;
        case step_kind::lead:
          if (s.end == lead_end::abandon) std::snprintf(buf, sizeof buf, "auto lead = try_lead(m, %u);  // never completed", k);
          else if (s.hold == 0 && s.end == lead_end::drop) std::snprintf(buf, sizeof buf, "try_lead(m, %u);  // dropped at once", k);
          else if (s.hold == 0) std::snprintf(buf, sizeof buf, "if (auto lead = try_lead(m, %u)) lead->%s;", k,
                                              s.end == lead_end::complete ? "complete(unique_value(...))" : "fail(wait_error::cancelled)");
          else std::snprintf(buf, sizeof buf, "{ auto lead = try_lead(m, %u);  // kept across %d step%s", k, s.hold, s.hold == 1 ? "" : "s");
          break;
        case step_kind::get: std::snprintf(buf, sizeof buf, "m.get(%u);", k); break;
        case step_kind::wait: std::snprintf(buf, sizeof buf, "m.wait(%u);", k); break;
        case step_kind::wait_for: std::snprintf(buf, sizeof buf, "m.wait_for(%u, short_timeout);", k); break;
        case step_kind::close: std::snprintf(buf, sizeof buf, "m.close();"); break;
        case step_kind::destroy:
          std::snprintf(buf, sizeof buf, "destroy(m);  // once the others are done or blocked%s",
                        p.tasks ? ", and every task ended" : "");
          break;
        case step_kind::cancel: std::snprintf(buf, sizeof buf, "exec.cancel(a%d);", s.task); break;
      }
      out += indent + buf + "\n";
      if (s.kind == step_kind::lead && s.hold > 0 && s.end != lead_end::abandon) {
        closing = i + s.hold;
        ending = s.end;
        indent = "      ";
      }
      if (i == closing) {
        indent = "    ";
        out += ending == lead_end::complete ? "      if (lead) lead->complete(unique_value(...));\n    }\n"
               : ending == lead_end::cancel ? "      if (lead) lead->fail(wait_error::cancelled);\n    }\n"
                                            : "    }  // the handle is dropped: leader_failed\n";
        closing = -1;
      }
    }
    out += "    break;\n";
  }
  if (p.workers > 0) {
    std::snprintf(buf, sizeof buf, "  default:  // threads %d..%d\n    exec.run_worker(tid - %d);\n    break;\n",
                  p.threads, p.model_threads() - 1, p.threads);
    out += buf;
  }
  out += "}\n";
  return out;
}

// One line: "T0: compute k1; lead k2 hold 1 cancel; get k1 | T1: wait k2",
// and the tasks last: "... | T1: cancel a0 | tasks on 1 worker: a0 wait_async k2".
inline std::string to_line(const program& p) {
  std::string out;
  for (int t = 0; t < p.threads; ++t) {
    out += (t ? " | T" : "T") + std::to_string(t) + ":";
    for (int i = 0; i < p.length[std::size_t(t)]; ++i) {
      const step& s = p.at(t, i);
      out += i ? "; " : " ";
      out += to_string(s.kind);
      if (s.kind == step_kind::cancel) out += " a" + std::to_string(s.task);
      else if (s.kind != step_kind::close && s.kind != step_kind::destroy) out += " k" + std::to_string(s.key);
      if (s.kind == step_kind::lead)
        out += (s.hold ? " hold " + std::to_string(s.hold) : std::string()) + " " + to_string(s.end);
    }
  }
  if (p.tasks > 0) {
    out += " | tasks on " + std::to_string(p.workers) + (p.workers == 1 ? " worker:" : " workers:");
    for (int n = 0; n < p.tasks; ++n)
      out += (n ? "; a" : " a") + std::to_string(n) + " wait_async k" + std::to_string(p.task_key[std::size_t(n)]);
  }
  return out;
}

// A one- or two-digit number, or -1.
inline int small_number(const std::string& text) {
  if (text.empty() || text.size() > 2 || text.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stoi(text);
}

// The task part of a line, "tasks on 2 workers: a0 wait_async k1; a1 ...",
// split at its colon: false if it is not one.
inline bool read_tasks(const std::string& head, const std::string& list, program& p) {
  std::istringstream h(head);
  std::string tasks, on, count, workers;
  if (!(h >> tasks >> on >> count >> workers) || (workers != "worker" && workers != "workers")) return false;
  p.workers = small_number(count);
  if (p.workers < 1 || p.workers > program::max_workers) return false;
  std::istringstream items(list);
  std::string item;
  while (std::getline(items, item, ';')) {
    std::istringstream words(item);
    std::string name, kind, key;
    if (!(words >> name >> kind >> key) || kind != "wait_async" || key.size() < 2 || key[0] != 'k' ||
        name != "a" + std::to_string(p.tasks) || p.tasks == program::max_tasks)
      return false;
    const int k = small_number(key.substr(1));
    if (k < 1 || k > 3) return false;
    p.task_key[std::size_t(p.tasks++)] = std::uint8_t(k);
    p.keys = std::max(p.keys, k);
  }
  return p.tasks > 0;
}

// The inverse of to_line (a replay of a shrunk program): nullopt if `line`
// is not a program.
inline std::optional<program> from_line(const std::string& line) {
  program p;
  std::istringstream threads(line);
  std::string part;
  while (std::getline(threads, part, '|')) {
    const std::size_t colon = part.find(':');
    if (colon == std::string::npos || p.tasks > 0) return std::nullopt;  // the tasks come last
    if (part.find("tasks on") != std::string::npos) {
      if (!read_tasks(part.substr(0, colon), part.substr(colon + 1), p)) return std::nullopt;
      continue;
    }
    if (p.threads == program::max_threads) return std::nullopt;
    const int t = p.threads++;
    std::istringstream steps(part.substr(colon + 1));
    std::string text;
    while (std::getline(steps, text, ';')) {
      std::istringstream words(text);
      std::string kind, word;
      if (!(words >> kind)) continue;
      step s;
      bool known = false;
      for (int k = 0; k <= int(step_kind::cancel); ++k)
        if (kind == to_string(step_kind(k))) {
          s.kind = step_kind(k);
          known = true;
        }
      if (!known || p.length[std::size_t(t)] == program::max_steps) return std::nullopt;
      while (words >> word) {
        if (word.size() > 1 && word[0] == 'k') {
          const int k = small_number(word.substr(1));
          if (k < 1 || k > 3) return std::nullopt;
          s.key = std::uint8_t(k);
        } else if (s.kind == step_kind::cancel && word.size() > 1 && word[0] == 'a') {
          const int n = small_number(word.substr(1));
          if (n < 0 || n >= program::max_tasks) return std::nullopt;
          s.task = std::uint8_t(n);
        } else if (word == "hold" && (words >> word)) {
          const int h = small_number(word);
          if (h < 0 || h >= program::max_steps) return std::nullopt;
          s.hold = std::uint8_t(h);
        }
        else
          for (int e = 0; e <= int(lead_end::abandon); ++e)
            if (word == to_string(lead_end(e))) s.end = lead_end(e);
      }
      p.keys = std::max(p.keys, int(s.key));
      p.at(t, p.length[std::size_t(t)]++) = s;
    }
  }
  if (p.threads == 0) return std::nullopt;
  enforce_rules(p);
  return p;
}

}  // namespace oncecheck::spec
