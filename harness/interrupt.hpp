// interrupt: SIGINT / SIGTERM to a runner, as a flag the long loops poll.
//
// A runner installs the handler; from then on Ctrl-C or a kill only sets
// the flag. Whatever is running in this process (a Relacy search, the
// explorer's executions, a shrink) sees it at its next iteration and stops
// as if its budget had ended; the runner then keeps the cells that had
// finished, writes them to FILE.interrupted.json and exits 128 + the signal.
// Child processes keep the default actions: their parent passes the signal
// on to them (harness/runner/children.hpp).
#pragma once

#include <signal.h>

#include <csignal>

namespace oncecheck {

// The signal that interrupted the runner (SIGINT, SIGTERM), 0 while none has.
inline volatile std::sig_atomic_t g_interrupted = 0;

inline bool interrupt_requested() noexcept { return g_interrupted != 0; }

inline void install_interrupt_handler() {
  struct sigaction sa {};
  sa.sa_handler = [](int sig) { g_interrupted = sig; };
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

// A shell's code for a process ended by the signal that interrupted us.
inline int interrupt_exit_code() { return 128 + int(g_interrupted); }

inline const char* interrupt_name() { return g_interrupted == SIGTERM ? "SIGTERM" : "SIGINT"; }

}  // namespace oncecheck
