// step: what one scheduling point of an explored thread is about to do, and
// the dependency relation partial-order reduction is built on.
//
// Every Sync operation announces a step before it acts: its kind, the
// objects it touches (at most two: a condition variable wait touches the
// condition variable and its mutex), the memory order and the design's
// source line. Plain data (Sync::cell) is not a step: its accesses are
// checked by the race detector against happens-before, which does not
// depend on the order the explorer picked (see race_detector.hpp).
//
// Transitions: what a thread does from one step to its next announcement
// (cell accesses, destroying objects) belongs to that step's transition,
// and is its footprint's `tail`, known once the transition has run. A
// reduction must count the tail as part of the transition: a cell read by
// one thread and destroyed by another (a waiter node left linked, memory
// freed by whichever thread drops the last reference) makes two
// transitions dependent although no Sync operation of theirs shares an
// object; ordering them one way is a use_after_free, the other way nothing.
// Destroying an object writes it. State the backends do not see (a
// std::shared_ptr's count) is outside the relation: two threads dropping
// references look independent, so which of them destroys is not a
// distinction the reduction keeps; designs keep every other shared state
// in Sync types.
//
// Dependency (Mazurkiewicz): two steps of different threads are dependent
// when they touch a common object and at least one of them does more than
// read it. Reads are: atomic loads, shared (reader) lock and unlock. Every
// other access writes, conservatively (a failed compare-exchange, an
// atomic wait that finds the value changed).
//
// Yields: a spin loop's yield parks its thread until another thread
// writes one of the objects the loop looked at since its previous yield
// (its `watch` list, kept by the engine): until then the loop would only
// look again at the same values. So a yield reads every object it
// watches, and so does the step after it (`spin`), which such a write
// enabled: both are dependent with a write to a watched object and with
// nothing else. (A yielder is also let go when no other thread can move;
// that release is not tracked as a dependency.)
//
// Co-enabledness: a blocking acquisition of a mutex and a release of the
// same mutex by another thread can never both be enabled (the releaser
// holds it), so they are no race to reverse: the acquisition races with the
// previous acquisition instead (Flanagan-Godefroid, POPL 2005, section 4).
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <source_location>
#include <string_view>
#include <vector>

namespace oncecheck::explore {

using object_id = std::uint32_t;  // 0: no object

enum class op : std::uint8_t {
  load,
  store,
  rmw,  // exchange, fetch_add/sub, compare-exchange
  lock,
  try_lock,
  unlock,
  lock_shared,
  try_lock_shared,
  unlock_shared,
  cv_wait,       // release the mutex and join the wait set, in one step
  cv_reacquire,  // leave the wait set (woken or timed out) and take the mutex
  notify_one,
  notify_all,
  atomic_wait,   // compare with the old value and sleep if equal (a futex)
  atomic_wake,   // woken from atomic_wait: compare again
  yield,
};

constexpr std::string_view to_string(op o) noexcept {
  switch (o) {
    case op::load: return "load";
    case op::store: return "store";
    case op::rmw: return "rmw";
    case op::lock: return "lock";
    case op::try_lock: return "try_lock";
    case op::unlock: return "unlock";
    case op::lock_shared: return "lock_shared";
    case op::try_lock_shared: return "try_lock_shared";
    case op::unlock_shared: return "unlock_shared";
    case op::cv_wait: return "wait";
    case op::cv_reacquire: return "wake+relock";
    case op::notify_one: return "notify_one";
    case op::notify_all: return "notify_all";
    case op::atomic_wait: return "atomic_wait";
    case op::atomic_wake: return "atomic_wake";
    case op::yield: return "yield";
  }
  return "?";
}

struct step {
  op kind = op::yield;
  std::memory_order order = std::memory_order_seq_cst;
  object_id object = 0;  // the atomic, mutex or condition variable
  object_id mutex = 0;   // cv_wait / cv_reacquire: the mutex released / retaken
  bool timed = false;    // cv_wait / cv_reacquire of a wait_until
  bool spin = false;     // the first step after a yield (see dependent())
  std::source_location where{};
  std::vector<object_id> watch{};  // yield and spin: the objects watched, sorted
};

// Whether a yield or spin step watches `o`.
inline bool watches(const step& s, object_id o) noexcept {
  return o != 0 && std::binary_search(s.watch.begin(), s.watch.end(), o);
}

// One object a transition's tail touched (a thread's accesses to it folded:
// `write` if any of them wrote).
struct access {
  object_id object = 0;
  bool write = false;
};
using tail = std::vector<access>;

// Whether `s` only reads `o` (it touches it).
constexpr bool reads_only(const step& s, object_id o) noexcept {
  if (o != s.object) return false;  // the mutex of a wait is released or retaken: a write
  return s.kind == op::load || s.kind == op::lock_shared || s.kind == op::try_lock_shared ||
         s.kind == op::unlock_shared;
}

constexpr bool touches(const step& s, object_id o) noexcept { return o != 0 && (s.object == o || s.mutex == o); }

// Whether `s` writes `o` (touches it other than by reading).
constexpr bool writes(const step& s, object_id o) noexcept { return touches(s, o) && !reads_only(s, o); }

// Whether a step writes anything at all (the engine counts these).
constexpr bool writes_any(const step& s) noexcept { return s.kind != op::load && s.kind != op::yield; }

// Steps of two different threads.
inline bool dependent(const step& a, const step& b) noexcept {
  for (object_id o : {a.object, a.mutex}) {
    if (!touches(b, o)) continue;
    if (!(reads_only(a, o) && reads_only(b, o))) return true;
  }
  for (object_id o : {a.object, a.mutex})
    if (watches(b, o) && writes(a, o)) return true;
  for (object_id o : {b.object, b.mutex})
    if (watches(a, o) && writes(b, o)) return true;
  return false;
}

// Whether a tail access conflicts with a step (it touches the object and
// one of them writes it), or with another tail.
inline bool conflicts(const access& a, const step& s) noexcept {
  return (touches(s, a.object) && (a.write || !reads_only(s, a.object))) || (a.write && watches(s, a.object));
}
inline bool conflicts(const tail& t, const step& s) noexcept {
  for (const access& a : t)
    if (conflicts(a, s)) return true;
  return false;
}
inline bool conflicts(const tail& a, const tail& b) noexcept {
  for (const access& x : a)
    for (const access& y : b)
      if (x.object == y.object && (x.write || y.write)) return true;
  return false;
}
// Whole transitions: a step with its tail against another.
inline bool dependent(const step& a, const tail& ta, const step& b, const tail& tb) noexcept {
  return dependent(a, b) || conflicts(ta, b) || conflicts(tb, a) || conflicts(ta, tb);
}

// The mutex a step waits to acquire (0 when it never blocks on one).
constexpr object_id acquires(const step& s) noexcept {
  switch (s.kind) {
    case op::lock:
    case op::lock_shared: return s.object;
    case op::cv_reacquire: return s.mutex;
    default: return 0;
  }
}
// The mutex a step releases (0 when none).
constexpr object_id releases(const step& s) noexcept {
  switch (s.kind) {
    case op::unlock:
    case op::unlock_shared: return s.object;
    case op::cv_wait: return s.mutex;
    default: return 0;
  }
}

// Steps of two different threads that could both be enabled in one state.
constexpr bool co_enabled(const step& a, const step& b) noexcept {
  const object_id aa = acquires(a), ab = acquires(b), ra = releases(a), rb = releases(b);
  if (aa != 0 && aa == rb) return false;
  if (ab != 0 && ab == ra) return false;
  return true;
}

}  // namespace oncecheck::explore
