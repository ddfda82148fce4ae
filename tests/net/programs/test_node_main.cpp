// coronet_test_node: a node in a process of its own, for the multi-process
// node tests (tests/net/node_test.cpp), which start it as a subprocess.
//
//   coronet_test_node <node name> [cluster]
//
// Prints "PORT <n>" (the port it listens on, 127.0.0.1) on stdout, then
// serves: "echo" answers every ping with a pong and every call with a
// reply, "victim" waits; other nodes may spawn "greeter" (pid, text). It ends
// cleanly (exit 0) when its standard input closes; with "cluster" it runs
// a discovery::cluster too (names, status) and offers "sv_worker" (the
// remote supervision tests); the tests also SIGKILL
// and SIGSTOP it. It bounds its own life to 60 s, so a test that forgets it
// leaves nothing behind for long.

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <coronet/call.hpp>
#include <coronet/discovery/cluster.hpp>
#include <coronet/names.hpp>
#include <coronet/net/node.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>

#include "../../discovery/sv_worker.hpp"
#include "../node_test_messages.hpp"

using namespace std::chrono_literals;
using namespace coronet;

namespace {

/// Answers pings with pongs, and calls (request<ping>) with a reply.
task<void> echo() {
    for (;;) {
        co_await self().receive_any(
            [](nodetest::ping p) { send(p.from, nodetest::pong{"pong: " + p.text}); },
            [](request<nodetest::ping> r) { reply(r, nodetest::pong{"reply: " + r.body.text}); });
    }
}

/// Spawnable by other nodes: greets `to`, then waits to be stopped.
task<void> greeter(pid to, std::string text) {
    send(to, nodetest::pong{"hello " + text});
    (void)co_await self().receive<nodetest::ping>();
}

task<void> victim() {
    (void)co_await self().receive<nodetest::pong>();  // (never comes)
}

}  // namespace

int main(int argc, char** argv) {
    const bool with_cluster = argc == 3 && std::string(argv[2]) == "cluster";
    if (argc != 2 && !with_cluster) {
        std::fprintf(stderr, "usage: %s <node name> [cluster]\n", argv[0]);
        return 2;
    }
    runtime_config cfg;
    cfg.workers = 1;
    cfg.node_name = argv[1];
    runtime rt(cfg);
    auto n = net::node::start(rt);
    n->add_spawnable("greeter", &greeter);
    n->add_spawnable("sv_worker", &coronet::test::sv_worker);
    std::unique_ptr<discovery::cluster> cl;
    if (with_cluster) cl = discovery::cluster::start(*n);
    auto e = rt.spawn(echo);
    auto v = rt.spawn(victim);
    rt.register_name("echo", e.id());
    rt.register_name("victim", v.id());
    std::printf("PORT %u\n", static_cast<unsigned>(n->port()));
    std::fflush(stdout);
    // Until stdin closes (or 60 s): then stop both servers; run() returns.
    std::thread watch([&] {
        const auto until = std::chrono::steady_clock::now() + 60s;
        char b[64];
        while (std::chrono::steady_clock::now() < until) {
            const ssize_t r = ::read(0, b, sizeof b);
            if (r <= 0) break;
        }
        rt.cancel(e.id(), "stdin closed");
        rt.cancel(v.id(), "stdin closed");
    });
    rt.run();
    watch.join();
    cl.reset();
    n.reset();
    std::printf("STOPPED\n");
    return 0;
}
