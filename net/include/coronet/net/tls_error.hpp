#pragma once
/// \file tls_error.hpp
/// How TLS failures are reported: std::error_code values in two categories,
/// whose message() is OpenSSL's own text.
///
/// - tls_category(): a handshake or record failure; the value is OpenSSL's
///   packed error code, e.g. "SSL routines: wrong version number" (a peer
///   that does not speak TLS), "SSL routines: peer did not return a
///   certificate" (mutual TLS without a client certificate), "SSL routines:
///   unexpected eof while reading" (the peer closed without close_notify).
/// - tls_verify_category(): the peer's certificate was rejected; the value
///   is the X509_V_ERR_* code, e.g. "certificate has expired", "hostname
///   mismatch", "unable to get local issuer certificate" (an unknown CA).
///
/// Compare with is_tls_verify_error() or the category; the values are
/// OpenSSL's and may change between OpenSSL versions.

#include <system_error>

namespace coronet::net {

const std::error_category& tls_category() noexcept;
const std::error_category& tls_verify_category() noexcept;

/// True when `ec` says the peer's certificate was rejected.
inline bool is_tls_verify_error(std::error_code ec) noexcept {
    return ec.category() == tls_verify_category();
}

}  // namespace coronet::net
