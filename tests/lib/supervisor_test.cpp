#include "coronet/supervisor.hpp"

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

struct crash {};
struct quit {};

/// Logs "stop" when the frame is destroyed, whatever the path (LT-5).
struct on_stop {
    event_log* log;
    std::string name;
    ~on_stop() { log->add(name, "stop"); }
};

/// A supervised worker: logs start/stop, crashes or quits on request.
task<void> member(std::string name, event_log* log) {
    log->add(name, "start@" + std::to_string(ms(self().now())));
    on_stop guard{log, name};
    for (;;) {
        bool done = false;
        co_await self().receive_any([&](crash) { throw std::runtime_error(name + " crashed"); },
                                    [&](quit) { done = true; });
        if (done) co_return;
    }
}

/// Crashes right after it is ready (for backoff).
task<void> crasher(std::string name, event_log* log) {
    log->add(name, "start@" + std::to_string(ms(self().now())));
    ready();
    co_await self().yield();
    throw std::runtime_error("crash at start");
}

/// Fails before it is ready (SV-3).
task<void> broken(std::string name, event_log* log) {
    log->add(name, "start");
    co_await self().sleep(1ms);
    throw std::runtime_error(name + " cannot start");
}

/// Traps exits and ignores the supervisor's shutdown request.
task<void> stubborn(std::string name, event_log* log) {
    trap_exit(true);
    log->add(name, "start");
    struct at_exit {
        event_log* log;
        std::string name;
        ~at_exit() { log->add(name, "gone@" + std::to_string(ms(self().now()))); }
    } g{log, name};
    for (;;) co_await self().receive<exit_msg>();
}

child_spec named_member(const std::string& n, event_log* log,
                        restart_type r = restart_type::permanent) {
    auto c = child(n, member, n, log);
    c.name = n;
    c.restart = r;
    return c;
}

/// Members named by the letters of `names` ("ABC"). (Not a braced list:
/// GCC 12 rejects a braced list of literals inside a coroutine, "array used
/// as initializer".)
std::vector<child_spec> members(const std::string& names, event_log* log) {
    std::vector<child_spec> v;
    for (char n : names) v.push_back(named_member(std::string(1, n), log));
    return v;
}

/// A vector of specs (see members() for why not a braced list).
template <class... S>
std::vector<child_spec> specs_of(S... s) {
    std::vector<child_spec> v;
    (v.push_back(std::move(s)), ...);
    return v;
}

void send_named(const std::string& n, auto msg) {
    auto p = whereis(n);
    if (!p) throw std::logic_error("no process named " + n);
    send(*p, msg);
}

/// Stops a supervisor the way its parent would, and waits for it.
task<exit_kind> stop_supervisor(const handle<void>& sup) {
    coronet::exit(sup.id(), exit_reason{exit_kind::shutdown, nullptr, "test done"});
    try {
        co_await sup;
    } catch (const exit_error&) {
    }
    co_return sup.reason().kind;
}

// ---------------------------------------------------------------- drivers

task<std::string> sv01(event_log* log) {
    auto sup = co_await start(supervise, supervisor_flags{}, members("ABC", log));
    auto before = co_await which_children(sup.id());
    send_named("B", crash{});
    co_await self().sleep(1ms);
    auto after = co_await which_children(sup.id());
    std::string out;
    out += after[0].process == before[0].process ? "A kept, " : "A changed, ";
    out += after[1].process != before[1].process && after[1].process ? "B new, " : "B same, ";
    out += after[2].process == before[2].process ? "C kept, " : "C changed, ";
    out += whereis("B") == after[1].process ? "name re-bound, " : "name stale, ";
    out += "B restarts " + std::to_string(after[1].restarts);
    co_await stop_supervisor(sup);
    co_return out;
}

task<std::size_t> crash_one(strategy how, std::vector<const char*> names, const char* victim,
                            int intensity, event_log* log) {
    supervisor_flags f;
    f.how = how;
    f.intensity = intensity;
    std::vector<child_spec> specs;
    for (const char* n : names) specs.push_back(named_member(n, log));
    auto sup = co_await start(supervise, f, specs);
    const std::size_t mark = log->size();
    send_named(victim, crash{});
    co_await self().sleep(1ms);
    if (sup.exited()) throw std::logic_error("supervisor gave up");
    log->add("test", "supervisor alive");
    co_await stop_supervisor(sup);
    co_return mark;
}

task<std::string> restart_types(event_log* log) {
    auto specs = specs_of(named_member("T", log, restart_type::temporary),
                          named_member("R", log, restart_type::transient),
                          named_member("S", log, restart_type::transient),
                          named_member("Q", log, restart_type::transient),
                          named_member("P", log, restart_type::permanent));
    supervisor_flags f;
    f.intensity = 10;
    auto sup = co_await start(supervise, f, specs);
    send_named("T", crash{});  // temporary: not restarted, spec removed
    send_named("R", crash{});  // transient + error: restarted
    send_named("S", quit{});   // transient + normal: not restarted
    coronet::exit(*whereis("Q"), exit_reason{exit_kind::shutdown, nullptr, "asked"});
    send_named("P", quit{});  // permanent + normal: restarted
    co_await self().sleep(1ms);
    std::string out;
    for (const auto& c : co_await which_children(sup.id()))
        out += c.id + (c.process ? "+" : "-") + std::to_string(c.restarts) + " ";
    co_await stop_supervisor(sup);
    co_return out;
}

/// T-SV-05: crashes of child X at the given times (ms) under a nested
/// supervisor; returns what happened to the inner supervisor.
task<std::string> intensity(std::vector<long long> crash_ms, event_log* log) {
    supervisor_flags inner;
    inner.intensity = 3;
    inner.period = std::chrono::seconds(5);
    auto inner_spec = supervisor_child("inner", inner, members("XY", log));
    inner_spec.name = "inner";
    supervisor_flags outer;
    outer.intensity = 5;
    auto top = co_await start(supervise, outer, specs_of(inner_spec));
    const pid first_inner = *whereis("inner");
    monitor(first_inner);
    for (long long t : crash_ms) {
        co_await self().sleep_until(time_point(std::chrono::milliseconds(0)) +
                                    std::chrono::nanoseconds(t));
        log->add("test", "crash X");
        send_named("X", crash{});
    }
    auto down = co_await self().receive<down_msg>(10ms);
    std::string out = down ? std::string("inner exited ") + to_string(down->reason.kind) +
                                 (*whereis("inner") != first_inner ? ", restarted by outer" : "")
                           : "inner alive";
    co_await stop_supervisor(top);
    co_return out;
}

task<std::string> shutdown_timeout(shutdown_policy p, event_log* log) {
    auto c = child("stubborn", stubborn, std::string("stubborn"), log);
    c.shutdown = p;
    auto sup = co_await start(supervise, supervisor_flags{}, specs_of(c));
    auto kids = co_await which_children(sup.id());
    monitor(kids[0].process);
    co_await terminate_child(sup.id(), "stubborn");
    const auto at = ms(self().now());
    auto d = co_await self().receive<down_msg>();
    co_await stop_supervisor(sup);
    co_return std::string("terminated at ") + std::to_string(at) + ", " + to_string(d.reason.kind);
}

task<void> backoff_run(std::optional<backoff_policy> b, std::uint64_t seed, event_log* log) {
    supervisor_flags f;
    f.intensity = 100;
    f.period = std::chrono::seconds(60);
    f.backoff = b;
    f.seed = seed;
    auto sup = co_await start(supervise, f, specs_of(child("K", crasher, std::string("K"), log)));
    co_await self().sleep(std::chrono::milliseconds(3000));
    co_await stop_supervisor(sup);
}

task<std::string> start_failure(event_log* log) {
    auto specs = specs_of(named_member("A", log), child("B", broken, std::string("B"), log),
                          named_member("C", log));
    try {
        co_await start(supervise, supervisor_flags{}, specs);
        co_return "started";
    } catch (const start_error& e) {
        co_return "start_error " + e.id() + ": " + e.what();
    }
}

task<std::string> significant(auto_shutdown when, event_log* log) {
    auto s1 = named_member("S1", log, restart_type::transient);
    s1.significant = true;
    auto s2 = named_member("S2", log, restart_type::transient);
    s2.significant = true;
    supervisor_flags f;
    f.shutdown_when = when;
    auto sup = co_await start(supervise, f, specs_of(s1, s2, named_member("W", log)));
    send_named("S1", quit{});
    co_await self().sleep(1ms);
    std::string out =
        sup.exited() ? std::string("exited ") + to_string(sup.reason().kind) : "running";
    if (!sup.exited()) {
        send_named("S2", quit{});
        co_await self().sleep(1ms);
        out += sup.exited() ? std::string(", then exited ") + to_string(sup.reason().kind)
                            : ", still running";
    }
    if (!sup.exited()) co_await stop_supervisor(sup);
    co_return out;
}

task<int> job(int n) {
    auto r = co_await self().receive<quit>(std::chrono::seconds(100));
    co_return r ? n : -n;
}

task<std::string> simple_pool() {
    supervisor_flags f;
    f.how = strategy::simple_one_for_one;
    auto tmpl = child_template<int>("job", job);
    tmpl.restart = restart_type::transient;
    auto sup = co_await start(supervise, f, specs_of(tmpl));
    std::vector<pid> started;
    for (int i = 1; i <= 3; ++i) started.push_back(co_await start_child(sup.id(), i));
    std::string out = std::to_string((co_await which_children(sup.id())).size()) + " children";
    co_await terminate_child(sup.id(), to_string(started[1]));
    send(started[0], quit{});  // transient, normal exit: removed, not restarted
    co_await self().sleep(1ms);
    auto left = co_await which_children(sup.id());
    out += ", then " + std::to_string(left.size());
    out += left.size() == 1 && left[0].process == started[2] ? " (the third)" : " (wrong one)";
    try {
        co_await start_child(sup.id(), std::string("wrong type"));
        out += ", no error";
    } catch (const supervisor_error& e) {
        out += ", wrong argument refused";
    }
    try {
        co_await start_child(sup.id(), child("x", job, 1));
        out += ", no error";
    } catch (const supervisor_error&) {
        out += ", spec refused";
    }
    co_await stop_supervisor(sup);
    co_return out;
}

task<std::string> dynamic_children(event_log* log) {
    auto sup = co_await start(supervise, supervisor_flags{}, members("A", log));
    const pid b = co_await start_child(sup.id(), named_member("B", log));
    std::string out = whereis("B") == b ? "B started" : "B missing";
    try {
        co_await start_child(sup.id(), named_member("B", log));
    } catch (const supervisor_error& e) {
        out += std::string(", ") + e.what();
    }
    co_await terminate_child(sup.id(), "A");
    out += whereis("A") ? ", A still named" : ", A gone";
    try {
        co_await terminate_child(sup.id(), "nope");
    } catch (const supervisor_error& e) {
        out += std::string(", ") + e.what();
    }
    co_await stop_supervisor(sup);
    try {
        co_await which_children(sup.id());
    } catch (const supervisor_error&) {
        out += ", dead supervisor reported";
    }
    co_return out;
}

}  // namespace

TEST_CASE("T-SV-01: one_for_one restarts the crashed child with a new pid and the same name",
          "[core][supervisor]") {
    runtime rt(virtual_config());
    event_log log;
    auto h = rt.spawn(sv01, &log);
    rt.run();
    CHECK(h.value() == "A kept, B new, C kept, name re-bound, B restarts 1");
}

TEST_CASE("T-SV-02: one_for_all terminates the others in reverse order and restarts all",
          "[core][supervisor]") {
    runtime rt(virtual_config());
    event_log log;
    auto h = rt.spawn(crash_one, strategy::one_for_all, std::vector<const char*>{"A", "B", "C"},
                      "B", 1, &log);
    rt.run();
    // intensity 1 and the supervisor survived: the restart of three counted once
    CHECK(log.since(h.value()) == std::vector<std::string>{"B: stop", "C: stop", "A: stop",
                                                           "A: start@0", "B: start@0", "C: start@0",
                                                           "test: supervisor alive", "C: stop",
                                                           "B: stop", "A: stop"});
}

TEST_CASE("T-SV-03: rest_for_one restarts the crashed child and the ones after it",
          "[core][supervisor]") {
    runtime rt(virtual_config());
    event_log log;
    auto h = rt.spawn(crash_one, strategy::rest_for_one,
                      std::vector<const char*>{"A", "B", "C", "D"}, "B", 1, &log);
    rt.run();
    CHECK(log.since(h.value()) == std::vector<std::string>{"B: stop", "D: stop", "C: stop",
                                                           "B: start@0", "C: start@0", "D: start@0",
                                                           "test: supervisor alive", "D: stop",
                                                           "C: stop", "B: stop", "A: stop"});
}

TEST_CASE("T-SV-04: temporary, transient and permanent restart types", "[core][supervisor]") {
    runtime rt(virtual_config());
    event_log log;
    auto h = rt.spawn(restart_types, &log);
    rt.run();
    CHECK(h.value() == "R+1 S-0 Q-0 P+1 ");
}

TEST_CASE("T-SV-05: intensity: the fourth crash within the period gives up, the parent restarts",
          "[core][supervisor]") {
    using namespace std::chrono;
    SECTION("crashes at 0, 1, 2, 3 s") {
        runtime rt(virtual_config());
        event_log log;
        auto h =
            rt.spawn(intensity,
                     std::vector<long long>{0, 1'000'000'000, 2'000'000'000, 3'000'000'000}, &log);
        rt.run();
        CHECK(h.value() == "inner exited shutdown, restarted by outer");
        // after the 4th crash: Y then X (already gone) terminated in reverse
        // order, then the outer supervisor restarts inner, which starts X, Y
        auto tail = log.since(0);
        auto crash4 = std::find(tail.rbegin(), tail.rend(), "test: crash X");
        std::vector<std::string> after(crash4.base(), tail.end());
        CHECK(after == std::vector<std::string>{"X: stop", "Y: stop", "X: start@3000",
                                                "Y: start@3000", "Y: stop", "X: stop"});
    }
    SECTION("boundary: crashes at 0, 1, 2 and 5.000000001 s") {
        runtime rt(virtual_config());
        event_log log;
        auto h =
            rt.spawn(intensity,
                     std::vector<long long>{0, 1'000'000'000, 2'000'000'000, 5'000'000'001}, &log);
        rt.run();
        CHECK(h.value() == "inner alive");
    }
}

TEST_CASE("T-SV-06: shutdown timeout kills a child that ignores shutdown, brutal_kill at once",
          "[core][supervisor]") {
    SECTION("timeout 1 s") {
        runtime rt(virtual_config());
        event_log log;
        auto h =
            rt.spawn(shutdown_timeout, shutdown_policy::timeout(std::chrono::seconds(1)), &log);
        rt.run();
        CHECK(h.value() == "terminated at 1000, killed");
        CHECK(log.lines() == std::vector<std::string>{"stubborn: start", "stubborn: gone@1000"});
    }
    SECTION("brutal_kill") {
        runtime rt(virtual_config());
        event_log log;
        auto h = rt.spawn(shutdown_timeout, shutdown_policy::brutal_kill(), &log);
        rt.run();
        CHECK(h.value() == "terminated at 0, killed");
    }
}

TEST_CASE("T-SV-07: backoff doubles the restart delay up to max, jitter is seeded",
          "[core][supervisor]") {
    auto starts = [](std::optional<backoff_policy> b, std::uint64_t seed) {
        runtime rt(virtual_config());
        event_log log;
        rt.spawn(backoff_run, b, seed, &log);
        rt.run();
        std::vector<std::string> out;
        for (auto& l : log.lines()) out.push_back(l.substr(l.find('@') + 1));
        return out;
    };
    backoff_policy b{std::chrono::milliseconds(100), std::chrono::seconds(1), {}};
    CHECK(starts(b, 1) == std::vector<std::string>{"0", "100", "300", "700", "1500", "2500"});
    b.jitter = std::chrono::milliseconds(50);
    const auto j1 = starts(b, 7);
    CHECK(j1 == starts(b, 7));
    CHECK(j1 != starts(b, 8));
    CHECK(j1 != std::vector<std::string>{"0", "100", "300", "700", "1500", "2500"});
}

TEST_CASE("T-SV-08: a start failure terminates the started children and reports start_error",
          "[core][supervisor]") {
    runtime rt(virtual_config());
    event_log log;
    auto h = rt.spawn(start_failure, &log);
    rt.run();
    CHECK(h.value() == "start_error B: child 'B' failed to start: B cannot start");
    CHECK(log.lines() == std::vector<std::string>{"A: start@0", "B: start", "A: stop"});
}

TEST_CASE("T-SV-09: auto_shutdown", "[core][supervisor]") {
    SECTION("any_significant: a significant transient child exits normally") {
        runtime rt(virtual_config());
        event_log log;
        auto h = rt.spawn(significant, auto_shutdown::any_significant, &log);
        rt.run();
        CHECK(h.value() == "exited shutdown");
        CHECK(log.since(3) == std::vector<std::string>{"S1: stop", "W: stop", "S2: stop"});
    }
    SECTION("all_significant: only when both have") {
        runtime rt(virtual_config());
        event_log log;
        auto h = rt.spawn(significant, auto_shutdown::all_significant, &log);
        rt.run();
        CHECK(h.value() == "running, then exited shutdown");
    }
}

TEST_CASE("simple_one_for_one: dynamic children of one template", "[core][supervisor]") {
    runtime rt(virtual_config());
    auto h = rt.spawn(simple_pool);
    rt.run();
    CHECK(h.value() == "3 children, then 1 (the third), wrong argument refused, spec refused");
}

TEST_CASE("start_child / terminate_child / errors of a supervisor", "[core][supervisor]") {
    runtime rt(virtual_config());
    event_log log;
    auto h = rt.spawn(dynamic_children, &log);
    rt.run();
    CHECK(h.value() ==
          "B started, duplicate child id 'B', A gone, no child 'nope', dead supervisor reported");
}

TEST_CASE("an invalid supervisor configuration is refused at start", "[core][supervisor]") {
    runtime rt(virtual_config());
    event_log log;
    auto bad = named_member("A", log.size() ? &log : &log);
    bad.significant = true;  // significant + permanent
    auto h = rt.spawn(supervise, supervisor_flags{}, specs_of(bad));
    CHECK_THROWS_AS(rt.run(), std::invalid_argument);
    CHECK(h.reason().kind == exit_kind::error);
}

namespace {

task<void> returns_before_ready(event_log* log) {
    log->add("Q", "run");
    co_await self().sleep(1ms);
}

task<std::string> restarts_quick_child(event_log* log) {
    supervisor_flags f;
    f.intensity = 3;
    f.period = std::chrono::seconds(1);
    auto sup = co_await start(supervise, f, specs_of(child("Q", returns_before_ready, log)));
    try {
        co_await sup;  // gives up after the 4th normal exit within 1 s
    } catch (const exit_error& e) {
        co_return to_string(e.reason());
    }
    co_return "no exit";
}

}  // namespace

TEST_CASE("a permanent child that returns before it is ready is restarted like any other",
          "[core][supervisor]") {
    runtime rt(virtual_config());
    event_log log;
    auto h = rt.spawn(restarts_quick_child, &log);
    rt.run();
    CHECK(h.value() == "shutdown: reached maximum restart intensity");
    CHECK(log.size() == 4);  // started, then restarted 3 times
}
