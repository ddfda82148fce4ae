#pragma once
/// \file framing.hpp
/// Messages on a byte stream: length-prefixed frames and lines, each with a
/// maximum size, so that a hostile peer cannot make us allocate without
/// bound.

#include <cstddef>
#include <string>
#include <string_view>

#include "coronet/net/pipe.hpp"
#include "coronet/net/tcp.hpp"
#include "coronet/net/tls_stream.hpp"

namespace coronet::net {

/// Frames are a 4-byte big-endian length, then that many bytes.
inline constexpr std::size_t frame_header_size = 4;

/// The next frame's payload; errc::eof when the stream ends between frames,
/// errc::truncated inside one; errc::frame_too_large (nothing allocated)
/// when its length exceeds `max`. Any failure after the first header byte
/// (too large, truncated, timeout, cancel) closes the stream, which would be
/// out of step; later reads give errc::not_connected.
[[nodiscard]] task<result<std::string>> read_frame(tcp_stream& s, std::size_t max,
                                                   duration timeout = infinite);
/// Writes one frame; errc::frame_too_large when the payload does not fit the
/// 4-byte length.
[[nodiscard]] task<io_result> write_frame(tcp_stream& s, std::string payload,
                                          duration timeout = infinite);
/// The next line, without its "\n" (and "\r" before it); at most `max` bytes.
[[nodiscard]] task<result<std::string>> read_line(tcp_stream& s, std::size_t max,
                                                  duration timeout = infinite);

/// The same over TLS.
[[nodiscard]] task<result<std::string>> read_frame(tls_stream& s, std::size_t max,
                                                   duration timeout = infinite);
[[nodiscard]] task<io_result> write_frame(tls_stream& s, std::string payload,
                                          duration timeout = infinite);
[[nodiscard]] task<result<std::string>> read_line(tls_stream& s, std::size_t max,
                                                  duration timeout = infinite);

/// The same over pipes (a subprocess's standard streams).
[[nodiscard]] task<result<std::string>> read_frame(pipe_reader& s, std::size_t max,
                                                   duration timeout = infinite);
[[nodiscard]] task<io_result> write_frame(pipe_writer& s, std::string payload,
                                          duration timeout = infinite);
[[nodiscard]] task<result<std::string>> read_line(pipe_reader& s, std::size_t max,
                                                  duration timeout = infinite);

}  // namespace coronet::net
