// The distribution hook (detail/remote_route.hpp): two runtimes in one
// program, different node names, joined by a loopback router that encodes
// every message to bytes and decodes it on the other side, as a transport
// would. Real clock: tagged [threads].

#include <coronet/detail/remote_route.hpp>

#include <atomic>
#include <string>
#include <thread>
#include <catch2/catch.hpp>
#include <coronet/call.hpp>
#include <coronet/link.hpp>
#include <coronet/monitor.hpp>
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
    void monitor(const pid& target, const pid& watcher, std::uint64_t id) override {
        detail::deliver_remote_monitor(*peer, target, watcher, id);
    }
    void demonitor(const pid& target, const pid& watcher, std::uint64_t id) override {
        detail::deliver_remote_demonitor(*peer, target, watcher, id);
    }
    void down(const pid& watcher, std::uint64_t id, const pid& who,
              const exit_reason& reason) override {
        detail::deliver_remote_down(*peer, watcher, id, who, reason);
    }
    void link(const pid& target, const pid& from) override {
        detail::deliver_remote_link(*peer, target, from);
    }
    void unlink(const pid& target, const pid& from) override {
        detail::deliver_remote_unlink(*peer, target, from);
    }
    void exit(const pid& target, const pid& from, const exit_reason& reason,
              bool via_link) override {
        detail::deliver_remote_exit(*peer, target, from, reason, via_link);
    }
};

runtime_config named(const char* name) {
    runtime_config c = real_config(1);
    c.node_name = name;
    return c;
}

/// Two runtimes (nodes alpha and beta) joined by loopback routers; the
/// routers are removed before the runtimes go.
struct joined_nodes {
    runtime a{named("alpha")};
    runtime b{named("beta")};
    loopback_router to_b, to_a;
    joined_nodes() {
        to_b.peer = &b;
        to_a.peer = &a;
        detail::set_remote_router(a, &to_b);
        detail::set_remote_router(b, &to_a);
    }
    ~joined_nodes() {
        detail::set_remote_router(a, nullptr);
        detail::set_remote_router(b, nullptr);
    }
    joined_nodes(const joined_nodes&) = delete;
    joined_nodes& operator=(const joined_nodes&) = delete;
};

/// Waits for a ping, then fails.
task<void> failing_server() {
    (void)co_await self().receive<ping>();
    throw std::runtime_error("server broke");
}

/// Monitors the remote server, a pid of the server's node that names no
/// process, and the server again (then demonitors that one): the downs.
task<std::string> watcher(pid server) {
    const monitor_ref m = monitor(server);
    pid ghost = server;
    ghost.serial += 0x100;  // (same worker, a serial never given)
    const monitor_ref g = monitor(ghost);
    const monitor_ref dropped = monitor(server);
    demonitor(dropped);
    send(server, ping{self().id(), "die"});
    std::string out;
    for (int i = 0; i < 2; ++i) {
        const down_msg d = co_await self().receive<down_msg>();
        if (d.ref == m)
            out += std::string("server: ") + to_string(d.reason.kind) +
                   (d.who == server ? "" : " (wrong who)") + "; ";
        else if (d.ref == g)
            out += std::string("ghost: ") + to_string(d.reason.kind) + "; ";
        else
            out += "a down for the demonitored ref (wrong); ";
    }
    auto extra = co_await self().receive<down_msg>(50ms);
    co_return out + (extra ? "an extra down (wrong)" : "no more");
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
    joined_nodes n;
    runtime& a = n.a;
    runtime& b = n.b;
    REQUIRE(a.node_id() != b.node_id());
    auto server = b.spawn(pong_server);
    auto c = a.spawn(client, server.id());
    std::thread beta([&] { b.run(); });
    a.run();
    beta.join();
    CHECK(c.value() == "refused: named; pong to alpha from the server");
    CHECK(n.to_b.carried == 1);
    CHECK(n.to_a.carried == 1);
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

TEST_CASE("remote route: monitors across nodes get one down each (MO-3)", "[core][threads][wire]") {
    joined_nodes n;
    runtime& a = n.a;
    runtime& b = n.b;
    auto server = b.spawn(failing_server);
    auto w = a.spawn(watcher, server.id());
    std::thread beta([&] {
        try {
            b.run();
        } catch (const std::exception&) {  // (the server's root fails on purpose)
        }
    });
    a.run();
    beta.join();
    const std::string got = w.value();
    CHECK(got.find("server: error; ") != std::string::npos);
    CHECK(got.find("ghost: noproc; ") != std::string::npos);
    CHECK(got.find("no more") != std::string::npos);
    CHECK(got.find("wrong") == std::string::npos);
}

TEST_CASE("remote route: call across nodes, with built-in request and reply types (RPC-1)",
          "[core][threads][wire]") {
    joined_nodes n;
    runtime& a = n.a;
    runtime& b = n.b;
    auto server = b.spawn([]() -> task<void> {
        request<std::string> r = co_await self().receive<request<std::string>>();
        reply(r, static_cast<std::int64_t>(r.body.size()));
        request<ping> p = co_await self().receive<request<ping>>();
        reply(r, pong{"late", self().id()});  // (the first call's alias: dropped)
        reply(p, pong{"pong to " + p.body.text, self().id()});
    });
    auto c = a.spawn(
        [](pid s) -> task<std::string> {
            // (GCC 12: a temporary of a class type passed to a coroutine in a
            // co_await expression is copied bitwise; name it.)
            std::string four = "four";
            const std::int64_t n = co_await call<std::int64_t>(s, four, 10s);
            ping x{self().id(), "x"};
            const pong p = co_await call<pong>(s, x, 10s);
            std::string out = std::to_string(n) + " " + p.text;
            try {
                (void)co_await call<int>(s, 1, 10s);  // the server is gone by now
                out += " (wrong: a reply)";
            } catch (const call_error& e) {
                out += std::string(" ") + to_string(e.code());
            }
            co_return out;
        },
        server.id());
    std::thread beta([&] { b.run(); });
    a.run();
    beta.join();
    CHECK(c.value() == "4 pong to x noproc");
    CHECK(a.stats().dropped_replies == 1);
}

TEST_CASE("remote route: links across nodes carry exits both ways (LK-2)",
          "[core][threads][wire]") {
    joined_nodes n;
    runtime& a = n.a;
    runtime& b = n.b;
    // On beta: a trapping process reports the exit signals it gets, and a
    // plain one that a remote link failure takes down.
    auto trapper = b.spawn([]() -> task<std::string> {
        trap_exit(true);
        const exit_msg e = co_await self().receive<exit_msg>();
        std::string out = std::string(to_string(e.reason.kind)) + " " + e.reason.detail + "; ";
        // Unlinked before its exit: the client's end brings nothing.
        auto more = co_await self().receive<exit_msg>(300ms);
        co_return out + (more ? "more (wrong)" : "no more");
    });
    spawn_options isolated;
    isolated.isolated = true;  // (its failure must not tear beta down)
    auto plain =
        b.spawn_opt(isolated, []() -> task<void> { (void)co_await self().receive<ping>(); });
    auto c = a.spawn(
        [](pid t, pid p) -> task<std::string> {
            trap_exit(true);
            link(t);
            link(p);
            pid ghost = p;
            ghost.serial += 0x100;  // (a serial never given)
            link(ghost);
            std::string out;
            const exit_msg g = co_await self().receive<exit_msg>();
            out += std::string("ghost ") + to_string(g.reason.kind) +
                   (g.from == ghost ? "" : " (wrong from)") + "; ";
            // A child linked to the plain process fails: the failure crosses.
            auto child = self().spawn_link(
                [](pid target) -> task<void> {
                    link(target);
                    // (a round trip: the link is there before the failure)
                    co_await self().sleep(50ms);
                    throw std::runtime_error("child broke");
                },
                p);
            const exit_msg ce = co_await self().receive<exit_msg>();
            out += std::string("child ") + to_string(ce.reason.kind) + "; ";
            const exit_msg pe = co_await self().receive<exit_msg>();
            out += std::string("plain ") + to_string(pe.reason.kind) +
                   (pe.from == p ? "" : " (wrong from)") + "; ";
            coronet::exit(t, exit_reason{exit_kind::shutdown, nullptr, "told to"});
            unlink(t);
            co_return out;
        },
        trapper.id(), plain.id());
    std::thread beta([&] { b.run(); });  // (no rethrow: the failing root is isolated)
    a.run();
    beta.join();
    CHECK(c.value() == "ghost noproc; child error; plain error; ");
    CHECK(trapper.value() == "shutdown told to; no more");
}
