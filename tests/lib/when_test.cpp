#include "coronet/when.hpp"

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

struct exit_log {
    std::string name;
    ~exit_log() { g_log.push_back(name + " exited@" + std::to_string(ms(self().now()))); }
};

task<int> w(int ms_) {
    exit_log l{"w" + std::to_string(ms_)};
    co_await self().sleep(std::chrono::milliseconds(ms_));
    co_return ms_;
}

task<int> fail(int ms_) {
    co_await self().sleep(std::chrono::milliseconds(ms_));
    throw std::runtime_error("fail@" + std::to_string(ms_));
}

task<std::string> tco01() {
    auto r = co_await (w(100) | w(200));
    g_log.push_back("| returned@" + std::to_string(ms(self().now())));
    co_return std::to_string(r.index) + ":" + std::to_string(std::get<0>(r.value));
}

task<std::string> tco02_all() {
    try {
        co_await (fail(10) & w(50));
        co_return "no throw";
    } catch (const std::runtime_error& e) {
        co_return std::string(e.what()) + " seen@" + std::to_string(ms(self().now()));
    }
}

task<std::string> tco02_settled() {
    auto [a, b] = co_await when_all_settled(fail(10), w(50));
    std::string out = a.has_value() ? "value" : "error";
    out += ",";
    out += b.has_value() ? std::to_string(b.value()) : "error";
    co_return out + "@" + std::to_string(ms(self().now()));
}

task<std::string> tco03(handle<int> done) {
    auto s = self();
    auto r = co_await (done | w(100));
    std::string out = std::to_string(r.index) + ":" + std::to_string(std::get<0>(r.value)) + "@" +
                      std::to_string(ms(s.now()));
    auto [x, y] = co_await (done & w(30));
    out +=
        " all " + std::to_string(x) + "," + std::to_string(y) + "@" + std::to_string(ms(s.now()));
    int again = co_await done;
    out += " again " + std::to_string(again);
    co_return out;
}

task<int> quick() {
    co_return 5;
}

task<std::string> three_way() {
    auto r = co_await (w(300) | w(200) | w(100));
    auto [a, b, c] = co_await (w(1) & w(2) & w(3));
    co_return std::to_string(r.index) + " " + std::to_string(a + b + c);
}

task<std::string> mixed_types() {
    auto r = co_await when_any(w(10), quick());
    auto [i, v] = co_await when_all(quick(), [](int) -> task<void> { co_return; }(0));
    (void)v;
    co_return std::to_string(r.index) + " " + std::to_string(i);
}

task<std::string> any_rethrows() {
    try {
        co_await (fail(10) | w(20));
        co_return "no throw";
    } catch (const std::runtime_error& e) {
        co_return e.what();
    }
}

task<std::string> cancelled_composer() {
    try {
        co_await (w(100) & w(200));
        co_return "no throw";
    } catch (const cancelled_error&) {
        co_return "cancelled@" + std::to_string(ms(self().now()));
    }
}

task<void> cancel_at(pid p, duration d) {
    co_await self().sleep(d);
    cancel(p, "test");
}

}  // namespace

TEST_CASE("w(100) | w(200) gives index 0 at 100 ms, the loser exits first (T-CO-01)",
          "[core][when]") {
    g_log.clear();
    runtime rt{virtual_config()};
    auto h = rt.spawn(tco01);
    rt.run();
    CHECK(h.value() == "0:100");
    CHECK(g_log ==
          std::vector<std::string>{"w100 exited@100", "w200 exited@100", "| returned@100"});
}

TEST_CASE("fail(10) & ok(50) throws at 10 ms and cancels ok (T-CO-02)", "[core][when]") {
    g_log.clear();
    runtime rt{virtual_config()};
    auto h = rt.spawn(tco02_all);
    rt.run();
    CHECK(h.value() == "fail@10 seen@10");
    CHECK(g_log == std::vector<std::string>{"w50 exited@10"});
}

TEST_CASE("when_all_settled gives [error, 50] at 50 ms (T-CO-02)", "[core][when]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(tco02_settled);
    rt.run();
    CHECK(h.value() == "error,50@50");
}

TEST_CASE("already finished operands count at once and join twice gives one value (T-CO-03)",
          "[core][when]") {
    g_log.clear();
    runtime rt{virtual_config()};
    auto done = rt.spawn(quick);
    rt.run();
    REQUIRE(done.exited());
    auto h = rt.spawn(tco03, done);
    rt.run();
    CHECK(h.value() == "0:5@0 all 5,30@30 again 5");
}

TEST_CASE("chained | and & flatten into one composition", "[core][when]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(three_way);
    rt.run();
    CHECK(h.value() == "2 6");
}

TEST_CASE("when_any and when_all take operands of different types", "[core][when]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(mixed_types);
    rt.run();
    CHECK(h.value() == "1 5");
}

TEST_CASE("when_any rethrows when the winner failed", "[core][when]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(any_rethrows);
    rt.run();
    CHECK(h.value() == "fail@10");
}

TEST_CASE("a cancelled composer cancels and awaits its operands", "[core][when]") {
    g_log.clear();
    runtime rt{virtual_config()};
    auto h = rt.spawn(cancelled_composer);
    rt.spawn(cancel_at, h.id(), 40ms);
    rt.run();
    CHECK(h.value() == "cancelled@40");
    CHECK(g_log == std::vector<std::string>{"w200 exited@40", "w100 exited@40"});
}
