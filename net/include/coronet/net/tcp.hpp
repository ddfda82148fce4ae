#pragma once
/// \file tcp.hpp
/// TCP (and Unix-domain) stream sockets on the workers' epoll reactor.

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "coronet/net/address.hpp"
#include "coronet/net/detail/read_buffer.hpp"
#include "coronet/net/detail/socket_fd.hpp"
#include "coronet/net/error.hpp"
#include "coronet/task.hpp"
#include "coronet/time.hpp"

namespace coronet::net {

/// A connected stream socket (non-blocking, close-on-exec). Reads and writes
/// are awaitables that suspend the calling process, never its worker.
///
/// - Every operation takes a timeout (std::errc::timed_out) and throws
///   cancelled_error when the process is cancelled. A cancelled or timed-out
///   *read* leaves the stream usable: no byte is lost (bytes are taken from
///   the socket only once it is readable). A cancelled or timed-out
///   `write_all` may have sent a prefix: close the stream then.
/// - SIGPIPE is never raised: writing to a closed peer gives
///   std::errc::broken_pipe (or connection_reset).
/// - `read_until` keeps what it read past the delimiter for the next read.
/// - Needs a runtime on the real clock: on the virtual clock, time jumps to
///   the next timer while bytes are still on their way.
///
/// **Thread safety:** one process reads and one process writes at a time (a
/// reader and a writer may be two processes, on any workers); a stream must
/// not be closed while another process waits on it. It may be moved to
/// another process.
/// **Suspends:** `connect`, `read_*`, `write_all`.
class tcp_stream {
  public:
    tcp_stream() noexcept = default;
    /// Takes ownership of a connected, non-blocking socket.
    explicit tcp_stream(int fd) noexcept : fd_(fd) {}
    /// (A stream moved from is closed and has no read-ahead left.)
    tcp_stream(tcp_stream&& o) noexcept = default;
    tcp_stream& operator=(tcp_stream&& o) noexcept = default;
    tcp_stream(const tcp_stream&) = delete;
    tcp_stream& operator=(const tcp_stream&) = delete;
    ~tcp_stream() = default;

    /// Connects to `to` (TCP over IPv4/IPv6, or a Unix path).
    [[nodiscard]] static task<result<tcp_stream>> connect(address to, duration timeout = infinite);

    /// Some bytes (at least one), or n == 0 at the end of the stream.
    [[nodiscard]] task<io_result> read_some(std::span<char> buf, duration timeout = infinite);
    /// Exactly buf.size() bytes, or errc::eof (n says how many came).
    [[nodiscard]] task<io_result> read_exactly(std::span<char> buf, duration timeout = infinite);
    /// Reads up to `delim` into `out` (without it; the delimiter is
    /// consumed). errc::frame_too_large when `max` bytes came without it
    /// (the stream is then unusable for lines), errc::eof at the end.
    [[nodiscard]] task<io_result> read_until(std::string& out, std::string_view delim,
                                             std::size_t max, duration timeout = infinite);
    /// All of `data` (n == data.size() on success).
    [[nodiscard]] task<io_result> write_all(std::span<const char> data,
                                            duration timeout = infinite);
    [[nodiscard]] task<io_result> write_all(std::string_view data, duration timeout = infinite) {
        return write_all(std::span<const char>(data.data(), data.size()), timeout);
    }

    /// Half-close: the peer reads the end of the stream; reads go on.
    std::error_code shutdown_write() noexcept;
    void close() noexcept;
    bool is_open() const noexcept { return fd_.is_open(); }
    int native_handle() const noexcept { return fd_.get(); }

    std::error_code set_nodelay(bool on) noexcept;
    std::error_code set_keepalive(bool on) noexcept;
    std::error_code set_buffer_sizes(int receive, int send) noexcept;
    address local_address() const;
    address peer_address() const;

    /// How many bytes were read ahead (past a delimiter) and wait in the
    /// stream for the next read.
    std::size_t buffered() const noexcept { return rb_.size(); }
    /// Takes the bytes read ahead (past a delimiter) and not yet handed
    /// out, leaving none: what a protocol upgrade (tls_stream) must see first.
    std::string take_read_ahead();

  private:
    detail::socket_fd fd_;
    detail::read_buffer rb_;  ///< read past a delimiter; served first
};

/// A listening socket.
///
/// **Thread safety:** one process accepts at a time. **Suspends:** `accept`.
class tcp_listener {
  public:
    tcp_listener() noexcept = default;

    /// Binds (SO_REUSEADDR) and listens; port 0 picks a free port (see
    /// local_address()). The error (e.g. address_in_use) otherwise.
    static result<tcp_listener> bind(const address& a, int backlog = 128);
    /// The next connection, or std::errc::timed_out.
    [[nodiscard]] task<result<tcp_stream>> accept(duration timeout = infinite);

    address local_address() const;
    void close() noexcept { fd_.close(); }
    bool is_open() const noexcept { return fd_.is_open(); }
    int native_handle() const noexcept { return fd_.get(); }

  private:
    detail::socket_fd fd_;
};

}  // namespace coronet::net
