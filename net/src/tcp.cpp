// TCP and Unix-domain stream sockets over the worker's epoll reactor
// (coronet::wait_io): non-blocking syscalls, and a wait for readiness when
// they would block.

#include "coronet/net/tcp.hpp"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "coronet/io.hpp"
#include "fd_io.hpp"
#include "socket_util.hpp"

namespace coronet::net {

using detail::deadline_of;
using detail::fd_kind;
using detail::last_error;
using detail::left_until;
using detail::sock_name;
using detail::timed_out;
using detail::write_all_fd;

namespace {

std::error_code set_int_option(int fd, int level, int name, int value) noexcept {
    if (::setsockopt(fd, level, name, &value, sizeof value) != 0) return last_error();
    return {};
}

}  // namespace

// ---------------------------------------------------------------- tcp_stream

void tcp_stream::close() noexcept {
    fd_.close();
    rb_.clear();
}

std::string tcp_stream::take_read_ahead() {
    std::string r = rb_.bytes.substr(rb_.pos);
    rb_.clear();
    return r;
}

task<result<tcp_stream>> tcp_stream::connect(address to, duration timeout) {
    const int fd = ::socket(to.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) co_return last_error();
    tcp_stream s(fd);
    if (::connect(fd, to.native(), to.length()) == 0) co_return std::move(s);
    // (EAGAIN is a failure here: a full Unix-socket backlog, no local port.)
    if (errno != EINPROGRESS) co_return last_error();
    const std::uint32_t ev = co_await wait_io(fd, io_events::writable, timeout);
    if (ev == 0) co_return timed_out;
    int err = 0;
    socklen_t len = sizeof err;
    if (::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) co_return last_error();
    if (err != 0) co_return std::error_code(err, std::generic_category());
    co_return std::move(s);
}

task<io_result> tcp_stream::read_some(std::span<char> buf, duration timeout) {
    return detail::buffered_read_some(fd_.get(), rb_, buf, timeout);
}

task<io_result> tcp_stream::read_exactly(std::span<char> buf, duration timeout) {
    return detail::buffered_read_exactly(fd_.get(), rb_, buf, timeout);
}

task<io_result> tcp_stream::read_until(std::string& out, std::string_view delim, std::size_t max,
                                       duration timeout) {
    return detail::buffered_read_until(fd_.get(), rb_, out, delim, max, timeout);
}

task<io_result> tcp_stream::write_all(std::span<const char> data, duration timeout) {
    if (!fd_.is_open()) co_return io_result{0, errc::not_connected};
    co_return co_await write_all_fd(fd_.get(), fd_kind::socket, data.data(), data.size(),
                                    deadline_of(timeout));
}

std::error_code tcp_stream::shutdown_write() noexcept {
    if (!fd_.is_open()) return errc::not_connected;
    if (::shutdown(fd_.get(), SHUT_WR) != 0) return last_error();
    return {};
}

std::error_code tcp_stream::set_nodelay(bool on) noexcept {
    return set_int_option(fd_.get(), IPPROTO_TCP, TCP_NODELAY, on ? 1 : 0);
}
std::error_code tcp_stream::set_keepalive(bool on) noexcept {
    return set_int_option(fd_.get(), SOL_SOCKET, SO_KEEPALIVE, on ? 1 : 0);
}
std::error_code tcp_stream::set_buffer_sizes(int receive, int send) noexcept {
    if (auto ec = set_int_option(fd_.get(), SOL_SOCKET, SO_RCVBUF, receive)) return ec;
    return set_int_option(fd_.get(), SOL_SOCKET, SO_SNDBUF, send);
}
address tcp_stream::local_address() const {
    return sock_name(fd_.get(), false);
}
address tcp_stream::peer_address() const {
    return sock_name(fd_.get(), true);
}

// ---------------------------------------------------------------- tcp_listener

result<tcp_listener> tcp_listener::bind(const address& a, int backlog) {
    const int fd = ::socket(a.family(), SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return last_error();
    tcp_listener l;
    l.fd_ = detail::socket_fd(fd);
    if (a.family() != AF_UNIX) {
        if (auto ec = set_int_option(fd, SOL_SOCKET, SO_REUSEADDR, 1)) return ec;
    }
    if (::bind(fd, a.native(), a.length()) != 0) return last_error();
    if (::listen(fd, backlog) != 0) return last_error();
    return l;
}

task<result<tcp_stream>> tcp_listener::accept(duration timeout) {
    if (!fd_.is_open()) co_return make_error_code(errc::not_connected);
    const time_point deadline = deadline_of(timeout);
    for (;;) {
        const int fd = ::accept4(fd_.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd >= 0) co_return tcp_stream(fd);
        // Errors of that one connection (reset before it was accepted, and
        // the network errors accept(2) passes on): take the next one.
        if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO || errno == ENETDOWN ||
            errno == ENOPROTOOPT || errno == EHOSTDOWN || errno == ENONET ||
            errno == EHOSTUNREACH || errno == EOPNOTSUPP || errno == ENETUNREACH)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) co_return last_error();
        const duration left = left_until(deadline);
        if (left <= duration::zero()) co_return timed_out;
        const std::uint32_t ev = co_await wait_io(fd_.get(), io_events::readable, left);
        if (ev == 0) co_return timed_out;
    }
}

address tcp_listener::local_address() const {
    return sock_name(fd_.get(), false);
}

}  // namespace coronet::net
