// detail::socket_fd.

#include "coronet/net/detail/socket_fd.hpp"

#include <unistd.h>

namespace coronet::net::detail {

void socket_fd::close() noexcept {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

}  // namespace coronet::net::detail
