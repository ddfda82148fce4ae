#pragma once
// The tls_* rows' certificates and their `blocking-threads` baselines:
// two plain threads with blocking sockets calling OpenSSL (SSL_connect,
// SSL_accept, SSL_read_ex, SSL_write_ex) directly, no coronet. Only
// coronet_bench includes this (it links OpenSSL::SSL for it; the coronet
// library keeps OpenSSL private, and caf_bench has no tls_* rows).
//
// Both sides are configured as coronet's are in coronet_tls_bench.cpp:
// TLS 1.3 only, OpenSSL's default cipher suites, the server's ECDSA P-256
// certificate from scripts/gen-test-certs.sh (CN localhost), no client
// certificate (mutual TLS off); the client verifies the server against the
// test CA and checks the host name "localhost", which it also sends as SNI.

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <csignal>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "bench_certs.hpp"
#include "bench_io.hpp"

namespace bench {

/// The host name the client asks for and checks (the server certificate's).
inline constexpr const char* tls_host = "localhost";

struct ssl_ctx_free {
    void operator()(SSL_CTX* c) const { SSL_CTX_free(c); }
};
struct ssl_free {
    void operator()(SSL* s) const { SSL_free(s); }
};
using ssl_ctx_ptr = std::unique_ptr<SSL_CTX, ssl_ctx_free>;
using ssl_ptr = std::unique_ptr<SSL, ssl_free>;

[[noreturn]] inline void openssl_fail(const std::string& what) {
    char reason[256] = "no OpenSSL error";
    if (const unsigned long e = ERR_get_error()) ERR_error_string_n(e, reason, sizeof reason);
    ERR_clear_error();
    throw std::runtime_error("bench: " + what + ": " + reason);
}

/// OpenSSL's socket BIO writes with write(), not send(MSG_NOSIGNAL): a
/// write to a peer that is gone would kill the process. Called by every
/// baseline before it starts; harmless to coronet, which never relies on
/// SIGPIPE.
inline void ignore_sigpipe() {
    std::signal(SIGPIPE, SIG_IGN);
}

/// A TLS 1.3 server context with server.pem / server.key; no client
/// certificate asked for.
inline ssl_ctx_ptr blocking_server_ctx() {
    ssl_ctx_ptr c(SSL_CTX_new(TLS_server_method()));
    if (!c || !SSL_CTX_set_min_proto_version(c.get(), TLS1_3_VERSION) ||
        !SSL_CTX_use_certificate_chain_file(c.get(), test_cert("server.pem").c_str()) ||
        !SSL_CTX_use_PrivateKey_file(c.get(), test_cert("server.key").c_str(), SSL_FILETYPE_PEM))
        openssl_fail("server context");
    SSL_CTX_set_verify(c.get(), SSL_VERIFY_NONE, nullptr);
    return c;
}

/// A TLS 1.3 client context trusting ca.pem and verifying the server.
inline ssl_ctx_ptr blocking_client_ctx() {
    ssl_ctx_ptr c(SSL_CTX_new(TLS_client_method()));
    if (!c || !SSL_CTX_set_min_proto_version(c.get(), TLS1_3_VERSION) ||
        !SSL_CTX_load_verify_locations(c.get(), test_cert("ca.pem").c_str(), nullptr))
        openssl_fail("client context");
    SSL_CTX_set_verify(c.get(), SSL_VERIFY_PEER, nullptr);
    return c;
}

/// Server handshake over the accepted blocking socket `fd` (not owned);
/// null on failure.
inline ssl_ptr blocking_tls_accept(SSL_CTX* ctx, int fd) {
    ssl_ptr s(SSL_new(ctx));
    if (!s || !SSL_set_fd(s.get(), fd) || SSL_accept(s.get()) != 1) {
        ERR_clear_error();
        return nullptr;
    }
    return s;
}

/// Client handshake over the connected blocking socket `fd` (not owned),
/// with SNI and host name check; null on failure.
inline ssl_ptr blocking_tls_connect(SSL_CTX* ctx, int fd) {
    ssl_ptr s(SSL_new(ctx));
    if (!s || !SSL_set_fd(s.get(), fd) || !SSL_set_tlsext_host_name(s.get(), tls_host) ||
        !SSL_set1_host(s.get(), tls_host) || SSL_connect(s.get()) != 1) {
        ERR_clear_error();
        return nullptr;
    }
    return s;
}

inline bool ssl_write_all(SSL* s, const char* p, std::size_t size) {
    for (std::size_t done = 0; done < size;) {
        std::size_t n = 0;
        if (!SSL_write_ex(s, p + done, size - done, &n)) return false;
        done += n;
    }
    return true;
}

inline bool ssl_read_exactly(SSL* s, char* p, std::size_t size) {
    for (std::size_t done = 0; done < size;) {
        std::size_t n = 0;
        if (!SSL_read_ex(s, p + done, size - done, &n)) return false;
        done += n;
    }
    return true;
}

/// Reads (and drops) until the peer's close_notify; false on any other end.
inline bool ssl_read_until_close_notify(SSL* s) {
    char buf[256];
    for (std::size_t n = 0; SSL_read_ex(s, buf, sizeof buf, &n);) {
    }
    const bool clean = SSL_get_error(s, 0) == SSL_ERROR_ZERO_RETURN;
    ERR_clear_error();
    return clean;
}

/// Accepts one connection on `lfd` and runs `body(ssl)` after the server
/// handshake; the socket gets timeouts, so a dead client ends it.
template <class Body>
void blocking_tls_serve_one(int lfd, SSL_CTX* ctx, Body body) {
    const int fd = ::accept(lfd, nullptr, nullptr);
    if (fd < 0) return;
    set_timeouts(fd);
    set_nodelay(fd);
    if (ssl_ptr s = blocking_tls_accept(ctx, fd)) body(s.get());
    ::close(fd);
}

/// tls_echo_rt between two plain threads: ns per round trip (the
/// handshake is not timed).
inline double blocking_tls_echo(int n) {
    ignore_sigpipe();
    const ssl_ctx_ptr sctx = blocking_server_ctx(), cctx = blocking_client_ctx();
    std::uint16_t port = 0;
    const int lfd = listen_loopback(port, 1);
    std::jthread server([lfd, &sctx] {
        blocking_tls_serve_one(lfd, sctx.get(), [](SSL* s) {
            char buf[echo_size];
            while (ssl_read_exactly(s, buf, echo_size) && ssl_write_all(s, buf, echo_size)) {
            }
            ERR_clear_error();
        });
    });
    const int fd = connect_loopback(port);
    if (fd >= 0) set_nodelay(fd);
    const ssl_ptr s = fd >= 0 ? blocking_tls_connect(cctx.get(), fd) : nullptr;
    bool ok = s != nullptr;
    char buf[echo_size] = {};
    const auto t0 = io_clock::now();
    for (int i = 0; i < n && ok; ++i) {
        std::memcpy(buf, &i, sizeof i);
        ok = ssl_write_all(s.get(), buf, echo_size) && ssl_read_exactly(s.get(), buf, echo_size) &&
             std::memcmp(buf, &i, sizeof i) == 0;
    }
    const double ns = std::chrono::duration<double, std::nano>(io_clock::now() - t0).count() / n;
    if (s) SSL_shutdown(s.get());
    if (fd >= 0) ::close(fd);
    unblock_accept(lfd);
    server.join();
    ::close(lfd);
    if (!ok) throw std::runtime_error("tls_echo_rt: blocking echo failed");
    return ns;
}

/// tls_throughput between two plain threads: the writer sends `bytes` in
/// stream_chunk SSL_write_ex calls, the reader reads up to stream_chunk at a
/// time (OpenSSL gives at most one 16 KiB record per SSL_read_ex). Timed from
/// the first write until the reader has the last byte; MiB/s. Both sides
/// then exchange close_notify, so neither closes with unread data (the
/// session tickets the writer never read would turn its close into an RST).
inline double blocking_tls_throughput(std::size_t bytes) {
    ignore_sigpipe();
    const ssl_ctx_ptr sctx = blocking_server_ctx(), cctx = blocking_client_ctx();
    std::uint16_t port = 0;
    const int lfd = listen_loopback(port, 1);
    io_clock::time_point t1{};
    std::size_t got = 0;
    std::jthread reader([&] {
        blocking_tls_serve_one(lfd, sctx.get(), [&](SSL* s) {
            std::vector<char> buf(stream_chunk);
            for (std::size_t n = 0; SSL_read_ex(s, buf.data(), buf.size(), &n);)
                if ((got += n) == bytes) t1 = io_clock::now();
            ERR_clear_error();
            SSL_shutdown(s);
        });
    });
    const int fd = connect_loopback(port);
    if (fd >= 0) set_nodelay(fd);
    const ssl_ptr s = fd >= 0 ? blocking_tls_connect(cctx.get(), fd) : nullptr;
    const std::vector<char> chunk(stream_chunk, 'x');
    const auto t0 = io_clock::now();
    for (std::size_t sent = 0;
         s && sent < bytes && ssl_write_all(s.get(), chunk.data(), chunk.size());)
        sent += chunk.size();
    if (s && SSL_shutdown(s.get()) >= 0) ssl_read_until_close_notify(s.get());
    if (fd >= 0) ::close(fd);
    unblock_accept(lfd);
    reader.join();
    ::close(lfd);
    if (got != bytes)
        throw std::runtime_error("tls_throughput: the blocking reader got too little");
    return mib_per_s(bytes, t0, t1);
}

/// tls_handshakes between two plain threads, `n` connections one after the
/// other: the client connects and does the handshake, the server (after its
/// handshake) sends close_notify and closes, the client reads it and closes
/// with an RST (no TIME_WAIT, as tcp_accepts). Handshakes per second,
/// timed in the client.
inline double blocking_tls_handshakes(int n) {
    ignore_sigpipe();
    const ssl_ctx_ptr sctx = blocking_server_ctx(), cctx = blocking_client_ctx();
    std::uint16_t port = 0;
    const int lfd = listen_loopback(port);
    std::jthread server([lfd, n, &sctx] {
        for (int i = 0; i < n; ++i)
            blocking_tls_serve_one(lfd, sctx.get(), [](SSL* s) { SSL_shutdown(s); });
    });
    bool ok = true;
    const auto t0 = io_clock::now();
    for (int i = 0; i < n && ok; ++i) {
        const int fd = connect_loopback(port);
        if (fd < 0) {
            ok = false;
            break;
        }
        set_nodelay(fd);
        const ssl_ptr s = blocking_tls_connect(cctx.get(), fd);
        ok = s && ssl_read_until_close_notify(s.get());
        close_with_reset(fd);
    }
    const double per_s = n / std::chrono::duration<double>(io_clock::now() - t0).count();
    unblock_accept(lfd);
    server.join();
    ::close(lfd);
    if (!ok) throw std::runtime_error("tls_handshakes: a blocking handshake failed");
    return per_s;
}

}  // namespace bench
