#pragma once
/// \file udp.hpp
/// UDP datagram sockets on the workers' epoll reactor.

#include <cstddef>
#include <span>
#include <string_view>

#include "coronet/net/address.hpp"
#include "coronet/net/detail/socket_fd.hpp"
#include "coronet/net/error.hpp"
#include "coronet/task.hpp"
#include "coronet/time.hpp"

namespace coronet::net {

/// A UDP socket (IPv4 or IPv6; non-blocking, close-on-exec). Datagrams keep
/// their boundaries; one send_to is one datagram.
///
/// - `receive_from` fills `from` and gives the datagram's size in `n`; a
///   datagram longer than the buffer is cut to it and reported as
///   std::errc::message_size (n = the bytes kept).
/// - Timeouts give std::errc::timed_out; a cancelled process gets
///   cancelled_error and no datagram is consumed.
///
/// **Thread safety:** one process uses a socket at a time. **Suspends:**
/// `send_to`, `receive_from`.
class udp_socket {
  public:
    udp_socket() noexcept = default;

    /// A socket bound to `a` (port 0: a free port).
    static result<udp_socket> bind(const address& a);

    [[nodiscard]] task<io_result> send_to(std::span<const char> data, address to,
                                          duration timeout = infinite);
    [[nodiscard]] task<io_result> send_to(std::string_view data, address to,
                                          duration timeout = infinite) {
        return send_to(std::span<const char>(data.data(), data.size()), to, timeout);
    }
    [[nodiscard]] task<io_result> receive_from(std::span<char> buf, address& from,
                                               duration timeout = infinite);

    address local_address() const;
    void close() noexcept { fd_.close(); }
    bool is_open() const noexcept { return fd_.is_open(); }
    int native_handle() const noexcept { return fd_.get(); }

  private:
    detail::socket_fd fd_;
};

}  // namespace coronet::net
