#pragma once
// read_exactly and read_until over any stream's "read some bytes" primitive
// and its read_buffer: one implementation for TCP, TLS and pipes. Internal to
// net/src.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "coronet/net/detail/read_buffer.hpp"
#include "coronet/net/error.hpp"
#include "coronet/task.hpp"
#include "coronet/time.hpp"

namespace coronet::net::detail {

inline std::size_t sat_add(std::size_t a, std::size_t b) noexcept {
    return a > SIZE_MAX - b ? SIZE_MAX : a + b;
}

/// `recv(char* data, std::size_t size, time_point deadline)` gives a
/// task<io_result>: some bytes (n > 0), the end (n == 0) or an error.
///
/// Exactly buf.size() bytes. Cancelled (or killed) part-way, what already
/// came goes back to `rb`, so the next read sees it (no byte lost).
template <class Recv>
task<io_result> read_exactly_with(read_buffer& rb, std::span<char> buf, time_point deadline,
                                  Recv recv) {
    struct give_back {
        read_buffer& rb;
        std::span<char> buf;
        std::size_t got = 0;
        bool done = false;
        ~give_back() {
            if (!done && got) rb.give_back(buf.data(), got);
        }
    } g{rb, buf};
    g.got = rb.take(buf);
    while (g.got < buf.size()) {
        const io_result r = co_await recv(buf.data() + g.got, buf.size() - g.got, deadline);
        if (r.ec || r.n == 0) {
            g.done = true;  // reported: the caller has the bytes and the count
            co_return io_result{g.got, r.ec ? r.ec : make_error_code(errc::eof)};
        }
        g.got += r.n;
    }
    g.done = true;
    co_return io_result{g.got, {}};
}

/// Up to `delim` into `out` (the delimiter consumed, not copied); what came
/// past it stays in `rb`. errc::frame_too_large after `max` bytes without it.
template <class Recv>
task<io_result> read_until_with(read_buffer& rb, std::string& out, std::string_view delim,
                                std::size_t max, time_point deadline, Recv recv) {
    out.clear();
    if (delim.empty()) co_return io_result{0, std::make_error_code(std::errc::invalid_argument)};
    const std::size_t limit = sat_add(max, delim.size());
    std::size_t searched = rb.pos;  // no need to search the same bytes twice
    for (;;) {
        const std::size_t at = rb.bytes.find(delim, searched);
        if (at != std::string::npos) {
            if (at - rb.pos > max) co_return io_result{0, errc::frame_too_large};
            out.assign(rb.bytes, rb.pos, at - rb.pos);
            rb.pos = at + delim.size();
            if (rb.pos == rb.bytes.size()) rb.clear();
            co_return io_result{out.size(), {}};
        }
        const std::size_t have = rb.size();
        if (have > limit) co_return io_result{0, errc::frame_too_large};
        // keep the unread bytes at the front, then read more behind them
        rb.bytes.erase(0, rb.pos);
        rb.pos = 0;
        searched = rb.bytes.size() >= delim.size() ? rb.bytes.size() - delim.size() + 1 : 0;
        const std::size_t old = rb.bytes.size();
        const std::size_t chunk = std::min<std::size_t>(sat_add(limit - have, 1), 16384);
        // Back to what was really read, also when cancelled in the wait.
        struct trim {
            std::string& b;
            std::size_t keep;
            ~trim() { b.resize(keep); }
        } t{rb.bytes, old};
        rb.bytes.resize(old + chunk);
        const io_result r = co_await recv(rb.bytes.data() + old, chunk, deadline);
        t.keep = old + r.n;
        if (r.ec) co_return io_result{0, r.ec};
        if (r.n == 0) co_return io_result{0, errc::eof};
    }
}

}  // namespace coronet::net::detail
