// The once-map contract: what every design in impls/ implements and what every
// scenario in scenarios/ checks. This header is the reference users read when
// they bring their own design.
//
// A once-map (single-flight, request-coalescing map) lets many threads ask for
// the value of a key while exactly one of them computes it:
//
//   bool register_key(const K& k)
//       true: the caller is the key's leader and must complete it with done()
//       or fail(); false: a leader exists (or the value is there), so wait().
//       A key whose leader failed may be registered again. After close(),
//       false.
//   void done(const K& k, V v)
//       publishes v for k and wakes every waiter of k; get() returns it from
//       then on.
//   void fail(const K& k, wait_error e)
//       wakes every waiter of k's current round with e; the key is free to be
//       registered again.
//   std::optional<V> get(const K& k) const
//       the value if it is there; never blocks.
//   outcome<V> wait(const K& k)
//       blocks until k has a value or an error: `closed` (the map was closed
//       or destroyed), `leader_failed` (the leader failed or was dropped
//       without completing), `not_registered` (nobody leads k and it has no
//       value), or a design-specific `cancelled`.
//   outcome<V> wait_for(const K& k, std::chrono::nanoseconds d)
//       as wait(), or `timed_out` after d. A timed-out waiter leaves nothing
//       behind: it is never woken later and a completer never touches it.
//   void close()
//       wakes every waiter with `closed`; later waits return `closed`.
//   std::size_t waiting(const K& k) const
//       how many callers are blocked in wait()/wait_for() on k now (a
//       diagnostic the scenarios and the watchdog use; may be stale at once).
//   ~Map()
//       as close(), and safe while waiters are still blocked: they return
//       `closed` and never touch the map's memory afterwards (the destructor
//       either waits for them to leave or leaves them only per-key state they
//       own).
//   task<outcome<V>> wait_async(K k)            (designs with traits.async_wait)
//       as wait(), awaited by a coroutine task (impls/task.hpp) instead of
//       blocking a thread: the task parks and its waker resumes it. A task
//       destroyed while parked (cancelled) leaves nothing behind. The map
//       must outlive the tasks it returned.
//   static constexpr std::string_view design_name;
//   static constexpr capabilities traits;   // what the design supports
//
// On top of that contract, and written once for every design:
//   try_lead(m, k)        -> std::optional<leader<M>>, a move-only handle whose
//                            destructor fails the key (leader_failed) if the
//                            leader neither completed nor failed it: an
//                            exception or an early return cannot strand
//                            waiters (the handle uv's review asked for).
//   get_or_compute(m,k,f) -> outcome<V>: get, else lead and compute f(), else
//                            wait.
//   get_or_compute_async(m,k,f) -> task<outcome<V>>: the same in a task, the
//                            wait a wait_async (designs that have it).
#pragma once

#include <chrono>
#include <concepts>
#include <cstddef>
#include <functional>
#include <optional>
#include <string_view>
#include <utility>
#include <variant>

#include "task.hpp"

namespace oncecheck {

enum class wait_error { closed, leader_failed, cancelled, timed_out, not_registered };

constexpr std::string_view to_string(wait_error e) noexcept {
  switch (e) {
    case wait_error::closed: return "closed";
    case wait_error::leader_failed: return "leader_failed";
    case wait_error::cancelled: return "cancelled";
    case wait_error::timed_out: return "timed_out";
    case wait_error::not_registered: return "not_registered";
  }
  return "?";
}

// The value of a key or the reason there is none.
template <class V>
class outcome {
 public:
  outcome(V v) : v_(std::in_place_index<0>, std::move(v)) {}            // NOLINT: implicit on purpose
  outcome(wait_error e) : v_(std::in_place_index<1>, e) {}               // NOLINT
  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }
  const V& value() const { return std::get<0>(v_); }
  wait_error error() const { return std::get<1>(v_); }
  friend bool operator==(const outcome&, const outcome&) = default;

 private:
  std::variant<V, wait_error> v_;
};

// What a design supports; the report prints these as its capability table.
struct capabilities {
  bool blocking_wait;
  bool async_wait;
  bool timeouts;
  bool allocates_per_waiter;
  std::string_view on_close;        // what waiters see when the map closes
  std::string_view leader_failure;  // what waiters see when the leader fails
};

// A design with no deliberate bug. Each design's header declares its own flaw
// tags (the real bugs of its seed) beside this one.
namespace flaw {
struct none {
  static constexpr std::string_view name = "none";
  static constexpr std::string_view bug = "";
};
}  // namespace flaw

// One concept per operation, so that a design missing one is told which
// (see require_once_map below).
namespace contract {
template <class M>
concept has_types = requires {
  typename M::key_type;
  typename M::value_type;
};
template <class M>
concept has_register_key = requires(M& m, const typename M::key_type& k) {
  { m.register_key(k) } -> std::same_as<bool>;
};
template <class M>
concept has_done = requires(M& m, const typename M::key_type& k, typename M::value_type v) {
  m.done(k, std::move(v));
};
template <class M>
concept has_fail = requires(M& m, const typename M::key_type& k) { m.fail(k, wait_error::leader_failed); };
template <class M>
concept has_get = requires(const M& m, const typename M::key_type& k) {
  { m.get(k) } -> std::same_as<std::optional<typename M::value_type>>;
};
template <class M>
concept has_wait = requires(M& m, const typename M::key_type& k) {
  { m.wait(k) } -> std::same_as<outcome<typename M::value_type>>;
};
template <class M>
concept has_wait_for = requires(M& m, const typename M::key_type& k, std::chrono::nanoseconds d) {
  { m.wait_for(k, d) } -> std::same_as<outcome<typename M::value_type>>;
};
template <class M>
concept has_close = requires(M& m) { m.close(); };
template <class M>
concept has_waiting = requires(const M& m, const typename M::key_type& k) {
  { m.waiting(k) } -> std::convertible_to<std::size_t>;
};
// Optional: designs whose traits say async_wait.
template <class M>
concept has_wait_async = requires(M& m, const typename M::key_type& k) {
  { m.wait_async(k) } -> std::same_as<task<outcome<typename M::value_type>>>;
};
template <class M>
concept has_identity = requires {
  { M::design_name } -> std::convertible_to<std::string_view>;
  { M::traits } -> std::convertible_to<capabilities>;
};
}  // namespace contract

template <class M>
concept once_map = contract::has_types<M> && contract::has_register_key<M> && contract::has_done<M> &&
                   contract::has_fail<M> && contract::has_get<M> && contract::has_wait<M> &&
                   contract::has_wait_for<M> && contract::has_close<M> && contract::has_waiting<M> &&
                   contract::has_identity<M>;

// static_assert(require_once_map<MyMap>()) names the first missing operation
// instead of a page of template noise.
template <class M>
consteval bool require_once_map() {
  static_assert(contract::has_types<M>, "once-map: needs `using key_type = ...;` and `using value_type = ...;`");
  if constexpr (contract::has_types<M>) {
    static_assert(contract::has_register_key<M>, "once-map: needs `bool register_key(const key_type&)`");
    static_assert(contract::has_done<M>, "once-map: needs `void done(const key_type&, value_type)`");
    static_assert(contract::has_fail<M>, "once-map: needs `void fail(const key_type&, wait_error)`");
    static_assert(contract::has_get<M>, "once-map: needs `std::optional<value_type> get(const key_type&) const`");
    static_assert(contract::has_wait<M>, "once-map: needs `outcome<value_type> wait(const key_type&)`");
    static_assert(contract::has_wait_for<M>,
                  "once-map: needs `outcome<value_type> wait_for(const key_type&, std::chrono::nanoseconds)`");
    static_assert(contract::has_close<M>, "once-map: needs `void close()`");
    static_assert(contract::has_waiting<M>, "once-map: needs `std::size_t waiting(const key_type&) const`");
    static_assert(contract::has_identity<M>,
                  "once-map: needs `static constexpr std::string_view design_name` and "
                  "`static constexpr capabilities traits`");
    if constexpr (contract::has_identity<M>)
      static_assert(!M::traits.async_wait || contract::has_wait_async<M>,
                    "once-map: traits.async_wait says so, but there is no "
                    "`task<outcome<value_type>> wait_async(key_type)`");
  }
  return once_map<M>;
}

// The leader's obligation as a value: complete() or fail() it, or its
// destructor fails the key with leader_failed.
template <once_map M>
class leader {
 public:
  using key_type = typename M::key_type;
  using value_type = typename M::value_type;

  leader(M& map, key_type key) : map_(&map), key_(std::move(key)) {}
  leader(leader&& other) noexcept : map_(std::exchange(other.map_, nullptr)), key_(std::move(other.key_)) {}
  leader& operator=(leader&&) = delete;
  leader(const leader&) = delete;
  leader& operator=(const leader&) = delete;
  ~leader() {
    if (map_) map_->fail(key_, wait_error::leader_failed);
  }

  void complete(value_type v) { std::exchange(map_, nullptr)->done(key_, std::move(v)); }
  void fail(wait_error e = wait_error::leader_failed) { std::exchange(map_, nullptr)->fail(key_, e); }
  // Gives up the obligation without touching the map (for a map that is
  // being destroyed under the leader, as in drop_with_waiters).
  void abandon() noexcept { map_ = nullptr; }
  const key_type& key() const noexcept { return key_; }

 private:
  M* map_;
  key_type key_;
};

template <once_map M>
std::optional<leader<M>> try_lead(M& map, const typename M::key_type& key) {
  if (map.register_key(key)) return std::optional<leader<M>>(std::in_place, map, key);
  return std::nullopt;
}

// Exactly one caller per key (per round) runs `compute`; every caller gets its
// value or the error that ended the round. An exception from `compute`
// propagates to its caller after the waiters were failed.
template <once_map M, class F>
  requires std::convertible_to<std::invoke_result_t<F&>, typename M::value_type>
outcome<typename M::value_type> get_or_compute(M& map, const typename M::key_type& key, F&& compute) {
  if (auto v = map.get(key)) return std::move(*v);
  if (auto lead = try_lead(map, key)) {
    typename M::value_type v = std::invoke(compute);
    lead->complete(v);
    return v;
  }
  return map.wait(key);
}

// get_or_compute for a task (designs with wait_async): the same steps, with
// the wait parking the task instead of its thread. `key` and `compute` are
// taken by value: the coroutine outlives the caller's full expression.
template <once_map M, class F>
  requires contract::has_wait_async<M> && std::convertible_to<std::invoke_result_t<F&>, typename M::value_type>
task<outcome<typename M::value_type>> get_or_compute_async(M& map, typename M::key_type key, F compute) {
  if (auto v = map.get(key)) co_return std::move(*v);
  if (auto lead = try_lead(map, key)) {
    typename M::value_type v = std::invoke(compute);
    lead->complete(v);
    co_return v;
  }
  co_return co_await map.wait_async(key);
}

}  // namespace oncecheck
