// hmac_sha256, hmac_equal and random_bytes over OpenSSL 3's libcrypto.

#include "coronet/net/hmac.hpp"

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <climits>
#include <stdexcept>
#include <string>

namespace coronet::net {

namespace {

[[noreturn]] void fail(const char* what) {
    const unsigned long e = ERR_get_error();
    char text[256] = "no OpenSSL error queued";
    if (e != 0) ERR_error_string_n(e, text, sizeof text);
    ERR_clear_error();
    throw std::runtime_error(std::string("coronet: ") + what + " failed: " + text);
}

}  // namespace

hmac_sha256_tag hmac_sha256(std::string_view key, std::string_view data) {
    if (key.size() > INT_MAX) throw std::invalid_argument("coronet: an HMAC key over 2 GiB");
    hmac_sha256_tag tag{};
    unsigned int len = 0;
    // (HMAC() with a null key pointer would use a static buffer: give it a real one.)
    static const unsigned char empty = 0;
    const void* k = key.empty() ? static_cast<const void*>(&empty) : key.data();
    const auto* d = reinterpret_cast<const unsigned char*>(data.data());
    if (HMAC(EVP_sha256(), k, static_cast<int>(key.size()), data.empty() ? &empty : d, data.size(),
             tag.data(), &len) == nullptr ||
        len != tag.size())
        fail("HMAC-SHA256");
    return tag;
}

bool hmac_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) noexcept {
    if (a.size() != b.size()) return false;
    if (a.empty()) return true;
    return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

void random_bytes(std::span<std::uint8_t> out) {
    // RAND_bytes takes an int: fill in chunks.
    constexpr std::size_t chunk = 1u << 20;
    for (std::size_t at = 0; at < out.size(); at += chunk) {
        const std::size_t n = std::min(chunk, out.size() - at);
        if (RAND_bytes(out.data() + at, static_cast<int>(n)) != 1) fail("RAND_bytes");
    }
}

std::vector<std::uint8_t> random_bytes(std::size_t n) {
    std::vector<std::uint8_t> v(n);
    random_bytes(std::span<std::uint8_t>(v));
    return v;
}

}  // namespace coronet::net
