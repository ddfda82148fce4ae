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
        auto& p = h.promise();
        if (p.started_inline) {
            // The awaiter that started us is still below us on the stack: it
            // continues its caller itself (no stack growth at any -O level).
            p.finished_inline = true;
            return std::noop_coroutine();
        }
        // Asynchronous completion: symmetric transfer to whoever awaited us;
        // a process's root task has no continuation and returns to the loop.
        return p.continuation ? p.continuation : std::noop_coroutine();
    }
    void await_resume() const noexcept {}
};

struct task_promise_base {
    std::coroutine_handle<> continuation;
    bool started_inline = false;
    bool finished_inline = false;

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
/// as a process); `co_await t` gives its value or rethrows its exception.
/// A task that finishes without suspending returns straight to its awaiter
/// (a loop of such awaits runs in constant stack even at -O0, where GCC does
/// not turn symmetric transfer into a tail call); one that suspended resumes
/// its awaiter by symmetric transfer when it finishes.
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
            bool await_suspend(std::coroutine_handle<> caller) {
                auto& p = h.promise();
                p.continuation = caller;
                p.started_inline = true;
                h.resume();  // runs until the task suspends or finishes
                p.started_inline = false;
                return !p.finished_inline;  // finished: the caller goes on at once
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
