// task<T>: the C++20 coroutine a design's wait_async() returns and an
// executor (impls/executor.hpp) runs; waker: how a parked task asks to be
// run again.
//
// What it models. A Rust future and its `Waker`: a task is lazy (nothing
// runs until it is awaited or spawned), awaiting a task runs it inline
// (symmetric transfer) and resumes the awaiter when it ends, and every task
// of one chain shares the waker of the root task the executor spawned. A
// design parks a task by storing that waker beside its wait node and
// suspending (`co_await park{}`); whoever completes the key calls
// `waker::wake()`, which schedules the root task again. The executor, not
// the waker, resumes it: a wake never runs design code on the waker's stack.
//
// Contract for designs (what `wait_async` may rely on and must do):
//   - `co_await current_waker{}` gives the task's waker without suspending.
//   - A parked task may be resumed spuriously (a wake that landed while it
//     was still running is delivered at its next suspension, as tokio
//     delivers it): after `co_await park{}` re-check, and park again if the
//     wait is not over.
//   - A task may be destroyed while parked (cancellation): every local in
//     its frame is destroyed, so a wait node that unlinks itself in its
//     destructor leaves nothing behind. The map must outlive every task
//     its wait_async returned (as a Rust future borrows its map).
//   - Exceptions propagate to the awaiter, as from a function call.
//   - A task is awaited by another task (its promise derives from
//     task_detail::promise_base, which keeps the chain's resume point); an
//     executor runs a root task by calling become_root() and resuming the
//     root's `innermost`, as impls/executor.hpp does.
#pragma once

#include <concepts>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <optional>
#include <utility>

namespace oncecheck {

// A copyable handle that schedules a parked task again. Waking a task that
// has finished (or was destroyed) does nothing: the executor tells the
// task's incarnations apart by `tag`.
class waker {
 public:
  using wake_fn = void (*)(void* target, std::uint64_t tag) noexcept;

  constexpr waker() noexcept = default;
  constexpr waker(wake_fn fn, void* target, std::uint64_t tag) noexcept : fn_(fn), target_(target), tag_(tag) {}

  void wake() const noexcept {
    if (fn_) fn_(target_, tag_);
  }
  explicit operator bool() const noexcept { return fn_ != nullptr; }
  friend bool operator==(const waker&, const waker&) = default;

 private:
  wake_fn fn_ = nullptr;
  void* target_ = nullptr;
  std::uint64_t tag_ = 0;
};

// A promise whose coroutine can be woken: every task's, and any user
// executor's that gives its tasks a waker.
template <class P>
concept wakeable_promise = requires(const P& p) {
  { p.get_waker() } -> std::same_as<waker>;
};

// `waker w = co_await current_waker{};` — the task's waker, no suspension.
struct current_waker {
  waker got;
  bool await_ready() const noexcept { return false; }
  template <wakeable_promise P>
  bool await_suspend(std::coroutine_handle<P> h) noexcept {
    got = h.promise().get_waker();
    return false;  // resume at once
  }
  waker await_resume() const noexcept { return got; }
};

// Suspends the task until its waker is called (or spuriously: re-check).
struct park : std::suspend_always {};

template <class T>
class task;

namespace task_detail {

// Where a chain of tasks resumes. Awaiting a task suspends the awaiter
// and runs the awaited one, so the coroutine to resume after a park is the
// innermost task of the chain, not the root the executor holds: the root's
// `innermost` is kept up to date as tasks are awaited and end, and every
// task of the chain points at it.
struct promise_base {
  std::coroutine_handle<> continuation;  // the awaiting task; none for a root
  waker wake;                            // the root's waker, handed down
  std::exception_ptr error;
  std::coroutine_handle<> innermost;     // a root's: the chain's running or parked task
  std::coroutine_handle<>* resume_point = nullptr;  // the root's `innermost`

  // Makes this task the root of its chain (an executor, at spawn).
  void become_root(std::coroutine_handle<> self) noexcept {
    innermost = self;
    resume_point = &innermost;
  }

  std::suspend_always initial_suspend() noexcept { return {}; }

  // A finished task resumes its awaiter; a finished root stays suspended
  // at its end for the executor, which sees done() and destroys it.
  struct final_awaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) const noexcept {
      promise_base& p = h.promise();
      if (!p.continuation) return std::noop_coroutine();
      if (p.resume_point) *p.resume_point = p.continuation;
      return p.continuation;
    }
    void await_resume() const noexcept {}
  };
  final_awaiter final_suspend() noexcept { return {}; }
  void unhandled_exception() noexcept { error = std::current_exception(); }
  waker get_waker() const noexcept { return wake; }
};

template <class T>
struct promise : promise_base {
  std::optional<T> value;
  task<T> get_return_object() noexcept;
  template <class U>
  void return_value(U&& v) {
    value.emplace(std::forward<U>(v));
  }
  T take() {
    if (error) std::rethrow_exception(error);
    return std::move(*value);
  }
};

template <>
struct promise<void> : promise_base {
  task<void> get_return_object() noexcept;
  void return_void() noexcept {}
  void take() const {
    if (error) std::rethrow_exception(error);
  }
};

}  // namespace task_detail

template <class T = void>
class [[nodiscard]] task {
 public:
  using promise_type = task_detail::promise<T>;
  using handle_type = std::coroutine_handle<promise_type>;

  task() noexcept = default;
  explicit task(handle_type h) noexcept : h_(h) {}
  task(task&& other) noexcept : h_(std::exchange(other.h_, {})) {}
  task& operator=(task&& other) noexcept {
    if (this != &other) {
      if (h_) h_.destroy();
      h_ = std::exchange(other.h_, {});
    }
    return *this;
  }
  task(const task&) = delete;
  task& operator=(const task&) = delete;
  // Destroying a task that never finished destroys its frame: the locals of
  // every suspended coroutine in the chain are destroyed (cancellation).
  ~task() {
    if (h_) h_.destroy();
  }

  // Awaiting runs the task inline, as the innermost of the awaiter's chain
  // and with its waker.
  bool await_ready() const noexcept { return false; }
  template <class P>
    requires std::derived_from<P, task_detail::promise_base>
  std::coroutine_handle<> await_suspend(std::coroutine_handle<P> awaiter) noexcept {
    task_detail::promise_base& parent = awaiter.promise();
    promise_type& p = h_.promise();
    p.continuation = awaiter;
    p.wake = parent.wake;
    p.resume_point = parent.resume_point;
    if (p.resume_point) *p.resume_point = h_;
    return h_;
  }
  T await_resume() { return h_.promise().take(); }

  // For executors: take the frame over (the task no longer owns it).
  handle_type release() noexcept { return std::exchange(h_, {}); }
  explicit operator bool() const noexcept { return bool(h_); }

 private:
  handle_type h_;
};

template <class T>
task<T> task_detail::promise<T>::get_return_object() noexcept {
  return task<T>(std::coroutine_handle<promise<T>>::from_promise(*this));
}
inline task<void> task_detail::promise<void>::get_return_object() noexcept {
  return task<void>(std::coroutine_handle<promise<void>>::from_promise(*this));
}

}  // namespace oncecheck
