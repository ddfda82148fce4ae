#include "coronet/start.hpp"

#include <stdexcept>
#include <string>
#include <vector>
#include <catch2/catch.hpp>
#include <coronet/cancel_scope.hpp>
#include <coronet/link.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>
#include <coronet/when.hpp>

#include "test_runtime.hpp"

using namespace coronet;
using namespace coronet::test;

namespace {

struct work {};

task<void> fails_before_ready(std::vector<std::string>* log) {
    test::counted guard;
    co_await self().sleep(10ms);
    log->push_back("child throws");
    throw std::runtime_error("init failed");
}

task<int> ready_after(duration d) {
    co_await self().sleep(d);
    ready(std::string("port 80"));
    co_await self().receive<work>();
    co_return 1;
}

task<void> ready_on_first_receive() {
    co_await self().sleep(30ms);
    co_await self().receive<work>();  // suspending here counts as ready
}

task<void> fails_after_ready() {
    ready();
    co_await self().sleep(5ms);
    throw std::runtime_error("later failure");
}

task<std::string> starts_failing_child(std::vector<std::string>* log) {
    try {
        co_await start(fails_before_ready, log);
        co_return "started";
    } catch (const std::runtime_error& e) {
        log->push_back(std::string("start threw: ") + e.what() + " at " +
                       std::to_string(ms(self().now())));
    }
    co_await self().sleep(5ms);  // the caller keeps running (no LK-1 failure)
    co_return "survived, live counted: " + std::to_string(test::counted::live);
}

task<std::string> starts_with_value() {
    auto [h, v] = co_await start_value<std::string>(ready_after, 20ms);
    const auto at = ms(self().now());
    send(h.id(), work{});
    const int r = co_await h;
    co_return v + " at " + std::to_string(at) + " gives " + std::to_string(r);
}

task<long long> starts_receiver() {
    auto h = co_await start(ready_on_first_receive);
    const auto at = ms(self().now());
    send(h.id(), work{});
    co_await h;
    co_return at;
}

task<std::string> start_then_child_fails(bool trap) {
    trap_exit(trap);
    auto h = co_await start(fails_after_ready);
    if (!trap) {
        co_await self().sleep(1s);
        co_return "not reached";
    }
    auto m = co_await self().receive<exit_msg>();
    co_return std::string("exit_msg ") + to_string(m.reason.kind) +
        (m.from == h.id() ? " from child" : " from elsewhere");
}

}  // namespace

TEST_CASE("T-LT-04: start throws the error of a child that fails before ready, and reaps it",
          "[core][start]") {
    runtime rt(virtual_config());
    std::vector<std::string> log;
    auto h = rt.spawn(starts_failing_child, &log);
    rt.run();
    REQUIRE(log == std::vector<std::string>{"child throws", "start threw: init failed at 10"});
    CHECK(h.value() == "survived, live counted: 0");
    CHECK(h.reason().kind == exit_kind::normal);
}

TEST_CASE("start returns when the child calls ready(v), with the value", "[core][start]") {
    runtime rt(virtual_config());
    auto h = rt.spawn(starts_with_value);
    rt.run();
    CHECK(h.value() == "port 80 at 20 gives 1");
}

TEST_CASE("start returns when the child first suspends on a receive", "[core][start]") {
    runtime rt(virtual_config(2));
    auto h = rt.spawn(starts_receiver);
    rt.run();
    CHECK(h.value() == 30);
}

TEST_CASE("after ready, a started child is an ordinary linked child (LK-1)", "[core][start]") {
    SECTION("not trapping: its failure fails the starter") {
        runtime rt(virtual_config());
        auto h = rt.spawn(start_then_child_fails, false);
        CHECK_THROWS_WITH(rt.run(), "later failure");
        CHECK(h.reason().kind == exit_kind::error);
    }
    SECTION("trapping: the starter gets exit_msg") {
        runtime rt(virtual_config());
        auto h = rt.spawn(start_then_child_fails, true);
        rt.run();
        CHECK(h.value() == "exit_msg error from child");
    }
}

namespace {

task<void> ready_late_then_fails() {
    co_await self().sleep(50ms);
    ready();
    co_await self().sleep(10ms);
    throw std::runtime_error("failed after a late ready");
}

task<std::string> start_with_timeout() {
    auto s = self();
    std::string out;
    try {
        co_await with_timeout(10ms, start(ready_late_then_fails));
    } catch (const timeout_error&) {
        out = "start timed out";
    }
    co_await s.sleep(55ms);  // the child's late ready comes and goes
    out += ", mailbox " + std::to_string(s.mailbox_size());
    co_await s.sleep(1s);  // the child's failure must reach us (LK-1)
    co_return out + ", not failed";
}

task<void> short_lived() {
    co_await self().sleep(5ms);
}

task<std::string> start_in_when_all() {
    try {
        co_await when_all(start(short_lived), start(short_lived));
    } catch (const std::logic_error& e) {
        co_return "refused";
    }
    co_return "accepted";
}

}  // namespace

TEST_CASE("a start() abandoned by a timeout leaves no message and a linked child",
          "[core][start]") {
    runtime rt(virtual_config());
    auto h = rt.spawn(start_with_timeout);
    CHECK_THROWS_WITH(rt.run(), "failed after a late ready");
    CHECK(h.reason().kind == exit_kind::error);
    CHECK(ms(rt.now()) == 60);
}

TEST_CASE("start() awaited as a when_all operand is refused with a clear error", "[core][start]") {
    runtime rt(virtual_config());
    auto h = rt.spawn(start_in_when_all);
    rt.run();
    CHECK(h.value() == "refused");
}
