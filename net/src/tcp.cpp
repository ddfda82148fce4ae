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
#include "socket_util.hpp"

namespace coronet::net {

using detail::last_error;
using detail::sock_name;
using detail::timed_out;

namespace {

std::size_t sat_add(std::size_t a, std::size_t b) noexcept {
    return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

const std::error_code invalid = std::make_error_code(std::errc::invalid_argument);

time_point deadline_of(duration timeout) {
    if (timeout == infinite) return time_point::max();
    const time_point now = coronet::detail::now_impl();
    return timeout >= time_point::max() - now ? time_point::max() : now + timeout;
}

duration left_until(time_point deadline) {
    if (deadline == time_point::max()) return infinite;
    return deadline - coronet::detail::now_impl();
}

std::error_code set_int_option(int fd, int level, int name, int value) noexcept {
    if (::setsockopt(fd, level, name, &value, sizeof value) != 0) return last_error();
    return {};
}

/// One recv into [data, data + size), waiting for readability until `deadline`.
task<io_result> recv_some(int fd, char* data, std::size_t size, time_point deadline) {
    for (;;) {
        const ssize_t r = ::recv(fd, data, size, 0);
        if (r >= 0) co_return io_result{static_cast<std::size_t>(r), {}};
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) co_return io_result{0, last_error()};
        const duration left = left_until(deadline);
        if (left <= duration::zero()) co_return io_result{0, timed_out};
        const std::uint32_t ev = co_await wait_io(fd, io_events::readable, left);
        if (ev == 0) co_return io_result{0, timed_out};
    }
}

}  // namespace

// ---------------------------------------------------------------- tcp_stream

tcp_stream::tcp_stream(tcp_stream&& o) noexcept
    : fd_(std::move(o.fd_)), rbuf_(std::move(o.rbuf_)), rpos_(std::exchange(o.rpos_, 0)) {
    o.rbuf_.clear();
}

tcp_stream& tcp_stream::operator=(tcp_stream&& o) noexcept {
    if (this != &o) {
        fd_ = std::move(o.fd_);
        rbuf_ = std::move(o.rbuf_);
        o.rbuf_.clear();
        rpos_ = std::exchange(o.rpos_, 0);
    }
    return *this;
}

void tcp_stream::close() noexcept {
    fd_.close();
    rbuf_.clear();
    rpos_ = 0;
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

std::size_t tcp_stream::take_buffered(std::span<char> buf) noexcept {
    const std::size_t have = rbuf_.size() - rpos_;
    if (have == 0) return 0;
    const std::size_t n = std::min(have, buf.size());
    std::memcpy(buf.data(), rbuf_.data() + rpos_, n);
    rpos_ += n;
    if (rpos_ == rbuf_.size()) {
        rbuf_.clear();
        rpos_ = 0;
    }
    return n;
}

task<io_result> tcp_stream::read_some(std::span<char> buf, duration timeout) {
    if (!fd_.is_open()) co_return io_result{0, errc::not_connected};
    if (buf.empty()) co_return io_result{0, invalid};  // n == 0 would read as the end
    if (const std::size_t n = take_buffered(buf)) co_return io_result{n, {}};
    co_return co_await recv_some(fd_.get(), buf.data(), buf.size(), deadline_of(timeout));
}

task<io_result> tcp_stream::read_exactly(std::span<char> buf, duration timeout) {
    if (!fd_.is_open()) co_return io_result{0, errc::not_connected};
    const time_point deadline = deadline_of(timeout);
    // Cancelled (or killed) part-way: what already came goes back to the
    // stream, so the next read sees it (no byte lost).
    struct give_back {
        tcp_stream& s;
        std::span<char> buf;
        std::size_t got = 0;
        bool done = false;
        ~give_back() {
            if (!done && got) s.rbuf_.insert(s.rpos_, buf.data(), got);
        }
    } g{*this, buf};
    g.got = take_buffered(buf);
    while (g.got < buf.size()) {
        const io_result r =
            co_await recv_some(fd_.get(), buf.data() + g.got, buf.size() - g.got, deadline);
        if (r.ec || r.n == 0) {
            g.done = true;  // reported: the caller has the bytes and the count
            co_return io_result{g.got, r.ec ? r.ec : make_error_code(errc::eof)};
        }
        g.got += r.n;
    }
    g.done = true;
    co_return io_result{g.got, {}};
}

task<io_result> tcp_stream::read_until(std::string& out, std::string_view delim, std::size_t max,
                                       duration timeout) {
    out.clear();
    if (!fd_.is_open()) co_return io_result{0, errc::not_connected};
    if (delim.empty()) co_return io_result{0, invalid};
    const time_point deadline = deadline_of(timeout);
    const std::size_t limit = sat_add(max, delim.size());
    std::size_t searched = rpos_;  // no need to search the same bytes twice
    for (;;) {
        const std::size_t at = rbuf_.find(delim, searched);
        if (at != std::string::npos) {
            if (at - rpos_ > max) co_return io_result{0, errc::frame_too_large};
            out.assign(rbuf_, rpos_, at - rpos_);
            rpos_ = at + delim.size();
            co_return io_result{out.size(), {}};
        }
        const std::size_t have = rbuf_.size() - rpos_;
        if (have > limit) co_return io_result{0, errc::frame_too_large};
        // keep the unread bytes at the front, then read more behind them
        rbuf_.erase(0, rpos_);
        rpos_ = 0;
        searched = rbuf_.size() >= delim.size() ? rbuf_.size() - delim.size() + 1 : 0;
        const std::size_t old = rbuf_.size();
        const std::size_t chunk = std::min<std::size_t>(sat_add(limit - have, 1), 16384);
        // Back to what was really read, also when cancelled in the wait.
        struct trim {
            std::string& b;
            std::size_t keep;
            ~trim() { b.resize(keep); }
        } t{rbuf_, old};
        rbuf_.resize(old + chunk);
        const io_result r = co_await recv_some(fd_.get(), rbuf_.data() + old, chunk, deadline);
        t.keep = old + r.n;
        if (r.ec) co_return io_result{0, r.ec};
        if (r.n == 0) co_return io_result{0, errc::eof};
    }
}

task<io_result> tcp_stream::write_all(std::span<const char> data, duration timeout) {
    if (!fd_.is_open()) co_return io_result{0, errc::not_connected};
    const time_point deadline = deadline_of(timeout);
    std::size_t sent = 0;
    while (sent < data.size()) {
        const ssize_t r = ::send(fd_.get(), data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
        if (r >= 0) {
            sent += static_cast<std::size_t>(r);
            continue;
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) co_return io_result{sent, last_error()};
        const duration left = left_until(deadline);
        if (left <= duration::zero()) co_return io_result{sent, timed_out};
        const std::uint32_t ev = co_await wait_io(fd_.get(), io_events::writable, left);
        if (ev == 0) co_return io_result{sent, timed_out};
    }
    co_return io_result{sent, {}};
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
