#pragma once
/// \file tls_context.hpp
/// TLS configuration (OpenSSL 3) shared by many connections: certificates,
/// trusted CAs, verification, protocol versions, ALPN, SNI.

#include <memory>
#include <string>
#include <vector>

namespace coronet::net {

enum class tls_role { client, server };

/// What is checked of the peer's certificate.
enum class tls_verify {
    /// Nothing: any certificate (or none) is accepted. For tests and for
    /// protocols that authenticate otherwise; a client then has no
    /// protection against a man in the middle.
    none,
    /// A client verifies the server's certificate against the trusted CAs
    /// (and the host name it connects to). A server asks for a client
    /// certificate and verifies it if one is sent.
    peer,
    /// Mutual TLS: as `peer`, and a server refuses a client without a
    /// certificate. (For a client, the same as `peer`.)
    require_peer,
};

enum class tls_version { tls1_2, tls1_3 };

/// Everything a tls_context is made of. Files are PEM.
struct tls_options {
    tls_role role = tls_role::client;
    /// Our certificate, followed by its intermediates (a server needs one;
    /// a client needs one for mutual TLS).
    std::string certificate_chain_file;
    std::string private_key_file;
    /// For an encrypted private key.
    std::string private_key_passphrase;
    /// Trusted CAs: a file of certificates and/or a hashed directory
    /// (`openssl rehash`); the system's store when `system_ca` is set.
    std::string ca_file;
    std::string ca_dir;
    bool system_ca = false;
    tls_verify verify = tls_verify::peer;
    tls_version min_version = tls_version::tls1_2;
    /// Application protocols in order of preference ("h2", "http/1.1").
    /// A client offers them; a server picks its first that the client
    /// offers, and refuses a client offering only others (RFC 7301).
    std::vector<std::string> alpn;
};

/// An OpenSSL SSL_CTX made from tls_options. Cheap to copy (shared); the
/// streams made with it keep it alive.
///
/// A server may serve several host names (SNI): add_server_name(host, ctx)
/// makes connections asking for `host` use `ctx`'s certificate, trusted
/// CAs, verification and ALPN instead. The protocol version and the options
/// are the default context's (they are settled before the name is known).
///
/// **Thread safety:** a context may be used by streams on any workers at
/// once; add_server_name must be called before it is used.
/// **Suspends:** never.
class tls_context {
  public:
    /// Throws std::system_error naming the file or option at fault and
    /// OpenSSL's reason (a missing file, a wrong passphrase, a key that does
    /// not match the certificate, a server without a certificate).
    static tls_context create(const tls_options& options);

    /// Server only: connections whose SNI name is `host` (case-insensitive)
    /// use `ctx`.
    void add_server_name(const std::string& host, const tls_context& ctx);

    tls_role role() const noexcept;

    struct impl;
    impl* get() const noexcept { return p_.get(); }

  private:
    explicit tls_context(std::shared_ptr<impl> p) noexcept : p_(std::move(p)) {}
    std::shared_ptr<impl> p_;
};

}  // namespace coronet::net
