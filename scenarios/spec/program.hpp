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
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <optional>
#include <sstream>
#include <string>

namespace oncecheck::spec {

enum class step_kind : std::uint8_t { compute, compute_throws, lead, get, wait, wait_for, close, destroy };
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
  friend bool operator==(const step&, const step&) = default;
};

struct program {
  static constexpr int max_threads = 4;
  static constexpr int max_steps = 6;
  std::uint64_t seed = 0;
  int threads = 0;
  int keys = 1;
  std::array<std::array<step, max_steps>, max_threads> steps{};
  std::array<int, max_threads> length{};

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

// Makes a program keep the three rules of the header (the generator's
// output and every shrunk program go through it).
inline void enforce_rules(program& p) {
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
}

// A program of 2..max_threads threads (at most `threads`), 1..3 keys,
// 1..max_steps steps a thread (fewer the more threads there are).
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
        case step_kind::destroy: std::snprintf(buf, sizeof buf, "destroy(m);  // once the others are done or blocked"); break;
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
  out += "}\n";
  return out;
}

// One line: "T0: compute k1; lead k2 hold 1 cancel; get k1 | T1: wait k2".
inline std::string to_line(const program& p) {
  std::string out;
  for (int t = 0; t < p.threads; ++t) {
    out += (t ? " | T" : "T") + std::to_string(t) + ":";
    for (int i = 0; i < p.length[std::size_t(t)]; ++i) {
      const step& s = p.at(t, i);
      out += i ? "; " : " ";
      out += to_string(s.kind);
      if (s.kind != step_kind::close && s.kind != step_kind::destroy) out += " k" + std::to_string(s.key);
      if (s.kind == step_kind::lead)
        out += (s.hold ? " hold " + std::to_string(s.hold) : std::string()) + " " + to_string(s.end);
    }
  }
  return out;
}

// A one- or two-digit number, or -1.
inline int small_number(const std::string& text) {
  if (text.empty() || text.size() > 2 || text.find_first_not_of("0123456789") != std::string::npos) return -1;
  return std::stoi(text);
}

// The inverse of to_line (a replay of a shrunk program): nullopt if `line`
// is not a program.
inline std::optional<program> from_line(const std::string& line) {
  program p;
  std::istringstream threads(line);
  std::string part;
  while (std::getline(threads, part, '|')) {
    if (p.threads == program::max_threads) return std::nullopt;
    const std::size_t colon = part.find(':');
    if (colon == std::string::npos) return std::nullopt;
    const int t = p.threads++;
    std::istringstream steps(part.substr(colon + 1));
    std::string text;
    while (std::getline(steps, text, ';')) {
      std::istringstream words(text);
      std::string kind, word;
      if (!(words >> kind)) continue;
      step s;
      bool known = false;
      for (int k = 0; k <= int(step_kind::destroy); ++k)
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
