// UDP sockets: non-blocking sendto / recvfrom, waiting on the worker's
// reactor when they would block.

#include "coronet/net/udp.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include "coronet/io.hpp"

namespace coronet::net {

namespace {
std::error_code last_error() noexcept {
    return {errno, std::generic_category()};
}
const std::error_code timed_out = std::make_error_code(std::errc::timed_out);
}  // namespace

udp_socket::udp_socket(udp_socket&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}

udp_socket& udp_socket::operator=(udp_socket&& o) noexcept {
    if (this != &o) {
        close();
        fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
}

udp_socket::~udp_socket() {
    close();
}

void udp_socket::close() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

result<udp_socket> udp_socket::bind(const address& a) {
    const int fd = ::socket(a.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) return last_error();
    udp_socket s;
    s.fd_ = fd;
    if (::bind(fd, a.native(), a.length()) != 0) return last_error();
    return s;
}

task<io_result> udp_socket::send_to(std::span<const char> data, address to, duration timeout) {
    if (fd_ < 0) co_return io_result{0, errc::not_connected};
    for (;;) {
        const ssize_t r =
            ::sendto(fd_, data.data(), data.size(), MSG_NOSIGNAL, to.native(), to.length());
        if (r >= 0) co_return io_result{static_cast<std::size_t>(r), {}};
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) co_return io_result{0, last_error()};
        const std::uint32_t ev = co_await wait_io(fd_, io_events::writable, timeout);
        if (ev == 0) co_return io_result{0, timed_out};
    }
}

task<io_result> udp_socket::receive_from(std::span<char> buf, address& from, duration timeout) {
    if (fd_ < 0) co_return io_result{0, errc::not_connected};
    for (;;) {
        socklen_t len = 128;
        const ssize_t r = ::recvfrom(fd_, buf.data(), buf.size(), MSG_TRUNC, from.native(), &len);
        if (r >= 0) {
            from.set_length(len);
            const auto size = static_cast<std::size_t>(r);  // (MSG_TRUNC: the real size)
            if (size > buf.size())
                co_return io_result{buf.size(), std::make_error_code(std::errc::message_size)};
            co_return io_result{size, {}};
        }
        if (errno == EINTR) continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK) co_return io_result{0, last_error()};
        const std::uint32_t ev = co_await wait_io(fd_, io_events::readable, timeout);
        if (ev == 0) co_return io_result{0, timed_out};
    }
}

address udp_socket::local_address() const {
    address a;
    socklen_t len = 128;
    if (::getsockname(fd_, a.native(), &len) == 0) a.set_length(len);
    return a;
}

}  // namespace coronet::net
