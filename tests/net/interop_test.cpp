// Our TLS and TCP against real tools no one here wrote: the openssl CLI's
// s_client and s_server, and socat (both installed by
// scripts/install-deps.sh). Loopback, port 0, real clock: tagged
// [net][interop]. Every tool is a subprocess the test bounds and kills.

#include <coronet/net/subprocess.hpp>
#include <coronet/net/tls_stream.hpp>

#include <string>
#include <vector>
#include <catch2/catch.hpp>
#include <coronet/net/framing.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>

#include "net_test_helpers.hpp"
#include "test_runtime.hpp"

using namespace coronet;
using namespace coronet::net;
using namespace coronet::test;

namespace {

tls_context make_ctx(tls_role role, bool with_cert) {
    tls_options o;
    o.role = role;
    if (with_cert) {
        const bool server = role == tls_role::server;
        o.certificate_chain_file = cert(server ? "server.pem" : "client.pem");
        o.private_key_file = cert(server ? "server.key" : "client.key");
    }
    o.ca_file = cert("ca.pem");
    o.verify = tls_verify::require_peer;
    return tls_context::create(o);
}

/// Starts a tool; a missing one fails the test (install-deps.sh installs it).
subprocess tool(std::vector<std::string> argv) {
    const std::string program = argv.front();
    argv.erase(argv.begin());
    auto p = subprocess::start(program, std::move(argv));
    INFO(program << ": " << p.error().message());
    REQUIRE(p);
    return std::move(*p);
}

/// How the tool ended (killed if it does not end within 20 s).
task<std::string> status_of(subprocess* p) {
    auto st = co_await p->wait(20s);
    if (st) co_return st->to_string();
    p->kill();
    co_return "still running: " + st.error().message();
}

/// Our mutual-TLS server for one connection: each line back as "echo: ...",
/// then close_notify once the client closes its side.
task<std::string> serve_tls_once(tcp_listener* l) {
    auto c = co_await l->accept(20s);
    if (!c) co_return "accept: " + c.error().message();
    auto t = co_await tls_stream::accept(std::move(*c), make_ctx(tls_role::server, true), 20s);
    if (!t) co_return "handshake: " + t.error().message();
    const std::string who = t->peer_subject();
    auto line = co_await read_line(*t, 1000, 20s);
    if (!line) co_return "read: " + line.error().message();
    const std::string reply = "echo: " + *line + "\n";
    (void)co_await t->write_all(std::string_view(reply), 20s);
    (void)co_await t->shutdown(20s);
    co_return "served " + who;
}

task<std::string> s_client_against_us(tcp_listener* l) {
    auto server = self().spawn(serve_tls_once, l);
    const std::string port = std::to_string(l->local_address().port());
    subprocess p = tool({"openssl", "s_client", "-connect", "127.0.0.1:" + port, "-CAfile",
                         cert("ca.pem"), "-cert", cert("client.pem"), "-key", cert("client.key"),
                         "-servername", "localhost", "-verify_return_error", "-quiet"});
    (void)co_await p.in().write_all(std::string_view("from s_client\n"), 20s);
    p.in().close();  // -quiet: s_client goes on until the server closes
    auto err = self().spawn(read_to_end, &p.err());
    const std::string out = co_await read_to_end(&p.out());
    const std::string status = co_await status_of(&p);
    const std::string served = co_await server;
    const std::string diagnostics = co_await err;
    UNSCOPED_INFO("s_client stderr: " << diagnostics);
    co_return out + "| " + status + " | " + served;
}

/// `openssl s_server -rev` (it sends each line back reversed), port 0: its
/// port is in its "ACCEPT host:port" line.
task<std::string> us_against_s_server(bool with_cert) {
    subprocess p = tool({"openssl", "s_server", "-accept", "127.0.0.1:0", "-naccept", "1", "-rev",
                         "-cert", cert("server.pem"), "-key", cert("server.key"), "-CAfile",
                         cert("ca.pem"), "-Verify", "1"});
    std::string banner;
    std::uint16_t port = 0;
    while (port == 0) {
        auto line = co_await read_line(p.out(), 1000, 20s);
        if (!line) co_return "no ACCEPT line: " + line.error().message();
        if (line->rfind("ACCEPT ", 0) == 0)
            port = static_cast<std::uint16_t>(std::stoi(line->substr(line->rfind(':') + 1)));
    }
    auto c = co_await tcp_stream::connect(address::loopback(port), 20s);
    if (!c) co_return "connect: " + c.error().message();
    auto t = co_await tls_stream::connect(std::move(*c), make_ctx(tls_role::client, with_cert),
                                          "localhost", 20s);
    if (!t) co_return "handshake: " + t.error().message();
    (void)co_await t->write_all(std::string_view("hello s_server\n"), 20s);
    std::string got;
    for (;;) {  // s_server -rev may send a banner line first
        auto line = co_await read_line(*t, 1000, 20s);
        if (!line) {
            got = "read: " + line.error().message();
            break;
        }
        if (*line == "revres_s olleh") {
            got = *line;
            break;
        }
    }
    (void)co_await t->shutdown(20s);
    t->close();
    auto drain = self().spawn(read_to_end, &p.out());  // so that it never blocks on stdout
    std::string status = co_await status_of(&p);
    (void)co_await drain;
    co_return got + " | " + status + " | " + t->version();
}

/// Our plain echo server for one connection: until the peer's half-close.
task<void> echo_once(tcp_listener* l) {
    auto c = co_await l->accept(20s);
    if (!c) co_return;
    char buf[4096];
    for (;;) {
        const io_result r = co_await c->read_some(std::span<char>(buf), 20s);
        if (r.ec || r.n == 0) co_return;
        if ((co_await c->write_all(std::span<const char>(buf, r.n), 20s)).ec) co_return;
    }
}

task<std::string> socat_against_us(tcp_listener* l) {
    auto server = self().spawn(echo_once, l);
    const std::string port = std::to_string(l->local_address().port());
    subprocess p = tool({"socat", "-t", "10", "-", "TCP:127.0.0.1:" + port});
    std::string text;
    for (int i = 0; i < 2000; ++i) text += "line " + std::to_string(i) + "\n";
    auto writer = self().spawn(
        [](pipe_writer* in, std::string all) -> task<void> {
            (void)co_await in->write_all(std::string_view(all), 20s);
            in->close();  // socat half-closes the connection: our server ends
        },
        &p.in(), text);
    const std::string out = co_await read_to_end(&p.out());
    co_await writer;
    co_await server;
    const std::string status = co_await status_of(&p);
    co_return (out == text ? "echoed " + std::to_string(out.size()) + " bytes"
                           : "wrong echo: " + out) +
        " | " + status;
}

}  // namespace

TEST_CASE("interop: openssl s_client with a client certificate against our TLS server",
          "[net][interop]") {
    runtime rt(real_config(2));
    auto l = tcp_listener::bind(address::loopback(0));
    REQUIRE(l);
    auto h = rt.spawn(s_client_against_us, &*l);
    rt.run();
    CHECK(h.value() == "echo: from s_client\n| exited with code 0 | served /CN=client");
}

TEST_CASE("interop: our TLS client against openssl s_server requiring a client certificate",
          "[net][interop]") {
    runtime rt(real_config(2));
    auto ok = rt.spawn(us_against_s_server, true);
    auto refused = rt.spawn(us_against_s_server, false);
    rt.run();
    CHECK(ok.value() == "revres_s olleh | exited with code 0 | TLSv1.3");
    // s_server refuses the client without a certificate after the handshake (TLS 1.3).
    CHECK(refused.value().find("read: SSL routines:") == 0);
}

TEST_CASE("interop: socat as a client of our TCP echo server", "[net][interop]") {
    runtime rt(real_config(2));
    auto l = tcp_listener::bind(address::loopback(0));
    REQUIRE(l);
    auto h = rt.spawn(socat_against_us, &*l);
    rt.run();
    CHECK(h.value() == "echoed 18890 bytes | exited with code 0");
}
