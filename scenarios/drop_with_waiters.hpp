// drop_with_waiters: a key is registered and its leader never completes it
// (the resolver of seed 000 is dropped mid-flight). Every thread but one
// blocks in wait(); once all of them are blocked, thread 0 destroys the map.
// Every waiter must return `closed`; nothing may hang and nothing may touch
// the map's memory after it is freed.
//
// Catches: waiters left behind by the destructor (deadlock under Relacy, hang
// on real threads), a waiter that touches the freed map (use_after_free:
// Relacy's freed-memory check, ASan/TSan on real threads), a waiter woken with
// anything but `closed` (wrong_value).
#pragma once

#include <new>

#include "scenario_support.hpp"

namespace oncecheck::scenarios {

template <class Map, class Sync>
struct drop_with_waiters {
  static constexpr std::string_view name = "drop_with_waiters";
  static constexpr std::string_view summary =
      "the map is destroyed while waiters are blocked: all return closed, no hang, no use after free";
  static constexpr int model_threads = 3;
  static constexpr int model_operations = 4;  // the state's abandoned lead, two waits, the destroy
  static constexpr int min_threads = 2;
  static constexpr key_t key = 1;

  struct state {
    explicit state(int threads) : waiters(threads - 1), results(threads) {
      map = new (Sync::allocate(sizeof(Map))) Map();
      registered = map->register_key(key);  // a leader that will never complete
    }
    ~state() {
      if (!dropped.get()) destroy(map);
    }
    state(const state&) = delete;
    state& operator=(const state&) = delete;

    Map* map;  // written before the threads start, never after
    bool registered = false;
    const int waiters;
    typename Sync::template cell<bool> dropped{false};  // written by thread 0 only
    per_thread<Sync, outcome<value_t>> results;
  };

  static void destroy(Map* map) {
    map->~Map();
    Sync::deallocate(map);
  }

  static void thread(state& s, int tid) {
    if (tid != 0) {
      s.results.set(tid, s.map->wait(key));
      return;
    }
    while (s.map->waiting(key) < std::size_t(s.waiters)) Sync::yield();
    destroy(s.map);
    s.dropped.mut() = true;
  }

  static void check(state& s) {
    expect_leader<Sync>(s.registered, key);
    for (int t = 1; t < s.results.size(); ++t) {
      const auto& r = s.results.get(t);
      char got[96];
      expect<Sync>(r && !r->has_value() && r->error() == wait_error::closed, verdict::wrong_value,
                   "waiter %d got %s, expected error closed", t, describe(r, got, sizeof got));
    }
  }
};

}  // namespace oncecheck::scenarios
