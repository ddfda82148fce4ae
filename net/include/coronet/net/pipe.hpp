#pragma once
/// \file pipe.hpp
/// Anonymous pipes on the workers' epoll reactor: pipe_reader, pipe_writer,
/// and open_pipe() for a connected pair (asyncoro's AsyncPipe).

#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "coronet/net/detail/read_buffer.hpp"
#include "coronet/net/detail/socket_fd.hpp"
#include "coronet/net/error.hpp"
#include "coronet/task.hpp"
#include "coronet/time.hpp"

namespace coronet::net {

/// The read end of a pipe (non-blocking, close-on-exec). Reads are
/// awaitables that suspend the calling process, never its worker.
///
/// - Every read takes a timeout (std::errc::timed_out) and throws
///   cancelled_error when the process is cancelled. A cancelled or timed-out
///   read leaves the pipe usable: no byte is lost (bytes are taken from the
///   pipe only once it is readable).
/// - The end of the stream (n == 0, or errc::eof) comes when every write
///   end is closed, in this program and in every child that inherited one.
/// - `read_until` keeps what it read past the delimiter for the next read.
/// - Needs a runtime on the real clock.
///
/// **Thread safety:** one process reads at a time, on any worker; the pipe
/// must not be closed while another process waits on it. It may be moved
/// to another process.
/// **Suspends:** `read_*`.
class pipe_reader {
  public:
    pipe_reader() noexcept = default;
    /// Takes ownership of the read end of a pipe, already non-blocking.
    explicit pipe_reader(int fd) noexcept : fd_(fd) {}
    /// (A reader moved from is closed and has no read-ahead left.)
    pipe_reader(pipe_reader&& o) noexcept = default;
    pipe_reader& operator=(pipe_reader&& o) noexcept = default;
    pipe_reader(const pipe_reader&) = delete;
    pipe_reader& operator=(const pipe_reader&) = delete;
    ~pipe_reader() = default;

    /// Some bytes (at least one), or n == 0 at the end of the stream.
    [[nodiscard]] task<io_result> read_some(std::span<char> buf, duration timeout = infinite);
    /// Exactly buf.size() bytes, or errc::eof (n says how many came).
    [[nodiscard]] task<io_result> read_exactly(std::span<char> buf, duration timeout = infinite);
    /// Reads up to `delim` into `out` (without it; the delimiter is
    /// consumed). errc::frame_too_large when `max` bytes came without it
    /// (the pipe is then unusable for lines), errc::eof at the end.
    [[nodiscard]] task<io_result> read_until(std::string& out, std::string_view delim,
                                             std::size_t max, duration timeout = infinite);

    /// Closes the read end (a writer then gets broken_pipe); drops the
    /// read-ahead.
    void close() noexcept;
    /// False once closed or moved from.
    bool is_open() const noexcept { return fd_.is_open(); }
    /// The descriptor (still owned by this object), or -1.
    int native_handle() const noexcept { return fd_.get(); }

  private:
    detail::socket_fd fd_;
    detail::read_buffer rb_;  ///< read past a delimiter; served first
};

/// The write end of a pipe (non-blocking, close-on-exec).
///
/// - `write_all` takes a timeout (std::errc::timed_out) and throws
///   cancelled_error when the process is cancelled; a cancelled or timed-out
///   write may have written a prefix: close the pipe then.
/// - SIGPIPE is never raised, whatever the process's disposition of it:
///   writing when every read end is closed gives std::errc::broken_pipe.
/// - Closing it is how the reader (a child's standard input) sees the end
///   of the stream.
///
/// **Thread safety:** one process writes at a time, on any worker; the pipe
/// must not be closed while another process waits on it. It may be moved
/// to another process.
/// **Suspends:** `write_all`.
class pipe_writer {
  public:
    pipe_writer() noexcept = default;
    /// Takes ownership of the write end of a pipe, already non-blocking.
    explicit pipe_writer(int fd) noexcept : fd_(fd) {}
    pipe_writer(pipe_writer&& o) noexcept = default;
    pipe_writer& operator=(pipe_writer&& o) noexcept = default;
    pipe_writer(const pipe_writer&) = delete;
    pipe_writer& operator=(const pipe_writer&) = delete;
    ~pipe_writer() = default;

    /// All of `data` (n == data.size() on success).
    [[nodiscard]] task<io_result> write_all(std::span<const char> data,
                                            duration timeout = infinite);
    [[nodiscard]] task<io_result> write_all(std::string_view data, duration timeout = infinite) {
        return write_all(std::span<const char>(data.data(), data.size()), timeout);
    }

    /// Closes the write end: the reader sees the end of the stream once
    /// every other write end is closed too.
    void close() noexcept { fd_.close(); }
    /// False once closed or moved from.
    bool is_open() const noexcept { return fd_.is_open(); }
    /// The descriptor (still owned by this object), or -1.
    int native_handle() const noexcept { return fd_.get(); }

  private:
    detail::socket_fd fd_;
};

/// Both ends of one pipe.
///
/// **Thread safety:** none (a value). **Suspends:** never.
struct pipe_ends {
    pipe_reader reader;
    pipe_writer writer;
};

/// A new pipe (pipe2 with O_NONBLOCK | O_CLOEXEC), or the error (e.g.
/// too_many_files_open).
result<pipe_ends> open_pipe();

}  // namespace coronet::net
