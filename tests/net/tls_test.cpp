// TLS over loopback (port 0, real clock): tagged [net][tls]. Certificates
// come from scripts/gen-test-certs.sh, run by the build into
// CORONET_TEST_CERTS_DIR.

#include <coronet/net/tls_stream.hpp>

#include <sys/socket.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>
#include <catch2/catch.hpp>
#include <coronet/cancel_scope.hpp>
#include <coronet/net/framing.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>

#include "net_test_helpers.hpp"
#include "test_runtime.hpp"

using namespace coronet;
using namespace coronet::net;
using namespace coronet::test;

namespace {

tls_context server_ctx(tls_verify verify = tls_verify::require_peer,
                       const char* chain = "server.pem", const char* key = "server.key",
                       std::vector<std::string> alpn = {}) {
    tls_options o;
    o.role = tls_role::server;
    o.certificate_chain_file = cert(chain);
    o.private_key_file = cert(key);
    o.ca_file = cert("ca.pem");
    o.verify = verify;
    o.alpn = std::move(alpn);
    return tls_context::create(o);
}

/// A client trusting `ca` and showing `chain` (none if null).
tls_context client_ctx(const char* chain = "client.pem", const char* key = "client.key",
                       const char* ca = "ca.pem", std::vector<std::string> alpn = {}) {
    tls_options o;
    o.role = tls_role::client;
    if (chain) {
        o.certificate_chain_file = cert(chain);
        o.private_key_file = cert(key);
    }
    o.ca_file = cert(ca);
    o.alpn = std::move(alpn);
    return tls_context::create(o);
}

tcp_listener listen_loopback() {
    auto l = tcp_listener::bind(address::loopback(0));
    REQUIRE(l);
    return std::move(*l);
}

/// One server connection: the handshake, then one line echoed back with
/// what the server saw. Sends its outcome ("ok ..." or the error) to `tell`.
task<void> serve_one(tcp_stream s, tls_context ctx, pid tell) {
    auto t = co_await tls_stream::accept(std::move(s), ctx, 10s);
    if (!t) {
        send(tell, "server: " + t.error().message());
        co_return;
    }
    auto line = co_await read_line(*t, 1000, 10s);
    if (!line) {
        send(tell, "server read: " + line.error().message());
        co_return;
    }
    const std::string reply = *line + " from " + t->peer_subject() + " via " + t->version() +
                              " sni=" + t->server_name() + " alpn=" + t->alpn_protocol() + "\n";
    const io_result w = co_await t->write_all(std::string_view(reply), 10s);
    (void)co_await t->shutdown(10s);
    send(tell, std::string(w.ec ? "server write: " + w.ec.message() : "server: ok"));
}

/// Accepts connections until cancelled, each served by its own process.
task<void> tls_server(tcp_listener* l, tls_context ctx, pid tell) {
    for (;;) {
        auto c = co_await l->accept();
        if (!c) co_return;
        self().spawn(serve_one, std::move(*c), ctx, tell);
    }
}

/// A client: handshake, a line, the reply (or the first error).
task<std::string> tls_client(address to, tls_context ctx, std::string name) {
    auto c = co_await tcp_stream::connect(to, 10s);
    if (!c) co_return "connect: " + c.error().message();
    auto t = co_await tls_stream::connect(std::move(*c), ctx, name, 10s);
    if (!t) co_return "client: " + t.error().message();
    const io_result w = co_await t->write_all(std::string_view("hello\n"), 10s);
    if (w.ec) co_return "client write: " + w.ec.message();
    auto line = co_await read_line(*t, 1000, 10s);
    if (!line) co_return "client read: " + line.error().message();
    char b[1];
    const io_result end = co_await t->read_some(std::span<char>(b), 10s);
    co_return *line + (end.n == 0 && !end.ec ? " (close_notify)" : " (no clean end)");
}

/// Raw bytes instead of a TLS client: what the server says is all we check.
task<std::string> raw_client(address to, std::string bytes) {
    auto c = co_await tcp_stream::connect(to, 10s);
    if (!c) co_return "connect: " + c.error().message();
    if (!bytes.empty()) (void)co_await c->write_all(std::string_view(bytes), 10s);
    c->shutdown_write();
    char b[256];
    for (;;) {  // until the server closes
        const io_result r = co_await c->read_some(std::span<char>(b), 10s);
        if (r.ec || r.n == 0) co_return "closed";
    }
}

/// Part of a TLS record, then a reset (SO_LINGER 0) instead of the rest.
task<std::string> resetting_client(address to) {
    auto c = co_await tcp_stream::connect(to, 10s);
    if (!c) co_return "connect: " + c.error().message();
    (void)co_await c->write_all(std::string_view("\x16\x03\x01\x02\x00\x01", 6), 10s);
    linger lg{1, 0};
    ::setsockopt(c->native_handle(), SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    c->close();
    co_return "reset";
}

struct outcome {
    std::string client;
    std::string server;
};

/// Runs each client against `server_side` in turn, with the server's outcome
/// of that connection next to the client's.
template <class Client>
std::vector<outcome> against(tls_context server_side, std::vector<Client> clients) {
    runtime rt(real_config(2));
    tcp_listener l = listen_loopback();
    std::vector<outcome> out;
    auto driver = [&](std::vector<Client> cs) -> task<void> {
        auto srv = self().spawn(tls_server, &l, server_side, self().id());
        for (auto& c : cs) {
            const std::string client_says = co_await c(l.local_address());
            auto server_says = co_await self().receive<std::string>(10s);
            out.push_back({client_says, server_says ? *server_says : "server: nothing"});
        }
        cancel(srv, "done");
    };
    rt.spawn(driver, std::move(clients));
    rt.run();
    return out;
}

using client_fn = std::function<task<std::string>(address)>;

}  // namespace

TEST_CASE("tls: mutual TLS echo, with the peer's identity, version, SNI and close_notify",
          "[net][tls]") {
    const tls_context client = client_ctx();
    const auto out = against<client_fn>(
        server_ctx(), {[&](address a) { return tls_client(a, client, "localhost"); }});
    REQUIRE(out.size() == 1);
    CHECK(out[0].client == "hello from /CN=client via TLSv1.3 sni=localhost alpn= (close_notify)");
    CHECK(out[0].server == "server: ok");
}

TEST_CASE("tls: each failure is an error for that connection only, and the server goes on",
          "[net][tls]") {
    const tls_context good = client_ctx();
    const tls_context untrusting = client_ctx("client.pem", "client.key", "other-ca.pem");
    const tls_context anonymous = client_ctx(nullptr);
    const tls_context rogue = client_ctx("rogue.pem", "rogue.key");
    const std::vector<client_fn> clients = {
        [&](address a) { return tls_client(a, untrusting, "localhost"); },   // wrong CA
        [&](address a) { return tls_client(a, good, "wrong.example"); },     // wrong host name
        [&](address a) { return tls_client(a, anonymous, "localhost"); },    // no certificate
        [&](address a) { return tls_client(a, rogue, "localhost"); },        // unknown client CA
        [&](address a) { return raw_client(a, "GET / HTTP/1.0\r\n\r\n"); },  // plain text
        [&](address a) {
            return raw_client(a, std::string("\x16\x03\x01\x00\x05garbage-and-more", 22));
        },
        [&](address a) { return raw_client(a, ""); },                 // gone at once
        [&](address a) { return resetting_client(a); },               // reset half-way
        [&](address a) { return tls_client(a, good, "127.0.0.1"); },  // all fine, by address
    };
    const auto out = against(server_ctx(), clients);
    REQUIRE(out.size() == clients.size());
    // (The server sends its CA with its chain: a root the client does not trust.)
    CHECK(out[0].client ==
          "client: certificate verification failed: self-signed certificate in certificate chain");
    CHECK(out[0].server.find("server: SSL routines: ") == 0);  // the client's alert
    CHECK(out[1].client == "client: certificate verification failed: hostname mismatch");
    // TLS 1.3: the client's handshake ends before the server checks it.
    CHECK(out[2].client.find("certificate required") != std::string::npos);
    CHECK(out[2].server == "server: SSL routines: peer did not return a certificate");
    CHECK(out[3].server ==
          "server: certificate verification failed: unable to get local issuer certificate");
    CHECK(out[4].client == "closed");
    CHECK(out[4].server == "server: SSL routines: http request");
    CHECK(out[5].server.find("server: SSL routines: ") == 0);
    CHECK(out[6].server ==
          "server: " + std::make_error_code(std::errc::connection_aborted).message());
    CHECK(out[7].server == out[6].server);  // reset or closed: gone, either way
    CHECK(out[8].client.find("hello from /CN=client via TLSv1.3") == 0);
    CHECK(out[8].server == "server: ok");
}

TEST_CASE("tls: an expired server certificate is refused by the client", "[net][tls]") {
    const tls_context client = client_ctx();
    const auto out =
        against<client_fn>(server_ctx(tls_verify::none, "expired.pem", "expired.key"),
                           {[&](address a) { return tls_client(a, client, "localhost"); }});
    REQUIRE(out.size() == 1);
    CHECK(out[0].client == "client: certificate verification failed: certificate has expired");
    // A client with verify none would accept it: the check is the client's.
    CHECK(out[0].server.find("server: SSL routines: ") == 0);
}

TEST_CASE("tls: SNI picks the server's certificate, ALPN the protocol", "[net][tls]") {
    tls_context server =
        server_ctx(tls_verify::none, "server.pem", "server.key", {"h2", "coronet/1"});
    server.add_server_name("SNI.example",
                           server_ctx(tls_verify::none, "sni.pem", "sni.key", {"coronet/1"}));
    const tls_context plain = client_ctx(nullptr, nullptr, "ca.pem", {"coronet/1", "h2"});
    const tls_context other = client_ctx(nullptr, nullptr, "ca.pem", {"spdy/1"});
    const auto out =
        against<client_fn>(server, {[&](address a) { return tls_client(a, plain, "sni.example"); },
                                    [&](address a) { return tls_client(a, plain, "localhost"); },
                                    [&](address a) { return tls_client(a, other, "localhost"); }});
    REQUIRE(out.size() == 3);
    // sni.pem is only valid for sni.example: verified, so the server switched.
    CHECK(out[0].client == "hello from  via TLSv1.3 sni=sni.example alpn=coronet/1 (close_notify)");
    CHECK(out[1].client == "hello from  via TLSv1.3 sni=localhost alpn=h2 (close_notify)");
    CHECK(out[2].client.find("no application protocol") != std::string::npos);
    CHECK(out[2].server.find("no application protocol") != std::string::npos);
}

TEST_CASE("tls: context errors name the file and OpenSSL's reason", "[net][tls]") {
    tls_options o;
    o.role = tls_role::server;
    o.certificate_chain_file = cert("server.pem");
    o.private_key_file = cert("server-enc.key");
    o.verify = tls_verify::none;
    o.private_key_passphrase = "coronet-test";
    CHECK_NOTHROW(tls_context::create(o));
    o.private_key_passphrase = "wrong";
    try {
        tls_context::create(o);
        FAIL("a wrong passphrase was accepted");
    } catch (const std::system_error& e) {
        CHECK(std::string(e.what()).find("server-enc.key") != std::string::npos);
        CHECK(e.code().category() == tls_category());
    }
    o.private_key_passphrase.clear();
    o.private_key_file = cert("client.key");  // not server.pem's key
    CHECK_THROWS_WITH(tls_context::create(o), Catch::Contains("key values mismatch"));
    o.certificate_chain_file = cert("missing.pem");
    CHECK_THROWS_WITH(tls_context::create(o), Catch::Contains("missing.pem"));
    try {
        tls_context::create(o);
    } catch (const std::system_error& e) {  // the system's error, not a number
        CHECK(e.code() == std::errc::no_such_file_or_directory);
    }
    tls_options c;  // a verifying client needs CAs
    CHECK_THROWS_AS(tls_context::create(c), std::invalid_argument);
}

namespace {

/// A connected TLS pair inside one process: {client, server}.
task<std::pair<tls_stream, tls_stream>> tls_pair(tcp_listener* l, tls_context cctx,
                                                 tls_context sctx) {
    auto c = co_await tcp_stream::connect(l->local_address(), 10s);
    auto s = co_await l->accept(10s);
    // Both handshakes must progress together: the server's in its own process.
    auto accepting = self().spawn(
        [](tcp_stream t, tls_context x) -> task<result<tls_stream>> {
            co_return co_await tls_stream::accept(std::move(t), x, 10s);
        },
        std::move(s.value()), sctx);
    auto cli = co_await tls_stream::connect(std::move(c.value()), cctx, "localhost", 10s);
    auto srv = co_await accepting;
    co_return std::make_pair(std::move(cli.value()), std::move(srv.value()));
}

/// Writes `total` pseudo-random bytes; their hash.
task<std::uint64_t> pump_out(tls_stream* s, std::size_t total, std::uint32_t seed) {
    std::uint64_t h = fnv_seed;
    std::vector<char> chunk(40000);  // not a multiple of a TLS record
    for (std::size_t sent = 0; sent < total; sent += chunk.size()) {
        for (auto& ch : chunk) {
            seed = seed * 1664525u + 1013904223u;
            ch = static_cast<char>(seed >> 24);
        }
        h = fnv(h, chunk.data(), chunk.size());
        const io_result w = co_await s->write_all(std::span<const char>(chunk), 30s);
        if (w.ec) throw std::system_error(w.ec, "pump_out");
    }
    co_return h;
}

/// Reads `total` bytes; their hash.
task<std::uint64_t> pump_in(tls_stream* s, std::size_t total) {
    std::uint64_t h = fnv_seed;
    std::vector<char> buf(1 << 16);
    std::size_t got = 0;
    while (got < total) {
        const std::size_t want = std::min(buf.size(), total - got);
        const io_result r = co_await s->read_some(std::span<char>(buf.data(), want), 30s);
        if (r.ec || r.n == 0) throw std::runtime_error("pump_in: ended early");
        h = fnv(h, buf.data(), r.n);
        got += r.n;
    }
    co_return h;
}

/// Both directions at once, each stream's reader and writer on different
/// workers (OpenSSL calls of one stream serialised by the stream).
task<bool> full_duplex(tcp_listener* l) {
    auto [cli, srv] = co_await tls_pair(l, client_ctx(), server_ctx());
    constexpr std::size_t total = 200 * 40000;  // whole chunks
    auto on = [](std::uint32_t w) { return spawn_options{placement::pinned(w)}; };
    auto a_out = self().spawn_opt(on(0), pump_out, &cli, total, 1u);
    auto b_in = self().spawn_opt(on(1), pump_in, &srv, total);
    auto b_out = self().spawn_opt(on(0), pump_out, &srv, total, 2u);
    auto a_in = self().spawn_opt(on(1), pump_in, &cli, total);
    const std::uint64_t sent_ab = co_await a_out, got_ab = co_await b_in;
    const std::uint64_t sent_ba = co_await b_out, got_ba = co_await a_in;
    co_return sent_ab == got_ab&& sent_ba == got_ba;
}

task<std::string> reads_after_trouble(tcp_listener* l) {
    std::string out;
    {
        // A read cancelled (by a cancel scope's deadline) leaves the stream usable.
        auto [cli, srv] = co_await tls_pair(l, client_ctx(), server_ctx());
        char b[5];
        try {
            (void)co_await with_timeout(50ms, cli.read_exactly(std::span<char>(b, 5)));
            out += "read (wrong)";
        } catch (const timeout_error&) {
            out += "cancelled";
        }
        (void)co_await srv.write_all(std::string_view("later"), 10s);
        const io_result r = co_await cli.read_exactly(std::span<char>(b, 5), 10s);
        out += ", then " + (r.ec ? r.ec.message() : std::string(b, 5));
        // Its own timeout too.
        const io_result t = co_await cli.read_some(std::span<char>(b, 5), 20ms);
        out += ", " + t.ec.message();
    }
    {
        // The peer closing TCP without close_notify: not a clean end.
        auto [cli, srv] = co_await tls_pair(l, client_ctx(), server_ctx());
        srv.close();
        char b[5];
        const io_result r = co_await cli.read_some(std::span<char>(b, 5), 10s);
        out += "; truncated: " + r.ec.message();
    }
    co_return out;
}

/// A write that times out with part of a record inside OpenSSL: writing
/// is over for that stream, loudly (no bytes of the next write sent as the
/// old record's).
task<std::string> interrupted_write(tcp_listener* l) {
    auto [cli, srv] = co_await tls_pair(l, client_ctx(), server_ctx());
    const std::string big(8u << 20, 'A');  // more than the socket buffers hold
    const io_result w = co_await cli.write_all(std::string_view(big), 100ms);
    std::string out = w.ec.message() + (w.n < big.size() ? " part-way" : " (all sent?)");
    const io_result again = co_await cli.write_all(std::string_view("B"), 1s);
    out += "; again: " + again.ec.message();
    out += "; shutdown: " + (co_await cli.shutdown(1s)).message();
    co_return out;
}

/// A handshake that never comes: the server's accept times out.
task<std::string> silent_client(tcp_listener* l) {
    auto c = co_await tcp_stream::connect(l->local_address(), 10s);
    auto s = co_await l->accept(10s);
    auto t = co_await tls_stream::accept(std::move(s.value()), server_ctx(), 100ms);
    co_return t ? std::string("accepted (wrong)") : t.error().message();
}

/// STARTTLS: a plain line, then TLS on the same connection. The client
/// sends its ClientHello right behind the line, so the server's read_line
/// reads part of it ahead: the TLS stream must see those bytes first.
task<std::string> starttls_client(address to) {
    auto c = co_await tcp_stream::connect(to, 10s);
    (void)co_await c->write_all(std::string_view("STARTTLS\n"), 10s);
    auto tls = co_await tls_stream::connect(std::move(*c), client_ctx(), "localhost", 10s);
    if (!tls) co_return tls.error().message();
    auto line = co_await read_line(*tls, 100, 10s);
    co_return line ? *line : line.error().message();
}

task<std::string> starttls(tcp_listener* l) {
    // One worker: the client runs up to its wait for the ServerHello (line
    // and ClientHello sent) before this process goes on.
    auto client = self().spawn(starttls_client, l->local_address());
    auto s = co_await l->accept(10s);
    co_await self().yield();
    auto cmd = co_await read_line(*s, 100, 10s);
    std::string out = cmd ? *cmd : cmd.error().message();
    out += s->buffered() > 0 ? " (ClientHello read ahead)" : " (nothing read ahead)";
    auto tls = co_await tls_stream::accept(std::move(*s), server_ctx(tls_verify::none), 10s);
    if (!tls) co_return out + ", accept: " + tls.error().message();
    (void)co_await tls->write_all(std::string_view("secret\n"), 10s);
    co_return out + ", client got: " + co_await client;
}

}  // namespace

TEST_CASE("tls: 8 MB each way at once, readers and writers on different workers", "[net][tls]") {
    runtime rt(real_config(2));
    tcp_listener l = listen_loopback();
    auto h = rt.spawn(full_duplex, &l);
    rt.run();
    CHECK(h.value());
}

TEST_CASE("tls: a cancelled or timed-out read leaves the stream usable, a truncation is reported",
          "[net][tls]") {
    runtime rt(real_config(1));
    tcp_listener l = listen_loopback();
    auto h = rt.spawn(reads_after_trouble, &l);
    rt.run();
    CHECK(h.value() == "cancelled, then later, " +
                           std::make_error_code(std::errc::timed_out).message() +
                           "; truncated: SSL routines: unexpected eof while reading");
}

TEST_CASE("tls: a handshake that does not come times out", "[net][tls]") {
    runtime rt(real_config(1));
    tcp_listener l = listen_loopback();
    auto h = rt.spawn(silent_client, &l);
    rt.run();
    CHECK(h.value() == std::make_error_code(std::errc::timed_out).message());
}

TEST_CASE("tls: STARTTLS, with bytes read ahead by the plain stream passed to TLS", "[net][tls]") {
    runtime rt(real_config(1));
    tcp_listener l = listen_loopback();
    auto h = rt.spawn(starttls, &l);
    rt.run();
    CHECK(h.value() == "STARTTLS (ClientHello read ahead), client got: secret");
}

TEST_CASE("tls: after a write gave up half-way, writing and shutdown fail loudly", "[net][tls]") {
    runtime rt(real_config(1));
    tcp_listener l = listen_loopback();
    auto h = rt.spawn(interrupted_write, &l);
    rt.run();
    const std::string broken = make_error_code(errc::write_interrupted).message();
    CHECK(h.value() == std::make_error_code(std::errc::timed_out).message() +
                           " part-way; again: " + broken + "; shutdown: " + broken);
}
