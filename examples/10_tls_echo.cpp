// 10_tls_echo: a TLS echo server with mutual TLS. The server (127.0.0.1, port 0)
// requires a client certificate signed by its CA; each connection gets its own
// process, which greets the client by its certificate's name and echoes lines back.
// Three clients with certificates each send three lines; a fourth client has no
// certificate and is refused, while the server goes on serving the others.
// Run: build/dev/examples/coronet_example_10_tls_echo build/dev/test-certs
// (the certificates the build generates with the openssl CLI; see
// scripts/gen-test-certs.sh). Prints each client's conversation, then "tls echo: ok".
#include <coronet/coronet.hpp>
#include <coronet/net.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using namespace coronet::net;

constexpr std::size_t max_line = 4096;

coronet::task<void> serve(tcp_stream s, tls_context ctx) {
    auto t = co_await tls_stream::accept(std::move(s), ctx, 10s);
    if (!t) {  // this connection only: the server goes on
        std::printf("server: refused a client: %s\n", t.error().message().c_str());
        co_return;
    }
    const std::string hello = "hello " + t->peer_subject() + "\n";
    if ((co_await t->write_all(std::string_view(hello), 10s)).ec) co_return;
    for (;;) {
        auto line = co_await read_line(*t, max_line, 10s);
        if (!line) break;  // close_notify (or an error): done
        const std::string echo = "echo: " + *line + "\n";
        if ((co_await t->write_all(std::string_view(echo), 10s)).ec) break;
    }
    (void)co_await t->shutdown(10s);
}

coronet::task<void> server(tcp_listener* l, tls_context ctx, int connections) {
    for (int i = 0; i < connections; ++i) {
        auto c = co_await l->accept(10s);
        if (!c) throw std::system_error(c.error(), "accept");
        coronet::self().spawn(serve, std::move(*c), ctx);
    }
}

/// One conversation; its transcript (or where it failed).
coronet::task<std::string> client(address to, tls_context ctx, int id) {
    auto c = co_await tcp_stream::connect(to, 10s);
    if (!c) co_return "connect: " + c.error().message();
    auto t = co_await tls_stream::connect(std::move(*c), ctx, "localhost", 10s);
    if (!t) co_return "handshake: " + t.error().message();
    auto hello = co_await read_line(*t, max_line, 10s);
    if (!hello) co_return "refused: " + hello.error().message();
    std::string transcript = *hello;
    for (int i = 0; i < 3; ++i) {
        const std::string line =
            "line " + std::to_string(i) + " of client " + std::to_string(id) + "\n";
        if ((co_await t->write_all(std::string_view(line), 10s)).ec)
            co_return transcript + " / write failed";
        auto back = co_await read_line(*t, max_line, 10s);
        transcript += " | " + (back ? *back : back.error().message());
    }
    (void)co_await t->shutdown(10s);
    co_return transcript;
}

int main(int argc, char** argv) {
    if (argc < 2) {
        std::fprintf(stderr, "usage: %s <certificate directory>\n", argv[0]);
        return 2;
    }
    const std::string dir = argv[1];
    tls_options so;  // the server: its certificate, and its CA for clients
    so.role = tls_role::server;
    so.certificate_chain_file = dir + "/server.pem";
    so.private_key_file = dir + "/server.key";
    so.ca_file = dir + "/ca.pem";
    so.verify = tls_verify::require_peer;  // mutual TLS
    tls_options co;                        // a client: its certificate, and the CA it trusts
    co.certificate_chain_file = dir + "/client.pem";
    co.private_key_file = dir + "/client.key";
    co.ca_file = dir + "/ca.pem";
    tls_options anonymous = co;  // a client without a certificate
    anonymous.certificate_chain_file.clear();
    anonymous.private_key_file.clear();

    coronet::runtime_config cfg;
    cfg.workers = 2;
    coronet::runtime rt(cfg);
    auto l = tcp_listener::bind(address::loopback(0));
    if (!l) {
        std::printf("bind: %s\n", l.error().message().c_str());
        return 1;
    }
    rt.spawn(server, &*l, tls_context::create(so), 4);
    std::vector<coronet::handle<std::string>> cs;
    const tls_context with_cert = tls_context::create(co);
    for (int i = 0; i < 3; ++i) cs.push_back(rt.spawn(client, l->local_address(), with_cert, i));
    auto stranger = rt.spawn(client, l->local_address(), tls_context::create(anonymous), 3);
    rt.run();

    int good = 0;
    for (auto& c : cs) {
        const std::string t = c.value();
        std::printf("client: %s\n", t.c_str());
        if (t.rfind("hello /CN=client | echo: line 0", 0) == 0) ++good;
    }
    const std::string refused = stranger.value();
    std::printf("client without a certificate: %s\n", refused.c_str());
    const bool ok = good == 3 && refused.find("certificate required") != std::string::npos;
    std::printf("tls echo: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
