#pragma once
/// \file io.hpp
/// Waiting for a file descriptor on the worker's epoll reactor (the socket
/// layer of coronet::net builds on this).

#include <cstdint>

#include "coronet/detail/process_ops.hpp"
#include "coronet/time.hpp"

namespace coronet {

/// Readiness bits (the EPOLLIN / EPOLLOUT / EPOLLERR / EPOLLHUP values).
namespace io_events {
inline constexpr std::uint32_t readable = 0x001;
inline constexpr std::uint32_t writable = 0x004;
inline constexpr std::uint32_t error = 0x008;
inline constexpr std::uint32_t hangup = 0x010;
}  // namespace io_events

/// `co_await wait_io(fd, io_events::readable, 1s)`: suspends the current
/// process until `fd` is ready for one of `events`, and returns the ready
/// bits, or 0 on timeout. Several processes may wait on one fd (a reader
/// and a writer); the fd should be non-blocking. Throws cancelled_error when the process is
/// cancelled, std::system_error when epoll refuses the fd.
///
/// **Thread safety:** inside a process only. **Suspends:** yes.
inline auto wait_io(int fd, std::uint32_t events, duration timeout = infinite) {
    struct awaiter {
        detail::io_wait w;
        bool await_ready() { return detail::io_wait_ready(w); }
        void await_suspend(std::coroutine_handle<> h) { detail::io_wait_suspend(w, h); }
        std::uint32_t await_resume() { return detail::io_wait_take(w); }
    };
    awaiter a;
    a.w.fd = fd;
    a.w.events = events;
    a.w.timeout = timeout;
    return a;
}

}  // namespace coronet
