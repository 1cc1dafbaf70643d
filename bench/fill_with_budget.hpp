// Filling a map with N keys before a benchmark times anything, with a budget
// on how long the fills of one benchmark may take together.
//
// W4 at scale (workload_miss_at_scale.hpp) measures a miss in a map that
// already holds up to 10^7 keys. A design whose miss is O(keys) (fixed
// buckets with append-only lists, say) would take hours to get there, so a
// fill is cut into chunks of fill_chunk keys, and after each one the fill
// time of the benchmark so far plus what the rest of this fill would take
// at this fill's average rate so far is projected. Two chunks in a row
// projecting past fill_budget_s end the fill, and the caller skips the
// benchmark with the reason (never silently). The average, not the last
// chunk's rate: a flat design's table doubles now and then, and the chunk
// that rehashes millions of keys (15 us a key in that chunk, measured at
// 3.7 million keys) would project minutes; averaged over the fill it is the
// amortized cost it really is. An O(keys) design's average grows with the
// keys all the same (half its current rate), so it is stopped a little
// later, within seconds.
//
// The budget, 300 s, only has to tell a miss that grows with the keys from
// a slow one, and the projection of the first passes any budget within
// seconds: atomic_wait's lists averaged 27 us a miss at 32,768 keys, a
// projection of 268 s for 10^7 keys, and the average doubles with every
// doubling of the keys, so 300 s is passed near 40,000 keys, about 1.5 s
// into the fill. A flat design stays well under it: condvar, 8 us a miss on
// this machine under a load of 5, projected 82 s for 10^7 keys (a 60 s
// budget skipped it). The budget is the benchmark's, not one fill's,
// because a small map is filled again and again (workload_miss_at_scale.hpp
// fills it again before each run), and a design slow to fill would pay that
// many times.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <string>

#include "../impls/once_map.hpp"
#include "keys.hpp"
#include "thread_team.hpp"

namespace oncecheck::bench {

inline constexpr double fill_budget_s = 300;
inline constexpr std::size_t fill_chunk = std::size_t(1) << 14;

// The keys a fill inserts: 0xFF << 40 | i, apart from every thread's W4 keys
// ((t+1) << 40 | i, t < 8).
inline constexpr key_t fill_key(std::size_t i) noexcept { return key_t(0xFF) << 40 | key_t(i); }

// The fill time one benchmark has spent, over all its fills.
struct fill_time {
  double spent_ns = 0;
};

// Inserts fill_key(0 .. keys-1) into `map` by get_or_compute on this thread,
// adding the time it takes to `spent`. Returns "" when every key is in, else
// why the fill stopped (a wrong value, or the budget), for
// state.SkipWithError.
template <class Map>
std::string fill_with_budget(Map& map, std::size_t keys, fill_time& spent) {
  const double spent_before = spent.spent_ns;
  const bench_clock::time_point start = bench_clock::now();
  int chunks_over_budget = 0;
  for (std::size_t filled = 0; filled < keys;) {
    const std::size_t chunk_end = std::min(keys, filled + fill_chunk);
    const bench_clock::time_point chunk_start = bench_clock::now();
    for (; filled < chunk_end; ++filled) {
      const key_t k = fill_key(filled);
      const outcome<value_t> r = get_or_compute(map, k, [k] { return value_of(k); });
      if (!r || r.value() != value_of(k)) return "a fill's miss returned a wrong value";
    }
    const double chunk_ns = nanoseconds_between(chunk_start, bench_clock::now());
    spent.spent_ns += chunk_ns;
    const double ns_per_key = nanoseconds_between(start, bench_clock::now()) / double(filled);
    const double projected_s = (spent.spent_ns + ns_per_key * double(keys - filled)) * 1e-9;
    chunks_over_budget = projected_s > fill_budget_s ? chunks_over_budget + 1 : 0;
    if (chunks_over_budget == 2) {
      char why[256];
      std::snprintf(why, sizeof why,
                    "skipped: filling %zu keys would bring this benchmark's fills to ~%.0f s (%.0f s before this "
                    "fill), past the %.0f s budget: %.0f ns a miss on average up to %zu keys, the miss grows "
                    "with the keys",
                    keys, projected_s, spent_before * 1e-9, fill_budget_s, ns_per_key, filled);
      return why;
    }
  }
  return {};
}

}  // namespace oncecheck::bench
