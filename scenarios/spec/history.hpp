// A history of once-map operations: what each call was, who made it, what it
// returned, and when it was called and returned. The checker
// (linearizability.hpp) decides whether some sequential order of these calls,
// each placed inside its own interval, is allowed by the specification
// (once_map_spec.hpp).
//
// The recorder adds no synchronisation a checker could see. Each thread
// writes only its own fixed-size buffer (plain memory, no allocation inside a
// run) and check() reads the buffers after every thread has returned, when
// the runner's join already orders them. The timestamps come from one
// std::atomic counter incremented with memory_order_relaxed:
//   - under Relacy every model thread is a fiber on one OS thread, and a
//     std::atomic (not rl::atomic) is invisible to Relacy: no scheduling
//     point, no happens-before, and its order is the order in which the
//     fibers really ran;
//   - on real threads every read-modify-write of one atomic is totally
//     ordered (its modification order), consistent with real time: a stamp
//     taken after another stamp's fetch_add returned is larger. Relaxed RMWs
//     create no happens-before edge for ThreadSanitizer, so a data race in
//     the design is not hidden by the recorder. (A monotonic clock would also
//     add no edge, but two threads can read the same tick, and an equal call
//     and return stamp would leave their order undecided.)
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "../../impls/once_map.hpp"

namespace oncecheck::spec {

using key_t = std::uint64_t;
using value_t = std::uint64_t;

enum class op_kind : std::uint8_t {
  register_key,  // result: flag (true: the caller leads)
  done,          // argument: value
  fail,          // argument: error
  get,           // result: has_value, value
  wait,          // result: an outcome (has_value, value or error)
  wait_for,      // as wait, bounded
  close,         // every key
  destroy,       // the map's destructor: close(), and the map is gone
  compute,       // a leader's compute, from its start to its end (not an
                 // operation of the map: the checker uses it to name a
                 // duplicate compute)
};

constexpr const char* to_string(op_kind k) noexcept {
  switch (k) {
    case op_kind::register_key: return "register_key";
    case op_kind::done: return "done";
    case op_kind::fail: return "fail";
    case op_kind::get: return "get";
    case op_kind::wait: return "wait";
    case op_kind::wait_for: return "wait_for";
    case op_kind::close: return "close";
    case op_kind::destroy: return "destroy";
    case op_kind::compute: return "compute";
  }
  return "?";
}

inline constexpr std::uint64_t never = std::numeric_limits<std::uint64_t>::max();

// History processes from here on are a program's tasks (task n is process
// first_task_process + n), after its plain threads (program.hpp: 4 at most).
// A task's wait_async is recorded as a wait: its call before the co_await,
// its return after; a task cancelled while parked leaves a call that never
// returned, which the checker takes as a call with no effect.
inline constexpr int first_task_process = 4;

// One call: its arguments, its result and its interval [call, ret].
struct recorded_op {
  int thread = 0;
  op_kind kind = op_kind::get;
  key_t key = 0;
  value_t arg_value = 0;                        // done
  wait_error arg_error = wait_error::leader_failed;  // fail
  bool returned = false;
  bool flag = false;       // register_key's result
  bool has_value = false;  // get, wait, wait_for, compute
  value_t value = 0;
  wait_error error = wait_error::closed;  // wait, wait_for without a value
  std::uint64_t call = 0, ret = never;

  bool touches_every_key() const { return kind == op_kind::close || kind == op_kind::destroy; }
  bool is_wait() const { return kind == op_kind::wait || kind == op_kind::wait_for; }
};

// "T1 wait(k2) -> leader_failed": one call, as a counterexample prints it.
inline std::string describe(const recorded_op& o) {
  char buf[128];
  const auto k = static_cast<unsigned long long>(o.key);
  const auto v = static_cast<unsigned long long>(o.value);
  // "T1" a plain thread, "a0" a task (program.hpp's names)
  const char who = o.thread >= first_task_process ? 'a' : 'T';
  const int id = o.thread >= first_task_process ? o.thread - first_task_process : o.thread;
  int n = 0;
  switch (o.kind) {
    case op_kind::close:
    case op_kind::destroy: n = std::snprintf(buf, sizeof buf, "%c%d %s()", who, id, to_string(o.kind)); break;
    case op_kind::done:
      n = std::snprintf(buf, sizeof buf, "%c%d done(k%llu, %llx)", who, id, k,
                        static_cast<unsigned long long>(o.arg_value));
      break;
    case op_kind::fail:
      n = std::snprintf(buf, sizeof buf, "%c%d fail(k%llu, %s)", who, id, k, to_string(o.arg_error).data());
      break;
    default: n = std::snprintf(buf, sizeof buf, "%c%d %s(k%llu)", who, id, to_string(o.kind), k); break;
  }
  std::string s(buf, std::size_t(n));
  if (!o.returned) return s + " -> (never returned)";
  switch (o.kind) {
    case op_kind::register_key: s += o.flag ? " -> leader" : " -> not leader"; break;
    case op_kind::get:
      if (o.has_value) s += " -> " + std::string(buf, std::size_t(std::snprintf(buf, sizeof buf, "%llx", v)));
      else s += " -> none";
      break;
    case op_kind::wait:
    case op_kind::wait_for:
    case op_kind::compute:
      if (o.has_value) s += " -> " + std::string(buf, std::size_t(std::snprintf(buf, sizeof buf, "%llx", v)));
      else if (o.kind != op_kind::compute) s += std::string(" -> ") + to_string(o.error).data();
      else s += " -> threw";
      break;
    default: break;
  }
  return s;
}

// Per-thread buffers of at most MaxOps calls each. A thread that makes more
// calls than that stops recording (and the history says so: overflowed()).
template <int MaxThreads, int MaxOps>
class history_recorder {
 public:
  // The index of the call in thread `t`'s buffer, stamped with its call time.
  int begin(int t, op_kind kind, key_t key) {
    int& n = count_[std::size_t(t)];
    if (n >= MaxOps) {
      overflow_[std::size_t(t)] = true;
      return -1;
    }
    recorded_op& o = ops_[std::size_t(t)][std::size_t(n)];
    o = recorded_op{};
    o.thread = t;
    o.kind = kind;
    o.key = key;
    o.call = tick();
    return n++;
  }
  recorded_op* at(int t, int i) { return i < 0 ? nullptr : &ops_[std::size_t(t)][std::size_t(i)]; }
  // Stamps the return; fill the result through at() first.
  void end(int t, int i) {
    if (recorded_op* o = at(t, i)) {
      o->returned = true;
      o->ret = tick();
    }
  }

  bool overflowed() const {
    for (bool o : overflow_)
      if (o) return true;
    return false;
  }
  std::vector<recorded_op> collect() const {
    std::vector<recorded_op> out;
    for (int t = 0; t < MaxThreads; ++t)
      for (int i = 0; i < count_[std::size_t(t)]; ++i) out.push_back(ops_[std::size_t(t)][std::size_t(i)]);
    return out;
  }

 private:
  // Relaxed on purpose: see the header.
  std::uint64_t tick() { return clock_.fetch_add(1, std::memory_order_relaxed) + 1; }

  std::atomic<std::uint64_t> clock_{0};
  std::array<std::array<recorded_op, MaxOps>, MaxThreads> ops_{};
  std::array<int, MaxThreads> count_{};
  std::array<bool, MaxThreads> overflow_{};  // per thread, like the buffers
};

}  // namespace oncecheck::spec
