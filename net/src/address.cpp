// Socket addresses and name resolution.

#include "coronet/net/address.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <cstring>

#include "coronet/blocking.hpp"

namespace coronet::net {

static_assert(sizeof(sockaddr_storage) <= 128, "address storage");

address::address() noexcept {
    std::memset(storage_, 0, sizeof storage_);
}

std::optional<address> address::parse(std::string_view host, std::uint16_t port) {
    const std::string h(host);
    address a;
    auto* v4 = reinterpret_cast<sockaddr_in*>(a.storage_);
    if (::inet_pton(AF_INET, h.c_str(), &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons(port);
        a.len_ = sizeof(sockaddr_in);
        return a;
    }
    auto* v6 = reinterpret_cast<sockaddr_in6*>(a.storage_);
    if (::inet_pton(AF_INET6, h.c_str(), &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(port);
        a.len_ = sizeof(sockaddr_in6);
        return a;
    }
    return std::nullopt;
}

address address::loopback(std::uint16_t port, bool v6) {
    return *parse(v6 ? "::1" : "127.0.0.1", port);
}

std::optional<address> address::unix_path(std::string_view path) {
    address a;
    auto* un = reinterpret_cast<sockaddr_un*>(a.storage_);
    if (path.empty() || path.size() >= sizeof(un->sun_path)) return std::nullopt;
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, path.data(), path.size());
    a.len_ = static_cast<unsigned>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
    return a;
}

int address::family() const noexcept {
    return reinterpret_cast<const sockaddr*>(storage_)->sa_family;
}

std::uint16_t address::port() const noexcept {
    switch (family()) {
        case AF_INET:
            return ntohs(reinterpret_cast<const sockaddr_in*>(storage_)->sin_port);
        case AF_INET6:
            return ntohs(reinterpret_cast<const sockaddr_in6*>(storage_)->sin6_port);
        default:
            return 0;
    }
}

std::string address::to_string() const {
    char buf[INET6_ADDRSTRLEN] = {};
    switch (family()) {
        case AF_INET:
            ::inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(storage_)->sin_addr, buf,
                        sizeof buf);
            return std::string(buf) + ":" + std::to_string(port());
        case AF_INET6:
            ::inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(storage_)->sin6_addr, buf,
                        sizeof buf);
            {
                // (Appended piece by piece: GCC 12 at -O3 warns falsely (-Wrestrict)
                // about "[" + std::string(...).)
                std::string out = "[";
                out += buf;
                out += "]:";
                out += std::to_string(port());
                return out;
            }
        case AF_UNIX:
            return reinterpret_cast<const sockaddr_un*>(storage_)->sun_path;
        default:
            return "(no address)";
    }
}

const sockaddr* address::native() const noexcept {
    return reinterpret_cast<const sockaddr*>(storage_);
}
sockaddr* address::native() noexcept {
    return reinterpret_cast<sockaddr*>(storage_);
}

namespace {
result<std::vector<address>> lookup(std::string host, std::uint16_t port) {
    addrinfo hints{};
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* list = nullptr;
    const std::string service = std::to_string(port);
    if (::getaddrinfo(host.c_str(), service.c_str(), &hints, &list) != 0 || !list)
        return std::make_error_code(std::errc::host_unreachable);
    std::vector<address> out;
    for (addrinfo* ai = list; ai; ai = ai->ai_next) {
        if (ai->ai_addrlen > 128) continue;
        address a;
        std::memcpy(a.native(), ai->ai_addr, ai->ai_addrlen);
        a.set_length(static_cast<unsigned>(ai->ai_addrlen));
        out.push_back(a);
    }
    ::freeaddrinfo(list);
    return out;
}
}  // namespace

task<result<std::vector<address>>> resolve(std::string host, std::uint16_t port) {
    co_return co_await run_blocking(lookup, std::move(host), port);
}

}  // namespace coronet::net
