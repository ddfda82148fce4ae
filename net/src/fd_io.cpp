// detail::read_some_fd / write_all_fd: non-blocking syscalls, and a wait on
// the worker's epoll reactor (coronet::wait_io) when they would block.

#include "fd_io.hpp"

#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>

#include "coronet/detail/process_ops.hpp"
#include "coronet/io.hpp"
#include "socket_util.hpp"
#include "stream_reads.hpp"

namespace coronet::net::detail {

time_point deadline_of(duration timeout) {
    if (timeout == infinite) return time_point::max();
    const time_point now = coronet::detail::now_impl();
    return timeout >= time_point::max() - now ? time_point::max() : now + timeout;
}

duration left_until(time_point deadline) {
    if (deadline == time_point::max()) return infinite;
    return deadline - coronet::detail::now_impl();
}

task<io_result> read_some_fd(int fd, char* data, std::size_t size, time_point deadline) {
    for (;;) {
        const ssize_t r = ::read(fd, data, size);
        if (r >= 0) co_return io_result{static_cast<std::size_t>(r), {}};
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) co_return io_result{0, last_error()};
        const duration left = left_until(deadline);
        if (left <= duration::zero()) co_return io_result{0, timed_out};
        const std::uint32_t ev = co_await wait_io(fd, io_events::readable, left);
        if (ev == 0) co_return io_result{0, timed_out};
    }
}

ssize_t write_no_sigpipe(int fd, const char* data, std::size_t size, std::int64_t offset) {
    sigset_t pipe_set, old_set, pending;
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &pipe_set, &old_set);
    sigpending(&pending);
    const bool was_pending = sigismember(&pending, SIGPIPE) == 1;
    const ssize_t r = offset < 0 ? ::write(fd, data, size) : ::pwrite(fd, data, size, offset);
    const int saved = errno;
    if (r < 0 && saved == EPIPE && !was_pending) {
        const timespec zero{0, 0};
        while (sigtimedwait(&pipe_set, nullptr, &zero) < 0 && errno == EINTR) {
        }
    }
    pthread_sigmask(SIG_SETMASK, &old_set, nullptr);
    errno = saved;
    return r;
}

task<io_result> write_all_fd(int fd, fd_kind kind, const char* data, std::size_t size,
                             time_point deadline) {
    std::size_t sent = 0;
    while (sent < size) {
        const ssize_t r = kind == fd_kind::socket
                              ? ::send(fd, data + sent, size - sent, MSG_NOSIGNAL)
                              : write_no_sigpipe(fd, data + sent, size - sent);
        if (r >= 0) {
            sent += static_cast<std::size_t>(r);
            continue;
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) co_return io_result{sent, last_error()};
        const duration left = left_until(deadline);
        if (left <= duration::zero()) co_return io_result{sent, timed_out};
        const std::uint32_t ev = co_await wait_io(fd, io_events::writable, left);
        if (ev == 0) co_return io_result{sent, timed_out};
    }
    co_return io_result{sent, {}};
}

namespace {

/// The "read some" primitive of stream_reads.hpp for a descriptor.
auto fd_reader(int fd) {
    return [fd](char* data, std::size_t size, time_point deadline) {
        return read_some_fd(fd, data, size, deadline);
    };
}

}  // namespace

task<io_result> buffered_read_some(int fd, read_buffer& rb, std::span<char> buf, duration timeout) {
    if (fd < 0) co_return io_result{0, errc::not_connected};
    if (buf.empty())  // n == 0 would read as the end
        co_return io_result{0, std::make_error_code(std::errc::invalid_argument)};
    if (const std::size_t n = rb.take(buf)) co_return io_result{n, {}};
    co_return co_await read_some_fd(fd, buf.data(), buf.size(), deadline_of(timeout));
}

task<io_result> buffered_read_exactly(int fd, read_buffer& rb, std::span<char> buf,
                                      duration timeout) {
    if (fd < 0) co_return io_result{0, errc::not_connected};
    const auto recv = fd_reader(fd);  // named: GCC 12 and temporaries in co_await
    co_return co_await read_exactly_with(rb, buf, deadline_of(timeout), recv);
}

task<io_result> buffered_read_until(int fd, read_buffer& rb, std::string& out,
                                    std::string_view delim, std::size_t max, duration timeout) {
    out.clear();
    if (fd < 0) co_return io_result{0, errc::not_connected};
    const auto recv = fd_reader(fd);
    co_return co_await read_until_with(rb, out, delim, max, deadline_of(timeout), recv);
}

}  // namespace coronet::net::detail
