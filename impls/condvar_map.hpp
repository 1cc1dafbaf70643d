// condvar_map: Servo's HTTP-cache coalescing (seed 001), as a once-map.
//
// What it models. Servo keeps `Mutex<HashMap<CacheKey, Arc<(Mutex<State>,
// Condvar)>>>`: one global mutex over a map of key -> shared per-key state.
// A fetch takes the global lock only to find or create its key's entry, drops
// it, and does all waiting on the entry's own mutex and condition variable,
// so a slow fetch for one key never holds up another key. Completion wakes
// with notify_one, and every woken waiter passes the wake-up on with another
// notify_one (Servo's "it will notify the next one"). A failure or a close
// ends the round for everyone at once and wakes with notify_all.
//
// Locking protocol.
//   map_lock_   guards entries_ and closed_. Held only to look up, insert or
//               snapshot entries and to read closed_; never while waiting,
//               never while a value is computed. Lock order: an entry lock,
//               then map_lock_ (register_key and a timed-out wait read
//               closed_ with their entry locked); nothing takes an entry
//               lock while holding map_lock_.
//   entry::lock guards everything in entry::slot; entry::changed is waited on
//               with entry::lock held.
// An entry is shared (std::shared_ptr) by the map and by every caller that
// looked it up, so a waiter that is woken by close() or by the destructor
// touches only the entry it holds, never the map.
//
// State transitions of an entry (under entry::lock):
//   vacant  --register_key-->  pending        (the caller is the leader)
//   pending --done-->          ready          (final; the value stays)
//   pending --fail-->          failed         (failures += 1; waiters of the
//                                              round get the error)
//   failed  --register_key-->  pending        (a new round, a new leader)
//   any but ready --close-->   closed         (final)
// `vacant` exists only between the insert under map_lock_ and the leader's
// claim under entry::lock. A waiter remembers `failures` when it arrives; a
// change means its round ended in failure, even if a new round has started.
//
// Flaws (compile-time, the real bugs of seed 001):
//   flaw::notify_one_unchained  waiters do not pass done()'s wake-up on: one
//                               notify_one wakes one waiter and the others
//                               sleep forever.
//   flaw::check_then_act        register_key checks the entry and publishes
//                               `pending` in two critical sections: in
//                               between, the first fetch has already gone to
//                               the network and a second one finds the entry
//                               vacant and goes too (Servo's race).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "once_map.hpp"
#include "sync/std_backend.hpp"

namespace oncecheck {

namespace flaw {
// Its truth: models/expected.tsv rows `condvar notify_one_unchained`, tests/pinned_replays.tsv
// rows `condvar notify_one_unchained`, README "The designs" (tests/flaw_truth_test.py checks all three).
struct notify_one_unchained {
  static constexpr std::string_view name = "notify_one_unchained";
  static constexpr std::string_view bug =
      "notify_one wakes one waiter and nobody passes the wake-up on: the other waiters sleep forever";
};
// Its truth: models/expected.tsv rows `condvar check_then_act`, tests/pinned_replays.tsv
// rows `condvar check_then_act`, README "The designs" (tests/flaw_truth_test.py checks all three).
struct check_then_act {
  static constexpr std::string_view name = "check_then_act";
  static constexpr std::string_view bug =
      "pending is published after the check, in a second critical section: two requests both compute";
};
}  // namespace flaw

template <class K, class V, class Sync = sync::std_backend, class Flaw = flaw::none>
class condvar_map {
 public:
  using key_type = K;
  using value_type = V;
  using flaw_type = Flaw;
  static constexpr std::string_view design_name = "condvar";
  static constexpr capabilities traits{
      .blocking_wait = true,
      .async_wait = false,
      .timeouts = true,
      .allocates_per_waiter = false,
      .on_close = "every waiter returns closed",
      .leader_failure = "waiters of the round get the error; the key can be registered again",
  };

  condvar_map() = default;
  condvar_map(const condvar_map&) = delete;
  condvar_map& operator=(const condvar_map&) = delete;
  ~condvar_map() { close(); }

  bool register_key(const K& key) {
    std::shared_ptr<entry> e = find_or_insert(key);
    if (!e) return false;  // closed
    typename Sync::unique_lock lock(e->lock);
    if constexpr (std::is_same_v<Flaw, flaw::check_then_act>) {
      const bool free = claimable(e->data.get());
      lock.unlock();
      if (!free) return false;
      // The window of seed 001: this request has decided to go to the
      // network and its request is already on the way (the yield stands for
      // that I/O) while the entry still says nobody is fetching.
      Sync::yield();
      lock.lock();
      claim(e->data.mut());
    } else {
      if (!claimable(e->data.get())) return false;
      // close() may have begun since find_or_insert: once anyone has seen
      // the map closed, nobody may lead (random_programs found a leader
      // made after a register_key was refused for close: program 161).
      if (map_closed()) return false;
      claim(e->data.mut());
    }
    Sync::note("register", key, "-> leader");
    return true;
  }

  void done(const K& key, V value) {
    std::shared_ptr<entry> e = find_or_insert(key);
    if (!e) return;
    typename Sync::unique_lock lock(e->lock);
    slot& s = e->data.mut();
    if (s.state == phase::ready || s.state == phase::closed) return;
    // close() may have begun since find_or_insert: then it ends the round
    // (a waiter may already have been told `closed`: program 68).
    if (map_closed()) return;
    s.state = phase::ready;
    s.value.emplace(std::move(value));
    Sync::note("done", key, "-> ready, notify_one");
    e->changed.notify_one();
  }

  void fail(const K& key, wait_error error) {
    std::shared_ptr<entry> e = find(key);
    if (!e) return;
    typename Sync::unique_lock lock(e->lock);
    slot& s = e->data.mut();
    if (s.state != phase::pending && s.state != phase::vacant) return;
    // Dropped once close() has begun, as done() is: close() ends the round
    // (a waiter may already have been told `closed`).
    if (map_closed()) return;
    s.state = phase::failed;
    s.error = error;
    ++s.failures;
    // notify_all, not the chain: a new round may start before the chain has
    // run, and its waiters would swallow a wake-up meant for this round's.
    Sync::note("fail", key, "-> failed, notify_all");
    e->changed.notify_all();
  }

  std::optional<V> get(const K& key) const {
    std::shared_ptr<entry> e = find(key);
    if (!e) return std::nullopt;
    typename Sync::unique_lock lock(e->lock);
    const slot& s = e->data.get();
    if (s.state == phase::ready) return s.value;
    return std::nullopt;
  }

  outcome<V> wait(const K& key) { return wait_until(key, std::nullopt); }

  outcome<V> wait_for(const K& key, std::chrono::nanoseconds timeout) {
    return wait_until(key, Sync::clock::now() + timeout);
  }

  void close() {
    std::vector<std::pair<K, std::shared_ptr<entry>>> snapshot;
    {
      typename Sync::unique_lock lock(map_lock_);
      closed_.mut() = true;
      for (const auto& [k, e] : entries_.get()) snapshot.emplace_back(k, e);
    }
    for (auto& [k, e] : snapshot) {
      typename Sync::unique_lock lock(e->lock);
      slot& s = e->data.mut();
      if (s.state == phase::ready || s.state == phase::closed) continue;
      s.state = phase::closed;
      Sync::note("close", k, "-> closed, notify_all");
      e->changed.notify_all();
    }
  }

  std::size_t waiting(const K& key) const {
    std::shared_ptr<entry> e = find(key);
    if (!e) return 0;
    typename Sync::unique_lock lock(e->lock);
    return e->data.get().waiters;
  }

 private:
  enum class phase : std::uint8_t { vacant, pending, ready, failed, closed };

  struct slot {
    phase state = phase::vacant;
    std::optional<V> value;                          // set once, when ready
    wait_error error = wait_error::leader_failed;    // why the last round failed
    std::uint64_t failures = 0;                      // rounds ended by fail()
    std::size_t waiters = 0;                         // callers blocked in wait
  };

  struct entry {
    mutable typename Sync::mutex lock;
    typename Sync::condition_variable changed;  // waited on with `lock`
    typename Sync::template cell<slot> data;    // guarded by `lock`
  };

  static bool claimable(const slot& s) { return s.state == phase::vacant || s.state == phase::failed; }
  static void claim(slot& s) { s.state = phase::pending; }

  std::shared_ptr<entry> find(const K& key) const {
    typename Sync::unique_lock lock(map_lock_);
    const auto& m = entries_.get();
    auto it = m.find(key);
    return it == m.end() ? nullptr : it->second;
  }

  // Whether close() has begun. May be called with an entry's lock held
  // (the lock order above).
  bool map_closed() const {
    typename Sync::unique_lock lock(map_lock_);
    return closed_.get();
  }

  // nullptr once the map is closed: nothing new is registered or published.
  std::shared_ptr<entry> find_or_insert(const K& key) {
    typename Sync::unique_lock lock(map_lock_);
    if (closed_.get()) return nullptr;
    auto& m = entries_.mut();
    auto [it, inserted] = m.try_emplace(key);
    if (inserted) it->second = std::make_shared<entry>();
    return it->second;
  }

  // The wake-up chain: a waiter that leaves because its round is over passes
  // one notify_one on, so one notify from the completer reaches everyone.
  void pass_wakeup_on(entry& e, const K& key) {
    if constexpr (std::is_same_v<Flaw, flaw::notify_one_unchained>) {
      Sync::note("wait", key, "returns without passing the wake-up on");
    } else {
      Sync::note("wait", key, "returns, passes the wake-up on (notify_one)");
      e.changed.notify_one();
    }
  }

  outcome<V> wait_until(const K& key, std::optional<typename Sync::clock::time_point> deadline) {
    std::shared_ptr<entry> e = find(key);  // declared before the lock: released after it
    if (!e) {
      typename Sync::unique_lock lock(map_lock_);
      return closed_.get() ? wait_error::closed : wait_error::not_registered;
    }
    typename Sync::unique_lock lock(e->lock);
    const std::uint64_t round = e->data.get().failures;
    if (e->data.get().state == phase::failed) return e->data.get().error;
    ++e->data.mut().waiters;
    Sync::note("wait", key, "blocks");
    for (;;) {
      const slot& s = e->data.get();
      std::optional<outcome<V>> result;
      // The round this waiter joined ended in failure, even if a later
      // round has finished since: its error, not the later value.
      if (s.failures != round) result.emplace(s.error);
      else if (s.state == phase::ready) result.emplace(*s.value);
      else if (s.state == phase::closed) result.emplace(wait_error::closed);
      if (result) {
        --e->data.mut().waiters;
        pass_wakeup_on(*e, key);
        return *result;
      }
      if (!deadline) {
        e->changed.wait(lock);
      } else if (e->changed.wait_until(lock, *deadline) == sync::wait_status::timed_out) {
        const slot& t = e->data.get();
        const bool round_still_open =
            (t.state == phase::pending || t.state == phase::vacant) && t.failures == round;
        if (round_still_open) {
          --e->data.mut().waiters;
          // On a closed map: close() has begun but not reached this entry
          // yet; it will end the round with `closed`, so that is the answer
          // (a wait that found no entry already said `closed`: random_programs
          // found a timed_out after it under the explorer, program 345).
          if (map_closed()) {
            Sync::note("wait", key, "timed out on a closed map");
            return wait_error::closed;
          }
          // Still vacant: the register_key that inserted the entry has not
          // claimed it, so nobody leads the key (random_programs found the
          // timed_out a key with no leader gave otherwise).
          if (t.state == phase::vacant) {
            Sync::note("wait", key, "timed out before anyone led the key");
            return wait_error::not_registered;
          }
          Sync::note("wait", key, "timed out");
          return wait_error::timed_out;
        }
      }
    }
  }

  mutable typename Sync::mutex map_lock_;
  typename Sync::template cell<std::unordered_map<K, std::shared_ptr<entry>>> entries_;  // guarded by map_lock_
  typename Sync::template cell<bool> closed_{false};                                      // guarded by map_lock_
};

}  // namespace oncecheck
