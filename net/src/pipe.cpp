// Pipes over the worker's epoll reactor (coronet::wait_io), sharing
// tcp_stream's buffered reads (fd_io) and the SIGPIPE-free pipe writes of
// fd_io.

#include "coronet/net/pipe.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <utility>

#include "fd_io.hpp"
#include "socket_util.hpp"

namespace coronet::net {

using detail::deadline_of;
using detail::fd_kind;
using detail::last_error;
using detail::write_all_fd;

// ---------------------------------------------------------------- pipe_reader

void pipe_reader::close() noexcept {
    fd_.close();
    rb_.clear();
}

task<io_result> pipe_reader::read_some(std::span<char> buf, duration timeout) {
    return detail::buffered_read_some(fd_.get(), rb_, buf, timeout);
}

task<io_result> pipe_reader::read_exactly(std::span<char> buf, duration timeout) {
    return detail::buffered_read_exactly(fd_.get(), rb_, buf, timeout);
}

task<io_result> pipe_reader::read_until(std::string& out, std::string_view delim, std::size_t max,
                                        duration timeout) {
    return detail::buffered_read_until(fd_.get(), rb_, out, delim, max, timeout);
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
