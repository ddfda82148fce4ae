#pragma once
// The OpenSSL objects behind tls_context. Internal to net/src.

#include <openssl/ssl.h>

#include <map>
#include <memory>
#include <string>

#include "coronet/net/tls_context.hpp"

#include <system_error>

namespace coronet::net {

/// OpenSSL's packed error `e` as an error_code: a system error (a missing
/// file) as its errno, 0 (nothing queued) as protocol_error, the rest in
/// tls_category(). Defined in tls_error.cpp.
std::error_code openssl_error(unsigned long e) noexcept;

struct tls_context::impl {
    SSL_CTX* ctx = nullptr;
    tls_role role = tls_role::client;
    tls_verify verify = tls_verify::peer;
    std::string alpn_wire;  ///< ALPN list in wire format (length-prefixed names)
    /// SNI name (lower case) -> the context to switch to.
    std::map<std::string, std::shared_ptr<impl>> by_name;

    impl() = default;
    impl(const impl&) = delete;
    impl& operator=(const impl&) = delete;
    ~impl() {
        if (ctx) SSL_CTX_free(ctx);
    }
};

}  // namespace coronet::net
