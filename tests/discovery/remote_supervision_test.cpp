// Remote supervision (SEMANTICS SV-9, T-SV-10): a supervisor's child on
// another node, restarted on the next node of its placement when its node
// is SIGKILLed, and found by name there. Real clock, loopback; gamma is a
// coronet_test_node process.

#include <coronet/discovery/remote_child.hpp>

#include <signal.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>
#include <catch2/catch.hpp>
#include <coronet/call.hpp>
#include <coronet/discovery/cluster.hpp>
#include <coronet/link.hpp>
#include <coronet/monitor.hpp>
#include <coronet/net/node.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>
#include <coronet/start.hpp>
#include <coronet/supervisor.hpp>

#include "test_cluster.hpp"
#include "test_runtime.hpp"

#include "../net/test_peer.hpp"
#include "sv_worker.hpp"

namespace {

using namespace coronet;
using namespace coronet::discovery;
using namespace coronet::test;

/// Keeps a runtime's run() going until it gets an int.
task<void> keep_running() {
    (void)co_await self().receive<int>();
}

/// Where "the-worker" is found and what its call answers: "<node id>" or
/// what went wrong.
task<std::string> where_is_worker(cluster* cl) {
    auto w = co_await cl->locate("the-worker", 5s);
    if (!w) co_return "not found";
    const std::string question = "where";
    const std::uint64_t answer = co_await call<std::uint64_t>(*w, question, 5s);
    if (answer != w->node) co_return "answered from another node";
    co_return std::to_string(answer);
}

/// Supervises sv_worker placed on gamma, else beta; kills gamma; reports.
task<std::string> supervise_remote(cluster* cl, net::subprocess* gamma, std::uint64_t beta) {
    const pid me = self().id();
    remote_spec rs{"sv_worker", remote_placement::on({"gamma", "beta"}), "the-worker"};
    std::vector<child_spec> specs{remote_child(*cl, "w", rs, me)};
    supervisor_flags f;
    f.intensity = 3;
    f.period = std::chrono::seconds(10);
    auto sup = co_await start(supervise, f, specs);
    std::string out;
    const std::optional<sv_started> started = co_await self().receive<sv_started>(10s);
    if (!started) co_return "no first start";
    const std::optional<std::uint64_t> first = started->node;
    out += *first == beta ? "started on beta" : "started on gamma";
    const std::string before = co_await where_is_worker(cl);
    out += before == std::to_string(*first) ? ", found there" : ", locate: " + before;
    const time_point t0 = self().now();
    gamma->kill(SIGKILL);
    const std::optional<sv_started> restarted = co_await self().receive<sv_started>(10s);
    const std::optional<std::uint64_t> second =
        restarted ? std::optional<std::uint64_t>(restarted->node) : std::nullopt;
    const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(self().now() - t0);
    UNSCOPED_INFO("restarted " << ms.count() << " ms after the SIGKILL");
    if (!second) co_return out + ", no restart";
    out += *second == beta ? ", restarted on beta" : ", restarted elsewhere";
    // (the supervisor answers once it has finished the restart, name bound)
    const std::vector<child_info> kids = co_await which_children(sup.id());
    const std::string after = co_await where_is_worker(cl);
    out += after == std::to_string(beta) ? ", found there" : ", locate: " + after;
    out += ", restarts " + std::to_string(kids.size() == 1 ? kids[0].restarts : -1);
    // The supervisor's end ends the remote child (linked).
    const pid child = kids.empty() ? pid{} : kids[0].process;
    const monitor_ref m = monitor(child);
    coronet::exit(sup.id(), exit_reason{exit_kind::shutdown, nullptr, "test over"});
    auto down = co_await self().receive<down_msg>(10s);
    out += down && down->ref == m ? ", child ended with the supervisor" : ", child still there";
    auto st = co_await gamma->wait(10s);
    out += st ? "" : ", gamma not reaped";
    co_return out;
}

}  // namespace

TEST_CASE("remote supervision: a child on a SIGKILLed node restarts on the next node (T-SV-10)",
          "[discovery][net][processes]") {
    auto [gamma, port] = start_peer("gamma", {"cluster"});
    runtime a(named("alpha"));
    runtime b(named("beta"));
    auto na = net::node::start(a);
    auto nb = net::node::start(b);
    nb->add_spawnable("sv_worker", &sv_worker);
    auto ca = cluster::start(*na);
    auto cb = cluster::start(*nb);
    REQUIRE(na->connect("127.0.0.1", port));
    REQUIRE(na->connect("127.0.0.1", nb->port()));
    auto keep = b.spawn(keep_running);
    auto h = a.spawn(supervise_remote, ca.get(), &gamma, b.node_id());
    std::thread tb([&] { b.run(); });
    a.run();
    b.send(keep.id(), 0);
    tb.join();
    CHECK(h.value() ==
          "started on gamma, found there, restarted on beta, found there, restarts 1, child ended "
          "with the supervisor");
    ca.reset();
    cb.reset();
}

// ---------------------------------------------------------------- a local child's name, seen from
// afar

namespace {

/// beta: asked (an sv_started from the asker), locates "svc" through its
/// cluster and answers with what it found (node 1 and the pid, or node 0);
/// ends on an int.
task<void> name_checker(cluster* cl) {
    for (;;) {
        std::optional<sv_started> q;
        const bool more = co_await self().receive_any(
            [&](sv_started m) {
                q = m;
                return true;
            },
            [](int) { return false; });
        if (!more) co_return;
        const std::optional<pid> at = co_await cl->locate("svc", 5s);
        send(q->who, sv_started{at ? 1u : 0u, at.value_or(pid{})});
    }
}

/// alpha: supervises a local child named "svc", has beta check the name,
/// kills the child, and has beta check the restarted one.
task<std::string> rebind_seen_from_beta(cluster* cl) {
    const pid me = self().id();
    const std::optional<pid> checker = co_await cl->locate("checker", 5s);
    if (!checker) co_return "no checker";
    child_spec c = child("svc", sv_worker, me);
    c.name = "svc";
    std::vector<child_spec> specs{c};
    auto sup = co_await start(supervise, supervisor_flags{}, specs);
    std::string out;
    for (int round = 0; round < 2; ++round) {
        auto started = co_await self().receive<sv_started>(10s);
        if (!started) co_return out + "no start";
        (void)co_await which_children(sup.id());  // (it has bound the name by then)
        send(*checker, sv_started{0, me});
        auto seen = co_await self().receive<sv_started>(10s);
        const std::vector<child_info> kids = co_await which_children(sup.id());
        out += seen && seen->node == 1 && seen->who == started->who && kids.size() == 1 &&
                       kids[0].process == started->who
                   ? "bound "
                   : "not bound ";
        if (round == 0)
            coronet::exit(started->who, exit_reason{exit_kind::killed, nullptr, "test"});
    }
    coronet::exit(sup.id(), exit_reason{exit_kind::shutdown, nullptr, "test over"});
    co_return out;
}

}  // namespace

TEST_CASE("remote supervision: a restarted local child is found by name from another node",
          "[discovery][net]") {
    two_members m;
    auto& [a, b, na, nb, ca, cb] = m;
    m.connect();
    auto checker = b.spawn(name_checker, cb.get());
    REQUIRE(b.register_name("checker", checker.id()));
    auto h = a.spawn(rebind_seen_from_beta, ca.get());
    std::thread tb([&] { b.run(); });
    a.run();
    b.send(checker.id(), 0);
    tb.join();
    CHECK(h.value() == "bound bound ");
    ca.reset();
    cb.reset();
}
