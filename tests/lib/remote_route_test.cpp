// The distribution hook (detail/remote_route.hpp): two runtimes in one
// program, different node names, joined by a loopback router that encodes
// every message to bytes and decodes it on the other side, as a transport
// would. Real clock: tagged [threads].

#include <coronet/detail/remote_route.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <catch2/catch.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>
#include <coronet/serialize.hpp>

#include "test_runtime.hpp"

namespace routetest {

struct ping {
    coronet::pid from;
    std::string text;
    template <class F>
    friend void fields(F& f, ping& p) {
        f(p.from, p.text);
    }
};

struct pong {
    std::string text;
    coronet::pid server;
    template <class F>
    friend void fields(F& f, pong& p) {
        f(p.text, p.server);
    }
};

struct not_for_the_wire {
    int x = 0;
};

}  // namespace routetest

CORONET_SERIALIZABLE(routetest::ping, "coronet.test.ping");
CORONET_SERIALIZABLE(routetest::pong, "coronet.test.pong");

namespace {

using namespace coronet;
using namespace coronet::test;
using routetest::ping;
using routetest::pong;

/// Bytes out, bytes in: what a transport does, without a network.
class loopback_router final : public detail::remote_router {
  public:
    runtime* peer = nullptr;
    std::atomic<int> carried{0};
    void route(const pid& to, detail::message* m) override {
        std::string bytes;
        try {
            encode_message(*m, bytes);
        } catch (...) {
            detail::free_message(m);
            throw;
        }
        detail::free_message(m);
        detail::deliver_remote(*peer, to, decode_message(bytes));
        ++carried;
    }
};

runtime_config named(const char* name) {
    runtime_config c = real_config(1);
    c.node_name = name;
    return c;
}

task<void> pong_server() {
    const ping p = co_await self().receive<ping>();
    send(p.from, pong{"pong to " + p.text, self().id()});
}

task<std::string> client(pid server) {
    std::string out;
    try {
        send(server, routetest::not_for_the_wire{1});
        out += "sent (wrong); ";
    } catch (const not_serializable& e) {
        out += std::string("refused: ") +
               (std::string(e.what()).find("not_for_the_wire") != std::string::npos ? "named; "
                                                                                    : "unnamed; ");
    }
    send(server, ping{self().id(), "alpha"});
    auto reply = co_await self().receive<pong>(10s);
    if (!reply) co_return out + "no reply";
    co_return out + reply->text +
        (reply->server == server ? " from the server" : " from elsewhere");
}

}  // namespace

TEST_CASE("remote route: sends to another node's pid go through the router and back",
          "[core][threads][wire]") {
    runtime a(named("alpha"));
    runtime b(named("beta"));
    REQUIRE(a.node_id() != b.node_id());
    loopback_router to_b, to_a;
    to_b.peer = &b;
    to_a.peer = &a;
    detail::set_remote_router(a, &to_b);
    detail::set_remote_router(b, &to_a);
    auto server = b.spawn(pong_server);
    auto c = a.spawn(client, server.id());
    std::thread beta([&] { b.run(); });
    a.run();
    beta.join();
    CHECK(c.value() == "refused: named; pong to alpha from the server");
    CHECK(to_b.carried == 1);
    CHECK(to_a.carried == 1);
    detail::set_remote_router(a, nullptr);
    detail::set_remote_router(b, nullptr);
}

TEST_CASE("remote route: without a router, another node's pid is a dead letter", "[core][wire]") {
    runtime a(virtual_config());
    pid elsewhere{a.node_id() + 1, 1, 0, 0x101};
    a.spawn(
        [](pid to) -> task<void> {
            send(to, ping{self().id(), "lost"});
            co_return;
        },
        elsewhere);
    a.run();
    CHECK(a.stats().dead_letters == 1);
}
