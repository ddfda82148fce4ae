#pragma once
// Bytes a stream has read but not yet handed out (read past a delimiter, or
// given back by a cancelled read). Internal.

#include <cstddef>
#include <cstring>
#include <span>
#include <string>
#include <utility>

namespace coronet::net::detail {

/// The read-ahead of one stream: served before the stream's own bytes.
///
/// **Thread safety:** none (the stream's reader). **Suspends:** never.
struct read_buffer {
    std::string bytes;
    std::size_t pos = 0;  ///< bytes before pos are consumed

    read_buffer() = default;
    read_buffer(read_buffer&& o) noexcept
        : bytes(std::move(o.bytes)), pos(std::exchange(o.pos, 0)) {
        o.bytes.clear();
    }
    read_buffer& operator=(read_buffer&& o) noexcept {
        if (this != &o) {
            bytes = std::move(o.bytes);
            o.bytes.clear();
            pos = std::exchange(o.pos, 0);
        }
        return *this;
    }

    std::size_t size() const noexcept { return bytes.size() - pos; }
    void clear() noexcept {
        bytes.clear();
        pos = 0;
    }
    /// Moves up to buf.size() buffered bytes into buf; how many.
    std::size_t take(std::span<char> buf) noexcept {
        const std::size_t n = std::min(size(), buf.size());
        if (n == 0) return 0;
        std::memcpy(buf.data(), bytes.data() + pos, n);
        pos += n;
        if (pos == bytes.size()) clear();
        return n;
    }
    /// Puts bytes back in front (a read that did not complete).
    void give_back(const char* data, std::size_t n) { bytes.insert(pos, data, n); }
};

}  // namespace coronet::net::detail
