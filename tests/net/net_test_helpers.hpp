#pragma once
// What the net tests share: a checksum, the generated certificates, reading
// a pipe to its end, draining a pipe into a checksum.

#include <coronet/net/pipe.hpp>

#include <algorithm>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "test_runtime.hpp"

namespace coronet::test {

inline constexpr std::uint64_t fnv_seed = 1469598103934665603ull;

/// FNV-1a of n more bytes, continuing from h.
inline std::uint64_t fnv(std::uint64_t h, const char* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
        h = (h ^ static_cast<unsigned char>(p[i])) * 1099511628211ull;
    return h;
}

/// A file of scripts/gen-test-certs.sh's output (made by the build).
inline std::string cert(const char* name) {
    return std::string(CORONET_TEST_CERTS_DIR) + "/" + name;
}

/// Everything `r` gives until the end (or "<error>" after what came).
inline task<std::string> read_to_end(net::pipe_reader* r) {
    std::string out;
    char buf[4096];
    for (;;) {
        const net::io_result s = co_await r->read_some(std::span<char>(buf), 30s);
        if (s.ec) co_return out + "<" + s.ec.message() + ">";
        if (s.n == 0) co_return out;
        out.append(buf, s.n);
    }
}

/// Writes `total` pseudo-random bytes (from `seed`) in writes of `chunk`,
/// then closes `w`: the checksum of what went, 0 if a write failed.
inline task<std::uint64_t> write_pattern(net::pipe_writer w, std::size_t total, std::size_t chunk,
                                         std::uint32_t seed) {
    std::uint64_t h = fnv_seed;
    std::vector<char> buf(chunk);
    for (std::size_t sent = 0; sent < total;) {
        const std::size_t n = std::min(buf.size(), total - sent);
        for (std::size_t i = 0; i < n; ++i) {
            seed = seed * 1664525u + 1013904223u;
            buf[i] = static_cast<char>(seed >> 24);
        }
        h = fnv(h, buf.data(), n);
        const net::io_result r = co_await w.write_all(std::span<const char>(buf.data(), n), 30s);
        if (r.ec) co_return 0;
        sent += n;
    }
    w.close();
    co_return h;
}

/// Reads `r` to its end: the checksum of what came, its size in *count.
inline task<std::uint64_t> hash_to_end(net::pipe_reader r, std::size_t* count) {
    std::uint64_t h = fnv_seed;
    std::vector<char> buf(1 << 16);
    for (;;) {
        const net::io_result s = co_await r.read_some(std::span<char>(buf), 30s);
        if (s.ec || s.n == 0) break;
        *count += s.n;
        h = fnv(h, buf.data(), s.n);
    }
    co_return h;
}

}  // namespace coronet::test
