// fiber: one cooperative thread of an explored program, a glibc ucontext on
// a stack of its own.
//
// Why ucontext: the explorer runs every thread of a cell on the one OS
// thread that explores it, switching only at the scheduling points the sync
// backend marks, so that a schedule is a plain list of thread choices and
// replays exactly. Stacks are mmap'd with a PROT_NONE guard page below them:
// a scenario that overflows its stack faults at once instead of corrupting
// its neighbour's frames.
//
// A fiber is started again (restart) for every execution; its stack is kept
// (mapping stacks per execution would cost more than the execution). A fiber
// abandoned mid-run (a failure, a deadlock) is simply restarted: its frames
// are never unwound, so destructors of what it held do not run.
#pragma once

#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>

namespace oncecheck::explore {

class fiber {
 public:
  using entry_fn = void (*)(std::uintptr_t arg);

  explicit fiber(std::size_t stack_bytes = 256 * 1024) {
    page_ = std::size_t(::sysconf(_SC_PAGESIZE));
    size_ = (stack_bytes + page_ - 1) / page_ * page_ + page_;
    void* p = ::mmap(nullptr, size_, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("fiber: cannot map a stack");
    base_ = static_cast<char*>(p);
    ::mprotect(base_, page_, PROT_NONE);  // the guard page: stacks grow down into it
  }
  ~fiber() { ::munmap(base_, size_); }
  fiber(const fiber&) = delete;
  fiber& operator=(const fiber&) = delete;

  // Prepares the fiber to run entry(arg) from the top of its stack the next
  // time it is switched to; `back` is where it goes when entry returns.
  void restart(entry_fn entry, std::uintptr_t arg, ucontext_t* back) {
    ::getcontext(&ctx_);
    ctx_.uc_stack.ss_sp = base_ + page_;
    ctx_.uc_stack.ss_size = size_ - page_;
    ctx_.uc_link = back;
    // makecontext passes int arguments: `this` travels in two halves.
    const auto self = reinterpret_cast<std::uintptr_t>(this);
    ::makecontext(&ctx_, reinterpret_cast<void (*)()>(&trampoline), 2, unsigned(self >> 32),
                  unsigned(self & 0xffffffffu));
    entry_ = entry;
    arg_ = arg;
  }

  ucontext_t* context() noexcept { return &ctx_; }

 private:
  static void trampoline(unsigned hi, unsigned lo) {
    fiber* f = reinterpret_cast<fiber*>((std::uintptr_t(hi) << 32) | std::uintptr_t(lo));
    f->entry_(f->arg_);
  }

  char* base_ = nullptr;
  std::size_t size_ = 0, page_ = 0;
  ucontext_t ctx_{};
  entry_fn entry_ = nullptr;
  std::uintptr_t arg_ = 0;
};

}  // namespace oncecheck::explore
