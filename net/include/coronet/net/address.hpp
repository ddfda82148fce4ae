#pragma once
/// \file address.hpp
/// Socket addresses: IPv4, IPv6 and Unix-domain paths.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "coronet/net/error.hpp"
#include "coronet/task.hpp"

struct sockaddr;

namespace coronet::net {

/// An endpoint to bind or connect to. Holds a sockaddr_storage.
///
/// **Thread safety:** none (a value). **Suspends:** never.
class address {
  public:
    address() noexcept;
    /// A numeric IPv4 or IPv6 address ("127.0.0.1", "::1") and a port;
    /// nullopt if `host` is not numeric.
    static std::optional<address> parse(std::string_view host, std::uint16_t port);
    /// 127.0.0.1 (or ::1 with `v6`) and `port` (0: any free port).
    static address loopback(std::uint16_t port = 0, bool v6 = false);
    /// A Unix-domain stream socket path (at most 107 bytes).
    static std::optional<address> unix_path(std::string_view path);

    /// The port (0 for a Unix path).
    std::uint16_t port() const noexcept;
    int family() const noexcept;
    /// "127.0.0.1:80", "[::1]:80" or the path.
    std::string to_string() const;

    const sockaddr* native() const noexcept;
    sockaddr* native() noexcept;
    unsigned length() const noexcept { return len_; }
    void set_length(unsigned n) noexcept { len_ = n; }

  private:
    alignas(8) unsigned char storage_[128];
    unsigned len_ = 0;
};

/// Resolves a host name (getaddrinfo, on the runtime's blocking pool):
/// every address for `host` and `port`, or the error (std::errc::
/// host_unreachable when the name is unknown). Throws cancelled_error.
/// Inside a process only.
[[nodiscard]] task<result<std::vector<address>>> resolve(std::string host, std::uint16_t port);

}  // namespace coronet::net
