// call(): request/response with a per-call alias (SEMANTICS RPC-1, RPC-2;
// T-RPC-01, T-RPC-02). Virtual clock, except the two-node case.

#include <coronet/call.hpp>

#include <coronet/cancel_scope.hpp>

#include <string>
#include <thread>
#include <vector>
#include <catch2/catch.hpp>
#include <coronet/detail/remote_route.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>

#include "test_runtime.hpp"

namespace calltest {

struct add {
    int a = 0;
    int b = 0;
    template <class F>
    friend void fields(F& f, add& x) {
        f(x.a, x.b);
    }
};

}  // namespace calltest

CORONET_SERIALIZABLE(calltest::add, "coronet.test.add");

namespace {

using namespace coronet;
using namespace coronet::test;
using calltest::add;

/// Answers each add after `delay`.
task<void> adder(duration delay, int requests) {
    for (int i = 0; i < requests; ++i) {
        request<add> r = co_await self().receive<request<add>>();
        co_await self().sleep(delay);
        reply(r, r.body.a + r.body.b);
    }
}

std::string describe(const call_error& e) {
    return to_string(e.code());
}

}  // namespace

TEST_CASE("call: the reply comes back to the caller", "[core][call]") {
    runtime rt(virtual_config(2));
    auto server = rt.spawn(adder, duration(10ms), 3);
    auto client = rt.spawn(
        [](pid s) -> task<std::vector<int>> {
            std::vector<int> got;
            for (int i = 0; i < 3; ++i) got.push_back(co_await call<int>(s, add{i, 10}, 1s));
            co_return got;
        },
        server.id());
    rt.run();
    CHECK(client.value() == std::vector<int>{10, 11, 12});
    CHECK(rt.stats().dropped_replies == 0);
}

TEST_CASE("call: a late reply is dropped and traced, the mailbox stays clean (T-RPC-01)",
          "[core][call]") {
    runtime_config cfg = virtual_config();
    std::vector<std::string> traced;
    cfg.on_drop = [&](const pid&, std::string_view type, std::string_view why) {
        traced.push_back(std::string(why) + (type.find("call_reply") != std::string_view::npos
                                                 ? " call_reply"
                                                 : " (wrong type)"));
    };
    runtime rt(cfg);
    auto server = rt.spawn(adder, duration(2s), 1);
    auto client = rt.spawn(
        [](pid s) -> task<std::string> {
            const time_point t0 = self().now();
            std::string out;
            try {
                (void)co_await call<int>(s, add{1, 2}, 1s);
                out = "a reply (wrong)";
            } catch (const call_error& e) {
                out = describe(e) + " at " + std::to_string(ms(self().now() - t0)) + " ms";
            }
            // The late reply arrives at 2 s, and is not in the mailbox.
            co_await self().sleep(3s);
            auto any = co_await self().receive_for(0ms, [](any_message) {});
            co_return out + (any ? "; mailbox not clean" : "; mailbox clean");
        },
        server.id());
    rt.run();
    CHECK(client.value() == "timeout at 1000 ms; mailbox clean");
    CHECK(rt.stats().dropped_replies == 1);
    CHECK(traced == std::vector<std::string>{"alias_inactive call_reply"});
}

TEST_CASE("call: a dead target gives noproc, and so does one that exits (T-RPC-02)",
          "[core][call]") {
    runtime rt(virtual_config());
    auto gone = rt.spawn([]() -> task<void> { co_return; });
    rt.run();
    auto quitter = rt.spawn([]() -> task<void> {
        (void)co_await self().receive<request<add>>();
        throw std::runtime_error("no answer");
    });
    auto client = rt.spawn(
        [](pid dead, pid q) -> task<std::string> {
            std::string out;
            for (pid target : {dead, q}) {
                try {
                    (void)co_await call<int>(target, add{1, 2}, 1s);
                    out += "reply (wrong); ";
                } catch (const call_error& e) {
                    out += describe(e) + "; ";
                }
            }
            co_return out;
        },
        gone.id(), quitter.id());
    try {
        rt.run();
    } catch (const std::runtime_error&) {  // (the quitter's root fails on purpose)
    }
    CHECK(client.value() == "noproc; noproc; ");
}

TEST_CASE("call: a reply of another call, or a second reply, never reaches the mailbox",
          "[core][call]") {
    runtime rt(virtual_config());
    // Replies twice to each request, the second time after a while.
    auto server = rt.spawn([]() -> task<void> {
        for (int i = 0; i < 2; ++i) {
            request<add> r = co_await self().receive<request<add>>();
            reply(r, r.body.a + r.body.b);
            co_await self().sleep(10ms);
            reply(r, -1);
        }
    });
    auto client = rt.spawn(
        [](pid s) -> task<std::string> {
            const int x = co_await call<int>(s, add{1, 1}, 1s);
            co_await self().sleep(5ms);
            // The first call's second reply comes while this call is active.
            const int y = co_await call<int>(s, add{2, 2}, 1s);
            co_await self().sleep(100ms);
            auto any = co_await self().receive_for(0ms, [](any_message) {});
            co_return std::to_string(x) + " " + std::to_string(y) + (any ? " dirty" : " clean");
        },
        server.id());
    rt.run();
    CHECK(client.value() == "2 4 clean");
    CHECK(rt.stats().dropped_replies == 2);
}

TEST_CASE("call: a reply of the wrong type times out and is dropped at the end", "[core][call]") {
    runtime rt(virtual_config());
    auto server = rt.spawn([]() -> task<void> {
        request<add> r = co_await self().receive<request<add>>();
        reply(r, std::string("not an int"));
        co_await self().sleep(1s);  // (alive: the call must not end with noproc)
    });
    auto client = rt.spawn(
        [](pid s) -> task<std::string> {
            std::string out;
            try {
                (void)co_await call<int>(s, add{1, 1}, 100ms);
            } catch (const call_error& e) {
                out = describe(e);
            }
            auto any = co_await self().receive_for(0ms, [](any_message) {});
            co_return out + (any ? " dirty" : " clean");
        },
        server.id());
    rt.run();
    CHECK(client.value() == "timeout clean");
    CHECK(rt.stats().dropped_replies == 1);
}

TEST_CASE(
    "call: parallel calls from child processes, and a call cut short by a deadline drops its reply",
    "[core][call]") {
    runtime rt(virtual_config());
    auto server = rt.spawn(adder, duration(50ms), 3);
    auto client = rt.spawn(
        [](pid s) -> task<int> {
            auto a = self().spawn(
                [](pid t) -> task<int> {
                    co_return co_await call<int>(t, add{1, 0}, 1s);
                },
                s);
            auto b = self().spawn(
                [](pid t) -> task<int> {
                    co_return co_await call<int>(t, add{2, 0}, 1s);
                },
                s);
            const int x = co_await a;
            const int y = co_await b;
            co_return x + y;
        },
        server.id());
    // A call cut short by a deadline scope: the process goes on, and the
    // reply that comes later is dropped.
    auto late = rt.spawn(
        [](pid s) -> task<std::string> {
            std::string out;
            try {
                (void)co_await with_timeout(10ms, call<int>(s, add{3, 0}, 1s));
                out = "replied (wrong)";
            } catch (const timeout_error&) {
                out = "deadline";
            }
            co_await self().sleep(1s);
            auto any = co_await self().receive_for(0ms, [](any_message) {});
            co_return out + (any ? " dirty" : " clean");
        },
        server.id());
    try {
        rt.run();
    } catch (const std::exception&) {  // (if a cancelled root counts as failed)
    }
    CHECK(client.value() == 3);
    CHECK(late.value() == "deadline clean");
    // The cancelled call's reply came later and was dropped.
    CHECK(rt.stats().dropped_replies == 1);
}
