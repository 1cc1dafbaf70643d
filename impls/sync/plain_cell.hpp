// plain_cell<T>: shared, non-atomic data guarded by some lock, as the real
// backends see it.
//
// Design code never touches shared plain data directly: it goes through a
// `cell` so that the Relacy backend can check every access for races (see
// relacy_cell in relacy_backend.hpp). Under the real backends the cell is just
// the value; `get()` marks a read, `mut()` a write.
#pragma once

#include <source_location>
#include <utility>

namespace oncecheck::sync {

template <class T>
class plain_cell {
 public:
  template <class... Args>
  explicit plain_cell(Args&&... args) : value_(std::forward<Args>(args)...) {}

  plain_cell(const plain_cell&) = delete;
  plain_cell& operator=(const plain_cell&) = delete;

  const T& get(std::source_location = std::source_location::current()) const { return value_; }
  T& mut(std::source_location = std::source_location::current()) { return value_; }

 private:
  T value_;
};

}  // namespace oncecheck::sync
