#include "coronet/cancel_scope.hpp"

#include <string>
#include <catch2/catch.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>
#include <coronet/when.hpp>

#include "test_runtime.hpp"

using namespace coronet;
using namespace coronet::test;

namespace {

task<int> recv_int() {
    co_return co_await self().receive<int>();
}

task<std::string> tcx03() {
    auto s = self();
    std::string out;
    try {
        co_await with_timeout(1s, recv_int());
        out = "received";
    } catch (const timeout_error&) {
        out = "timeout@" + std::to_string(ms(s.now()));
    }
    co_await s.sleep(10ms);  // the enclosing scope still runs: awaits work
    int v = co_await with_timeout(1s, recv_int());
    co_return out + ", then " + std::to_string(v) + "@" + std::to_string(ms(s.now()));
}

task<void> send_at(pid to, duration d, int v) {
    co_await self().sleep(d);
    send(to, v);
}

task<int> nested() {
    // The inner deadline (50 ms) fires first; the outer (1 s) does not.
    try {
        co_await with_timeout(1s, with_timeout(50ms, recv_int()));
    } catch (const timeout_error&) {
        co_return static_cast<int>(ms(self().now()));
    }
    co_return -1;
}

task<void> cleanup_for(duration d, std::string* log) {
    co_await self().sleep(d);
    *log += "cleanup done@" + std::to_string(ms(self().now()));
}

task<void> shielded_cleanup(duration cleanup, std::string* log) {
    try {
        co_await self().receive<int>();
    } catch (const cancelled_error&) {
        *log += "cancelled@" + std::to_string(ms(self().now())) + "; ";
    }
    co_await shielded(5s, cleanup_for(cleanup, log));
}

task<void> cancel_at(pid p, duration d) {
    co_await self().sleep(d);
    cancel(p, "test");
}

task<std::string> outer_cancel_inside_timeout() {
    try {
        co_await with_timeout(1s, recv_int());
        co_return "received";
    } catch (const timeout_error&) {
        co_return "timeout";
    } catch (const cancelled_error&) {
        co_return "cancelled@" + std::to_string(ms(self().now()));
    }
}

// --- deadlines inside shields, shields over children, kills over shielded waits

task<std::string> timeout_inside_shield() {
    std::string out;
    co_await shielded(10s, [](std::string* o) -> task<void> {
        try {
            co_await with_timeout(1s, recv_int());
        } catch (const timeout_error&) {
            *o = "timeout@" + std::to_string(ms(self().now()));
        }
    }(&out));
    co_return out;
}

task<int> value_after(int v, duration d) {
    co_await self().sleep(d);
    co_return v;
}

task<int> joins_child_in_shield(std::string* log) {
    auto s = self();
    try {
        co_await s.receive<int>();
    } catch (const cancelled_error&) {
        *log += "cancelled@" + std::to_string(ms(s.now())) + "; ";
    }
    // The shield protects the child it spawns and joins: no cancel mark, no teardown.
    const int v = co_await shielded(5s, [](std::string* l) -> task<int> {
        auto h = self().spawn(value_after, 42, 2s);
        const int r = co_await h;
        *l += "joined " + std::to_string(r) + "@" + std::to_string(ms(self().now())) + "; ";
        co_return r;
    }(log));
    try {
        co_await self().sleep(1s);  // after the shield the cancel takes effect again
    } catch (const cancelled_error&) {
        *log += "cancelled again@" + std::to_string(ms(s.now()));
    }
    co_return v;
}

task<void> cancels_after(pid target, duration d) {
    co_await self().sleep(d);
    cancel(target, "test");
}

task<void> sleep_for(duration d) {
    co_await self().sleep(d);
}

task<void> stubborn_loser() {
    try {
        co_await self().sleep(10s);
    } catch (const cancelled_error&) {
    }
    co_await shielded(10s, sleep_for(10s));  // holds the when_any's loser wait
}

task<int> races_in_shield() {
    co_return co_await shielded(100ms, [](int) -> task<int> {
        auto a = self().spawn(value_after, 1, 10ms);
        auto b = self().spawn(stubborn_loser);
        auto r = co_await when_any(a, b);
        co_return static_cast<int>(r.index);
    }(0));
}

}  // namespace

TEST_CASE("with_timeout(1s, recv()) times out at 1 s and the enclosing scope runs on (T-CX-03)",
          "[core][scope][cancel]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(tcx03);
    rt.spawn(send_at, h.id(), 1500ms, 42);
    rt.run();
    CHECK(h.value() == "timeout@1000, then 42@1500");
}

TEST_CASE("nested deadlines: the inner one fires, the outer one is untouched",
          "[core][scope][cancel]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(nested);
    rt.run();
    CHECK(h.value() == 50);
}

TEST_CASE("a shielded cleanup within its budget completes (T-CX-02)", "[core][scope][cancel]") {
    runtime rt{virtual_config()};
    std::string log;
    auto h = rt.spawn(shielded_cleanup, 2s, &log);
    rt.spawn(cancel_at, h.id(), 100ms);
    rt.run();
    CHECK(log == "cancelled@100; cleanup done@2100");
    CHECK(h.reason().kind == exit_kind::normal);  // it caught the cancel and returned
}

TEST_CASE("a shielded cleanup over its budget is killed at cancel + 5 s (T-CX-02)",
          "[core][scope][cancel]") {
    runtime rt{virtual_config()};
    std::string log;
    auto h = rt.spawn(shielded_cleanup, 10s, &log);
    rt.spawn(cancel_at, h.id(), 100ms);
    CHECK_THROWS(rt.run());  // a killed root is a root failure (LK-4)
    CHECK(log == "cancelled@100; ");
    CHECK(h.reason().kind == exit_kind::killed);
    CHECK(ms(rt.now()) == 5100);
}

TEST_CASE("a cancel of the process inside with_timeout is a cancel, not a timeout",
          "[core][scope][cancel]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(outer_cancel_inside_timeout);
    rt.spawn(cancel_at, h.id(), 200ms);
    rt.run();
    CHECK(h.value() == "cancelled@200");
}

TEST_CASE("with_timeout inside a shield still fires (review item a)", "[core][scope][cancel]") {
    runtime rt(virtual_config());
    auto h = rt.spawn(timeout_inside_shield);
    rt.run();
    CHECK(h.value() == "timeout@1000");
}

TEST_CASE("a shield protects the children it spawns and joins (review item b)",
          "[core][scope][cancel]") {
    runtime rt(virtual_config());
    std::string log;
    auto h = rt.spawn(joins_child_in_shield, &log);
    rt.spawn(cancels_after, h.id(), 100ms);
    rt.run();
    CHECK(log == "cancelled@100; joined 42@2100; cancelled again@2100");
    CHECK(h.value() == 42);  // it caught the cancel and returned: a normal exit
}

TEST_CASE(
    "a spent shield budget kills a process waiting for when_any's losers, and its "
    "children (review item d)",
    "[core][scope][cancel]") {
    runtime rt(virtual_config());
    auto h = rt.spawn(races_in_shield);
    CHECK_THROWS_AS(rt.run(), exit_error);  // LK-4: the root's kill reaches run()
    CHECK(h.reason().kind == exit_kind::killed);
    CHECK(ms(rt.now()) == 100);
}

namespace {

struct logs_on_exit {
    std::string* log;
    const char* what;
    ~logs_on_exit() { *log += std::string(what) + "; "; }
};

task<void> waiting_kid(std::string* log) {
    logs_on_exit l{log, "child cleanup"};
    co_await self().receive<int>();
}

task<void> parent_with_shield(std::string* log) {
    logs_on_exit l{log, "parent cleanup"};
    self().spawn(waiting_kid, log);
    co_await shielded(1s, sleep_for(10ms));
    *log += "shield closed; ";
    co_await self().sleep(1ms);  // throws, but only after the child has gone (LT-4)
}

task<void> nested_deadlines_over_shield(std::string* log) {
    logs_on_exit l{log, "proc"};
    co_await with_timeout(500s, with_timeout(1ms, shielded(1000s, recv_int())));
}

task<void> sleeps_long(std::string* log) {
    logs_on_exit l{log, "sleeper destroyed"};
    co_await self().sleep(100s);
    *log += "sleep completed; ";
}

}  // namespace

TEST_CASE("after a shield-deferred teardown the children still clean up first (LT-4)",
          "[core][scope][cancel]") {
    runtime rt(virtual_config());
    std::string log;
    auto h = rt.spawn(parent_with_shield, &log);
    rt.spawn(cancels_after, h.id(), 5ms);
    rt.run();
    CHECK(log == "shield closed; child cleanup; parent cleanup; ");
}

TEST_CASE("frames with nested deadline scopes destroyed where they wait (shutdown)",
          "[core][scope][cancel]") {
    runtime_config cfg = virtual_config();
    cfg.shutdown_timeout = 50ms;
    runtime rt(cfg);
    std::string log;
    rt.spawn(nested_deadlines_over_shield, &log);
    rt.spawn(sleeps_long, &log);
    rt.run_for(100ms);
    rt.shutdown();
    // The outer scope (a local) goes before the inner ones (in its
    // parameters): ASan checks the chain of scopes survives that. No timer
    // past the shutdown timeout fires: the 100 s sleep is destroyed.
    CHECK(log == "sleeper destroyed; proc; ");
    CHECK(ms(rt.now()) == 150);
}

namespace {

task<void> long_child(std::string* log) {
    logs_on_exit l{log, "child gone"};
    co_await self().sleep(10s);
}

task<std::string> spawns_inside_timeout(std::string* log) {
    auto s = self();
    auto before = s.spawn(long_child, log);  // not the scope's: it runs on
    std::string out;
    try {
        co_await with_timeout(100ms, [](std::string* l) -> task<void> {
            self().spawn(long_child, l);  // the scope's
            co_await self().receive<int>();
        }(log));
    } catch (const timeout_error&) {
        out = "timeout@" + std::to_string(ms(s.now()));
    }
    co_await s.sleep(1ms);
    out += ", " + *log + "outer child " + (before.exited() ? "gone" : "running");
    cancel(before.id());
    co_return out;
}

}  // namespace

TEST_CASE("a deadline scope that expires cancels the children spawned inside it (review item c)",
          "[core][scope][cancel]") {
    runtime rt(virtual_config());
    std::string log;
    auto h = rt.spawn(spawns_inside_timeout, &log);
    rt.run();
    CHECK(h.value() == "timeout@100, child gone; outer child running");
}
