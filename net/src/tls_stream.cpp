// tls_stream: an OpenSSL SSL over a tcp_stream's socket. OpenSSL reads and
// writes through a BIO of our own (non-blocking recv / send(MSG_NOSIGNAL),
// serving first what the tcp_stream had read ahead); when it wants the
// socket, the process waits on the worker's reactor and calls again.

#include "coronet/net/tls_stream.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <utility>

#include "coronet/io.hpp"
#include "coronet/net/detail/read_buffer.hpp"
#include "fd_io.hpp"
#include "socket_util.hpp"
#include "stream_reads.hpp"
#include "tls_impl.hpp"

namespace coronet::net {

using detail::deadline_of;
using detail::left_until;
using detail::timed_out;

struct tls_stream::impl {
    tcp_stream tcp;
    tls_context ctx;  ///< kept alive for the SSL
    std::string pre;  ///< what `tcp` had read ahead: the first bytes
    std::size_t pre_pos = 0;
    SSL* ssl = nullptr;
    int sys_error = 0;    ///< errno of the transport's last failure
    bool failed = false;  ///< a fatal error: no close_notify may follow
    bool eof = false;     ///< the transport read the end of the stream
    /// A write_all ended (timeout, cancel, kill) while OpenSSL held part of
    /// a record: the stream is out of step for writing.
    bool write_broken = false;
    std::mutex m;            ///< one OpenSSL call at a time (reader, writer)
    detail::read_buffer rb;  ///< read_until's read-ahead

    impl(tcp_stream s, tls_context c) : tcp(std::move(s)), ctx(std::move(c)) {}
    impl(const impl&) = delete;
    impl& operator=(const impl&) = delete;
    ~impl() {
        if (ssl) SSL_free(ssl);  // frees the BIO too
    }
};

namespace {

using impl = tls_stream::impl;

// ---------------------------------------------------------------- transport BIO

int bio_read(BIO* b, char* out, int len) {
    auto* s = static_cast<impl*>(BIO_get_data(b));
    BIO_clear_retry_flags(b);
    if (len <= 0) return 0;
    if (s->pre_pos < s->pre.size()) {
        const std::size_t n = std::min(s->pre.size() - s->pre_pos, static_cast<std::size_t>(len));
        std::memcpy(out, s->pre.data() + s->pre_pos, n);
        s->pre_pos += n;
        if (s->pre_pos == s->pre.size()) {
            s->pre.clear();
            s->pre_pos = 0;
        }
        return static_cast<int>(n);
    }
    for (;;) {
        const ssize_t r = ::recv(s->tcp.native_handle(), out, static_cast<std::size_t>(len), 0);
        if (r >= 0) {
            s->eof = r == 0;
            return static_cast<int>(r);
        }
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            BIO_set_retry_read(b);
        } else {
            s->sys_error = errno;
        }
        return -1;
    }
}

int bio_write(BIO* b, const char* in, int len) {
    auto* s = static_cast<impl*>(BIO_get_data(b));
    BIO_clear_retry_flags(b);
    if (len <= 0) return 0;
    for (;;) {
        const ssize_t r =
            ::send(s->tcp.native_handle(), in, static_cast<std::size_t>(len), MSG_NOSIGNAL);
        if (r >= 0) return static_cast<int>(r);
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            BIO_set_retry_write(b);
        } else {
            s->sys_error = errno;
        }
        return -1;
    }
}

long bio_ctrl(BIO* b, int cmd, long, void*) {
    switch (cmd) {
        case BIO_CTRL_FLUSH:
            return 1;  // nothing buffered here
        case BIO_CTRL_EOF:
            // What makes OpenSSL tell an end without close_notify
            // ("unexpected eof while reading") from a failed read.
            return static_cast<impl*>(BIO_get_data(b))->eof ? 1 : 0;
        default:
            return 0;
    }
}

int bio_create(BIO* b) {
    BIO_set_init(b, 1);
    return 1;
}

BIO_METHOD* transport_method() {
    static BIO_METHOD* const m = [] {
        BIO_METHOD* bm =
            BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "coronet tcp_stream");
        if (!bm || !BIO_meth_set_read(bm, bio_read) || !BIO_meth_set_write(bm, bio_write) ||
            !BIO_meth_set_ctrl(bm, bio_ctrl) || !BIO_meth_set_create(bm, bio_create))
            throw std::bad_alloc();
        return bm;
    }();
    return m;
}

// ---------------------------------------------------------------- driving OpenSSL

/// The error of a failed OpenSSL call (`err` from SSL_get_error), read from
/// this thread's OpenSSL error queue right after the call.
std::error_code error_of(impl& s, int err) {
    const unsigned long e = ERR_peek_error();
    if (ERR_GET_LIB(e) == ERR_LIB_SSL && ERR_GET_REASON(e) == SSL_R_CERTIFICATE_VERIFY_FAILED) {
        const long v = SSL_get_verify_result(s.ssl);
        if (v != X509_V_OK) return {static_cast<int>(v), tls_verify_category()};
    }
    if (e != 0) return openssl_error(e);
    if (err == SSL_ERROR_SYSCALL && s.sys_error != 0) return {s.sys_error, std::generic_category()};
    if (err == SSL_ERROR_SYSCALL) return make_error_code(errc::eof);  // closed, nothing said
    return std::make_error_code(std::errc::protocol_error);
}

/// Calls `op(ssl)` (an SSL_* call giving > 0 on success) until it succeeds,
/// waiting for the socket as OpenSSL asks, until `deadline`. The value, or
/// the error (errc::eof for the peer's close_notify).
template <class Op>
task<std::pair<int, std::error_code>> drive(impl& s, time_point deadline, Op op) {
    for (;;) {
        int r = 0;
        int err = SSL_ERROR_NONE;
        std::error_code ec;
        {
            const std::lock_guard lock(s.m);
            ERR_clear_error();
            s.sys_error = 0;
            r = op(s.ssl);
            if (r <= 0) {
                err = SSL_get_error(s.ssl, r);
                if (err == SSL_ERROR_SSL || err == SSL_ERROR_SYSCALL) {
                    ec = error_of(s, err);
                    s.failed = true;
                }
                ERR_clear_error();  // nothing left for the next call on this thread
            }
        }
        if (r > 0) co_return std::pair{r, std::error_code{}};
        std::uint32_t want = 0;
        if (err == SSL_ERROR_WANT_READ) {
            want = io_events::readable;
        } else if (err == SSL_ERROR_WANT_WRITE) {
            want = io_events::writable;
        } else if (err == SSL_ERROR_ZERO_RETURN) {
            co_return std::pair{0, make_error_code(errc::eof)};
        } else {
            co_return std::pair{-1, ec ? ec : std::make_error_code(std::errc::protocol_error)};
        }
        const duration left = left_until(deadline);
        if (left <= duration::zero()) co_return std::pair{-1, timed_out};
        if (co_await wait_io(s.tcp.native_handle(), want, left) == 0)
            co_return std::pair{-1, timed_out};
    }
}

/// One SSL_read: n > 0 bytes, n == 0 at close_notify, or the error.
task<io_result> ssl_read_some(impl& s, char* data, std::size_t size, time_point deadline) {
    std::size_t got = 0;
    const auto read = [&](SSL* ssl) { return SSL_read_ex(ssl, data, size, &got); };
    const auto [r, ec] = co_await drive(s, deadline, read);
    if (ec == errc::eof) co_return io_result{0, {}};
    if (ec) co_return io_result{0, ec};
    co_return io_result{got, {}};
}

auto ssl_reader(impl& s) {
    return [&s](char* data, std::size_t size, time_point deadline) {
        return ssl_read_some(s, data, size, deadline);
    };
}

/// A new stream over `tcp`, in the role of `ctx`.
result<std::unique_ptr<impl>> make_impl(tcp_stream tcp, tls_context ctx) {
    if (!tcp.is_open()) return make_error_code(errc::not_connected);
    std::string pre = tcp.take_read_ahead();
    auto s = std::make_unique<impl>(std::move(tcp), std::move(ctx));
    s->pre = std::move(pre);
    ERR_clear_error();
    s->ssl = SSL_new(s->ctx.get()->ctx);
    BIO* bio = s->ssl ? BIO_new(transport_method()) : nullptr;
    if (!bio) {
        const unsigned long e = ERR_get_error();
        ERR_clear_error();
        return openssl_error(e);
    }
    BIO_set_data(bio, s.get());
    SSL_set_bio(s->ssl, bio, bio);  // the SSL owns the BIO
    return s;
}

bool is_ip_literal(const std::string& name) {
    unsigned char buf[16];
    return inet_pton(AF_INET, name.c_str(), buf) == 1 ||
           inet_pton(AF_INET6, name.c_str(), buf) == 1;
}

task<std::error_code> handshake(impl& s, duration timeout) {
    const auto step = [](SSL* ssl) { return SSL_do_handshake(ssl); };
    const auto [r, ec] = co_await drive(s, deadline_of(timeout), step);
    // A peer gone before the handshake ended (common, and harmless to a
    // server) is told apart from TLS failures.
    const bool gone =
        ec == errc::eof || ec == std::errc::connection_reset || ec == std::errc::broken_pipe ||
        (ec.category() == tls_category() &&
         ERR_GET_REASON(static_cast<unsigned long>(static_cast<unsigned>(ec.value()))) ==
             SSL_R_UNEXPECTED_EOF_WHILE_READING);
    co_return gone ? std::make_error_code(std::errc::connection_aborted) : ec;
}

}  // namespace

// ---------------------------------------------------------------- tls_stream

tls_stream::tls_stream() noexcept = default;
tls_stream::tls_stream(std::unique_ptr<impl> p) noexcept : p_(std::move(p)) {}
tls_stream::tls_stream(tls_stream&&) noexcept = default;
tls_stream& tls_stream::operator=(tls_stream&&) noexcept = default;
tls_stream::~tls_stream() = default;

task<result<tls_stream>> tls_stream::connect(tcp_stream s, tls_context ctx, std::string server_name,
                                             duration timeout) {
    if (ctx.role() != tls_role::client)
        throw std::invalid_argument("tls_stream::connect: needs a client tls_context");
    const tls_verify verify = ctx.get()->verify;
    auto made = make_impl(std::move(s), std::move(ctx));
    if (!made) co_return made.error();
    std::unique_ptr<impl> p = std::move(*made);
    if (!server_name.empty()) {
        bool ok = true;
        if (is_ip_literal(server_name)) {  // (no SNI for an address)
            if (verify != tls_verify::none)
                ok = X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(p->ssl), server_name.c_str());
        } else {
            ok = SSL_set_tlsext_host_name(p->ssl, server_name.c_str());
            if (ok && verify != tls_verify::none) {
                SSL_set_hostflags(p->ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
                ok = SSL_set1_host(p->ssl, server_name.c_str());
            }
        }
        if (!ok) {
            ERR_clear_error();
            co_return std::make_error_code(std::errc::invalid_argument);
        }
    }
    SSL_set_connect_state(p->ssl);
    const std::error_code ec = co_await handshake(*p, timeout);
    if (ec) co_return ec;
    co_return tls_stream(std::move(p));
}

task<result<tls_stream>> tls_stream::accept(tcp_stream s, tls_context ctx, duration timeout) {
    if (ctx.role() != tls_role::server)
        throw std::invalid_argument("tls_stream::accept: needs a server tls_context");
    auto made = make_impl(std::move(s), std::move(ctx));
    if (!made) co_return made.error();
    std::unique_ptr<impl> p = std::move(*made);
    SSL_set_accept_state(p->ssl);
    const std::error_code ec = co_await handshake(*p, timeout);
    if (ec) co_return ec;
    co_return tls_stream(std::move(p));
}

task<io_result> tls_stream::read_some(std::span<char> buf, duration timeout) {
    if (!is_open()) co_return io_result{0, errc::not_connected};
    if (buf.empty()) co_return io_result{0, std::make_error_code(std::errc::invalid_argument)};
    if (const std::size_t n = p_->rb.take(buf)) co_return io_result{n, {}};
    co_return co_await ssl_read_some(*p_, buf.data(), buf.size(), deadline_of(timeout));
}

task<io_result> tls_stream::read_exactly(std::span<char> buf, duration timeout) {
    if (!is_open()) co_return io_result{0, errc::not_connected};
    const auto recv = ssl_reader(*p_);  // named: GCC 12 and temporaries in co_await
    co_return co_await detail::read_exactly_with(p_->rb, buf, deadline_of(timeout), recv);
}

task<io_result> tls_stream::read_until(std::string& out, std::string_view delim, std::size_t max,
                                       duration timeout) {
    out.clear();
    if (!is_open()) co_return io_result{0, errc::not_connected};
    const auto recv = ssl_reader(*p_);
    co_return co_await detail::read_until_with(p_->rb, out, delim, max, deadline_of(timeout), recv);
}

task<io_result> tls_stream::write_all(std::span<const char> data, duration timeout) {
    if (!is_open()) co_return io_result{0, errc::not_connected};
    const time_point deadline = deadline_of(timeout);
    // OpenSSL keeps a record it could not send whole and must be called
    // again with the same bytes; a write_all that gives up then (timeout,
    // cancel, kill) leaves the stream unable to write anything else.
    struct in_flight {
        impl& s;
        bool pending = false;
        ~in_flight() {
            if (pending) {
                const std::lock_guard lock(s.m);
                s.write_broken = true;
            }
        }
    } guard{*p_};
    {
        const std::lock_guard lock(p_->m);
        if (p_->write_broken) co_return io_result{0, errc::write_interrupted};
    }
    std::size_t sent = 0;
    while (sent < data.size()) {
        std::size_t wrote = 0;
        const auto write = [&](SSL* ssl) {
            return SSL_write_ex(ssl, data.data() + sent, data.size() - sent, &wrote);
        };
        guard.pending = true;
        const auto [r, ec] = co_await drive(*p_, deadline, write);
        if (ec) {
            guard.pending = ec == std::errc::timed_out;  // (a fatal error sets `failed`)
            co_return io_result{
                sent, ec == errc::eof ? std::make_error_code(std::errc::broken_pipe) : ec};
        }
        guard.pending = false;
        sent += wrote;
    }
    co_return io_result{sent, {}};
}

task<std::error_code> tls_stream::shutdown(duration timeout) {
    if (!is_open()) co_return make_error_code(errc::not_connected);
    {
        const std::lock_guard lock(p_->m);
        if (p_->failed) co_return std::make_error_code(std::errc::connection_aborted);
        if (p_->write_broken) co_return make_error_code(errc::write_interrupted);
    }
    // 0: our close_notify is sent, the peer's has not come: done for us.
    const auto step = [](SSL* ssl) {
        const int r = SSL_shutdown(ssl);
        return r >= 0 ? 1 : r;
    };
    const auto [r, ec] = co_await drive(*p_, deadline_of(timeout), step);
    co_return ec;
}

void tls_stream::close() noexcept {
    if (p_) p_->tcp.close();
}

bool tls_stream::is_open() const noexcept {
    return p_ && p_->tcp.is_open();
}

int tls_stream::native_handle() const noexcept {
    return p_ ? p_->tcp.native_handle() : -1;
}

std::string tls_stream::alpn_protocol() const {
    if (!p_) return {};
    const std::lock_guard lock(p_->m);  // (a reader may be inside OpenSSL)
    const unsigned char* data = nullptr;
    unsigned int len = 0;
    SSL_get0_alpn_selected(p_->ssl, &data, &len);
    return data ? std::string(reinterpret_cast<const char*>(data), len) : std::string();
}

std::string tls_stream::server_name() const {
    if (!p_) return {};
    const std::lock_guard lock(p_->m);  // (a reader may be inside OpenSSL)
    const char* n = SSL_get_servername(p_->ssl, TLSEXT_NAMETYPE_host_name);
    return n ? n : "";
}

std::string tls_stream::version() const {
    if (!p_) return {};
    const std::lock_guard lock(p_->m);
    return SSL_get_version(p_->ssl);
}

std::string tls_stream::cipher() const {
    if (!p_) return {};
    const std::lock_guard lock(p_->m);  // (a reader may be inside OpenSSL)
    const char* c = SSL_get_cipher_name(p_->ssl);
    return c ? c : "";
}

std::string tls_stream::peer_subject() const {
    if (!p_) return {};
    const std::lock_guard lock(p_->m);  // (a reader may be inside OpenSSL)
    X509* cert = SSL_get0_peer_certificate(p_->ssl);
    if (!cert) return {};
    char* line = X509_NAME_oneline(X509_get_subject_name(cert), nullptr, 0);
    std::string r = line ? line : "";
    OPENSSL_free(line);
    return r;
}

address tls_stream::peer_address() const {
    return p_ ? p_->tcp.peer_address() : address();
}

}  // namespace coronet::net
