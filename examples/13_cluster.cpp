// 13_cluster: three nodes on loopback, each in its own OS process (this
// program, started as "alpha", which starts itself twice more as "beta"
// and "gamma"). alpha:
// - calls beta's ponger 1000 times (request/response across nodes);
// - spawns a greeter on gamma (remote spawn) and hears from it;
// - subscribes to beta's topic "quotes" through a relay, and beta's feed
//   publishes with deliver(n), which counts alpha's copies;
// - monitors a process of gamma, SIGKILLs gamma, and prints the down.
// Everything ends by itself: beta stops when its standard input closes.

#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>
#include <coronet/call.hpp>
#include <coronet/channels.hpp>
#include <coronet/coronet.hpp>
#include <coronet/net/node.hpp>
#include <coronet/net/subprocess.hpp>

using namespace std::chrono_literals;
using namespace coronet;

namespace cluster {

struct ping {
    std::uint64_t n = 0;
    template <class F>
    friend void fields(F& f, ping& p) {
        f(p.n);
    }
};

struct pong {
    std::uint64_t n = 0;
    template <class F>
    friend void fields(F& f, pong& p) {
        f(p.n);
    }
};

struct quote {
    std::string symbol;
    double price = 0;
    template <class F>
    friend void fields(F& f, quote& q) {
        f(q.symbol, q.price);
    }
};

/// To beta's feed: publish `n` quotes with deliver(q, 1), then tell `to`.
struct feed_request {
    pid to;
    std::uint32_t n = 0;
    template <class F>
    friend void fields(F& f, feed_request& r) {
        f(r.to, r.n);
    }
};

struct feed_done {
    std::uint32_t published = 0;
    std::uint32_t delivered = 0;  ///< what deliver(n) counted
    template <class F>
    friend void fields(F& f, feed_done& d) {
        f(d.published, d.delivered);
    }
};

struct hello {
    std::string text;
    template <class F>
    friend void fields(F& f, hello& h) {
        f(h.text);
    }
};

}  // namespace cluster

CORONET_SERIALIZABLE(cluster::ping, "example.cluster.ping");
CORONET_SERIALIZABLE(cluster::pong, "example.cluster.pong");
CORONET_SERIALIZABLE(cluster::quote, "example.cluster.quote");
CORONET_SERIALIZABLE(cluster::feed_request, "example.cluster.feed_request");
CORONET_SERIALIZABLE(cluster::feed_done, "example.cluster.feed_done");
CORONET_SERIALIZABLE(cluster::hello, "example.cluster.hello");

namespace {

using namespace cluster;

std::string the_node_name;  // (each process runs one node)
std::string node_name() {
    return the_node_name;
}

// ------------------------------------------------------------ beta and gamma

/// Answers calls: pong n for ping n.
task<void> ponger() {
    for (;;) {
        request<ping> r = co_await self().receive<request<ping>>();
        reply(r, pong{r.body.n});
    }
}

/// Publishes quotes on request; deliver(q, 1) waits until one subscriber
/// (alpha's relay) took each.
task<void> feed(topic<quote> quotes) {
    for (;;) {
        const feed_request r = co_await self().receive<feed_request>();
        feed_done d;
        for (std::uint32_t i = 0; i < r.n; ++i) {
            // (Named: GCC 12 copies a class temporary inside a co_await
            // expression bitwise, which breaks a std::string member.)
            quote q{"ACME", 100.0 + 0.5 * i};
            const std::size_t got = co_await quotes.deliver(q, 1, 5s);
            ++d.published;
            d.delivered += static_cast<std::uint32_t>(got);
        }
        send(r.to, d);
    }
}

/// Spawnable: greets `to`, then answers calls until stopped.
task<void> greeter(pid to, std::string name) {
    send(to, hello{"hello " + name + ", from " + node_name()});
    co_await ponger();
}

/// Waits until stopped.
task<void> victim() {
    (void)co_await self().receive<ping>();
}

int run_peer(const std::string& name) {
    runtime_config cfg;
    cfg.workers = 1;
    cfg.node_name = name;
    the_node_name = name;
    runtime rt(cfg);
    auto n = net::node::start(rt);
    n->add_spawnable("greeter", &greeter);
    std::vector<pid> mine;
    if (name == "beta") {
        auto quotes = topic<quote>::create(rt, "quotes");
        n->add_spawnable("quotes", &topic_relay<quote>);
        auto p = rt.spawn(ponger);
        auto f = rt.spawn(feed, quotes);
        rt.register_name("ponger", p.id());
        rt.register_name("feed", f.id());
        mine = {p.id(), f.id()};
    } else {
        auto v = rt.spawn(victim);
        rt.register_name("victim", v.id());
        mine = {v.id()};
    }
    std::printf("PORT %u\n", static_cast<unsigned>(n->port()));
    std::fflush(stdout);
    // Until alpha closes our standard input (or 60 s).
    std::thread watch([&] {
        const auto until = std::chrono::steady_clock::now() + 60s;
        char b[64];
        while (std::chrono::steady_clock::now() < until && ::read(0, b, sizeof b) > 0) {
        }
        for (const pid& p : mine) rt.cancel(p, "stdin closed");
    });
    try {
        rt.run();
    } catch (const std::exception&) {  // (cancelled roots)
    }
    watch.join();
    n.reset();  // (on the thread that started it: CAF 0.17)
    return 0;
}

// ------------------------------------------------------------ alpha

/// Starts this program as `name`; the port its node listens on.
std::pair<net::subprocess, std::uint16_t> start_peer(const std::string& name) {
    char self_exe[4096] = {};
    const ssize_t len = ::readlink("/proc/self/exe", self_exe, sizeof self_exe - 1);
    if (len <= 0) throw std::runtime_error("cannot find this program");
    net::subprocess_options o;
    o.err = net::stdio::inherit;  // (their log lines go where ours go)
    auto sp =
        net::subprocess::start(std::string(self_exe, static_cast<std::size_t>(len)), {name}, o);
    if (!sp) throw std::runtime_error("cannot start " + name + ": " + sp.error().message());
    std::string line;
    pollfd pfd{sp->out().native_handle(), POLLIN, 0};
    char c = 0;
    while (line.size() < 100 && ::poll(&pfd, 1, 20000) == 1 && ::read(pfd.fd, &c, 1) == 1 &&
           c != '\n')
        line += c;
    if (line.rfind("PORT ", 0) != 0) throw std::runtime_error(name + " did not start");
    return {std::move(*sp), static_cast<std::uint16_t>(std::stoi(line.substr(5)))};
}

task<void> alpha_main(net::node* here, net::subprocess* beta, net::subprocess* gamma) {
    // 1. Calls across nodes.
    const auto ponger_pid = co_await here->whereis("beta", "ponger", 5s);
    if (!ponger_pid) throw std::runtime_error("no ponger on beta");
    const auto t0 = self().now();
    std::uint64_t answered = 0;
    for (std::uint64_t i = 0; i < 1000; ++i) {
        ping p{i};
        const pong r = co_await call<pong>(*ponger_pid, p, 5s);
        if (r.n == i) ++answered;
    }
    const auto us = std::chrono::duration_cast<std::chrono::microseconds>(self().now() - t0);
    std::printf("alpha: %llu of 1000 calls to beta answered\n",
                static_cast<unsigned long long>(answered));
    std::printf("alpha:   (%.1f us per call, round trip)\n", us.count() / 1000.0);

    // 2. A remote spawn.
    const pid g =
        co_await here->spawn_on("gamma", "greeter", 5s, self().id(), std::string("alpha"));
    const hello h = co_await self().receive<hello>();
    std::printf("alpha: spawned a greeter on gamma; it says: %s\n", h.text.c_str());

    // 3. A topic of beta.
    const pid relay = co_await here->spawn_on("beta", "quotes", 5s, relay_request_for("quotes"));
    const monitor_ref relay_mon = monitor(relay);
    const auto feed_pid = co_await here->whereis("beta", "feed", 5s);
    if (!feed_pid) throw std::runtime_error("no feed on beta");
    send(*feed_pid, feed_request{self().id(), 3});
    for (int i = 0; i < 3; ++i) {
        const quote q = co_await self().receive<quote>();
        std::printf("alpha: quote from beta's topic: %s %.2f\n", q.symbol.c_str(), q.price);
    }
    const feed_done d = co_await self().receive<feed_done>();
    std::printf("alpha: beta published %u quotes, deliver(n) counted %u received\n", d.published,
                d.delivered);
    coronet::exit(relay, exit_reason{exit_kind::shutdown, nullptr, "unsubscribed"});
    const down_msg rd = co_await self().receive<down_msg>();
    std::printf("alpha: the relay ended: %s\n",
                rd.ref == relay_mon ? to_string(rd.reason.kind) : "(another down)");

    // 4. gamma is killed while we monitor one of its processes.
    const auto v = co_await here->whereis("gamma", "victim", 5s);
    if (!v) throw std::runtime_error("no victim on gamma");
    const monitor_ref m = monitor(*v);
    ping sync{7};
    (void)co_await call<pong>(g, sync, 5s);  // (behind the monitor: gamma has it)
    const auto k0 = self().now();
    gamma->kill(SIGKILL);
    const down_msg down = co_await self().receive<down_msg>();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(self().now() - k0);
    std::printf("alpha: gamma was SIGKILLed; down for its victim: %s%s\n",
                to_string(down.reason.kind), down.ref == m ? "" : " (another ref)");
    std::printf("alpha:   (%lld ms after the kill: %s)\n", static_cast<long long>(ms.count()),
                down.reason.detail.c_str());
    auto gs = co_await gamma->wait(10s);
    std::printf("alpha: gamma %s\n", gs ? gs->to_string().c_str() : gs.error().message().c_str());

    // beta stops when its standard input closes.
    beta->in().close();
    auto bs = co_await beta->wait(10s);
    std::printf("alpha: beta %s\n", bs ? bs->to_string().c_str() : bs.error().message().c_str());
}

int run_alpha() {
    // The peers first, then this node (docs/caf017: a node process started
    // after node::start was seen to hang ~actor_system).
    auto [beta, beta_port] = start_peer("beta");
    auto [gamma, gamma_port] = start_peer("gamma");
    runtime_config cfg;
    cfg.workers = 1;
    cfg.node_name = "alpha";
    runtime rt(cfg);
    auto n = net::node::start(rt);
    for (auto port : {beta_port, gamma_port}) {
        auto peer = n->connect("127.0.0.1", port);
        if (!peer) {
            std::printf("alpha: connect failed: %s\n", peer.error().message().c_str());
            return 1;
        }
        std::printf("alpha: connected to %s\n", peer->c_str());
    }
    auto h = rt.spawn(alpha_main, n.get(), &beta, &gamma);
    rt.run();
    h.value();
    n.reset();
    std::printf("cluster: ok\n");
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::setvbuf(stdout, nullptr, _IOLBF, 0);  // (line by line, also into a pipe)
    try {
        if (argc >= 2 && (std::string(argv[1]) == "beta" || std::string(argv[1]) == "gamma"))
            return run_peer(argv[1]);
        return run_alpha();
    } catch (const std::exception& e) {
        std::printf("cluster: failed: %s\n", e.what());
        return 1;
    }
}
