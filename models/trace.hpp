// Turns Relacy's execution history into a counterexample a person can read:
// one line per step with the thread, the operation on the design and the
// design's own file:line; Relacy's internal steps are left out and object
// addresses become short names (#1, #2...). The last lines say why the
// verdict was given: where each unfinished thread stopped.
#pragma once

#include <cctype>
#include <map>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace oncecheck::model {

struct trace_step {
  int index = -1;
  int thread = -1;
  std::string event;
  std::string function;  // shortened: condvar_map::wait_until
  std::string file;      // base name
  int line = 0;
  bool internal = false;  // Relacy's or the standard library's own step
};

// "outcome<V> oncecheck::condvar_map<K, V, Sync, Flaw>::wait_until(const K&) [with K = ...]"
//   -> "condvar_map::wait_until"
inline std::string short_function(std::string_view f) {
  if (auto with = f.find(" [with "); with != std::string_view::npos) f = f.substr(0, with);
  // The parameter list is the first '(' outside template brackets that
  // follows the name.
  int depth = 0;
  std::size_t open = std::string_view::npos;
  for (std::size_t i = 0; i < f.size(); ++i) {
    if (f[i] == '<') ++depth;
    else if (f[i] == '>') --depth;
    else if (f[i] == '(' && depth == 0) {
      if (f.substr(0, i).ends_with("operator")) continue;
      open = i;
      break;
    }
  }
  std::string_view head = f.substr(0, open);
  depth = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i < head.size(); ++i) {
    if (head[i] == '<') ++depth;
    else if (head[i] == '>') --depth;
    else if (head[i] == ' ' && depth == 0) start = i + 1;
  }
  head = head.substr(start);
  std::string out;
  depth = 0;
  for (char c : head) {
    if (c == '<') ++depth;
    else if (c == '>') --depth;
    else if (depth == 0) out += c;
  }
  for (std::string_view ns : {"oncecheck::scenarios::", "oncecheck::sync::", "oncecheck::model::", "oncecheck::"})
    if (out.starts_with(ns)) out.erase(0, ns.size());
  return out;
}

// One history line: "[12] 1: <event>, in <function>, <file>(<line>)".
inline bool parse_step(const std::string& s, trace_step& step) {
  if (s.size() < 4 || s[0] != '[') return false;
  const auto close = s.find("] ");
  const auto colon = s.find(": ", close);
  if (close == std::string::npos || colon == std::string::npos) return false;
  step.index = std::stoi(s.substr(1, close - 1));
  step.thread = std::stoi(s.substr(close + 2, colon - close - 2));
  const auto in = s.find(", in ", colon);
  const auto lparen = s.rfind('(');
  if (in == std::string::npos || lparen == std::string::npos || s.back() != ')') return false;
  const auto comma = s.rfind(", ", lparen);
  step.event = s.substr(colon + 2, in - colon - 2);
  const std::string path = s.substr(comma + 2, lparen - comma - 2);
  step.line = std::atoi(s.c_str() + lparen + 1);
  step.function = short_function(std::string_view(s).substr(in + 5, comma - in - 5));
  step.file = path.substr(path.find_last_of('/') + 1);
  step.internal = path.find("/relacy/") != std::string::npos || path.starts_with("/usr/include/");
  return true;
}

// Replaces every "<0x...>" with a short stable alias.
inline std::string alias_addresses(const std::string& event, std::map<std::string, int>& aliases) {
  std::string out;
  std::size_t i = 0;
  while (i < event.size()) {
    if (event.compare(i, 3, "<0x") == 0) {
      const auto end = event.find('>', i);
      if (end != std::string::npos) {
        const std::string addr = event.substr(i, end - i + 1);
        auto [it, fresh] = aliases.try_emplace(addr, int(aliases.size()) + 1);
        out += "#" + std::to_string(it->second);
        i = end + 1;
        continue;
      }
    }
    out += event[i++];
  }
  return out;
}

// The only rl::var the backends use is the race detector beside each cell
// (its value is always 0): say what the access means, not what it stored.
inline std::string describe_event(std::string e) {
  for (const auto& [from, to] : {std::pair<std::string_view, std::string_view>{" load, value=0", " read shared data"},
                                 {" store, value=0", " write shared data"}})
    if (e.ends_with(from)) e.replace(e.size() - from.size(), from.size(), to);
  return e;
}

struct readable_trace {
  std::string text;         // the steps and the "why" lines
  std::string last_event;   // Relacy's own last line (the failure)
  std::string last_where;   // where the failing step was: "notify::wait (notify.hpp:120)"
  std::string last_object;  // the object the failing step touched, as aliased in the trace ("#3")
};

// The steps of Relacy's "execution history" section.
inline std::vector<trace_step> history_steps(const std::string& history) {
  std::istringstream in(history);
  std::string line;
  std::vector<trace_step> steps;
  bool in_history = false;
  while (std::getline(in, line)) {
    if (line.starts_with("execution history")) {
      in_history = true;
      continue;
    }
    if (in_history && line.empty()) break;  // the per-thread sections follow
    trace_step step;
    if (in_history && parse_step(line, step)) steps.push_back(step);
  }
  return steps;
}

// Where each thread was when the execution ended.
struct thread_ends {
  std::vector<const trace_step*> last, last_design;
  std::vector<bool> finished;
};

inline void write_why(std::ostringstream& text, const thread_ends& ends, std::map<std::string, int>& aliases) {
  text << "  why:\n";
  for (std::size_t t = 0; t < ends.last.size(); ++t) {
    const trace_step* last = ends.last[t];
    text << "    T" << t << ": ";
    if (ends.finished[t]) text << "finished";
    else if (last) {
      text << "stopped after step " << last->index << ", " << describe_event(alias_addresses(last->event, aliases))
           << " in " << last->function << " (" << last->file << ":" << last->line << ")";
      // What the thread was doing, in the design's own words.
      if (const trace_step* d = ends.last_design[t]; d && d != last)
        text << "; last design step " << d->index << ": " << d->event.substr(9);
    }
    else text << "had not started";
    text << "\n";
  }
}

// The failing step is Relacy's own; the design's line is the last
// non-internal step of the same thread, and the object is the step's.
inline void name_failing_step(readable_trace& out, const std::vector<trace_step>& steps,
                              std::map<std::string, int>& aliases) {
  const trace_step& failing = steps.back();
  out.last_event = failing.event;
  for (auto it = steps.rbegin(); it != steps.rend(); ++it)
    if (it->thread == failing.thread && !it->internal) {
      out.last_where = it->function + " (" + it->file + ":" + std::to_string(it->line) + ")";
      break;
    }
  if (const auto at = failing.event.find("<0x"); at != std::string::npos)
    out.last_object = alias_addresses(failing.event.substr(at, failing.event.find('>', at) - at + 1), aliases);
}

inline readable_trace make_readable(const std::string& history, int threads) {
  const std::vector<trace_step> steps = history_steps(history);
  readable_trace out;
  if (steps.empty()) return out;
  std::map<std::string, int> aliases;
  std::ostringstream text;
  thread_ends ends{std::vector<const trace_step*>(std::size_t(threads), nullptr),
                   std::vector<const trace_step*>(std::size_t(threads), nullptr),
                   std::vector<bool>(std::size_t(threads), false)};
  for (const auto& s : steps) {
    if (s.thread >= 0 && s.thread < threads) {
      if (s.event == "[THREAD FINISHED]") ends.finished[std::size_t(s.thread)] = true;
      else if (!s.internal) ends.last[std::size_t(s.thread)] = &s;
      if (s.event.starts_with("[design] ")) ends.last_design[std::size_t(s.thread)] = &s;
    }
    if (s.internal && &s != &steps.back()) continue;
    char head[32];
    std::snprintf(head, sizeof head, "  [%4d] T%d  ", s.index, s.thread);
    std::string event = describe_event(alias_addresses(s.event, aliases));
    if (event.size() < 52) event.resize(52, ' ');
    text << head << event << "  " << s.function << "  " << s.file << ":" << s.line << "\n";
  }
  name_failing_step(out, steps, aliases);
  write_why(text, ends, aliases);
  text << "    verdict: " << out.last_event << "\n";
  out.text = text.str();
  return out;
}

}  // namespace oncecheck::model
