// UDP sockets: non-blocking sendto / recvfrom, waiting on the worker's
// reactor when they would block.

#include "coronet/net/udp.hpp"

#include <sys/socket.h>

#include <utility>

#include "coronet/io.hpp"
#include "socket_util.hpp"

namespace coronet::net {

using detail::last_error;
using detail::timed_out;

result<udp_socket> udp_socket::bind(const address& a) {
    const int fd = ::socket(a.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return last_error();
    udp_socket s;
    s.fd_ = detail::socket_fd(fd);
    if (::bind(fd, a.native(), a.length()) != 0) return last_error();
    return s;
}

task<io_result> udp_socket::send_to(std::span<const char> data, address to, duration timeout) {
    if (!fd_.is_open()) co_return io_result{0, errc::not_connected};
    for (;;) {
        const ssize_t r =
            ::sendto(fd_.get(), data.data(), data.size(), MSG_NOSIGNAL, to.native(), to.length());
        if (r >= 0) co_return io_result{static_cast<std::size_t>(r), {}};
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) co_return io_result{0, last_error()};
        const std::uint32_t ev = co_await wait_io(fd_.get(), io_events::writable, timeout);
        if (ev == 0) co_return io_result{0, timed_out};
    }
}

task<io_result> udp_socket::receive_from(std::span<char> buf, address& from, duration timeout) {
    if (!fd_.is_open()) co_return io_result{0, errc::not_connected};
    for (;;) {
        socklen_t len = 128;
        const ssize_t r =
            ::recvfrom(fd_.get(), buf.data(), buf.size(), MSG_TRUNC, from.native(), &len);
        if (r >= 0) {
            from.set_length(len);
            const auto size = static_cast<std::size_t>(r);  // (MSG_TRUNC: the real size)
            if (size > buf.size())
                co_return io_result{buf.size(), std::make_error_code(std::errc::message_size)};
            co_return io_result{size, {}};
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) co_return io_result{0, last_error()};
        const std::uint32_t ev = co_await wait_io(fd_.get(), io_events::readable, timeout);
        if (ev == 0) co_return io_result{0, timed_out};
    }
}

address udp_socket::local_address() const {
    return detail::sock_name(fd_.get(), false);
}

}  // namespace coronet::net
