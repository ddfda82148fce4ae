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

#include "test_runtime.hpp"

using namespace coronet;
using namespace coronet::net;
using namespace coronet::test;

namespace {

std::string cert(const char* name) {
    return std::string(CORONET_TEST_CERTS_DIR) + "/" + name;
}

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
    CHECK(out[7].client.find("hello from /CN=client via TLSv1.3") == 0);
    CHECK(out[7].server == "server: ok");
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
    tls_options c;  // a verifying client needs CAs
    CHECK_THROWS_AS(tls_context::create(c), std::invalid_argument);
}
