// recording_map: a thread's view of a design that records every call it
// makes (history.hpp) and forwards it unchanged. It is a once_map itself, so
// the contract's own get_or_compute and try_lead run on it as written, and
// the leader handle's destructor records the fail() it makes.
//
// The design is reached through a pointer that the program's destroy step
// invalidates; a call still inside the design then (a waiter the destructor
// woke) records its return in the recorder, never in the map.
#pragma once

#include <chrono>
#include <cstddef>
#include <optional>
#include <string_view>

#include "history.hpp"

namespace oncecheck::spec {

template <class Map, class Recorder>
class recording_map {
 public:
  using key_type = typename Map::key_type;
  using value_type = typename Map::value_type;
  static constexpr std::string_view design_name = Map::design_name;
  // wait_async is not offered: a thread of a program makes blocking calls
  // only; a program's tasks record their wait_async themselves
  // (random_programs.hpp's waiter, history.hpp's first_task_process).
  static constexpr capabilities traits{Map::traits.blocking_wait, false, Map::traits.timeouts,
                                       Map::traits.allocates_per_waiter, Map::traits.on_close,
                                       Map::traits.leader_failure};

  recording_map(Map* map, Recorder& rec, int thread) : map_(map), rec_(rec), thread_(thread) {}

  bool register_key(const key_type& k) {
    const int i = rec_.begin(thread_, op_kind::register_key, k);
    const bool r = map_->register_key(k);
    if (recorded_op* o = rec_.at(thread_, i)) o->flag = r;
    rec_.end(thread_, i);
    return r;
  }
  void done(const key_type& k, value_type v) {
    const int i = rec_.begin(thread_, op_kind::done, k);
    if (recorded_op* o = rec_.at(thread_, i)) o->arg_value = v;
    map_->done(k, v);
    rec_.end(thread_, i);
  }
  void fail(const key_type& k, wait_error e) {
    const int i = rec_.begin(thread_, op_kind::fail, k);
    if (recorded_op* o = rec_.at(thread_, i)) o->arg_error = e;
    map_->fail(k, e);
    rec_.end(thread_, i);
  }
  std::optional<value_type> get(const key_type& k) const {
    const int i = rec_.begin(thread_, op_kind::get, k);
    std::optional<value_type> r = map_->get(k);
    if (recorded_op* o = rec_.at(thread_, i)) {
      o->has_value = r.has_value();
      o->value = r.value_or(0);
    }
    rec_.end(thread_, i);
    return r;
  }
  outcome<value_type> wait(const key_type& k) { return waited(op_kind::wait, k, [&] { return map_->wait(k); }); }
  outcome<value_type> wait_for(const key_type& k, std::chrono::nanoseconds d) {
    return waited(op_kind::wait_for, k, [&] { return map_->wait_for(k, d); });
  }
  void close() {
    const int i = rec_.begin(thread_, op_kind::close, 0);
    map_->close();
    rec_.end(thread_, i);
  }
  std::size_t waiting(const key_type& k) const { return map_->waiting(k); }

  // Records the destructor: `destroy` ends the map's life.
  template <class Destroy>
  void destroy(Destroy&& destroy) {
    const int i = rec_.begin(thread_, op_kind::destroy, 0);
    destroy(map_);
    map_ = nullptr;
    rec_.end(thread_, i);
  }

  // A compute, from its start to its end, with its value (or none: it threw).
  template <class F>
  value_type compute(const key_type& k, F&& f) {
    const int i = rec_.begin(thread_, op_kind::compute, k);
    struct end_guard {
      Recorder& rec;
      int thread, i;
      ~end_guard() { rec.end(thread, i); }
    } guard{rec_, thread_, i};
    value_type v = f();
    if (recorded_op* o = rec_.at(thread_, i)) {
      o->has_value = true;
      o->value = v;
    }
    return v;
  }

 private:
  template <class F>
  outcome<value_type> waited(op_kind kind, const key_type& k, F&& call) {
    const int i = rec_.begin(thread_, kind, k);
    outcome<value_type> r = call();
    if (recorded_op* o = rec_.at(thread_, i)) {
      o->has_value = r.has_value();
      if (r.has_value()) o->value = r.value();
      else o->error = r.error();
    }
    rec_.end(thread_, i);
    return r;
  }

  Map* map_;
  Recorder& rec_;
  int thread_;
};

}  // namespace oncecheck::spec
