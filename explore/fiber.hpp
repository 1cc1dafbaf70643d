// fiber: one cooperative thread of an explored program, on a stack of its
// own, and the context switch between fibers and the exploring thread.
//
// Why fibers: the explorer runs every thread of a cell on the one OS
// thread that explores it, switching only at the scheduling points the sync
// backend marks, so that a schedule is a plain list of thread choices and
// replays exactly. Stacks are mmap'd with a PROT_NONE guard page below them:
// a scenario that overflows its stack faults at once instead of corrupting
// its neighbour's frames.
//
// The switch: on x86-64 a few instructions that save the callee-saved
// registers and the stack pointer (the System V ABI leaves everything else
// to the caller). glibc's swapcontext also saves the signal mask with a
// system call on every switch, which measured 70% of an exploration's time;
// other architectures still use it (getcontext/makecontext/swapcontext).
//
// A fiber is started again (restart) for every execution; its stack is kept
// (mapping stacks per execution would cost more than the execution). A fiber
// abandoned mid-run (a failure, a deadlock) is simply restarted: its frames
// are never unwound, so destructors of what it held do not run. Its entry
// function must not return: it ends by switching away for good.
#pragma once

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>

#if !defined(__x86_64__)
#include <ucontext.h>
#endif

namespace oncecheck::explore {

#if defined(__x86_64__)
// A suspended context: its stack pointer, the saved registers on top.
struct context {
  void* sp = nullptr;
};

extern "C" void oncecheck_explore_switch(void** save_sp, void* load_sp);
extern "C" void oncecheck_explore_fiber_start();

// Saves the running context into `save` and resumes `load`.
inline void switch_context(context& save, context& load) { oncecheck_explore_switch(&save.sp, load.sp); }

asm(R"(
  .text
  .globl oncecheck_explore_switch
  .type oncecheck_explore_switch, @function
oncecheck_explore_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size oncecheck_explore_switch, .-oncecheck_explore_switch

  .globl oncecheck_explore_fiber_start
  .type oncecheck_explore_fiber_start, @function
oncecheck_explore_fiber_start:
  movq %r12, %rdi
  andq $-16, %rsp
  callq *%r13
  ud2
  .size oncecheck_explore_fiber_start, .-oncecheck_explore_fiber_start
)");
#else
struct context {
  ucontext_t uc{};
};
inline void switch_context(context& save, context& load) { ::swapcontext(&save.uc, &load.uc); }
#endif

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
  // time it is switched to.
  void restart(entry_fn entry, std::uintptr_t arg) {
    entry_ = entry;
    arg_ = arg;
#if defined(__x86_64__)
    auto* top = reinterpret_cast<std::uintptr_t*>(base_ + size_);
    // What oncecheck_explore_switch pops: r15 r14 r13 r12 rbx rbp, then the
    // return address; r12 carries the fiber, r13 the function to call.
    *--top = 0;  // keeps the start's stack 16-byte aligned
    *--top = reinterpret_cast<std::uintptr_t>(&oncecheck_explore_fiber_start);
    *--top = 0;                                            // rbp
    *--top = 0;                                            // rbx
    *--top = reinterpret_cast<std::uintptr_t>(this);       // r12
    *--top = reinterpret_cast<std::uintptr_t>(&start);     // r13
    *--top = 0;                                            // r14
    *--top = 0;                                            // r15
    ctx_.sp = top;
#else
    ::getcontext(&ctx_.uc);
    ctx_.uc.uc_stack.ss_sp = base_ + page_;
    ctx_.uc.uc_stack.ss_size = size_ - page_;
    ctx_.uc.uc_link = nullptr;
    const auto self = reinterpret_cast<std::uintptr_t>(this);
    ::makecontext(&ctx_.uc, reinterpret_cast<void (*)()>(&start_halves), 2, unsigned(self >> 32),
                  unsigned(self & 0xffffffffu));
#endif
  }

  context& ctx() noexcept { return ctx_; }

 private:
  static void start(fiber* f) {
    f->entry_(f->arg_);
    __builtin_trap();  // an entry function switches away for good instead of returning
  }
#if !defined(__x86_64__)
  static void start_halves(unsigned hi, unsigned lo) {
    start(reinterpret_cast<fiber*>((std::uintptr_t(hi) << 32) | std::uintptr_t(lo)));
  }
#endif

  char* base_ = nullptr;
  std::size_t size_ = 0, page_ = 0;
  context ctx_{};
  entry_fn entry_ = nullptr;
  std::uintptr_t arg_ = 0;
};

}  // namespace oncecheck::explore
