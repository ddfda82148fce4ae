#pragma once
/// \file handle.hpp
/// handle<T>: a typed, joinable reference to a spawned process.

#include <type_traits>
#include <utility>

#include "coronet/detail/process_ops.hpp"
#include "coronet/pid.hpp"

namespace coronet {

/// What spawn returns: the process's pid plus the right to join it and read
/// its value. Copies share the process's exit record, which lives as long as
/// any handle does (the coroutine frame itself is freed at exit).
///
/// `co_await h` (inside a process) waits for the process to exit and returns
/// its value, or rethrows its error (LK-3). Any number of processes may
/// join the same process, from any worker (CO-3).
///
/// **Thread safety:** copy, destroy and `id()` from any thread. `value()` and
/// `reason()` from any thread once the process has exited and that exit is
/// known to the caller (after `runtime::run()` returned, or after a join).
/// **Suspends:** `co_await h` until the process exits.
template <class T>
class handle {
  public:
    using value_type = T;

    handle() noexcept = default;
    /// Adopts a retained process (internal).
    explicit handle(detail::process* p) noexcept : p_(p) {}
    handle(const handle& o) noexcept : p_(o.p_) {
        if (p_) detail::retain(p_);
    }
    handle(handle&& o) noexcept : p_(std::exchange(o.p_, nullptr)) {}
    handle& operator=(handle o) noexcept {
        std::swap(p_, o.p_);
        return *this;
    }
    ~handle() {
        if (p_) detail::release(p_);
    }

    /// The process's pid.
    coronet::pid id() const noexcept { return p_ ? detail::pid_of(p_) : coronet::pid{}; }
    operator coronet::pid() const noexcept { return id(); }
    explicit operator bool() const noexcept { return p_ != nullptr; }

    /// True once the process has exited.
    bool exited() const noexcept { return p_ && detail::has_exited(p_); }
    /// The exit reason; precondition: exited().
    const exit_reason& reason() const noexcept { return detail::reason_of(p_); }
    /// The process's value, or its error rethrown. Throws std::logic_error
    /// when the process has not exited yet. A copyable value is copied (every
    /// join gets it); a move-only value is moved out, so only the first call
    /// (or join) gets it and later ones see a moved-from value.
    T value() const {
        if (!exited()) throw std::logic_error("coronet::handle::value: process has not exited");
        detail::rethrow_if_failed(p_);
        if constexpr (!std::is_void_v<T>) {
            T* v = static_cast<T*>(detail::result_of(p_));
            if constexpr (std::is_copy_constructible_v<T>)
                return *v;
            else
                return std::move(*v);
        }
    }

    auto operator co_await() const {
        struct awaiter {
            detail::exit_watch watch;
            detail::exit_watch::awaiter inner;
            const handle* h;
            explicit awaiter(const handle* hh) : inner{nullptr, 1, false}, h(hh) {
                if (!hh->p_) throw std::logic_error("coronet: join of an empty handle");
                watch.add(hh->p_);
                inner.w = &watch;
            }
            bool await_ready() { return inner.await_ready(); }
            void await_suspend(std::coroutine_handle<> c) { inner.await_suspend(c); }
            T await_resume() {
                inner.await_resume();
                return h->value();
            }
        };
        return awaiter{this};
    }

    /// Internal: the process.
    detail::process* get() const noexcept { return p_; }

  private:
    detail::process* p_ = nullptr;
};

}  // namespace coronet
