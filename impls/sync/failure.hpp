// What a scenario check does when it fails on a real backend, and the status
// a timed wait returns (shared by every backend).
//
// A scenario reports a failed check through `Sync::fail(verdict, message)`. Under
// Relacy that ends the explored execution at once (the trace is the verdict's
// evidence); on real threads the harness installs a handler that records the
// first failure of the round and lets the threads run to the end, so that a
// duplicate compute is reported as such and not as a crash.
#pragma once

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <source_location>
#include <string_view>

#include "verdict.hpp"

namespace oncecheck::sync {

enum class wait_status { woken, timed_out };

using failure_handler = void (*)(verdict kind, std::string_view message,
                                 const std::source_location& where);

inline std::atomic<failure_handler>& failure_hook() noexcept {
  static std::atomic<failure_handler> hook{nullptr};
  return hook;
}

// Without an installed handler (a user's own test), a failed check is fatal.
inline void report_failure(verdict kind, std::string_view message,
                           const std::source_location& where) {
  if (failure_handler h = failure_hook().load(std::memory_order_acquire)) {
    h(kind, message, where);
    return;
  }
  const std::string_view name = to_string(kind);
  std::fprintf(stderr, "oncecheck: %.*s: %.*s (%s:%u)\n", int(name.size()), name.data(),
               int(message.size()), message.data(), where.file_name(), unsigned(where.line()));
  std::abort();
}

}  // namespace oncecheck::sync
