// tls_category / tls_verify_category: OpenSSL's texts as error messages.

#include "coronet/net/tls_error.hpp"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <string>

#include "tls_impl.hpp"

namespace coronet::net {

namespace {

class tls_errors final : public std::error_category {
  public:
    const char* name() const noexcept override { return "coronet.tls"; }
    std::string message(int e) const override {
        const auto code = static_cast<unsigned long>(static_cast<unsigned int>(e));
        const char* lib = ERR_lib_error_string(code);
        const char* reason = ERR_reason_error_string(code);
        std::string m = lib ? std::string(lib) + ": " : std::string();
        m += reason ? reason : "TLS error " + std::to_string(code);
        return m;
    }
};

class verify_errors final : public std::error_category {
  public:
    const char* name() const noexcept override { return "coronet.tls.verify"; }
    std::string message(int e) const override {
        return std::string("certificate verification failed: ") + X509_verify_cert_error_string(e);
    }
};

}  // namespace

const std::error_category& tls_category() noexcept {
    static const tls_errors c;
    return c;
}

std::error_code openssl_error(unsigned long e) noexcept {
    if (e == 0) return std::make_error_code(std::errc::protocol_error);
    if (ERR_SYSTEM_ERROR(e)) return {static_cast<int>(ERR_GET_REASON(e)), std::generic_category()};
    return {static_cast<int>(e), tls_category()};
}

const std::error_category& tls_verify_category() noexcept {
    static const verify_errors c;
    return c;
}

}  // namespace coronet::net
