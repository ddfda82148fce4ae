#pragma once
/// \file error.hpp
/// Errors of coronet::net: std::error_code values, and the result types that
/// carry them (an expected outcome — timeout, refused, closed — is a value).

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace coronet::net {

/// coronet::net's own error conditions (the system's come as std::errc).
enum class errc {
    eof = 1,            ///< the peer closed before what was asked for arrived
    frame_too_large,    ///< a frame or line longer than the caller's maximum
    not_connected,      ///< the stream is closed (or was moved from)
    truncated,          ///< the peer closed inside a frame
    write_interrupted,  ///< an earlier write gave up half-way: writing is out of step
    incompatible_peer,  ///< a node of another wire version (or application)
    tls_refused,     ///< the TLS handshake between nodes failed (certificates, or TLS on one side
                     ///< only)
    secret_refused,  ///< the nodes do not share the cluster secret (node_options::secret)
};

const std::error_category& net_category() noexcept;
inline std::error_code make_error_code(errc e) noexcept {
    return {static_cast<int>(e), net_category()};
}

/// How a read or write ended: `n` bytes moved, and an error or none.
/// A read_some giving n == 0 and no error means the peer closed (end of
/// stream). Timeouts are std::errc::timed_out.
struct io_result {
    std::size_t n = 0;
    std::error_code ec;
    explicit operator bool() const noexcept { return !ec; }
};

/// A value or the error that prevented it (connect, accept, frames).
///
/// **Thread safety:** none (a value). **Suspends:** never.
template <class T>
class result {
  public:
    result(T v) : v_(std::move(v)) {}        // NOLINT: implicit, like expected
    result(std::error_code ec) : ec_(ec) {}  // NOLINT
    explicit operator bool() const noexcept { return v_.has_value(); }
    T& operator*() { return *v_; }
    T* operator->() { return &*v_; }
    /// The value; throws std::system_error with the error otherwise.
    T& value() {
        if (!v_) throw std::system_error(ec_);
        return *v_;
    }
    std::error_code error() const noexcept { return ec_; }

  private:
    std::optional<T> v_;
    std::error_code ec_;
};

}  // namespace coronet::net

template <>
struct std::is_error_code_enum<coronet::net::errc> : std::true_type {};
