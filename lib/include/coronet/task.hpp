#pragma once
/// \file task.hpp
/// task<T>: the lazy coroutine type of coronet.

#include <coroutine>
#include <exception>
#include <type_traits>
#include <utility>
#include <variant>

#include "coronet/detail/pool.hpp"

namespace coronet {

template <class T = void>
class task;

namespace detail {

struct task_final_awaiter {
    bool await_ready() const noexcept { return false; }
    template <class P>
    std::coroutine_handle<> await_suspend(std::coroutine_handle<P> h) noexcept {
        // Symmetric transfer to whoever awaited us; a process's root task has
        // no continuation and returns to the worker's loop.
        auto c = h.promise().continuation;
        return c ? c : std::noop_coroutine();
    }
    void await_resume() const noexcept {}
};

struct task_promise_base {
    std::coroutine_handle<> continuation;

    static void* operator new(std::size_t n) { return pool_alloc(n); }
    static void operator delete(void* p, std::size_t n) noexcept { pool_free(p, n); }

    std::suspend_always initial_suspend() const noexcept { return {}; }
    task_final_awaiter final_suspend() const noexcept { return {}; }
};

template <class T>
struct task_promise : task_promise_base {
    std::variant<std::monostate, T, std::exception_ptr> result;

    task<T> get_return_object() noexcept;
    void unhandled_exception() noexcept { result.template emplace<2>(std::current_exception()); }
    template <class U = T>
    requires std::is_convertible_v<U&&, T>
    void return_value(U&& v) { result.template emplace<1>(std::forward<U>(v)); }
    std::exception_ptr exception() const noexcept {
        return result.index() == 2 ? std::get<2>(result) : nullptr;
    }
    T take() {
        if (result.index() == 2) std::rethrow_exception(std::get<2>(result));
        return std::move(std::get<1>(result));
    }
};

template <>
struct task_promise<void> : task_promise_base {
    std::exception_ptr error;

    task<void> get_return_object() noexcept;
    void unhandled_exception() noexcept { error = std::current_exception(); }
    void return_void() noexcept {}
    std::exception_ptr exception() const noexcept { return error; }
    void take() {
        if (error) std::rethrow_exception(error);
    }
};

}  // namespace detail

/// A lazy coroutine returning T. Nothing runs until it is awaited (or spawned
/// as a process); `co_await t` resumes the awaiter by symmetric transfer when
/// `t` finishes, with its value or its exception.
///
/// A task is move-only and owns its frame. Inside a process, awaiting a task
/// runs it in that process (it is not a new process; use spawn for that).
///
/// **Thread safety:** none; a task belongs to one process. **Suspends:**
/// `co_await task` suspends until the task finishes.
template <class T>
class [[nodiscard]] task {
  public:
    using promise_type = detail::task_promise<T>;
    using value_type = T;

    task() noexcept = default;
    explicit task(std::coroutine_handle<promise_type> h) noexcept : h_(h) {}
    task(task&& o) noexcept : h_(std::exchange(o.h_, {})) {}
    task& operator=(task&& o) noexcept {
        if (this != &o) {
            if (h_) h_.destroy();
            h_ = std::exchange(o.h_, {});
        }
        return *this;
    }
    task(const task&) = delete;
    task& operator=(const task&) = delete;
    ~task() {
        if (h_) h_.destroy();
    }

    /// True when the task holds a coroutine.
    explicit operator bool() const noexcept { return static_cast<bool>(h_); }

    auto operator co_await() && noexcept {
        struct awaiter {
            std::coroutine_handle<promise_type> h;
            bool await_ready() const noexcept { return !h || h.done(); }
            std::coroutine_handle<> await_suspend(std::coroutine_handle<> caller) noexcept {
                h.promise().continuation = caller;
                return h;
            }
            T await_resume() { return h.promise().take(); }
        };
        return awaiter{h_};
    }

    /// Gives up ownership of the frame (used by spawn).
    std::coroutine_handle<promise_type> release() noexcept { return std::exchange(h_, {}); }

  private:
    std::coroutine_handle<promise_type> h_;
};

namespace detail {
template <class T>
task<T> task_promise<T>::get_return_object() noexcept {
    return task<T>{std::coroutine_handle<task_promise<T>>::from_promise(*this)};
}
inline task<void> task_promise<void>::get_return_object() noexcept {
    return task<void>{std::coroutine_handle<task_promise<void>>::from_promise(*this)};
}

template <class>
struct is_task : std::false_type {};
template <class T>
struct is_task<task<T>> : std::true_type {};
}  // namespace detail

}  // namespace coronet
