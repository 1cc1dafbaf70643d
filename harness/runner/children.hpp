// Runs cells in child processes of the runner itself, a few at a time, with a
// wall-clock limit each. A child that crashes, hangs or is killed by a
// sanitizer takes only its own cell down; the runner turns that into a
// verdict and goes on.
//
// Interrupts: SIGINT or SIGTERM to the runner (Ctrl-C reaches the whole
// process group) stops launching; each running child is sent the same
// signal, and SIGKILL if it has not ended a second later; the caller is
// told about none of them (they did not finish) and writes what finished,
// then exits 128 + the signal (interrupt_exit_code). A child ended by a
// signal nobody in the run sent it, or stopped at its time limit, ended
// from outside: the caller's verdict for it is `interrupted` or
// `unfinished`, never a verdict on the design (child_cell.hpp).
#pragma once

#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <functional>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "../interrupt.hpp"

extern char** environ;

namespace oncecheck::runner {

struct child_job {
  std::vector<std::string> argv;
  std::string log_path;  // the child's stdout and stderr; empty: the runner's own
  double timeout_s = 60;
  std::string label;
};

struct child_outcome {
  int exit_code = -1;    // when it exited
  int signal = 0;        // when a signal ended it
  bool timed_out = false;    // the runner killed it at its job's time limit
  bool interrupted = false;  // the runner killed it because it was interrupted
  double elapsed_ms = 0;

  bool by_runner() const { return timed_out || interrupted; }
};

// A signal a program does not raise on itself by a fault of its own: the
// process was ended from outside (a kill, Ctrl-C, the OOM killer).
inline bool outside_signal(int sig) {
  return sig == SIGKILL || sig == SIGTERM || sig == SIGINT || sig == SIGHUP || sig == SIGQUIT || sig == SIGUSR1 ||
         sig == SIGUSR2 || sig == SIGPIPE || sig == SIGALRM;
}

inline pid_t spawn_child(const child_job& job) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  if (!job.log_path.empty()) {
    posix_spawn_file_actions_addopen(&actions, 1, job.log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
  }
  std::vector<char*> args;
  for (const auto& a : job.argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, args[0], &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  return rc == 0 ? pid : -1;
}

// A started child: its process, its job and when it started.
struct running_child {
  pid_t pid;
  std::size_t index;
  std::chrono::steady_clock::time_point start;
};

// Sends `sig`, then SIGKILL if the child is still there a second later.
inline void stop_child(pid_t pid, int sig, int& status) {
  kill(pid, sig);
  for (int i = 0; i < 200; ++i) {
    if (waitpid(pid, &status, WNOHANG) == pid) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
}

// How the child ended, if it has: its own exit or signal, or the watchdog's
// SIGKILL once it has run past its job's timeout, or the runner's own
// interrupt passed on to it.
inline std::optional<child_outcome> reap(const running_child& c, const child_job& job) {
  int status = 0;
  const pid_t r = waitpid(c.pid, &status, WNOHANG);
  child_outcome o;
  o.elapsed_ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - c.start).count();
  const bool over = o.elapsed_ms > job.timeout_s * 1000.0;
  if (r == 0 && (over || g_interrupted)) {
    o.interrupted = g_interrupted != 0;
    o.timed_out = over && !o.interrupted;
    if (o.interrupted) stop_child(c.pid, int(g_interrupted), status);
    else kill(c.pid, SIGKILL), waitpid(c.pid, &status, 0);
    o.signal = WIFSIGNALED(status) ? WTERMSIG(status) : SIGKILL;
    return o;
  }
  if (r != c.pid) return std::nullopt;
  if (WIFEXITED(status)) o.exit_code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) o.signal = WTERMSIG(status);
  o.interrupted = g_interrupted != 0;  // ended as the runner was interrupted: not a finished cell
  return o;
}

// Calls on_start(index) just before a job's child starts (its environment is
// the runner's at that moment), on_done(index, outcome) as each job ends (in
// the runner's thread; not for children that end once the runner is
// interrupted), and on_slow(labels, seconds) every `heartbeat` while jobs
// are running. Installs the interrupt handler.
inline void run_children(const std::vector<child_job>& jobs, int parallel,
                         const std::function<void(std::size_t)>& on_start,
                         const std::function<void(std::size_t, const child_outcome&)>& on_done,
                         const std::function<void(const std::vector<std::string>&, double)>& on_slow,
                         std::chrono::seconds heartbeat = std::chrono::seconds(15)) {
  using clock = std::chrono::steady_clock;
  install_interrupt_handler();
  std::vector<running_child> live;
  std::size_t next = 0;
  const auto t0 = clock::now();
  auto last_beat = t0;
  while ((next < jobs.size() && !g_interrupted) || !live.empty()) {
    for (; !g_interrupted && next < jobs.size() && int(live.size()) < parallel; ++next) {
      on_start(next);
      const pid_t pid = spawn_child(jobs[next]);
      if (pid >= 0) live.push_back({pid, next, clock::now()});
      else on_done(next, child_outcome{.exit_code = 127});
    }
    for (std::size_t i = 0; i < live.size();) {
      const auto outcome = reap(live[i], jobs[live[i].index]);
      if (!outcome) {
        ++i;
        continue;
      }
      if (!outcome->interrupted) on_done(live[i].index, *outcome);
      live.erase(live.begin() + std::ptrdiff_t(i));
    }
    if (!live.empty() && clock::now() - last_beat >= heartbeat) {
      last_beat = clock::now();
      std::vector<std::string> labels;
      for (const auto& l : live) labels.push_back(jobs[l.index].label);
      on_slow(labels, std::chrono::duration<double>(last_beat - t0).count());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

}  // namespace oncecheck::runner
