#pragma once
// What the socket implementations share. Internal to net/src.

#include <sys/socket.h>

#include <cerrno>
#include <system_error>

#include "coronet/net/address.hpp"

namespace coronet::net::detail {

inline std::error_code last_error() noexcept {
    return {errno, std::generic_category()};
}

inline const std::error_code timed_out = std::make_error_code(std::errc::timed_out);

/// The socket's own address, or its peer's (an empty address on failure).
inline address sock_name(int fd, bool peer) {
    address a;
    socklen_t len = 128;
    const int r = peer ? ::getpeername(fd, a.native(), &len) : ::getsockname(fd, a.native(), &len);
    if (r == 0) a.set_length(len);
    return a;
}

}  // namespace coronet::net::detail
