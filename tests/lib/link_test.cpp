#include "coronet/link.hpp"

#include <stdexcept>
#include <string>
#include <vector>
#include <catch2/catch.hpp>
#include <coronet/cancel_scope.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>

#include "test_runtime.hpp"

using namespace coronet;
using namespace coronet::test;

namespace {

struct go {};

task<void> exits_normally_after(duration d) {
    co_await self().sleep(d);
}

task<void> fails_after(duration d) {
    co_await self().sleep(d);
    throw std::runtime_error("linked peer failed");
}

/// Links to `peer`, optionally traps exits, and reports what reached it.
task<std::string> linked_observer(pid peer, bool trap) {
    auto s = self();
    trap_exit(trap);
    link(peer);
    auto m = co_await s.receive<exit_msg>(1s);
    if (!m) co_return "nothing@" + std::to_string(ms(s.now()));
    co_return "exit_msg " + std::string(to_string(m->reason.kind)) + "@" +
        std::to_string(ms(s.now()));
}

task<std::string> traps_then_is_killed() {
    trap_exit(true);
    auto m = co_await self().receive<exit_msg>(1s);
    co_return m ? "trapped" : "nothing";
}

task<void> kills(pid target) {
    co_await self().sleep(10ms);
    coronet::exit(target, exit_reason{exit_kind::killed, nullptr, "kill"});
}

task<std::string> unlinks_then_peer_crashes() {
    auto s = self();
    trap_exit(true);
    auto peer = s.spawn_link(fails_after, 20ms);
    co_await s.sleep(5ms);
    unlink(peer.id(), true);
    auto m = co_await s.receive<exit_msg>(100ms);
    co_return m ? "got exit_msg" : "nothing";
}

task<std::string> trapping_parent() {
    auto s = self();
    trap_exit(true);
    s.spawn(fails_after, 5ms);
    auto m = co_await s.receive<exit_msg>();
    co_return std::string("child ") + to_string(m.reason.kind) + ", still running";
}

task<std::string> links_to_dead(pid dead) {
    trap_exit(true);
    link(dead);
    auto m = co_await self().receive<exit_msg>();
    co_return to_string(m.reason.kind);
}

task<std::string> ignores_normal_exit_signal() {
    auto s = self();
    co_await s.sleep(20ms);
    co_return "alive@" + std::to_string(ms(s.now()));
}

task<void> sends_normal_exit(pid target) {
    coronet::exit(target, exit_reason{});
    co_return;
}

task<void> long_child() {
    co_await self().sleep(10s);
}

task<void> returns_with_long_child() {
    self().spawn(long_child);
    co_return;  // draining from now on
}

task<void> sleeps_shielded() {
    try {
        co_await self().receive<int>();
    } catch (const cancelled_error&) {
    }
    co_await shielded(3s, [](int) -> task<void> { co_await self().sleep(2s); }(0));
}

task<void> kills_at(pid target, duration d) {
    co_await self().sleep(d);
    coronet::exit(target, exit_reason{exit_kind::killed, nullptr, "kill"});
}

task<std::string> links_to_foreign(pid foreign) {
    trap_exit(true);
    link(foreign);
    auto m = co_await self().receive<exit_msg>(1s);
    co_return m ? std::string(to_string(m->reason.kind)) + "@" + std::to_string(ms(self().now()))
                : "nothing";
}

}  // namespace

TEST_CASE("a normal exit of a linked peer: ignored unless trapping (T-LK-01)", "[core][link]") {
    runtime rt{virtual_config()};
    auto peer1 = rt.spawn(exits_normally_after, 10ms);
    auto plain = rt.spawn(linked_observer, peer1.id(), false);
    auto peer2 = rt.spawn(exits_normally_after, 10ms);
    auto trapping = rt.spawn(linked_observer, peer2.id(), true);
    rt.run();
    CHECK(plain.value() == "nothing@1000");
    CHECK(trapping.value() == "exit_msg normal@10");
}

TEST_CASE(
    "an error exit of a linked peer: the plain peer exits with it, a trapping one gets it "
    "(T-LK-02)",
    "[core][link]") {
    runtime rt{virtual_config()};
    auto peer2 = rt.spawn(fails_after, 10ms);
    auto trapping = rt.spawn(linked_observer, peer2.id(), true);
    CHECK_THROWS_WITH(rt.run(), "linked peer failed");
    CHECK(trapping.value() == "exit_msg error@10");

    runtime rt2{virtual_config()};
    auto peer1 = rt2.spawn(fails_after, 10ms);
    auto plain = rt2.spawn(linked_observer, peer1.id(), false);
    CHECK_THROWS_WITH(rt2.run(), "linked peer failed");
    REQUIRE(plain.exited());
    CHECK(plain.reason().kind == exit_kind::error);
    CHECK_THROWS_WITH(plain.value(), "linked peer failed");
}

TEST_CASE("exit(p, kill) cannot be trapped and its links see killed (T-LK-03)", "[core][link]") {
    runtime rt{virtual_config()};
    auto victim = rt.spawn(traps_then_is_killed);
    auto watcher = rt.spawn(linked_observer, victim.id(), true);
    rt.spawn(kills, victim.id());
    CHECK_THROWS(rt.run());  // a root killed: LK-4 reports it
    CHECK(victim.reason().kind == exit_kind::killed);
    CHECK(watcher.value() == "exit_msg killed@10");
}

TEST_CASE("after unlink with flush, a crash of the peer delivers nothing (T-LK-04)",
          "[core][link]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(unlinks_then_peer_crashes);
    rt.run();  // unlinked (and not tied through the tree): the crash reaches nobody
    CHECK(h.value() == "nothing");
}

TEST_CASE("a trapping parent receives its failed child's exit_msg and keeps running (LK-1)",
          "[core][link]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(trapping_parent);
    rt.run();
    CHECK(h.value() == "child error, still running");
}

TEST_CASE("linking to a dead pid gives an exit signal with noproc", "[core][link]") {
    runtime rt{virtual_config(2)};
    spawn_options on1;
    on1.where = placement::pinned(1);
    auto dead = rt.spawn_opt(on1, exits_normally_after, 0ms);
    rt.run();
    auto h = rt.spawn(links_to_dead, dead.id());
    rt.run();
    CHECK(h.value() == "noproc");
}

TEST_CASE("a normal exit signal is ignored by a process that does not trap exits", "[core][link]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(ignores_normal_exit_signal);
    rt.spawn(sends_normal_exit, h.id());
    rt.run();
    CHECK(h.value() == "alive@20");
}

TEST_CASE("a kill reaches a parent whose body returned: its children go too (LK-2)",
          "[core][link]") {
    runtime rt{virtual_config()};
    auto p = rt.spawn(returns_with_long_child);
    rt.spawn(kills_at, p.id(), 10ms);
    CHECK_THROWS(rt.run());  // a killed root is a root failure
    CHECK(p.reason().kind == exit_kind::killed);
    CHECK(ms(rt.now()) == 10);
}

TEST_CASE("a kill is not held off by a shielded section (CX-4)", "[core][link][scope]") {
    runtime rt{virtual_config()};
    auto p = rt.spawn(sleeps_shielded);
    rt.run_until_idle();
    rt.cancel(p.id());  // enters the shielded 2 s sleep
    rt.spawn(kills_at, p.id(), 10ms);
    CHECK_THROWS(rt.run());
    CHECK(p.reason().kind == exit_kind::killed);
    CHECK(ms(rt.now()) == 10);
}

TEST_CASE("linking to a pid of another node gives noproc at once", "[core][link]") {
    runtime other{virtual_config()};
    pid foreign = other.spawn(long_child).id();
    runtime rt{virtual_config()};
    auto h = rt.spawn(links_to_foreign, foreign);
    rt.run();
    CHECK(h.value() == "noproc@0");
}

TEST_CASE("links across real worker threads propagate a failure", "[core][link][threads]") {
    runtime rt{real_config(2)};
    spawn_options on1;
    on1.where = placement::pinned(1);
    auto peer = rt.spawn_opt(on1, fails_after, 5ms);
    auto trapping = rt.spawn(linked_observer, peer.id(), true);
    CHECK_THROWS_WITH(rt.run(), "linked peer failed");
    CHECK(trapping.value().rfind("exit_msg error@", 0) == 0);
}

namespace {

struct sends_on_destroy {
    pid to;
    std::vector<std::string>* log;
    ~sends_on_destroy() {
        log->push_back("destructor");
        send(to, std::string("sent from a destructor"));
    }
};

task<void> victim(pid watcher, std::vector<std::string>* log) {
    sends_on_destroy g{watcher, log};
    try {
        co_await self().receive<int>();
    } catch (...) {
        log->push_back("catch ran");  // must not: a kill runs no more code (LT-5)
        throw;
    }
}

task<std::string> kills_victim(std::vector<std::string>* log) {
    auto s = self();
    trap_exit(true);
    auto v = s.spawn(victim, s.id(), log);
    co_await s.yield();  // let it reach its receive
    coronet::exit(v.id(), exit_reason{exit_kind::killed, nullptr, "kill"});
    auto m = co_await s.receive<exit_msg>();
    auto late = co_await s.receive<std::string>(10ms);
    co_return std::string(to_string(m.reason.kind)) + (late ? ", got: " + *late : ", nothing");
}

}  // namespace

TEST_CASE(
    "a kill destroys the frame where it is suspended: destructors run, no catch, no sends "
    "(LT-5)",
    "[core][link]") {
    std::vector<std::string> traced;
    runtime_config cfg = virtual_config();
    cfg.on_dead_letter = [&](const pid&, std::string_view type) { traced.emplace_back(type); };
    runtime rt(cfg);
    std::vector<std::string> log;
    auto h = rt.spawn(kills_victim, &log);
    rt.run();
    CHECK(h.value() == "killed, nothing");
    CHECK(log == std::vector<std::string>{"destructor"});
    REQUIRE(traced.size() == 1);
    CHECK(traced[0].find("string") != std::string::npos);
}
