#include "coronet/hot_swap.hpp"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>
#include <catch2/catch.hpp>
#include <coronet/link.hpp>
#include <coronet/monitor.hpp>
#include <coronet/names.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>

#include "event_log.hpp"
#include "test_runtime.hpp"

using namespace coronet;
using namespace coronet::test;

namespace {

struct inc {};
struct slow {
    duration d;
};
struct get {
    pid reply_to;
};
struct value {
    long n;
};
struct item {
    int n;
};
struct halt {};
struct go {};

/// v2's state: a different type than v1's int, made by migration (HS-4).
struct total {
    long n;
    int migrated_from;
};

std::shared_ptr<behaviour_of<int>> counter_v1() {
    auto b = std::make_shared<behaviour_of<int>>("counter", 1);
    b->on<inc>([](int& n, inc&) { ++n; });
    b->on<get>([](int& n, get& g) { send(g.reply_to, value{n}); });
    b->on<slow>([](int& n, slow& s) -> task<void> {
        co_await self().sleep(s.d);
        n += 1000;
    });
    b->on<item>([](int& n, item&) { ++n; });
    b->on<halt>([](int&, halt&) { stop_behaviour(); });
    return b;
}

std::shared_ptr<behaviour_of<total>> counter_v2() {
    auto b = std::make_shared<behaviour_of<total>>("counter", 2);
    b->on<inc>([](total& t, inc&) { t.n += 2; });
    b->on<get>([](total& t, get& g) { send(g.reply_to, value{t.n}); });
    b->on<halt>([](total&, halt&) { stop_behaviour(); });
    b->migrate_from<int>([](const int& n) { return total{n, 1}; });
    return b;
}

/// Records the items in order, tagged with the version that handled them.
std::shared_ptr<behaviour_of<std::vector<int>>> recorder(int version) {
    auto b = std::make_shared<behaviour_of<std::vector<int>>>("recorder", version);
    b->on<item>([version](std::vector<int>& v, item& i) { v.push_back(version * 100000 + i.n); });
    b->on<get>([](std::vector<int>& v, get& g) { send(g.reply_to, value{long(v.size())}); });
    b->on<halt>([](std::vector<int>&, halt&) { stop_behaviour(); });
    return b;
}

task<long> ask(pid counter) {
    send(counter, get{self().id()});
    auto v = co_await self().receive<value>();
    co_return v.n;
}

behaviour_ref as_ref(std::shared_ptr<const behaviour> b) {
    return behaviour_ref(std::move(b));
}

task<std::string> hs01() {
    auto c = spawn_behaviour(as_ref(counter_v1()), std::any(0));
    const pid before = c.id();
    auto mon = monitor(c.id());
    for (int i = 0; i < 3; ++i) send(c.id(), inc{});
    const long before_swap = co_await ask(c.id());  // v1 has handled the three
    auto r = co_await swap(c.id(), as_ref(counter_v2()));
    for (int i = 0; i < 3; ++i) send(c.id(), inc{});
    const long n = co_await ask(c.id());
    const bool no_down = !co_await self().receive<down_msg>(duration::zero());
    send(c.id(), halt{});
    co_await c;
    (void)mon;
    co_return std::to_string(before_swap) + ", " + to_string(r.status) + " " + std::to_string(n) +
        (c.id() == before ? " same pid" : " new pid") + (no_down ? " no down" : " down fired");
}

task<swap_result> swaps_to(pid target, behaviour_ref next, duration after, duration timeout) {
    co_await self().sleep(after);
    co_return co_await swap(target, std::move(next), timeout);
}

task<std::string> hs02() {
    auto s = self();
    auto c = spawn_behaviour(as_ref(counter_v1()), std::any(0));
    send(c.id(), slow{100ms});  // the handler suspends for 100 ms
    auto swapper = s.spawn(swaps_to, c.id(), as_ref(counter_v2()), 10ms, 1s);
    co_await s.sleep(50ms);
    send(c.id(), inc{});  // enqueued during the handler: handled by v2 (+2)
    auto r = co_await swapper;
    const auto at = ms(s.now());
    const long n = co_await ask(c.id());
    send(c.id(), halt{});
    co_return std::string(to_string(r.status)) + " at " + std::to_string(at) + ", " +
        std::to_string(n);
}

task<std::string> hs03(bool exit_on_failure) {
    auto s = self();
    trap_exit(true);
    auto c = spawn_behaviour(as_ref(counter_v1()), std::any(0), behaviour_options{exit_on_failure});
    for (int i = 0; i < 3; ++i) send(c.id(), inc{});
    auto r = co_await swap(c.id(), as_ref(counter_v2()), [](const std::any&) -> std::any {
        throw std::runtime_error("cannot migrate");
    });
    std::string out = std::string(to_string(r.status)) + " (" + r.error + ")";
    if (exit_on_failure) {
        auto m = co_await s.receive<exit_msg>();
        co_return out + ", exited " + to_string(m.reason.kind);
    }
    send(c.id(), inc{});
    out += ", v1 goes on: " + std::to_string(co_await ask(c.id()));
    send(c.id(), halt{});
    co_return out;
}

task<void> sends_items(pid to, int from, int n) {
    for (int i = from; i < from + n; ++i) {
        send(to, item{i});
        if (i % 50 == 0) co_await self().yield();
    }
}

task<std::vector<int>> hs04() {
    auto s = self();
    // the recorder on worker 1, the senders and the swapper on worker 0
    auto c = spawn_behaviour(as_ref(recorder(1)), std::any(std::vector<int>{}), behaviour_options{},
                             spawn_options{placement::pinned(1)});
    co_await s.spawn(sends_items, c.id(), 0, 400);
    const long seen_by_v1 = co_await ask(c.id());
    if (seen_by_v1 != 400) throw std::logic_error("v1 did not see the first 400");
    auto during = s.spawn(sends_items, c.id(), 400, 400);
    auto r = co_await swap(c.id(), as_ref(recorder(2)));
    co_await during;
    co_await s.spawn(sends_items, c.id(), 800, 200);
    if (!r)
        throw std::logic_error(std::string("swap failed: ") + to_string(r.status) + " " + r.error);
    // Read the state back with a third version that reports it.
    auto reporter = std::make_shared<behaviour_of<std::vector<int>>>("recorder", 3);
    reporter->on<item>([](std::vector<int>& v, item& i) { v.push_back(200000 + i.n); });
    reporter->on<get>([](std::vector<int>& v, get& g) {
        for (int x : v) send(g.reply_to, item{x});
        send(g.reply_to, halt{});
    });
    reporter->on<halt>([](std::vector<int>&, halt&) { stop_behaviour(); });
    co_await swap(c.id(), as_ref(reporter));
    send(c.id(), get{s.id()});
    std::vector<int> seen;
    for (;;) {
        bool done = false;
        co_await s.receive_any([&](item i) { seen.push_back(i.n); }, [&](halt) { done = true; });
        if (done) break;
    }
    send(c.id(), halt{});
    co_return seen;
}

task<void> crashes_on_go(pid target) {
    link(target);
    co_await self().receive<go>();
    throw std::runtime_error("peer crashed");
}

task<std::string> hs05() {
    auto s = self();
    trap_exit(true);
    auto c = spawn_behaviour(as_ref(counter_v1()), std::any(0));
    register_name("the-counter", c.id());
    auto peer = s.spawn(crashes_on_go, c.id());
    auto mon = monitor(c.id());
    co_await s.sleep(1ms);
    auto r = co_await swap(c.id(), as_ref(counter_v2()));
    std::string out = to_string(r.status);
    out += whereis("the-counter") == c.id() ? ", name kept" : ", name lost";
    send("the-counter", inc{});
    out += ", " + std::to_string(co_await ask(c.id()));
    send(peer.id(), go{});
    auto d = co_await s.receive<down_msg>();
    (void)mon;
    out += std::string(", link fired: ") + to_string(d.reason.kind);
    out += whereis("the-counter") ? ", name still bound" : ", name released";
    co_return out;
}

task<std::string> hs06(code_registry* reg) {
    auto s = self();
    auto c = spawn_behaviour(reg->find("counter", 1), std::any(0));
    co_await s.sleep(1ms);
    std::string why;
    std::string out = reg->unload("counter", 1, &why) ? "unloaded" : why;
    out += ", users " + std::to_string(reg->users("counter", 1));
    auto r = co_await swap(c.id(), reg->find("counter"));  // the latest: v2
    out += std::string(", swap ") + to_string(r.status);
    out += ", users " + std::to_string(reg->users("counter", 1));
    out += reg->unload("counter", 1, &why) ? ", unloaded" : ", " + why;
    send(c.id(), halt{});
    co_return out;
}

task<void> idle_body() {
    co_await self().receive<halt>();
}

task<std::string> not_quiescent() {
    auto s = self();
    auto c = spawn_behaviour(as_ref(counter_v1()), std::any(0));
    send(c.id(), slow{10s});
    co_await s.sleep(1ms);
    auto r = co_await swap(c.id(), as_ref(counter_v2()), 1s);
    std::string out = std::string(to_string(r.status)) + " at " + std::to_string(ms(s.now()));
    send(c.id(), inc{});
    out += ", v1 still: " + std::to_string(co_await ask(c.id()));  // 1000 + 1
    auto wrong = co_await swap_body(c.id(), bind_body(idle_body));
    out += std::string(", ") + to_string(wrong.status);
    auto none = co_await swap(s.id(), as_ref(counter_v2()));
    out += std::string(", ") + to_string(none.status);
    send(c.id(), halt{});
    co_return out;
}

// ---------------------------------------------------------------- function form

struct unwound {
    event_log* log;
    std::string what;
    ~unwound() { log->add("f", what); }
};

task<void> loop_v1(event_log* log) {
    unwound u{log, "v1 unwound"};
    for (;;) {
        auto i = co_await self().receive<item>();
        log->add("f", "v1 " + std::to_string(i.n));
    }
}

task<void> loop_v2(event_log* log, int stop_at) {
    for (;;) {
        auto i = co_await self().receive<item>();
        log->add("f", "v2 " + std::to_string(i.n));
        if (i.n == stop_at) co_return;
    }
}

task<std::string> function_swap(event_log* log) {
    auto s = self();
    auto f = spawn_swappable(bind_body(loop_v1, log));
    for (int i = 0; i < 3; ++i) send(f.id(), item{i});
    co_await s.sleep(1ms);
    send(f.id(), item{3});  // wakes v1's receive at once: v1 still handles it
    send(f.id(), item{4});  // queued before the swap: handled by v2
    auto r = co_await swap_body(f.id(), bind_body(loop_v2, log, 5));
    send(f.id(), item{5});
    co_await f;
    auto wrong = co_await swap(f.id(), as_ref(counter_v2()));
    co_return std::string(to_string(r.status)) + ", after exit: " + to_string(wrong.status);
}

}  // namespace

TEST_CASE("T-HS-01: a counter swapped from v1 (+1) to v2 (+2) with migration gives 9",
          "[core][hot_swap]") {
    runtime rt(virtual_config());
    auto h = rt.spawn(hs01);
    rt.run();
    CHECK(h.value() == "3, ok 9 same pid no down");
}

TEST_CASE("T-HS-02: a swap requested mid-handler runs after it, and v2 takes the next message",
          "[core][hot_swap]") {
    runtime rt(virtual_config());
    std::vector<std::string> trace;
    runtime_config c = virtual_config();
    c.on_swap = [&](const pid&, std::string_view name, int from, int to) {
        trace.push_back(std::string(name) + " " + std::to_string(from) + "->" + std::to_string(to));
    };
    runtime rt2(c);
    auto h = rt2.spawn(hs02);
    rt2.run();
    CHECK(h.value() == "ok at 100, 1002");
    CHECK(trace == std::vector<std::string>{"counter 1->2"});  // HS-5: the swap trace event
}

TEST_CASE("T-HS-03: a throwing migrate gives swap_failed and v1 goes on unchanged",
          "[core][hot_swap]") {
    SECTION("default policy") {
        runtime rt(virtual_config());
        auto h = rt.spawn(hs03, false);
        rt.run();
        CHECK(h.value() == "swap_failed (cannot migrate), v1 goes on: 4");
    }
    SECTION("exit_on_swap_failure") {
        runtime rt(virtual_config());
        auto h = rt.spawn(hs03, true);
        rt.run();
        CHECK(h.value() == "swap_failed (cannot migrate), exited swap_failed");
    }
}

TEST_CASE("T-HS-04: 1000 sends before, during and after a swap are handled once, in order",
          "[core][hot_swap]") {
    runtime rt(virtual_config(2));
    auto h = rt.spawn(hs04);
    rt.run();
    auto seen = h.value();
    REQUIRE(seen.size() == 1000);
    int v1 = 0;
    int v2 = 0;
    for (int i = 0; i < 1000; ++i) {
        CHECK(seen[i] % 100000 == i);
        const int version = seen[i] / 100000;
        if (version == 1) {
            ++v1;
            CHECK(v2 == 0);  // every v1 message comes before every v2 message
        } else {
            ++v2;
        }
    }
    CHECK(v1 >= 400);  // everything sent before the swap request
    CHECK(v2 >= 200);  // everything sent after the swap returned
}

TEST_CASE("T-HS-05: a registered name and links survive a swap, and a link still propagates",
          "[core][hot_swap]") {
    runtime rt(virtual_config());
    auto h = rt.spawn(hs05);
    rt.run();
    CHECK(h.value() == "ok, name kept, 2, link fired: error, name released");
}

TEST_CASE("T-HS-06: a version in use cannot be unloaded, after the swap it can",
          "[core][hot_swap]") {
    runtime rt(virtual_config());
    rt.code().add(counter_v1());
    rt.code().add(counter_v2());
    CHECK_THROWS_AS(rt.code().add(counter_v1()), std::invalid_argument);
    auto h = rt.spawn(hs06, &rt.code());
    rt.run();
    CHECK(h.value() == "counter v1 is in use (1 references), users 1, swap ok, users 0, unloaded");
    CHECK(rt.code().list() == std::vector<std::pair<std::string, int>>{{"counter", 2}});
    CHECK_THROWS_AS(rt.code().load_library("/nonexistent/libnothing.so"), std::runtime_error);
}

TEST_CASE("a swap that finds no swap point within its timeout is withdrawn (not_quiescent)",
          "[core][hot_swap]") {
    runtime rt(virtual_config());
    auto h = rt.spawn(not_quiescent);
    rt.run();
    CHECK(h.value() == "not_quiescent at 1001, v1 still: 1001, not_swappable, not_swappable");
}

TEST_CASE("a swappable function is replaced at its next receive, keeping the mailbox",
          "[core][hot_swap]") {
    runtime rt(virtual_config());
    event_log log;
    auto h = rt.spawn(function_swap, &log);
    rt.run();
    CHECK(h.value() == "ok, after exit: not_swappable");
    CHECK(log.lines() == std::vector<std::string>{"f: v1 0", "f: v1 1", "f: v1 2", "f: v1 3",
                                                  "f: v1 unwound", "f: v2 4", "f: v2 5"});
}

namespace {

task<void> counting_body(int* starts) {
    ++*starts;
    for (;;) co_await self().receive<item>();
}

task<void> new_body(int* runs) {
    ++*runs;
    co_return;
}

task<std::string> zero_timeout_swap(int* starts, int* runs) {
    auto f = spawn_swappable(bind_body(counting_body, starts));
    co_await self().sleep(1ms);
    auto r = co_await swap_body(f.id(), bind_body(new_body, runs), duration::zero());
    co_await f;
    co_return to_string(r.status);
}

}  // namespace

TEST_CASE("a swap a waiting process has committed to is not withdrawn by the timeout",
          "[core][hot_swap]") {
    runtime rt(virtual_config());
    int starts = 0;
    int runs = 0;
    auto h = rt.spawn(zero_timeout_swap, &starts, &runs);
    rt.run();
    CHECK(h.value() == "ok");
    CHECK(starts == 1);  // the old body never starts again
    CHECK(runs == 1);
}
