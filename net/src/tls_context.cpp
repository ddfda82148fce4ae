// tls_context: an SSL_CTX configured from tls_options.

#include "coronet/net/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include "coronet/net/tls_error.hpp"
#include "tls_impl.hpp"

namespace coronet::net {

namespace {

/// Throws what OpenSSL last reported, for `what` (the option at fault).
[[noreturn]] void fail(const std::string& what) {
    const unsigned long e = ERR_peek_error();
    ERR_clear_error();
    throw std::system_error(openssl_error(e), "tls_context: " + what);
}

std::string lower(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return s;
}

int passphrase_cb(char* buf, int size, int /*rwflag*/, void* user) {
    const auto* pass = static_cast<const std::string*>(user);
    if (!pass || pass->empty() || static_cast<int>(pass->size()) > size) return -1;
    std::memcpy(buf, pass->data(), pass->size());
    return static_cast<int>(pass->size());
}

/// Server: the first of our protocols that the client offers.
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void* arg) {
    const auto* self = static_cast<const tls_context::impl*>(arg);
    if (self->alpn_wire.empty()) return SSL_TLSEXT_ERR_NOACK;
    const auto* ours = reinterpret_cast<const unsigned char*>(self->alpn_wire.data());
    const auto ours_len = static_cast<unsigned int>(self->alpn_wire.size());
    // (SSL_select_next_proto's out points into one of its inputs, both of
    // which outlive the handshake step that reads it.)
    unsigned char* chosen = nullptr;
    if (SSL_select_next_proto(&chosen, outlen, ours, ours_len, in, inlen) != OPENSSL_NPN_NEGOTIATED)
        return SSL_TLSEXT_ERR_ALERT_FATAL;  // no_application_protocol
    *out = chosen;
    return SSL_TLSEXT_ERR_OK;
}

/// Server: switch to the context registered for the client's SNI name.
int select_server_name(SSL* ssl, int* /*alert*/, void* arg) {
    const auto* self = static_cast<const tls_context::impl*>(arg);
    const char* name = SSL_get_servername(ssl, TLSEXT_NAMETYPE_host_name);
    if (!name) return SSL_TLSEXT_ERR_NOACK;
    const auto it = self->by_name.find(lower(name));
    if (it == self->by_name.end()) return SSL_TLSEXT_ERR_NOACK;  // the default certificate
    SSL_CTX* other = it->second->ctx;
    if (!SSL_set_SSL_CTX(ssl, other)) return SSL_TLSEXT_ERR_ALERT_FATAL;
    // (SSL_set_SSL_CTX changes the certificate, not the verification.)
    SSL_set_verify(ssl, SSL_CTX_get_verify_mode(other), nullptr);
    STACK_OF(X509_NAME)* cas = SSL_CTX_get_client_CA_list(other);
    SSL_set_client_CA_list(ssl, cas ? SSL_dup_CA_list(cas) : nullptr);  // not the default's
    return SSL_TLSEXT_ERR_OK;
}

}  // namespace

tls_context tls_context::create(const tls_options& o) {
    ERR_clear_error();
    auto p = std::make_shared<impl>();
    p->role = o.role;
    p->verify = o.verify;
    const bool server = o.role == tls_role::server;
    p->ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (!p->ctx) fail("SSL_CTX_new");
    SSL_CTX* c = p->ctx;

    const int min = o.min_version == tls_version::tls1_3 ? TLS1_3_VERSION : TLS1_2_VERSION;
    if (!SSL_CTX_set_min_proto_version(c, min)) fail("min_version");
    // (Not ACCEPT_MOVING_WRITE_BUFFER: a write retried with other bytes must
    // fail, not send the old record as the new bytes; see tls_stream.cpp.)
    SSL_CTX_set_mode(c, SSL_MODE_ENABLE_PARTIAL_WRITE);
    // Read as much as has come in one recv (several records), not a
    // record's header and body in two: one syscall fewer per message. (The
    // streams always try SSL_read before they wait, so what is read ahead
    // is served.)
    SSL_CTX_set_read_ahead(c, 1);

    if (!o.certificate_chain_file.empty()) {
        if (!SSL_CTX_use_certificate_chain_file(c, o.certificate_chain_file.c_str()))
            fail("certificate_chain_file '" + o.certificate_chain_file + "'");
        const std::string& key =
            o.private_key_file.empty() ? o.certificate_chain_file : o.private_key_file;
        SSL_CTX_set_default_passwd_cb(c, passphrase_cb);
        SSL_CTX_set_default_passwd_cb_userdata(
            c, const_cast<void*>(static_cast<const void*>(&o.private_key_passphrase)));
        const int ok = SSL_CTX_use_PrivateKey_file(c, key.c_str(), SSL_FILETYPE_PEM);
        SSL_CTX_set_default_passwd_cb_userdata(c, nullptr);  // `o` does not outlive us
        if (!ok)
            fail("private_key_file '" + key +
                 "' (unreadable, a wrong passphrase, or not the "
                 "certificate's key)");
        if (!SSL_CTX_check_private_key(c)) fail("private_key_file does not match the certificate");
    } else if (server) {
        throw std::invalid_argument("tls_context: a server needs certificate_chain_file");
    } else if (!o.private_key_file.empty()) {
        throw std::invalid_argument("tls_context: private_key_file without certificate_chain_file");
    }

    if (!o.ca_file.empty() || !o.ca_dir.empty()) {
        if (!SSL_CTX_load_verify_locations(c, o.ca_file.empty() ? nullptr : o.ca_file.c_str(),
                                           o.ca_dir.empty() ? nullptr : o.ca_dir.c_str()))
            fail("ca_file '" + o.ca_file + "' / ca_dir '" + o.ca_dir + "'");
    }
    if (o.system_ca && !SSL_CTX_set_default_verify_paths(c)) fail("system_ca");
    if (o.verify != tls_verify::none && o.ca_file.empty() && o.ca_dir.empty() && !o.system_ca)
        throw std::invalid_argument(
            "tls_context: verify needs trusted CAs (ca_file, ca_dir or system_ca), or "
            "verify = none");

    int mode = SSL_VERIFY_NONE;
    if (o.verify != tls_verify::none) mode = SSL_VERIFY_PEER;
    if (server && o.verify == tls_verify::require_peer) mode |= SSL_VERIFY_FAIL_IF_NO_PEER_CERT;
    SSL_CTX_set_verify(c, mode, nullptr);
    if (server) {
        // Tell clients which CAs we accept (helps them pick a certificate).
        if (o.verify != tls_verify::none && !o.ca_file.empty()) {
            if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(o.ca_file.c_str()))
                SSL_CTX_set_client_CA_list(c, names);
        }
        // Needed to resume sessions of verified clients.
        static const unsigned char sid[] = "coronet";
        SSL_CTX_set_session_id_context(c, sid, sizeof sid - 1);
        SSL_CTX_set_tlsext_servername_callback(c, select_server_name);
        SSL_CTX_set_tlsext_servername_arg(c, p.get());
    }

    for (const std::string& proto : o.alpn) {
        if (proto.empty() || proto.size() > 255)
            throw std::invalid_argument("tls_context: an ALPN name must have 1 to 255 bytes");
        p->alpn_wire.push_back(static_cast<char>(proto.size()));
        p->alpn_wire += proto;
    }
    if (!p->alpn_wire.empty()) {
        if (server) {
            SSL_CTX_set_alpn_select_cb(c, select_alpn, p.get());
        } else if (SSL_CTX_set_alpn_protos(
                       c, reinterpret_cast<const unsigned char*>(p->alpn_wire.data()),
                       static_cast<unsigned int>(p->alpn_wire.size())) != 0) {
            fail("alpn");
        }
    }
    return tls_context(std::move(p));
}

void tls_context::add_server_name(const std::string& host, const tls_context& ctx) {
    if (p_->role != tls_role::server || ctx.p_->role != tls_role::server)
        throw std::invalid_argument("tls_context::add_server_name: server contexts only");
    if (ctx.p_ == p_)  // (it would own itself and never be freed)
        throw std::invalid_argument("tls_context::add_server_name: a context cannot name itself");
    p_->by_name[lower(host)] = ctx.p_;
}

tls_role tls_context::role() const noexcept {
    return p_->role;
}

}  // namespace coronet::net
