#pragma once
/// \file cancel_scope.hpp
/// Cancel scopes inside one process: with_timeout / with_deadline (CX-5)
/// and shielded (CX-4).

#include <stdexcept>
#include <type_traits>
#include <utility>

#include "coronet/detail/process_ops.hpp"
#include "coronet/exit_reason.hpp"
#include "coronet/task.hpp"
#include "coronet/time.hpp"

namespace coronet {

/// Thrown at the boundary of with_timeout / with_deadline when its deadline
/// passed; the enclosing scope is not cancelled.
class timeout_error : public std::runtime_error {
  public:
    timeout_error() : std::runtime_error("coronet: deadline exceeded") {}
};

namespace detail {

enum class scope_kind : std::uint8_t { deadline, shield };

/// A cancel scope of the current process (non-template core, see
/// cancel_scope.cpp). Lives in the coroutine frame of the composing task.
class cancel_scope {
  public:
    cancel_scope(scope_kind kind, time_point deadline);
    cancel_scope(const cancel_scope&) = delete;
    cancel_scope& operator=(const cancel_scope&) = delete;
    ~cancel_scope();
    /// True once the deadline passed.
    bool fired() const noexcept;
    /// True when the process is cancelled by something other than this scope.
    bool cancelled_from_outside() const noexcept;

  private:
    void* state_;
};

time_point deadline_from_now(duration d);

}  // namespace detail

/// Runs `body` in this process with a deadline (CX-5): when it passes, every
/// suspension point inside `body` throws cancelled_error (level-triggered,
/// within the scope only), and at the boundary that becomes timeout_error.
/// The enclosing process is not cancelled. A message that matched before the
/// deadline is still returned (CX-6). `body` runs in the same process, so a
/// receive inside it reads this process's mailbox.
///
/// **Thread safety:** inside a process only. **Suspends:** while `body` runs.
template <class T>
task<T> with_deadline(time_point deadline, task<T> body) {
    detail::cancel_scope scope(detail::scope_kind::deadline, deadline);
    try {
        if constexpr (std::is_void_v<T>) {
            co_await std::move(body);
            co_return;
        } else {
            co_return co_await std::move(body);
        }
    } catch (const cancelled_error&) {
        if (scope.fired() && !scope.cancelled_from_outside()) throw timeout_error();
        throw;
    }
}

/// with_deadline(now + d, body).
template <class T>
task<T> with_timeout(duration d, task<T> body) {
    return with_deadline(detail::deadline_from_now(d), std::move(body));
}

/// Runs `body` with cancellation suppressed (CX-4), for at most `d`: a cancel
/// that arrives meanwhile takes effect after `body` (at the next suspension
/// point). If `body` is still running when `d` has passed, the process is
/// killed: every await throws and it exits with reason `killed`.
///
/// **Thread safety:** inside a process only. **Suspends:** while `body` runs.
template <class T>
task<T> shielded(duration d, task<T> body) {
    detail::cancel_scope scope(detail::scope_kind::shield, detail::deadline_from_now(d));
    if constexpr (std::is_void_v<T>) {
        co_await std::move(body);
    } else {
        co_return co_await std::move(body);
    }
}

}  // namespace coronet
