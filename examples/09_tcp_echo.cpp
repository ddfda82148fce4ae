// 09_tcp_echo: a TCP server on the workers' reactor. The server listens on 127.0.0.1
// (port 0: the system picks one) and gives each connection its own process, which
// echoes length-prefixed frames (at most 64 KiB each, so a hostile peer cannot make it
// allocate more). 200 clients on two workers each send 20 frames, check every echo,
// and close; then the server stops.
// Run: build/dev/examples/coronet_example_09_tcp_echo
// Prints the port, the number of frames echoed, then "tcp echo: ok".
#include <coronet/coronet.hpp>
#include <coronet/net.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using coronet::net::tcp_stream;

constexpr int clients = 200;
constexpr int frames_each = 20;
constexpr std::size_t max_frame = 64 * 1024;

coronet::task<void> serve(tcp_stream s) {
    for (;;) {
        auto frame = co_await coronet::net::read_frame(s, max_frame, 30s);
        if (!frame) break;  // the client closed (or misbehaved): drop it
        const auto w = co_await coronet::net::write_frame(s, std::move(*frame), 30s);
        if (w.ec) break;
    }
}

coronet::task<void> server(coronet::net::tcp_listener* l, int connections) {
    for (int i = 0; i < connections; ++i) {
        auto c = co_await l->accept(30s);
        if (!c) throw std::system_error(c.error(), "accept");
        coronet::self().spawn(serve, std::move(*c));  // its child: joined at the end
    }
}

coronet::task<int> client(coronet::net::address to, int id) {
    auto c = co_await tcp_stream::connect(to, 30s);
    if (!c) co_return 0;
    c->set_nodelay(true);
    int echoed = 0;
    for (int i = 0; i < frames_each; ++i) {
        std::string msg = "client " + std::to_string(id) + " frame " + std::to_string(i);
        const std::string expect = msg;
        const auto w = co_await coronet::net::write_frame(*c, std::move(msg), 30s);
        if (w.ec) break;
        auto back = co_await coronet::net::read_frame(*c, max_frame, 30s);
        if (back && *back == expect) ++echoed;
    }
    co_return echoed;
}

int main() {
    coronet::runtime_config cfg;
    cfg.workers = 2;
    coronet::runtime rt(cfg);
    auto l = coronet::net::tcp_listener::bind(coronet::net::address::loopback(0), 256);
    if (!l) {
        std::printf("bind: %s\n", l.error().message().c_str());
        return 1;
    }
    std::printf("listening on %s\n", l->local_address().to_string().c_str());
    rt.spawn(server, &*l, clients);
    std::vector<coronet::handle<int>> cs;
    for (int i = 0; i < clients; ++i)
        cs.push_back(rt.spawn_opt({coronet::placement::pinned(static_cast<std::uint32_t>(i % 2))},
                                  client, l->local_address(), i));
    rt.run();
    int total = 0;
    for (auto& c : cs) total += c.value();
    std::printf("frames echoed: %d of %d\n", total, clients * frames_each);
    const bool ok = total == clients * frames_each;
    std::printf("tcp echo: %s\n", ok ? "ok" : "FAILED");
    return ok ? 0 : 1;
}
