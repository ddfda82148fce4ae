#pragma once
/// \file tls_stream.hpp
/// TLS over a tcp_stream, on the workers' epoll reactor.

#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "coronet/net/error.hpp"
#include "coronet/net/tcp.hpp"
#include "coronet/net/tls_context.hpp"
#include "coronet/net/tls_error.hpp"
#include "coronet/task.hpp"
#include "coronet/time.hpp"

namespace coronet::net {

/// A TLS connection: made by `connect` (client) or `accept` (server) from a
/// connected tcp_stream, whose handshake runs without blocking the worker.
/// Failures are std::error_codes (tls_error.hpp); a failed handshake
/// concerns that connection only.
///
/// - Reads and writes have tcp_stream's contract: a timeout
///   (std::errc::timed_out) and cancellation; a cancelled or timed-out
///   *read* leaves the stream usable (OpenSSL keeps what it decrypted); a
///   cancelled or timed-out `write_all` may have sent part of the data and
///   left part of a TLS record inside OpenSSL: later writes and `shutdown`
///   then give errc::write_interrupted, and the stream must be closed.
///   No SIGPIPE.
/// - The end of the stream is the peer's close_notify (n == 0 from
///   read_some, errc::eof from read_exactly). A peer that closes the TCP
///   connection without it gives "unexpected eof while reading"
///   (tls_category), so a truncation attack is never read as a clean end.
/// - A peer that goes away during the handshake (closed or reset) gives
///   std::errc::connection_aborted.
/// - With TLS 1.3 a client's `connect` succeeds before the server has
///   checked the client's certificate: a rejected client learns it on its
///   first read (e.g. "tlsv13 alert certificate required").
///
/// **Thread safety:** one process reads and one process writes at a time;
/// they may run on different workers (OpenSSL calls are serialised inside).
/// Not to be closed while another process waits on it.
/// **Suspends:** `connect`, `accept`, `read_*`, `write_all`, `shutdown`.
class tls_stream {
  public:
    tls_stream() noexcept;
    tls_stream(tls_stream&&) noexcept;
    tls_stream& operator=(tls_stream&&) noexcept;
    ~tls_stream();

    /// Client handshake over `s`. `server_name` is sent as SNI and, unless
    /// the context's verify is `none`, must match the server's certificate
    /// (a DNS name, or an IP address literal checked against the
    /// certificate's IP addresses); empty: neither.
    [[nodiscard]] static task<result<tls_stream>> connect(tcp_stream s, tls_context ctx,
                                                          std::string server_name,
                                                          duration timeout = infinite);
    /// Server handshake over `s` (an accepted connection).
    [[nodiscard]] static task<result<tls_stream>> accept(tcp_stream s, tls_context ctx,
                                                         duration timeout = infinite);

    /// Some bytes (at least one), or n == 0 at the peer's close_notify.
    [[nodiscard]] task<io_result> read_some(std::span<char> buf, duration timeout = infinite);
    /// Exactly buf.size() bytes, or errc::eof (n says how many came).
    [[nodiscard]] task<io_result> read_exactly(std::span<char> buf, duration timeout = infinite);
    /// As tcp_stream::read_until.
    [[nodiscard]] task<io_result> read_until(std::string& out, std::string_view delim,
                                             std::size_t max, duration timeout = infinite);
    [[nodiscard]] task<io_result> write_all(std::span<const char> data,
                                            duration timeout = infinite);
    [[nodiscard]] task<io_result> write_all(std::string_view data, duration timeout = infinite) {
        return write_all(std::span<const char>(data.data(), data.size()), timeout);
    }

    /// Sends close_notify (the peer reads the end of the stream); reads go
    /// on until the peer's. Does not wait for the peer's close_notify.
    [[nodiscard]] task<std::error_code> shutdown(duration timeout = infinite);
    /// Closes the connection (without close_notify: call shutdown first for
    /// a clean end).
    void close() noexcept;
    bool is_open() const noexcept;
    int native_handle() const noexcept;

    /// The negotiated application protocol (ALPN), empty if none.
    std::string alpn_protocol() const;
    /// The host name the client asked for (SNI), empty if none.
    std::string server_name() const;
    /// The protocol ("TLSv1.3") and cipher suite.
    std::string version() const;
    std::string cipher() const;
    /// The peer certificate's subject ("/CN=client"), empty if it sent none.
    std::string peer_subject() const;
    address peer_address() const;

    struct impl;

  private:
    explicit tls_stream(std::unique_ptr<impl> p) noexcept;
    std::unique_ptr<impl> p_;
};

}  // namespace coronet::net
