#include "coronet/self.hpp"

#include <stdexcept>
#include <string>
#include <vector>
#include <catch2/catch.hpp>
#include <coronet/runtime.hpp>

#include "test_runtime.hpp"

using namespace coronet;
using namespace coronet::test;

namespace {

std::vector<std::string> g_log;

void log(std::string s) {
    g_log.push_back(std::move(s));
}

/// Logs its name when destroyed: proves cleanup ran, and in which order.
struct cleanup_log {
    std::string name;
    ~cleanup_log() { log(name); }
};

task<void> sleeper(int ms_) {
    co_await self().sleep(std::chrono::milliseconds(ms_));
    log(std::to_string(ms_) + "@" + std::to_string(ms(self().now())));
}

task<void> yielder(std::string name) {
    log(name + "1");
    co_await self().yield();
    log(name + "2");
}

task<std::vector<std::string>> suspender() {
    auto s = self();
    std::vector<std::string> out;
    bool r1 = co_await s.suspend();
    out.push_back(std::string(r1 ? "resumed" : "timeout") + "@" + std::to_string(ms(s.now())));
    bool r2 = co_await s.suspend(20ms);
    out.push_back(std::string(r2 ? "resumed" : "timeout") + "@" + std::to_string(ms(s.now())));
    co_await s.receive<int>();  // the resumer resumes us before we suspend
    bool r3 = co_await s.suspend(1s);
    out.push_back(std::string(r3 ? "resumed" : "timeout") + "@" + std::to_string(ms(s.now())));
    co_return out;
}

task<void> resumer(pid target) {
    auto s = self();
    co_await s.sleep(10ms);
    resume(target);
    co_await s.sleep(40ms);
    resume(target);  // a permit: the target's next suspend returns at once
    send(target, 1);
}

task<void> child_sleeps(int ms_, std::string name) {
    cleanup_log c{name};
    co_await self().sleep(std::chrono::milliseconds(ms_));
}

task<void> blocks_forever(std::string name) {
    cleanup_log c{name};
    co_await self().receive<int>();
}

task<void> parent_of_three(bool daemon) {
    auto s = self();
    spawn_options o;
    o.daemon = daemon;
    s.spawn_opt(o, child_sleeps, 10, "A");
    s.spawn_opt(o, child_sleeps, 20, "B");
    s.spawn_opt(o, child_sleeps, 30, "C");
    co_return;
}

task<long long> join_time(handle<void> h) {
    co_await h;
    co_return ms(self().now());
}

/// r -> c1 (g1, g2), c2 (g3), as in T-LT-02.
task<void> tlt02_root() {
    cleanup_log c{"r"};
    auto s = self();
    s.spawn(
        [](int) -> task<void> {
            cleanup_log c1{"c1"};
            auto s1 = self();
            s1.spawn(blocks_forever, "g1");
            s1.spawn(blocks_forever, "g2");
            co_await s1.receive<int>();
        },
        0);
    s.spawn(
        [](int) -> task<void> {
            cleanup_log c2{"c2"};
            auto s2 = self();
            s2.spawn(blocks_forever, "g3");
            co_await s2.receive<int>();
        },
        0);
    co_await s.receive<int>();
}

task<std::vector<std::string>> catches_cancel_twice() {
    auto s = self();
    std::vector<std::string> out;
    for (int i = 0; i < 2; ++i) {
        try {
            co_await s.sleep(1s);
            out.push_back("slept");
        } catch (const cancelled_error&) {
            out.push_back("cancelled@" + std::to_string(ms(s.now())));
        }
    }
    co_return out;
}

task<void> cancel_after(pid target, duration d) {
    co_await self().sleep(d);
    cancel(target, "test");
}

task<std::string> race_receiver() {
    auto s = self();
    int v = co_await s.receive<int>();
    std::string out = "got " + std::to_string(v);
    try {
        co_await s.yield();
        out += ", next await returned";
    } catch (const cancelled_error&) {
        out += ", next await threw";
    }
    co_return out;
}

task<void> send_then_cancel(pid target) {
    send(target, 5);
    cancel(target, "race");
    co_return;
}

task<void> failing_child() {
    co_await self().sleep(5ms);
    throw std::runtime_error("child failed");
}

task<void> parent_with_failing_child() {
    cleanup_log c{"parent cleanup"};
    auto s = self();
    s.spawn(failing_child);
    s.spawn(blocks_forever, "sibling cleanup");
    co_await s.receive<int>();
}

task<std::string> joins_failing_child() {
    auto c = self().spawn(failing_child);
    try {
        co_await c;
        co_return "no throw";
    } catch (const cancelled_error& e) {
        co_return e.what();
    }
}

task<void> chain_link(int left) {
    if (left > 0) self().spawn(chain_link, left - 1);
    co_return;
}

task<void> chain_link_waiting(int left) {
    if (left > 0) self().spawn(chain_link_waiting, left - 1);
    co_await self().receive<int>();
}

task<void> returns_then_child_fails() {
    auto s = self();
    s.spawn(blocks_forever, "sibling");
    s.spawn(failing_child);
    co_return;  // draining: the failure must still fail us and stop the sibling
}

task<std::string> sleeps_forever_until_cancelled() {
    try {
        co_await self().sleep(infinite);
        co_return "returned";
    } catch (const cancelled_error&) {
        co_return "cancelled@" + std::to_string(ms(self().now()));
    }
}

task<std::string> timed_receive_victim() {
    try {
        co_await self().sleep(1ms);  // arms its 10 ms deadline after the canceller's
        auto r = co_await self().receive<int>(9ms);
        co_return r ? "message" : "nullopt";
    } catch (const cancelled_error&) {
        co_return "cancelled";
    }
}

task<void> cancel_at_10ms(pid victim) {
    co_await self().sleep(10ms);  // armed before the victim's 10 ms deadline: runs first
    cancel(victim, "late");
}

task<void> child_sees_cancel(bool* seen) {
    *seen = self().cancelled();
    co_return;
}

task<std::string> spawns_after_cancel(bool* seen) {
    auto s = self();
    try {
        co_await s.receive<int>();
    } catch (const cancelled_error&) {
    }
    s.spawn(child_sees_cancel, seen);  // no await here: it would throw again (CX-2)
    co_return "spawned";
}

}  // namespace

TEST_CASE("sleeping processes wake in deadline order at their virtual deadlines", "[core][self]") {
    g_log.clear();
    runtime rt{virtual_config()};
    rt.spawn(sleeper, 30);
    rt.spawn(sleeper, 10);
    rt.spawn(sleeper, 20);
    rt.run();
    CHECK(g_log == std::vector<std::string>{"10@10", "20@20", "30@30"});
    CHECK(ms(rt.now()) == 30);
}

TEST_CASE("yield lets the other runnable processes go first", "[core][self]") {
    g_log.clear();
    runtime rt{virtual_config()};
    rt.spawn(yielder, "a");
    rt.spawn(yielder, "b");
    rt.run();
    CHECK(g_log == std::vector<std::string>{"a1", "b1", "a2", "b2"});
}

TEST_CASE("suspend returns on resume or timeout, and a resume before suspend is kept",
          "[core][self]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(suspender);
    rt.spawn(resumer, h.id());
    rt.run();
    CHECK(h.value() == std::vector<std::string>{"resumed@10", "timeout@30", "resumed@50"});
}

TEST_CASE("a parent exits only after its non-daemon children (T-LT-01)", "[core][self][lifetime]") {
    g_log.clear();
    runtime rt{virtual_config()};
    auto p = rt.spawn(parent_of_three, false);
    auto j = rt.spawn(join_time, handle<void>(p));
    rt.run();
    CHECK(j.value() == 30);
    CHECK(g_log == std::vector<std::string>{"A", "B", "C"});
}

TEST_CASE("daemon children are cancelled in reverse spawn order when the parent returns (T-LT-01)",
          "[core][self][lifetime]") {
    g_log.clear();
    runtime rt{virtual_config()};
    auto p = rt.spawn(parent_of_three, true);
    auto j = rt.spawn(join_time, handle<void>(p));
    rt.run();
    CHECK(j.value() == 0);
    CHECK(g_log == std::vector<std::string>{"C", "B", "A"});
    CHECK(p.reason().kind == exit_kind::normal);
}

TEST_CASE("cancelling a tree tears it down in reverse post-order (T-LT-02)",
          "[core][self][lifetime]") {
    g_log.clear();
    runtime rt{virtual_config()};
    auto r = rt.spawn(tlt02_root);
    rt.run_until_idle();
    CHECK(rt.live_processes() == 6);
    rt.cancel(r.id(), "stop");
    rt.run();
    CHECK(g_log == std::vector<std::string>{"g3", "c2", "g2", "g1", "c1", "r"});
    CHECK(r.reason().kind == exit_kind::cancelled);
    CHECK(rt.live_processes() == 0);
}

TEST_CASE("cancellation is level-triggered: catching it does not clear it (T-CX-01)",
          "[core][self][cancel]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(catches_cancel_twice);
    rt.spawn(cancel_after, h.id(), 100ms);
    rt.run();
    CHECK(h.value() == std::vector<std::string>{"cancelled@100", "cancelled@100"});
}

TEST_CASE("a message matched before the cancel is returned, the next await throws (T-CX-04)",
          "[core][self][cancel]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(race_receiver);
    rt.run_until_idle();  // the receiver now waits
    rt.spawn(send_then_cancel, h.id());
    rt.run();
    CHECK(h.value() == "got 5, next await threw");
}

TEST_CASE("a child's failure cancels its siblings and fails the parent with it (LK-1)",
          "[core][self][lifetime]") {
    g_log.clear();
    runtime rt{virtual_config()};
    auto p = rt.spawn(parent_with_failing_child);
    CHECK_THROWS_WITH(rt.run(), "child failed");
    CHECK(g_log == std::vector<std::string>{"sibling cleanup", "parent cleanup"});
    REQUIRE(p.exited());
    CHECK(p.reason().kind == exit_kind::error);
    CHECK_THROWS_WITH(p.value(), "child failed");
}

TEST_CASE("joining a failing linked child cancels the joiner with a reason naming the child",
          "[core][self][lifetime]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(joins_failing_child);
    CHECK_THROWS_WITH(rt.run(), "child failed");
    REQUIRE(h.exited());
    CHECK(h.reason().kind == exit_kind::error);  // LK-1: it fails with the child's error
    CHECK_THAT(h.reason().detail, Catch::Contains("failed: error: child failed"));
}

TEST_CASE("a chain of 100 000 nested processes exits without deep recursion",
          "[core][self][lifetime]") {
    runtime rt{virtual_config()};
    rt.spawn(chain_link, 100'000);
    rt.run();
    CHECK(rt.stats().exited == 100'001);
}

TEST_CASE("cancelling a chain of 100 000 nested processes does not recurse",
          "[core][self][cancel]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(chain_link_waiting, 100'000);
    rt.run_until_idle();
    CHECK(rt.live_processes() == 100'001);
    rt.cancel(h.id());
    rt.run();
    CHECK(rt.live_processes() == 0);
    CHECK(h.reason().kind == exit_kind::cancelled);
}

TEST_CASE("a child failing while its parent drains fails the parent and stops the siblings (LK-1)",
          "[core][self][lifetime]") {
    g_log.clear();
    runtime rt{virtual_config()};
    auto p = rt.spawn(returns_then_child_fails);
    CHECK_THROWS_WITH(rt.run(), "child failed");
    CHECK(g_log == std::vector<std::string>{"sibling"});
    CHECK(p.reason().kind == exit_kind::error);
}

TEST_CASE("sleep(infinite) waits until cancelled instead of overflowing", "[core][self][cancel]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(sleeps_forever_until_cancelled);
    rt.spawn(cancel_after, h.id(), 2s);
    rt.run();
    CHECK(h.value() == "cancelled@2000");
}

TEST_CASE("a cancel that comes after a receive timed out still wins (CX-6)",
          "[core][self][cancel]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(timed_receive_victim);
    rt.spawn(cancel_at_10ms, h.id());
    rt.run();
    CHECK(h.value() == "cancelled");
}

TEST_CASE("a child spawned by a cancelled process starts cancelled (CX-1)",
          "[core][self][cancel]") {
    runtime rt{virtual_config()};
    bool seen = false;
    auto h = rt.spawn(spawns_after_cancel, &seen);
    rt.run_until_idle();
    rt.cancel(h.id());
    rt.run();
    CHECK(h.value() == "spawned");
    CHECK(seen);
    CHECK(rt.stats().exited == 2);
}

TEST_CASE("self() outside a process is a clear error", "[core][self]") {
    CHECK_THROWS_AS(self(), std::logic_error);
}
