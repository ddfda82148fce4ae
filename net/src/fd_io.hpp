#pragma once
// Non-blocking reads and writes on a descriptor, waiting on the worker's
// reactor when they would block: what tcp_stream, the TLS transport and the
// pipes share. Internal to net/src.

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "coronet/net/detail/read_buffer.hpp"
#include "coronet/net/error.hpp"
#include "coronet/task.hpp"
#include "coronet/time.hpp"

namespace coronet::net::detail {

/// now + timeout, saturated; time_point::max() for `infinite`.
time_point deadline_of(duration timeout);
/// What is left until `deadline` (infinite for time_point::max()).
duration left_until(time_point deadline);

/// One read(2) of at most `size` bytes, waiting for readability until
/// `deadline`: n > 0 bytes, n == 0 at the end, or the error (timed_out).
task<io_result> read_some_fd(int fd, char* data, std::size_t size, time_point deadline);

/// write(2) (pwrite(2) at `offset` >= 0) without dying of SIGPIPE and
/// without touching the process's signal disposition: SIGPIPE is blocked in
/// this thread for the call; if the write raised one (EPIPE) that was not
/// already pending, it is taken back with sigtimedwait before the mask is
/// restored. Sets errno like write(2).
ssize_t write_no_sigpipe(int fd, const char* data, std::size_t size, std::int64_t offset = -1);

/// How write_all_fd writes: send(MSG_NOSIGNAL) on a socket, write(2) on a
/// pipe with SIGPIPE blocked for the call (and a SIGPIPE it raised taken
/// back), so that a closed reader gives broken_pipe and never kills us.
enum class fd_kind { socket, pipe };

/// All `size` bytes (n == size), or how many went and the error.
task<io_result> write_all_fd(int fd, fd_kind kind, const char* data, std::size_t size,
                             time_point deadline);

/// read_some, read_exactly and read_until of a stream over the descriptor
/// `fd` (not_connected when it is -1) whose read-ahead is `rb`: what
/// tcp_stream and pipe_reader share (their contracts are these).
task<io_result> buffered_read_some(int fd, read_buffer& rb, std::span<char> buf, duration timeout);
task<io_result> buffered_read_exactly(int fd, read_buffer& rb, std::span<char> buf,
                                      duration timeout);
task<io_result> buffered_read_until(int fd, read_buffer& rb, std::string& out,
                                    std::string_view delim, std::size_t max, duration timeout);

}  // namespace coronet::net::detail
