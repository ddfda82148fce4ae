#pragma once
/// \file self.hpp
/// self(): what a process can do to and for itself (receive, sleep, spawn
/// children, send, suspend); and the free send/cancel/resume functions.

#include <optional>
#include <utility>

#include "coronet/detail/process_ops.hpp"
#include "coronet/handle.hpp"
#include "coronet/link.hpp"
#include "coronet/monitor.hpp"
#include "coronet/pid.hpp"
#include "coronet/receive.hpp"
#include "coronet/spawn.hpp"
#include "coronet/time.hpp"

namespace coronet {

/// The running process, seen from inside. Get it with `coronet::self()`.
///
/// A `self_ref` is a plain pointer-sized value; it stays valid for the whole
/// life of the process, across suspensions (a process never changes worker).
///
/// **Thread safety:** use it only inside its own process. **Suspends:** the
/// members that return awaitables (`receive*`, `sleep*`, `yield`,
/// `suspend`) are the scheduling points; everything else returns at once.
class self_ref {
  public:
    explicit self_ref(detail::process* p) noexcept : p_(p) {}

    /// This process's pid.
    coronet::pid id() const noexcept { return detail::pid_of(p_); }

    /// Receives the first message of type T (selective: other messages stay
    /// in the mailbox, in order).
    template <class T>
    [[nodiscard]] auto receive() const {
        return detail::receive_one_awaiter<false, T>{infinite};
    }
    /// Like receive<T>(), giving nullopt when nothing came within `timeout`.
    template <class T>
    [[nodiscard]] auto receive(duration timeout) const {
        return detail::receive_one_awaiter<true, T>{timeout};
    }
    /// Receives the first message that one of the handlers accepts (tried in
    /// order; a handler takes one message type by value or reference, or
    /// `any_message`; wrap it in `guard(pred, h)` to add a condition) and
    /// returns what that handler returns.
    template <class... Hs>
    [[nodiscard]] auto receive_any(Hs... hs) const {
        static_assert(sizeof...(Hs) > 0, "receive_any needs at least one handler");
        return detail::receive_awaiter<false, Hs...>{infinite, std::move(hs)...};
    }
    /// receive_any with a timeout: optional<R> (bool for void handlers),
    /// empty when nothing matched within `timeout` (0 = only look).
    template <class... Hs>
    [[nodiscard]] auto receive_for(duration timeout, Hs... hs) const {
        static_assert(sizeof...(Hs) > 0, "receive_for needs at least one handler");
        return detail::receive_awaiter<true, Hs...>{timeout, std::move(hs)...};
    }

    /// Sleeps for `d` on the runtime clock.
    [[nodiscard]] detail::park_wait_awaiter sleep(duration d) const;
    /// Sleeps until `t` on the runtime clock.
    [[nodiscard]] detail::park_wait_awaiter sleep_until(time_point t) const;
    /// Lets the other runnable processes of this worker run first.
    [[nodiscard]] detail::park_wait_awaiter yield() const;
    /// asyncoro's suspend: parks until `resume(pid)` is called (true) or the
    /// timeout passes (false). A resume that comes before the suspend is
    /// remembered (one permit), so a resume is never lost.
    [[nodiscard]] detail::park_wait_awaiter suspend(duration timeout = infinite) const;

    /// The runtime clock.
    time_point now() const { return detail::now_impl(); }

    /// Spawns a child process in this process's scope (LT-1). Its abnormal
    /// exit cancels this process with the same reason (LK-1).
    template <class Fn, class... Args>
    auto spawn(Fn&& fn, Args&&... args) const {
        return detail::spawn_fn(nullptr, spawn_options{}, std::forward<Fn>(fn),
                                std::forward<Args>(args)...);
    }
    /// spawn with options (placement, daemon).
    template <class Fn, class... Args>
    auto spawn_opt(const spawn_options& o, Fn&& fn, Args&&... args) const {
        return detail::spawn_fn(nullptr, o, std::forward<Fn>(fn), std::forward<Args>(args)...);
    }

    /// Spawns a child linked with this process (LK-2), atomically: the link
    /// exists before the child runs.
    template <class Fn, class... Args>
    auto spawn_link(Fn&& fn, Args&&... args) const {
        return detail::spawn_fn_ex(true, nullptr, std::forward<Fn>(fn),
                                   std::forward<Args>(args)...);
    }
    /// Spawns a child and monitors it, atomically (MO-1). The child is also
    /// part of this process's tree (LK-1 still applies).
    template <class Fn, class... Args>
    auto spawn_monitor(Fn&& fn, Args&&... args) const {
        std::uint64_t id = 0;
        auto h = detail::spawn_fn_ex(false, &id, std::forward<Fn>(fn), std::forward<Args>(args)...);
        return std::pair{std::move(h), monitor_ref{id_of_self(), id}};
    }

    /// Number of messages waiting in the mailbox.
    std::size_t mailbox_size() const noexcept;
    /// True once this process has been cancelled.
    bool cancelled() const noexcept;

  private:
    coronet::pid id_of_self() const noexcept { return detail::pid_of(p_); }
    detail::process* p_;
};

/// The running process. Throws std::logic_error outside a process.
inline self_ref self() {
    return self_ref{detail::require_process("coronet::self()")};
}

/// Sends a message to `to` from inside a process (or any runtime callback).
/// Never suspends; a send to an exited pid is a counted dead letter.
template <class Msg>
void send(const pid& to, Msg&& msg) {
    detail::send_impl(nullptr, to, detail::make_message<std::decay_t<Msg>>(std::forward<Msg>(msg)));
}

/// Requests cancellation of `target` (CX-1); true if this call made it.
/// From inside a process only; use runtime::cancel from other threads.
/// Returns false immediately for a process on another worker whose state is
/// not known yet (the request is still delivered).
inline bool cancel(const pid& target, const char* why = "cancelled") {
    return detail::cancel_impl(nullptr, target, exit_kind::cancelled, why);
}

/// Wakes `target` from self().suspend() (or gives it a permit).
inline void resume(const pid& target) {
    detail::resume_impl(nullptr, target);
}

}  // namespace coronet
