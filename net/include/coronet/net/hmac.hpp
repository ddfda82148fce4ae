#pragma once
/// \file hmac.hpp
/// Message authentication with a shared secret: HMAC-SHA256, its
/// constant-time comparison, and random bytes for nonces (OpenSSL 3 inside;
/// no OpenSSL type here).

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

namespace coronet::net {

/// An HMAC-SHA256 tag (32 bytes).
using hmac_sha256_tag = std::array<std::uint8_t, 32>;

/// HMAC-SHA256 of `data` under `key` (RFC 2104; any key length, also empty).
/// Throws std::runtime_error only if OpenSSL itself fails.
///
/// **Thread safety:** any thread, concurrently. **Suspends:** never.
hmac_sha256_tag hmac_sha256(std::string_view key, std::string_view data);

/// True when `a` and `b` are equal, in a time that depends only on their
/// sizes (CRYPTO_memcmp), not on where they differ: compare received tags
/// with it, never with `==` or memcmp. Different sizes are unequal.
///
/// **Thread safety:** any thread. **Suspends:** never.
bool hmac_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept;

/// Fills `out` with bytes from OpenSSL's cryptographically secure generator
/// (RAND_bytes). Throws std::runtime_error if it fails (not seeded).
///
/// **Thread safety:** any thread, concurrently. **Suspends:** never.
void random_bytes(std::span<std::uint8_t> out);

/// `n` bytes from random_bytes.
std::vector<std::uint8_t> random_bytes(std::size_t n);

}  // namespace coronet::net
