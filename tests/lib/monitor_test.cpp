#include "coronet/monitor.hpp"

#include <string>
#include <vector>
#include <catch2/catch.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>

#include "test_runtime.hpp"

using namespace coronet;
using namespace coronet::test;

namespace {

task<void> lives_for(duration d) {
    co_await self().sleep(d);
}

task<std::string> two_monitors(pid target) {
    auto s = self();
    auto r1 = monitor(target);
    auto r2 = monitor(target);
    auto d1 = co_await s.receive<down_msg>();
    auto d2 = co_await s.receive<down_msg>();
    auto none = co_await s.receive<down_msg>(1s);
    bool distinct =
        d1.ref != d2.ref && (d1.ref == r1 || d1.ref == r2) && (d2.ref == r1 || d2.ref == r2);
    co_return std::string(distinct ? "distinct" : "same") + " " + to_string(d1.reason.kind) + " " +
        to_string(d2.reason.kind) + (none ? " extra" : " once");
}

task<std::string> monitors_dead(pid dead) {
    auto r = monitor(dead);
    auto d = co_await self().receive<down_msg>();
    co_return std::string(d.ref == r ? "ref ok " : "ref bad ") + to_string(d.reason.kind) + "@" +
        std::to_string(ms(self().now()));
}

task<std::string> demonitor_flush(pid target) {
    auto s = self();
    auto r = monitor(target);
    co_await s.sleep(50ms);  // the target exited at 10 ms: its down_msg waits in the mailbox
    std::size_t before = s.mailbox_size();
    demonitor(r, true);
    co_return std::to_string(before) + " -> " + std::to_string(s.mailbox_size());
}

task<std::string> demonitor_before_exit(pid target) {
    auto s = self();
    auto r = monitor(target);
    demonitor(r);
    auto d = co_await s.receive<down_msg>(100ms);
    co_return d ? "down arrived" : "no down";
}

task<void> sends_then_exits(pid to) {
    send(to, 1);
    send(to, 2);
    co_return;
}

task<std::vector<std::string>> order_receiver() {
    auto s = self();
    auto [child, ref] = s.spawn_monitor(sends_then_exits, s.id());
    std::vector<std::string> got;
    for (int i = 0; i < 3; ++i) {
        got.push_back(co_await s.receive_any(
            [](int v) { return "m" + std::to_string(v); },
            [](const down_msg& d) { return std::string("down ") + to_string(d.reason.kind); }));
    }
    co_return got;
}

task<void> sends_many_then_exits(pid to, int n) {
    for (int i = 0; i < n; ++i) send(to, i);
    co_return;
}

task<std::string> order_across_workers(int n) {
    auto s = self();
    spawn_options on1;
    on1.where = placement::pinned(1);
    auto h = s.spawn_opt(on1, sends_many_then_exits, s.id(), n);
    monitor(h.id());
    int expected = 0;
    bool ordered = true;
    for (;;) {
        bool down = co_await s.receive_any(
            [&](int v) {
                ordered = ordered && v == expected++;
                return false;
            },
            [](const down_msg&) { return true; });
        if (down) break;
    }
    co_return std::string(ordered ? "ordered " : "disordered ") + std::to_string(expected);
}

task<std::string> monitors_foreign(pid foreign) {
    auto r = monitor(foreign);
    auto d = co_await self().receive<down_msg>(1s);
    co_return d && d->ref == r ? std::string(to_string(d->reason.kind)) : "nothing";
}

}  // namespace

TEST_CASE("two monitors give two downs with distinct refs, once each (T-MO-01)",
          "[core][monitor]") {
    runtime rt{virtual_config()};
    auto t = rt.spawn(lives_for, 10ms);
    auto h = rt.spawn(two_monitors, t.id());
    rt.run();
    CHECK(h.value() == "distinct normal normal once");
}

TEST_CASE("monitoring a dead pid gives noproc at once (T-MO-01)", "[core][monitor]") {
    runtime rt{virtual_config(2)};
    spawn_options on1;
    on1.where = placement::pinned(1);
    auto dead = rt.spawn_opt(on1, lives_for, 0ms);
    rt.run();
    auto h = rt.spawn(monitors_dead, dead.id());
    rt.run();
    CHECK(h.value() == "ref ok noproc@0");
}

TEST_CASE("monitoring a pid of another node or the null pid gives noproc (MO-1)",
          "[core][monitor]") {
    runtime other{virtual_config()};
    pid foreign = other.spawn(lives_for, 1s).id();
    runtime rt{virtual_config()};
    auto a = rt.spawn(monitors_foreign, foreign);
    auto b = rt.spawn(monitors_foreign, pid{});
    rt.run();
    CHECK(a.value() == "noproc");
    CHECK(b.value() == "noproc");
}

TEST_CASE("demonitor with flush leaves no down in the mailbox (T-MO-01, MO-2)", "[core][monitor]") {
    runtime rt{virtual_config()};
    auto t = rt.spawn(lives_for, 10ms);
    auto h = rt.spawn(demonitor_flush, t.id());
    rt.run();
    CHECK(h.value() == "1 -> 0");
}

TEST_CASE("no down arrives after demonitor returns (MO-2)", "[core][monitor]") {
    runtime rt{virtual_config(2)};
    spawn_options on1;
    on1.where = placement::pinned(1);
    auto t = rt.spawn_opt(on1, lives_for, 10ms);
    auto h = rt.spawn(demonitor_before_exit, t.id());
    rt.run();
    CHECK(h.value() == "no down");
}

TEST_CASE("final messages come before the down (T-MO-02)", "[core][monitor]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(order_receiver);
    rt.run();
    CHECK(h.value() == std::vector<std::string>{"m1", "m2", "down normal"});
}

TEST_CASE("messages then down keep their order across workers (MO-4)", "[core][monitor]") {
    runtime rt{virtual_config(2)};
    auto h = rt.spawn(order_across_workers, 1000);
    rt.run();
    CHECK(h.value() == "ordered 1000");
}

TEST_CASE("messages then down keep their order across real threads (MO-4)",
          "[core][monitor][threads]") {
    runtime rt{real_config(2)};
    auto h = rt.spawn(order_across_workers, 100'000);
    rt.run();
    CHECK(h.value() == "ordered 100000");
}
