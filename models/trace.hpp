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
  std::string text;        // the steps and the "why" lines
  std::string last_event;  // Relacy's own last line (the failure)
};

inline readable_trace make_readable(const std::string& history, int threads) {
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
  readable_trace out;
  if (steps.empty()) return out;
  std::map<std::string, int> aliases;
  std::ostringstream text;
  std::vector<const trace_step*> last_of_thread(std::size_t(threads), nullptr);
  std::vector<const trace_step*> last_design_step(std::size_t(threads), nullptr);
  std::vector<bool> finished(std::size_t(threads), false);
  for (const auto& s : steps) {
    const bool is_last = &s == &steps.back();
    if (s.thread >= 0 && s.thread < threads) {
      if (s.event == "[THREAD FINISHED]") finished[std::size_t(s.thread)] = true;
      else if (!s.internal) last_of_thread[std::size_t(s.thread)] = &s;
      if (s.event.starts_with("[design] ")) last_design_step[std::size_t(s.thread)] = &s;
    }
    if (s.internal && !is_last) continue;
    char head[32];
    std::snprintf(head, sizeof head, "  [%4d] T%d  ", s.index, s.thread);
    std::string event = describe_event(alias_addresses(s.event, aliases));
    if (event.size() < 52) event.resize(52, ' ');
    text << head << event << "  " << s.function << "  " << s.file << ":" << s.line << "\n";
  }
  out.last_event = steps.back().event;
  text << "  why:\n";
  for (int t = 0; t < threads; ++t) {
    const trace_step* last = last_of_thread[std::size_t(t)];
    text << "    T" << t << ": ";
    if (finished[std::size_t(t)]) text << "finished";
    else if (last) {
      text << "stopped after step " << last->index << ", " << describe_event(alias_addresses(last->event, aliases))
           << " in " << last->function << " (" << last->file << ":" << last->line << ")";
      // What the thread was doing, in the design's own words.
      if (const trace_step* d = last_design_step[std::size_t(t)]; d && d != last)
        text << "; last design step " << d->index << ": " << d->event.substr(9);
    }
    else text << "had not started";
    text << "\n";
  }
  text << "    verdict: " << out.last_event << "\n";
  out.text = text.str();
  return out;
}

}  // namespace oncecheck::model
