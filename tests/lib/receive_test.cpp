#include "coronet/receive.hpp"

#include <array>
#include <memory>
#include <string>
#include <vector>
#include <catch2/catch.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>

#include "test_runtime.hpp"

using namespace coronet;
using namespace coronet::test;

namespace {

struct a_msg {
    int n;
};
struct b_msg {};
struct c_msg {
    std::string s;
};

task<std::vector<int>> collect_ints(int n) {
    std::vector<int> got;
    for (int i = 0; i < n; ++i) got.push_back(co_await self().receive<int>());
    co_return got;
}

task<std::vector<std::string>> selective() {
    auto s = self();
    std::vector<std::string> order;
    // Wait until all four are in the mailbox, then pick them out of order.
    while (s.mailbox_size() < 4) co_await s.yield();
    c_msg c = co_await s.receive<c_msg>();
    order.push_back("C:" + c.s);
    order.push_back("left:" + std::to_string(s.mailbox_size()));
    co_await s.receive<b_msg>();
    order.push_back("B");
    a_msg a1 = co_await s.receive<a_msg>();
    a_msg a2 = co_await s.receive<a_msg>();
    order.push_back("A" + std::to_string(a1.n));
    order.push_back("A" + std::to_string(a2.n));
    order.push_back("left:" + std::to_string(s.mailbox_size()));
    co_return order;
}

task<std::vector<int>> guarded_receive() {
    auto s = self();
    while (s.mailbox_size() < 4) co_await s.yield();
    std::vector<int> got;
    got.push_back(
        co_await s.receive_any(guard([](const int& v) { return v > 4; }, [](int v) { return v; })));
    for (int i = 0; i < 3; ++i) got.push_back(co_await s.receive<int>());
    co_return got;
}

task<std::string> handlers_in_order() {
    auto s = self();
    std::string log;
    for (int i = 0; i < 3; ++i) {
        log += co_await s.receive_any(
            [](const c_msg& c) { return "c(" + c.s + ")"; },
            [](int v) { return "int(" + std::to_string(v) + ")"; },
            [](any_message m) { return std::string(m.is<b_msg>() ? "any:b" : "any:?"); });
        log += ' ';
    }
    co_return log;
}

task<long long> times_out() {
    auto s = self();
    auto r = co_await s.receive<int>(250ms);
    co_return r ? -1 : ms(s.now());
}

task<std::string> look_only() {
    auto s = self();
    auto r = co_await s.receive_for(0ms, [](int) {});
    co_return (r ? "got" : "empty") + std::string(" at ") + std::to_string(ms(s.now()));
}

task<long long> receive_before_timeout() {
    auto s = self();
    auto r = co_await s.receive<int>(1s);
    co_return r ? ms(s.now()) * 1000 + *r : -1;
}

task<void> send_later(pid to, duration after, int v) {
    co_await self().sleep(after);
    send(to, v);
}

task<std::size_t> big_and_move_only() {
    auto s = self();
    auto big = co_await s.receive<std::array<char, 200>>();
    auto up = co_await s.receive<std::unique_ptr<int>>();
    co_return static_cast<std::size_t>(big[199]) + static_cast<std::size_t>(*up);
}

}  // namespace

TEST_CASE("a mailbox delivers one sender's messages in FIFO order", "[core][receive]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(collect_ints, 100);
    for (int i = 0; i < 100; ++i) rt.send(h, i);
    rt.run();
    std::vector<int> want(100);
    for (int i = 0; i < 100; ++i) want[i] = i;
    CHECK(h.value() == want);
}

TEST_CASE("selective receive leaves unmatched messages in place and in order", "[core][receive]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(selective);
    rt.send(h, a_msg{1});
    rt.send(h, b_msg{});
    rt.send(h, a_msg{2});
    rt.send(h, c_msg{"x"});
    rt.run();
    CHECK(h.value() == std::vector<std::string>{"C:x", "left:3", "B", "A1", "A2", "left:0"});
}

TEST_CASE("a guard keeps the messages it rejects in the mailbox", "[core][receive]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(guarded_receive);
    for (int v : {1, 5, 2, 7}) rt.send(h, v);
    rt.run();
    CHECK(h.value() == std::vector<int>{5, 1, 2, 7});
}

TEST_CASE("handlers are tried in order and any_message accepts the rest", "[core][receive]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(handlers_in_order);
    rt.send(h, b_msg{});
    rt.send(h, 3);
    rt.send(h, c_msg{"k"});
    rt.run();
    CHECK(h.value() == "any:b int(3) c(k) ");
}

TEST_CASE("a receive timeout fires at exactly the virtual deadline", "[core][receive]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(times_out);
    rt.run();
    CHECK(h.value() == 250);
}

TEST_CASE("receive_for with a zero timeout only looks", "[core][receive]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(look_only);
    rt.run();
    CHECK(h.value() == "empty at 0");
}

TEST_CASE("a message that comes before the timeout is received at its arrival time",
          "[core][receive]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(receive_before_timeout);
    rt.spawn(send_later, h.id(), 300ms, 7);
    rt.run();
    CHECK(h.value() == 300 * 1000 + 7);
}

TEST_CASE("large and move-only messages are delivered intact", "[core][receive]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(big_and_move_only);
    std::array<char, 200> big{};
    big[199] = 40;
    rt.send(h, big);
    rt.send(h, std::make_unique<int>(2));
    rt.run();
    CHECK(h.value() == 42);
}
