// discovery::cluster: membership messages and locate across three nodes in
// one program (real clock, loopback). Nodes are destroyed on the thread
// that made them (CAF 0.17).

#include <coronet/discovery/cluster.hpp>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <future>
#include <string>
#include <thread>
#include <vector>
#include <catch2/catch.hpp>
#include <coronet/blocking.hpp>
#include <coronet/call.hpp>
#include <coronet/names.hpp>
#include <coronet/net/node.hpp>
#include <coronet/net/subprocess.hpp>
#include <coronet/receive.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>

#include "test_cluster.hpp"
#include "test_runtime.hpp"

#include "../net/test_peer.hpp"

namespace {

using namespace coronet;
using namespace coronet::discovery;
using namespace coronet::test;

/// Waits forever (a process to find).
task<void> sleeper() {
    (void)co_await self().receive<int>();
}

/// Collects `n` membership messages as "+name" / "-name".
task<std::string> watch(int n) {
    std::string out;
    for (int i = 0; i < n; ++i) {
        out += co_await self().receive_any([](node_up u) { return "+" + u.node + " "; },
                                           [](node_down d) { return "-" + d.node + " "; });
    }
    co_return out;
}

}  // namespace

TEST_CASE("cluster: members, locate across three nodes, membership messages", "[discovery][net]") {
    runtime a(named("alpha"));
    runtime b(named("beta"));
    runtime c(named("gamma"));
    auto na = net::node::start(a);
    auto nb = net::node::start(b);
    auto nc = net::node::start(c);
    auto ca = cluster::start(*na);
    auto watcher = a.spawn(watch, 3);
    ca->subscribe(watcher.id());
    REQUIRE(na->connect("127.0.0.1", nb->port()));
    REQUIRE(na->connect("127.0.0.1", nc->port()));
    CHECK(ca->members() == std::vector<std::string>{"alpha", "beta", "gamma"});
    auto on_c = c.spawn(sleeper);
    REQUIRE(c.register_name("far-away-service-with-a-long-name", on_c.id()));
    auto cc = cluster::start(*nc);  // (answers status queries: one process then)
    auto on_a = a.spawn(sleeper);
    REQUIRE(a.register_name("here", on_a.id()));
    std::promise<void> found;
    auto finder = a.spawn(
        [](cluster* cl, std::promise<void>* done) -> task<std::string> {
            std::string out;
            auto far = co_await cl->locate("far-away-service-with-a-long-name", 5s);
            out += far ? "far found; " : "far missing; ";
            auto here = co_await cl->locate("here", 5s);
            out += here && here->node == self().id().node ? "here found here; " : "here wrong; ";
            auto none = co_await cl->locate("nobody", 5s);
            out += none ? "nobody found (wrong)" : "nobody missing";
            // Status: gamma's, measured there, and this node's own.
            const node_status g = co_await cl->status_of("gamma", 5s);
            out += "; gamma status: " + g.node +
                   (g.rss_bytes > 0 && g.cores >= 1 && g.processes >= 1 && g.taken_at_ms > 0
                        ? " plausible"
                        : " implausible");
            const node_status mine = co_await cl->status_of("alpha", 5s);
            out += "; own: " + mine.node;
            try {
                (void)co_await cl->status_of("delta", 5s);
                out += "; delta (wrong)";
            } catch (const call_error& e) {
                out += std::string("; delta: ") + to_string(e.code());
            }
            done->set_value();
            co_return out;
        },
        ca.get(), &found);
    std::thread tb([&] { b.run(); });
    std::thread tc([&] { c.run(); });
    std::thread ta([&] { a.run(); });
    // beta's node stops (on this thread, which made it): alpha sees it go.
    found.get_future().wait();
    nb.reset();
    a.cancel(on_a.id(), "done");
    ta.join();
    c.cancel(on_c.id(), "done");
    tc.join();
    tb.join();
    CHECK(finder.value() ==
          "far found; here found here; nobody missing; gamma status: gamma plausible; own: "
          "alpha; delta: noconnection");
    CHECK(watcher.value() == "+beta +gamma -beta ");
    CHECK(ca->members() == std::vector<std::string>{"alpha", "gamma"});
    ca.reset();  // before their nodes
    cc.reset();
}

namespace {

/// Subscribes to `cl` and waits until it has seen node_up for `n` distinct
/// nodes: their names, sorted (or what it had after 10 s without news).
task<std::vector<std::string>> await_members(cluster* cl, std::size_t n) {
    cl->subscribe(self().id());
    std::vector<std::string> seen;
    while (seen.size() < n) {
        auto up = co_await self().receive<node_up>(10s);
        if (!up) break;
        if (std::find(seen.begin(), seen.end(), up->node) == seen.end()) seen.push_back(up->node);
    }
    cl->unsubscribe(self().id());
    std::sort(seen.begin(), seen.end());
    co_return seen;
}

}  // namespace

TEST_CASE("cluster: nodes that know only a seed find each other (full mesh)", "[discovery][net]") {
    runtime s(named("seed"));
    runtime a(named("alpha"));
    runtime b(named("beta"));
    runtime c(named("gamma"));
    auto ns = net::node::start(s);
    auto na = net::node::start(a);
    auto nb = net::node::start(b);
    auto nc = net::node::start(c);
    cluster_options o;
    o.status_period = 100ms;
    auto cs = cluster::start(*ns, o);
    o.seeds = {ns->address()};
    const auto t0 = std::chrono::steady_clock::now();
    auto ca = cluster::start(*na, o);
    auto cb = cluster::start(*nb, o);
    auto cc = cluster::start(*nc, o);
    auto wa = a.spawn(await_members, ca.get(), std::size_t{3});
    auto wb = b.spawn(await_members, cb.get(), std::size_t{3});
    auto wc = c.spawn(await_members, cc.get(), std::size_t{3});
    std::thread tb([&] { b.run(); });
    std::thread tc([&] { c.run(); });
    a.run();
    tb.join();
    tc.join();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - t0);
    UNSCOPED_INFO("full mesh of 4 after " << ms.count() << " ms");
    CHECK(wa.value() == std::vector<std::string>{"beta", "gamma", "seed"});
    CHECK(wb.value() == std::vector<std::string>{"alpha", "gamma", "seed"});
    CHECK(wc.value() == std::vector<std::string>{"alpha", "beta", "seed"});
    CHECK(cs->members() == std::vector<std::string>{"seed", "alpha", "beta", "gamma"});
    cs.reset();
    ca.reset();
    cb.reset();
    cc.reset();
}

// ---------------------------------------------------------------- a member in another process

namespace {

/// Waits for gamma's node_up, does `how` to it, and waits for its
/// node_down: what came, and after how long.
task<std::string> lose_member(cluster* cl, net::subprocess* sp, std::string how) {
    cl->subscribe(self().id());
    auto up = co_await self().receive<node_up>(10s);
    if (!up || up->node != "gamma") co_return "no node_up for gamma";
    // (gamma's "echo": found there while it is up, released with its node)
    const std::optional<pid> echo_before = co_await cl->locate("echo", 5s);
    const time_point t0 = self().now();
    sp->kill(how == "SIGKILL" ? SIGKILL : SIGSTOP);
    auto down = co_await self().receive<node_down>(10s);
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(self().now() - t0);
    UNSCOPED_INFO(how << ": node_down after " << ms.count() << " ms");
    std::string out = down ? "node_down " + down->node : std::string("no node_down");
    const std::optional<pid> echo_after = co_await cl->locate("echo", 5s);
    out += echo_before && !echo_after ? ", echo released" : ", echo not released";
    if (how == "SIGSTOP") sp->kill(SIGKILL);
    auto st = co_await sp->wait(10s);
    cl->unsubscribe(self().id());
    co_return out + " | " + (st ? st->to_string() : st.error().message());
}

std::string lose_member_by(const std::string& how) {
    auto [sp, port] = start_peer("gamma");
    runtime a(named("alpha"));
    auto na = net::node::start(a);
    cluster_options o;
    o.seeds = {"127.0.0.1:" + std::to_string(port)};
    auto ca = cluster::start(*na, o);
    auto h = a.spawn(lose_member, ca.get(), &sp, how);
    a.run();
    const std::vector<std::string> left = ca->members();
    ca.reset();
    CHECK(left == std::vector<std::string>{"alpha"});
    return h.value();
}

}  // namespace

TEST_CASE("cluster: a member SIGKILLed leaves the membership at once",
          "[discovery][net][processes]") {
    CHECK(lose_member_by("SIGKILL") ==
          "node_down gamma, echo released | terminated by signal 9 (SIGKILL)");
}

TEST_CASE("cluster: a member SIGSTOPped leaves after the connection timeout",
          "[discovery][net][processes]") {
    CHECK(lose_member_by("SIGSTOP") ==
          "node_down gamma, echo released | terminated by signal 9 (SIGKILL)");
}

// ---------------------------------------------------------------- names across the cluster

namespace {

/// Claims `name` for itself on its node's cluster; then reports the claim
/// and where locate finds the name (waiting for the other claim first).
task<std::string> claimant(cluster* cl, std::string name, std::promise<void>* claimed,
                           const std::shared_future<void>* both) {
    const bool won = co_await cl->register_name(name, self().id(), 5s);
    claimed->set_value();
    co_await run_blocking([both] { both->wait(); });
    auto holder = co_await cl->locate(name, 5s);
    std::string out = won ? "won" : "lost";
    if (holder) out += holder->node == self().id().node ? ", held here" : ", held there";
    if (won) (void)co_await self().receive<int>(2s);  // (holds it while the other looks)
    co_return out;
}

}  // namespace

TEST_CASE("cluster: two nodes claim one name at once, and exactly one holds it",
          "[discovery][net]") {
    runtime a(named("alpha"));
    runtime b(named("beta"));
    auto na = net::node::start(a);
    auto nb = net::node::start(b);
    REQUIRE(na->connect("127.0.0.1", nb->port()));
    auto ca = cluster::start(*na);
    auto cb = cluster::start(*nb);
    std::promise<void> pa, pb;
    std::promise<void> go;
    std::shared_future<void> both = go.get_future().share();
    // (pointers: GCC 12 copies some class-type coroutine arguments bitwise,
    // and a shared_future's count must not be copied so)
    auto ha = a.spawn(claimant, ca.get(), std::string("the-one-and-only"), &pa, &both);
    auto hb = b.spawn(claimant, cb.get(), std::string("the-one-and-only"), &pb, &both);
    std::thread tb([&] { b.run(); });
    std::thread ta([&] { a.run(); });
    pa.get_future().wait();
    pb.get_future().wait();
    go.set_value();
    ta.join();
    tb.join();
    const std::string ra = ha.value();
    const std::string rb = hb.value();
    INFO("alpha: " << ra << "; beta: " << rb);
    // Exactly one won, and both find the winner's process.
    CHECK(((ra == "won, held here" && rb == "lost, held there") ||
           (ra == "lost, held there" && rb == "won, held here")));
    ca.reset();
    cb.reset();
}

namespace {

/// Holds a name until told (an int) or until it loses it to another node:
/// then where the cluster finds the name.
task<std::string> name_holder(cluster* cl, std::promise<void>* lost) {
    std::optional<name_lost> l;
    co_await self().receive_any([&](name_lost m) { l = std::move(m); }, [](int) {});
    if (!l) co_return "kept";
    const bool released_here = !whereis(l->name).has_value();
    auto holder = co_await cl->locate(l->name, 5s);
    lost->set_value();  // (then the winner lets go of it)
    co_return "lost " + l->name + " to " + l->winner + (released_here ? ", released here" : "") +
        (holder && holder->node != self().id().node ? ", found there" : ", not found there");
}

}  // namespace

TEST_CASE("cluster: a partition heals, and a name both sides hold stays with the lower id",
          "[discovery][net]") {
    two_members m;
    auto& [a, b, na, nb, ca, cb] = m;
    std::promise<void> lost;
    auto ha = a.spawn(name_holder, ca.get(), &lost);
    auto hb = b.spawn(name_holder, cb.get(), &lost);
    // Apart, each node holds the name (no member to ask); then the
    // partition heals. Either node may be the one that connects (the
    // accepting node's first request must not overtake its hello back).
    SECTION("alpha connects") {
        REQUIRE(a.register_name("leader", ha.id()));
        REQUIRE(b.register_name("leader", hb.id()));
        REQUIRE(na->connect("127.0.0.1", nb->port()));
    }
    SECTION("beta connects") {
        REQUIRE(a.register_name("leader", ha.id()));
        REQUIRE(b.register_name("leader", hb.id()));
        REQUIRE(nb->connect("127.0.0.1", na->port()));
    }
    // Connected, and after the heals of the connection, both register it
    // without a claim (plain register_name, as supervisors do): the
    // periodic heal (every status_period, 1 s) finds it.
    bool late = false;
    SECTION("both register while connected") {
        REQUIRE(na->connect("127.0.0.1", nb->port()));
        late = true;
    }
    std::thread tb([&] { b.run(); });
    std::thread ta([&] { a.run(); });
    if (late) {
        CHECK(ca->wait_heals(1, 10s));
        CHECK(cb->wait_heals(1, 10s));
        CHECK(a.register_name("leader", ha.id()));
        CHECK(b.register_name("leader", hb.id()));
    }
    const bool someone_lost = lost.get_future().wait_for(10s) == std::future_status::ready;
    a.send(ha.id(), 0);
    b.send(hb.id(), 0);
    ta.join();
    tb.join();
    REQUIRE(someone_lost);
    const bool alpha_wins = a.node_id() < b.node_id();
    INFO("alpha id " << a.node_id() << ", beta id " << b.node_id());
    const std::string loser = "lost leader to " + std::string(alpha_wins ? "alpha" : "beta") +
                              ", released here, found there";
    CHECK(ha.value() == (alpha_wins ? "kept" : loser));
    CHECK(hb.value() == (alpha_wins ? loser : "kept"));
    CHECK((alpha_wins ? cb : ca)->names_lost() == 1);
    CHECK((alpha_wins ? ca : cb)->names_lost() == 0);
    ca.reset();
    cb.reset();
}

// ---------------------------------------------------------------- multicast discovery

namespace {

/// Multicast on loopback, in a group of this process's own (239.x.y.z from
/// its pid: parallel test runs do not hear each other).
multicast_options multicast_with(std::string secret) {
    const auto p = static_cast<unsigned>(::getpid());
    multicast_options o;
    o.group = "239." + std::to_string((p >> 16) & 0xff) + "." + std::to_string((p >> 8) & 0xff) +
              "." + std::to_string(p & 0xff);
    o.port = 47690;
    o.interface = "127.0.0.1";
    o.secret = std::move(secret);
    o.period = 50ms;
    return o;
}

}  // namespace

TEST_CASE("cluster: multicast with the cluster secret joins, a node with another secret is refused",
          "[discovery][net]") {
    runtime a(named("alpha"));
    runtime b(named("beta"));
    runtime m(named("mallory"));
    auto na = net::node::start(a);
    auto nb = net::node::start(b);
    auto nm = net::node::start(m);
    cluster_options o;
    o.multicast = multicast_with("the cluster secret");
    const auto t0 = std::chrono::steady_clock::now();
    auto ca = cluster::start(*na, o);
    auto cb = cluster::start(*nb, o);
    o.multicast = multicast_with("a guess");
    auto cm = cluster::start(*nm, o);
    auto wa = a.spawn(await_members, ca.get(), std::size_t{1});
    auto wb = b.spawn(await_members, cb.get(), std::size_t{1});
    std::thread tb([&] { b.run(); });
    a.run();
    tb.join();
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - t0);
    UNSCOPED_INFO("joined by multicast after " << ms.count() << " ms");
    CHECK(wa.value() == std::vector<std::string>{"beta"});
    CHECK(wb.value() == std::vector<std::string>{"alpha"});
    // mallory's announcements fail the others' HMAC check and theirs fail
    // its: counted (and logged) on every side, and nobody connects.
    auto refused = [](const announcer_stats& s) { return s.bad_mac >= 2; };
    CHECK(ca->multicast()->wait_stats(refused, 10s));
    CHECK(cm->multicast()->wait_stats(refused, 10s));
    CHECK(cm->multicast()->stats().accepted == 0);
    CHECK(cm->members() == std::vector<std::string>{"mallory"});
    CHECK(ca->members() == std::vector<std::string>{"alpha", "beta"});
    ca.reset();
    cb.reset();
    cm.reset();
}

TEST_CASE("cluster: a hidden node (a tool) talks to members but is neither a member nor gossiped",
          "[discovery][net]") {
    runtime a(named("alpha"));
    runtime b(named("beta"));
    runtime t(named("tool"));
    auto na = net::node::start(a);
    auto nb = net::node::start(b);
    net::node_options hidden;
    hidden.hidden = true;
    auto nt = net::node::start(t, hidden);
    auto ca = cluster::start(*na);
    REQUIRE(nt->connect("127.0.0.1", na->port()));  // (the tool first: alpha's hello then names it)
    REQUIRE(nb->connect("127.0.0.1", na->port()));
    // alpha may take a moment after the connects to know them: beta's
    // node_up (after the tool's hello, which alpha handled first) says it does.
    auto seen = a.spawn(await_members, ca.get(), std::size_t{1});
    a.run();
    CHECK(seen.value() == std::vector<std::string>{"beta"});
    CHECK(na->is_hidden("tool"));
    CHECK_FALSE(na->is_hidden("beta"));
    CHECK(ca->members() == std::vector<std::string>{"alpha", "beta"});
    for (const auto& [name, address] : nb->heard_of()) CHECK(name != "tool");
    for (const auto& [name, address] : na->heard_of()) CHECK(name != "tool");
    // It still talks: a locate from the tool's node reaches alpha's names.
    auto p = a.spawn(sleeper);
    REQUIRE(a.register_name("served", p.id()));
    auto asker = t.spawn(
        [](net::node* n) -> task<bool> {
            auto w = co_await n->whereis("alpha", "served", 5s);
            co_return w.has_value();
        },
        nt.get());
    t.run();
    a.cancel(p.id(), "done");
    a.run();
    CHECK(asker.value());
    ca.reset();
}
