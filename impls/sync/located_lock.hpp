// located_lock: the lock guard of the checking backends (relacy, explore).
//
// It captures the location where the design constructs it, so the trace
// names the design's line for the lock and for the unlock at scope exit
// (std::lock_guard would name a line inside libstdc++). `Mutex` takes a
// std::source_location on lock/unlock (and lock_shared/unlock_shared).
#pragma once

#include <source_location>

namespace oncecheck::sync {

template <class Mutex, bool Shared>
class located_lock {
 public:
  using loc = std::source_location;

  explicit located_lock(Mutex& m, loc l = loc::current()) : m_(&m), where_(l) { lock(l); }
  ~located_lock() {
    if (owns_) unlock(where_);
  }
  located_lock(const located_lock&) = delete;
  located_lock& operator=(const located_lock&) = delete;

  void lock(loc l = loc::current()) {
    if constexpr (Shared) m_->lock_shared(l); else m_->lock(l);
    owns_ = true;
    where_ = l;
  }
  void unlock(loc l = loc::current()) {
    owns_ = false;
    if constexpr (Shared) m_->unlock_shared(l); else m_->unlock(l);
  }
  bool owns_lock() const noexcept { return owns_; }
  Mutex* mutex() const noexcept { return m_; }

 private:
  Mutex* m_;
  loc where_;
  bool owns_ = false;
};

}  // namespace oncecheck::sync
