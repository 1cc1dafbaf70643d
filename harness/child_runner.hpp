// Runs cells in child processes of the runner itself, a few at a time, with a
// wall-clock limit each. A child that crashes, hangs or is killed by a
// sanitizer takes only its own cell down; the runner turns that into a
// verdict and goes on. Ctrl-C stops launching, kills the children and lets
// the runner write what it has.
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
#include <string>
#include <thread>
#include <vector>

extern char** environ;

namespace oncecheck {

struct child_job {
  std::vector<std::string> argv;
  std::string log_path;  // the child's stdout and stderr; empty: the runner's own
  double timeout_s = 60;
  std::string label;
};

struct child_outcome {
  int exit_code = -1;    // when it exited
  int signal = 0;        // when a signal ended it
  bool timed_out = false;
  double elapsed_ms = 0;
};

inline volatile std::sig_atomic_t g_interrupted = 0;

inline void install_interrupt_handler() {
  struct sigaction sa {};
  sa.sa_handler = [](int) { g_interrupted = 1; };
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
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

// Calls on_done(index, outcome) as each job ends (in the runner's thread),
// and on_slow(labels, seconds) every `heartbeat` while jobs are running.
inline void run_children(const std::vector<child_job>& jobs, int parallel,
                         const std::function<void(std::size_t, const child_outcome&)>& on_done,
                         const std::function<void(const std::vector<std::string>&, double)>& on_slow,
                         std::chrono::seconds heartbeat = std::chrono::seconds(15)) {
  using clock = std::chrono::steady_clock;
  struct running {
    pid_t pid;
    std::size_t index;
    clock::time_point start;
  };
  std::vector<running> live;
  std::size_t next = 0;
  const auto t0 = clock::now();
  auto last_beat = t0;
  while ((next < jobs.size() && !g_interrupted) || !live.empty()) {
    while (!g_interrupted && next < jobs.size() && int(live.size()) < parallel) {
      const pid_t pid = spawn_child(jobs[next]);
      if (pid < 0) {
        child_outcome o;
        o.exit_code = 127;
        on_done(next, o);
      } else {
        live.push_back({pid, next, clock::now()});
      }
      ++next;
    }
    for (std::size_t i = 0; i < live.size();) {
      int status = 0;
      const pid_t r = waitpid(live[i].pid, &status, WNOHANG);
      const double ms = std::chrono::duration<double, std::milli>(clock::now() - live[i].start).count();
      const bool over = ms > jobs[live[i].index].timeout_s * 1000.0;
      if (r == 0 && (over || g_interrupted)) {
        kill(live[i].pid, SIGKILL);
        waitpid(live[i].pid, &status, 0);
        child_outcome o;
        o.timed_out = over;
        o.signal = SIGKILL;
        o.elapsed_ms = ms;
        if (!g_interrupted) on_done(live[i].index, o);
        live.erase(live.begin() + std::ptrdiff_t(i));
        continue;
      }
      if (r == live[i].pid) {
        child_outcome o;
        o.elapsed_ms = ms;
        if (WIFEXITED(status)) o.exit_code = WEXITSTATUS(status);
        if (WIFSIGNALED(status)) o.signal = WTERMSIG(status);
        on_done(live[i].index, o);
        live.erase(live.begin() + std::ptrdiff_t(i));
        continue;
      }
      ++i;
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

}  // namespace oncecheck
