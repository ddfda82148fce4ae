// check_node_tls: a node's certificate, key and CAs, checked with OpenSSL.

#include "node_tls.hpp"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <memory>
#include <string>
#include <system_error>

#include "coronet/net/tls_context.hpp"

namespace coronet::net {

namespace {

[[noreturn]] void fail(std::errc e, const std::string& what) {
    throw std::system_error(std::make_error_code(e), "coronet node TLS: " + what);
}

struct x509_free {
    void operator()(X509* x) const noexcept { X509_free(x); }
};
struct store_free {
    void operator()(X509_STORE* s) const noexcept { X509_STORE_free(s); }
};
struct chain_free {
    void operator()(STACK_OF(X509) * s) const noexcept { sk_X509_pop_free(s, X509_free); }
};
struct store_ctx_free {
    void operator()(X509_STORE_CTX* c) const noexcept { X509_STORE_CTX_free(c); }
};

}  // namespace

void check_node_tls(const node_tls& t) {
    if (t.certificate_file.empty() || t.private_key_file.empty() || t.ca_file.empty())
        fail(std::errc::invalid_argument,
             "a node needs a certificate, its private key and the CAs to trust");
    // Files, passphrase and the key's match: what tls_context checks.
    tls_options o;
    o.role = tls_role::server;
    o.certificate_chain_file = t.certificate_file;
    o.private_key_file = t.private_key_file;
    o.private_key_passphrase = t.passphrase;
    o.ca_file = t.ca_file;
    o.verify = tls_verify::require_peer;
    (void)tls_context::create(o);
    // The certificate against the CAs, as the peers will check it.
    // The file: the node's certificate, then any intermediates (untrusted:
    // they must lead to a CA of ca_file).
    std::unique_ptr<X509, x509_free> cert;
    std::unique_ptr<STACK_OF(X509), chain_free> chain(sk_X509_new_null());
    if (FILE* f = std::fopen(t.certificate_file.c_str(), "r")) {
        cert.reset(PEM_read_X509(f, nullptr, nullptr, nullptr));
        while (X509* x = PEM_read_X509(f, nullptr, nullptr, nullptr))
            if (!chain || sk_X509_push(chain.get(), x) == 0) X509_free(x);
        ERR_clear_error();  // (the end of the file)
        std::fclose(f);
    }
    if (!cert) fail(std::errc::invalid_argument, t.certificate_file + ": no certificate");
    std::unique_ptr<X509_STORE, store_free> store(X509_STORE_new());
    if (!store || X509_STORE_load_file(store.get(), t.ca_file.c_str()) != 1)
        fail(std::errc::invalid_argument, t.ca_file + ": cannot load the CAs");
    std::unique_ptr<X509_STORE_CTX, store_ctx_free> ctx(X509_STORE_CTX_new());
    if (!ctx || X509_STORE_CTX_init(ctx.get(), store.get(), cert.get(), chain.get()) != 1)
        fail(std::errc::not_enough_memory, "cannot verify the certificate");
    if (X509_verify_cert(ctx.get()) != 1)
        fail(std::errc::invalid_argument,
             t.certificate_file + ": " +
                 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx.get())) + " (against " +
                 t.ca_file + ")");
    // One certificate for both ends (CAF 0.17): both usages, or no EKU.
    const std::uint32_t eku = X509_get_extended_key_usage(cert.get());
    if (eku != UINT32_MAX && (!(eku & XKU_SSL_SERVER) || !(eku & XKU_SSL_CLIENT)))
        fail(std::errc::invalid_argument,
             t.certificate_file +
                 ": a node's certificate serves both ends of its connections: its extended key "
                 "usage needs serverAuth and clientAuth");
}

}  // namespace coronet::net
