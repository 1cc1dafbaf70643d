// race_detector: C++ happens-before over the explored execution, and the
// check every plain-data access (Sync::cell) makes against it.
//
// The explorer runs sequentially consistent (every load sees the latest
// store), so a weak-memory outcome (a stale load, store buffering) never
// happens here: that is Relacy's job. What it does check is the C++ rule
// that matters for plain data: two accesses to one cell, at least one a
// write, must be ordered by happens-before, which only these edges create:
//   - a release store (or release RMW) read by an acquire load; a relaxed
//     RMW continues the release sequence, a relaxed store ends it;
//     seq_cst counts as acquire and release;
//   - a mutex unlock and the next lock of it (shared locks: an exclusive
//     unlock orders the next shared lock, and a shared unlock the next
//     exclusive lock);
//   - thread start (the setup before every thread) and join (every thread
//     before the check);
// a condition variable or an atomic notify adds none of its own (its mutex
// and the value's release/acquire do). A relaxed flag guarding plain data
// is therefore a data race whatever order the explorer picks.
//
// Representation (FastTrack's epochs, Flanagan-Freund PLDI 2009, without the
// read-shared optimisation): a context's clock ticks after each of its
// releases; a cell keeps its last write as (context, tick) and, per context,
// the tick of its last read since that write.
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <source_location>
#include <string>

#include "vector_clock.hpp"

namespace oncecheck::explore {

constexpr bool acquires_order(std::memory_order mo) noexcept {
  return mo == std::memory_order_acquire || mo == std::memory_order_acq_rel || mo == std::memory_order_seq_cst ||
         mo == std::memory_order_consume;
}
constexpr bool releases_order(std::memory_order mo) noexcept {
  return mo == std::memory_order_release || mo == std::memory_order_acq_rel || mo == std::memory_order_seq_cst;
}

// The synchronisation an atomic object carries: the clock its release
// sequence publishes.
struct atomic_sync {
  vector_clock published;

  void load(vector_clock& self, std::memory_order mo) const {
    if (acquires_order(mo)) self.join(published);
  }
  void store(vector_clock& self, std::memory_order mo) {
    if (releases_order(mo)) published = self;
    else published.clear();  // a relaxed store heads no release sequence
  }
  void rmw(vector_clock& self, std::memory_order mo) {
    if (acquires_order(mo)) self.join(published);
    if (releases_order(mo)) published.join(self);  // relaxed: the sequence goes on
  }
};

// One access to a cell, for the race message.
struct access_site {
  int context = -1;
  std::source_location where{};
};

// The accesses of one cell that later accesses must be ordered after.
class cell_history {
 public:
  // A conflicting earlier access not ordered before `self`'s, or nothing.
  std::optional<access_site> read(int ctx, const vector_clock& self, std::source_location where) {
    if (auto r = unordered_write(self)) return r;
    reads_[ctx] = self[ctx];
    read_sites_[std::size_t(ctx)] = where;
    return std::nullopt;
  }
  std::optional<access_site> write(int ctx, const vector_clock& self, std::source_location where) {
    if (auto r = unordered_write(self)) return r;
    for (int c = 0; c < max_clock_threads; ++c)
      if (c != ctx && reads_[c] > self[c]) return access_site{c, read_sites_[std::size_t(c)]};
    writer_ = ctx;
    write_tick_ = self[ctx];
    write_site_ = where;
    reads_.clear();
    return std::nullopt;
  }

 private:
  std::optional<access_site> unordered_write(const vector_clock& self) const {
    if (writer_ >= 0 && write_tick_ > self[writer_]) return access_site{writer_, write_site_};
    return std::nullopt;
  }

  int writer_ = -1;
  std::uint32_t write_tick_ = 0;
  std::source_location write_site_{};
  vector_clock reads_;
  std::source_location read_sites_[max_clock_threads]{};
};

}  // namespace oncecheck::explore
