// Length-prefixed frames and lines over TCP, TLS and pipes (one template
// each, instantiated for every stream type).

#include "coronet/net/framing.hpp"

#include <cstdint>
#include <limits>

#include "coronet/detail/process_ops.hpp"

namespace coronet::net {

namespace {

template <class Stream>
task<result<std::string>> read_frame_on(Stream& s, std::size_t max, duration timeout) {
    const time_point start = coronet::detail::now_impl();
    unsigned char h[frame_header_size];
    const io_result hr =
        co_await s.read_exactly(std::span<char>(reinterpret_cast<char*>(h), sizeof h), timeout);
    if (hr.ec) {
        if (hr.n == 0) co_return hr.ec;  // nothing consumed: the stream is as it was
        s.close();                       // a partial header: out of step
        co_return hr.ec == errc::eof ? make_error_code(errc::truncated) : hr.ec;
    }
    const std::size_t len = (std::size_t{h[0]} << 24) | (std::size_t{h[1]} << 16) |
                            (std::size_t{h[2]} << 8) | std::size_t{h[3]};
    if (len > max) {
        s.close();  // its payload would be read as frames: out of step
        co_return make_error_code(errc::frame_too_large);
    }
    // From here an error, a cancel or a kill leaves the stream out of step:
    // it is closed (a later read gives errc::not_connected).
    struct close_unless_done {
        Stream& s;
        bool done = false;
        ~close_unless_done() {
            if (!done) s.close();
        }
    } guard{s};
    std::string payload(len, '\0');
    const duration spent = coronet::detail::now_impl() - start;
    const duration left =
        timeout == infinite ? infinite : (spent >= timeout ? duration::zero() : timeout - spent);
    const io_result pr = co_await s.read_exactly(std::span<char>(payload.data(), len), left);
    if (pr.ec) co_return pr.ec == errc::eof ? make_error_code(errc::truncated) : pr.ec;
    guard.done = true;
    co_return payload;
}

template <class Stream>
task<io_result> write_frame_on(Stream& s, std::string payload, duration timeout) {
    if (payload.size() > std::numeric_limits<std::uint32_t>::max())
        co_return io_result{0, errc::frame_too_large};
    const auto len = static_cast<std::uint32_t>(payload.size());
    std::string frame;
    frame.reserve(frame_header_size + payload.size());
    frame.push_back(static_cast<char>(len >> 24));
    frame.push_back(static_cast<char>(len >> 16));
    frame.push_back(static_cast<char>(len >> 8));
    frame.push_back(static_cast<char>(len));
    frame += payload;
    co_return co_await s.write_all(std::string_view(frame), timeout);
}

template <class Stream>
task<result<std::string>> read_line_on(Stream& s, std::size_t max, duration timeout) {
    std::string line;
    const std::size_t limit = max == SIZE_MAX ? max : max + 1;  // room for a "\r"
    const io_result r = co_await s.read_until(line, "\n", limit, timeout);
    if (r.ec) co_return r.ec;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.size() > max) co_return make_error_code(errc::frame_too_large);
    co_return line;
}

}  // namespace

task<result<std::string>> read_frame(tcp_stream& s, std::size_t max, duration timeout) {
    return read_frame_on(s, max, timeout);
}
task<io_result> write_frame(tcp_stream& s, std::string payload, duration timeout) {
    return write_frame_on(s, std::move(payload), timeout);
}
task<result<std::string>> read_line(tcp_stream& s, std::size_t max, duration timeout) {
    return read_line_on(s, max, timeout);
}
task<result<std::string>> read_frame(tls_stream& s, std::size_t max, duration timeout) {
    return read_frame_on(s, max, timeout);
}
task<io_result> write_frame(tls_stream& s, std::string payload, duration timeout) {
    return write_frame_on(s, std::move(payload), timeout);
}
task<result<std::string>> read_line(tls_stream& s, std::size_t max, duration timeout) {
    return read_line_on(s, max, timeout);
}

task<result<std::string>> read_frame(pipe_reader& s, std::size_t max, duration timeout) {
    return read_frame_on(s, max, timeout);
}
task<io_result> write_frame(pipe_writer& s, std::string payload, duration timeout) {
    return write_frame_on(s, std::move(payload), timeout);
}
task<result<std::string>> read_line(pipe_reader& s, std::size_t max, duration timeout) {
    return read_line_on(s, max, timeout);
}

}  // namespace coronet::net
