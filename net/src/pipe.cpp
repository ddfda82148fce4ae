// Pipes over the worker's epoll reactor (coronet::wait_io), sharing
// tcp_stream's reads (stream_reads.hpp) and the SIGPIPE-free pipe writes of
// fd_io.

#include "coronet/net/pipe.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <utility>

#include "fd_io.hpp"
#include "socket_util.hpp"
#include "stream_reads.hpp"

namespace coronet::net {

using detail::deadline_of;
using detail::fd_kind;
using detail::last_error;
using detail::read_exactly_with;
using detail::read_some_fd;
using detail::read_until_with;
using detail::write_all_fd;

namespace {

/// The "read some" primitive of stream_reads.hpp for a descriptor.
auto fd_reader(int fd) {
    return [fd](char* data, std::size_t size, time_point deadline) {
        return read_some_fd(fd, data, size, deadline);
    };
}

}  // namespace

// ---------------------------------------------------------------- pipe_reader

void pipe_reader::close() noexcept {
    fd_.close();
    rb_.clear();
}

task<io_result> pipe_reader::read_some(std::span<char> buf, duration timeout) {
    if (!fd_.is_open()) co_return io_result{0, errc::not_connected};
    if (buf.empty()) {  // n == 0 would read as the end
        co_return io_result{0, std::make_error_code(std::errc::invalid_argument)};
    }
    if (const std::size_t n = rb_.take(buf)) co_return io_result{n, {}};
    co_return co_await read_some_fd(fd_.get(), buf.data(), buf.size(), deadline_of(timeout));
}

task<io_result> pipe_reader::read_exactly(std::span<char> buf, duration timeout) {
    if (!fd_.is_open()) co_return io_result{0, errc::not_connected};
    const auto recv = fd_reader(fd_.get());  // named: GCC 12 and temporaries in co_await
    co_return co_await read_exactly_with(rb_, buf, deadline_of(timeout), recv);
}

task<io_result> pipe_reader::read_until(std::string& out, std::string_view delim, std::size_t max,
                                        duration timeout) {
    out.clear();
    if (!fd_.is_open()) co_return io_result{0, errc::not_connected};
    const auto recv = fd_reader(fd_.get());
    co_return co_await read_until_with(rb_, out, delim, max, deadline_of(timeout), recv);
}

// ---------------------------------------------------------------- pipe_writer

task<io_result> pipe_writer::write_all(std::span<const char> data, duration timeout) {
    if (!fd_.is_open()) co_return io_result{0, errc::not_connected};
    co_return co_await write_all_fd(fd_.get(), fd_kind::pipe, data.data(), data.size(),
                                    deadline_of(timeout));
}

// ---------------------------------------------------------------- open_pipe

result<pipe_ends> open_pipe() {
    int fds[2];
    if (::pipe2(fds, O_NONBLOCK | O_CLOEXEC) != 0) return last_error();
    return pipe_ends{pipe_reader(fds[0]), pipe_writer(fds[1])};
}

}  // namespace coronet::net
