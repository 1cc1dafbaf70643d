// replay_state: reads a Relacy scheduler state (a failure's `--replay`)
// before Relacy does, so that a state Relacy would misread is one line of
// bad input and not a crash or a silent fresh search.
//
// Relacy (context.hpp, simulate) reads the state with operator>>: the
// iteration to start from, then the scheduler's own part. The random
// scheduler has none (its iteration seeds it). The tree-search schedulers
// (bound, full: full_search_scheduler.hpp) write the decision tree as
// `size` then `size` triples `count index type`: at each decision, how many
// choices there were, the one taken, and what kind of decision it was
// (relacy/defs.hpp's sched_type). On a bad stream operator>> stops quietly
// and the search starts afresh ("garbage" replays a fresh search); an index
// past its count, or a count past what the program can have, becomes an
// index into Relacy's thread arrays (a segfault). So the state must be
// whole numbers only, each in range, and nothing after the last one.
//
// A state that passes is well formed, not necessarily a schedule of this
// cell: the runner replays it in a child process, where a schedule that
// does not fit can only take the child down (models/model_main.cpp).
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace oncecheck::model {

// The most choices a decision of each sched_type can offer: a thread to run
// (sched; user: a waiter to wake, a spurious wake-up), or Relacy's fixed
// alternatives (atomic_load: 2, a store from history or not; cas_fail and
// mem_realloc: 2 or 4). Index = the sched_type's value.
inline std::optional<unsigned> max_choices(unsigned type, unsigned threads) {
  switch (type) {
    case 0: return threads;  // sched_type_sched
    case 1: return 2;        // sched_type_atomic_load
    case 2: return 4;        // sched_type_cas_fail
    case 3: return 4;        // sched_type_mem_realloc
    case 4: return threads;  // sched_type_user
    default: return std::nullopt;
  }
}

// nullopt when `state` is a well-formed state of `scheduler` (random, bound,
// full) for a model of `threads` threads; otherwise what is wrong, one line.
inline std::optional<std::string> check_relacy_state(const std::string& state, std::string_view scheduler,
                                                     unsigned threads) {
  std::vector<std::string_view> words;
  for (std::size_t i = 0; i < state.size();) {
    if (state[i] == ' ' || state[i] == '\t' || state[i] == '\n') {
      ++i;
      continue;
    }
    const std::size_t end = std::min(state.find_first_of(" \t\n", i), state.size());
    words.push_back(std::string_view(state).substr(i, end - i));
    i = end;
  }
  const std::string named = "--replay '" + state + "'";
  std::vector<std::uint64_t> n;
  for (std::string_view w : words) {
    std::uint64_t v = 0;
    const auto r = std::from_chars(w.data(), w.data() + w.size(), v);
    if (r.ec == std::errc::result_out_of_range)
      return named + ": " + std::string(w) + " is out of range for a " + std::string(scheduler) + " state";
    if (r.ec != std::errc() || r.ptr != w.data() + w.size())
      return named + ": '" + std::string(w) + "' is not a whole number (a " + std::string(scheduler) +
             " state is whole numbers separated by spaces)";
    n.push_back(v);
  }
  if (n.empty()) return named + ": empty (a " + std::string(scheduler) + " state starts with an iteration number)";
  if (scheduler == "random") {
    if (n.size() != 1) return named + ": a random scheduler's state is one number, the iteration";
    return std::nullopt;
  }
  if (n.size() < 2) return named + ": a " + std::string(scheduler) + " state is the iteration, a size, then size triples";
  const std::uint64_t size = n[1];
  if ((n.size() - 2) % 3 != 0 || size != (n.size() - 2) / 3)
    return named + ": says " + std::to_string(size) + " decisions but gives " + std::to_string(n.size() - 2) +
           " numbers after them (3 a decision: count index type)";
  for (std::uint64_t d = 0; d < size; ++d) {
    const std::uint64_t count = n[2 + d * 3], index = n[3 + d * 3], type = n[4 + d * 3];
    const std::string at = named + ": decision " + std::to_string(d + 1) + " (" + std::to_string(count) + " " +
                           std::to_string(index) + " " + std::to_string(type) + ")";
    const auto most = type <= 4 ? max_choices(unsigned(type), threads) : std::nullopt;
    if (!most) return at + ": kind " + std::to_string(type) + " is not one of Relacy's 0 to 4";
    if (count < 1 || count > *most)
      return at + ": " + std::to_string(count) + " choices where this cell has 1 to " + std::to_string(*most);
    if (index >= count) return at + ": choice " + std::to_string(index) + " of " + std::to_string(count);
  }
  return std::nullopt;
}

}  // namespace oncecheck::model
