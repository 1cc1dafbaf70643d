// follow_replay: Relacy's tree-search schedulers (bound, full), checking
// that a replayed state is a schedule of the program it is replayed on.
//
// A tree-search state lists, for each decision of one execution, how many
// choices there were, the one taken and its kind (replay_state.hpp).
// Relacy follows it without looking (its checks are compiled out of a
// release build): a state of another cell, or of the design before a change,
// makes it run a thread that is blocked or finished, and the run then gives
// a verdict no execution of the program has, or crashes. This wrapper sees
// every decision Relacy makes: the ones the context asks for (rand: a load
// from the store history, a spurious CAS failure, a waiter to wake) must
// have the count and kind the state says, and the thread each scheduling
// decision picks must be running. The first decision of the state that
// does not fit ends the process at once, before Relacy acts on it, with
// exit status replay_diverged_exit and one line on stderr; the runner runs
// replays in a child and reads that status (models/model_main.cpp).
//
// With no state to follow (a search) every check is skipped; the wrapper
// hides Relacy's own functions by name (the context calls them on its
// scheduler's own type), so it costs a comparison per decision.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <istream>
#include <string>

// Included after impls/sync/relacy_backend.hpp (models/model_run.hpp).

namespace oncecheck::model {

// The exit status of a replay whose state left the cell's schedules.
inline constexpr int replay_diverged_exit = 3;

template <class Base, rl::thread_id_t thread_count>
class follow_replay : public Base {
 public:
  using Base::Base;

  void set_state(std::istream& in) {
    Base::set_state(in);
    given_ = this->stree_.size();
  }

  rl::thread_id_t iteration_begin(rl::iteration_t iter) {
    // Only the execution the state names is checked: a search resumed
    // from a state (model_checkpoint.hpp) walks on from it, and drops the
    // given decisions below the one it moves.
    if (started_) given_ = 0;
    started_ = true;
    const std::size_t at = this->stree_depth_;
    return running(Base::iteration_begin(iter), at);
  }

  rl::thread_id_t schedule(rl::unpark_reason& reason, unsigned yield) {
    const std::size_t at = this->stree_depth_;
    return running(Base::schedule(reason, yield), at);
  }

  unsigned rand(unsigned limit, rl::sched_type kind) {
    const std::size_t at = this->stree_depth_;
    if (at < given_ && (this->stree_[at].count_ != limit || this->stree_[at].type_ != kind))
      diverged(at, "the program chooses " + what(kind, limit) + " there, the state " +
                       what(this->stree_[at].type_, this->stree_[at].count_));
    return Base::rand(limit, kind);
  }

 private:
  // A scheduling decision taken from the state (`at` < given_) picked `th`.
  rl::thread_id_t running(rl::thread_id_t th, std::size_t at) {
    if (at >= given_ || this->stree_depth_ == at) return th;
    if (th < 0 || th >= thread_count)
      diverged(at, "it picks thread " + std::to_string(th) + ", which the program does not have");
    const rl::thread_state_e state = this->threads_[th].state_;
    if (state != rl::thread_state_running)
      diverged(at, "it runs thread " + std::to_string(th) + ", which is " +
                       (state == rl::thread_state_finished ? "finished" : "blocked") + " there");
    return th;
  }

  // A decision as a person reads it: "among 2 for a load" (relacy/defs.hpp).
  static std::string what(rl::sched_type kind, unsigned choices) {
    static const char* const kinds[] = {"a thread to run", "a load from the store history", "a CAS failure",
                                        "a memory reuse", "a waiter or a spurious wake-up"};
    const unsigned k = unsigned(kind);
    return std::string(k < 5 ? kinds[k] : "an unknown kind") + " among " + std::to_string(choices);
  }

  [[noreturn]] static void diverged(std::size_t at, const std::string& why) {
    std::fprintf(stderr, "the replay leaves this cell's schedules at decision %zu: %s\n", at + 1, why.c_str());
    std::fflush(stderr);
    std::_Exit(replay_diverged_exit);
  }

  std::size_t given_ = 0;  // decisions the replayed state fixes; 0 in a search
  bool started_ = false;   // the first execution has begun
};

}  // namespace oncecheck::model
