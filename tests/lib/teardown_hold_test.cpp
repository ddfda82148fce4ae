// LT-4 / LT-5 / CX-6 together: a cancelled or killed process that must wait
// for its children's teardown holds; nothing that arrives meanwhile (a timer,
// a deadline, a lock grant, a message) completes its wait or resumes it.

#include <string>
#include <vector>
#include <catch2/catch.hpp>
#include <coronet/cancel_scope.hpp>
#include <coronet/link.hpp>
#include <coronet/mutex.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>

#include "event_log.hpp"
#include "test_runtime.hpp"

using namespace coronet;
using namespace coronet::test;

namespace {

std::string at(const std::string& what, long long t) {
    return what + "@" + std::to_string(t);
}

task<void> nap(duration d) {
    co_await self().sleep(d);
}

/// Waits; when cancelled, cleans up for `d` in a shield, then logs.
task<void> slow_cleanup(duration d, event_log* log) {
    try {
        co_await self().receive<int>();
    } catch (const cancelled_error&) {
    }
    co_await shielded(5s, nap(d));
    log->add("child", at("cleaned", ms(self().now())));
}

task<void> cancel_at(pid target, duration d) {
    co_await self().sleep(d);
    cancel(target, "test");
}

task<void> receive_forever() {
    co_await self().receive<int>();
}

task<void> parent_in_deadline(event_log* log) {
    self().spawn(slow_cleanup, 50ms, log);
    try {
        co_await with_timeout(30ms, receive_forever());
    } catch (const cancelled_error&) {
        log->add("P", at("cancelled", ms(self().now())));
    }
}

task<void> parent_sleeping(event_log* log) {
    self().spawn(slow_cleanup, 50ms, log);
    try {
        co_await self().sleep(30ms);
        log->add("P", "slept (wrong)");
    } catch (const cancelled_error&) {
        log->add("P", at("cancelled", ms(self().now())));
    }
}

/// Holds the lock 10 ms, unlocks (the grant travels to the victim as a
/// signal) and at once cancels or kills the victim: both arrive together.
task<void> unlock_then_stop(mutex* m, pid victim, bool kill) {
    co_await m->lock();
    co_await self().sleep(10ms);
    m->unlock();
    if (kill)
        coronet::exit(victim, exit_reason{exit_kind::killed, nullptr, "test"});
    else
        cancel(victim, "test");
}

task<void> parent_locking(mutex* m, bool with_child, event_log* log) {
    if (with_child) self().spawn(slow_cleanup, 50ms, log);
    co_await self().sleep(1ms);
    try {
        co_await m->lock();
        log->add("P", at("locked", ms(self().now())));
        m->unlock();
    } catch (const cancelled_error&) {
        log->add("P", at("cancelled", ms(self().now())));
    }
}

task<void> parent_receiving(event_log* log) {
    self().spawn_opt(spawn_options{placement::pinned(1)}, slow_cleanup, 50ms, log);
    try {
        const int v = co_await self().receive<int>();
        log->add("P", at("resumed after the kill with " + std::to_string(v), ms(self().now())));
    } catch (const cancelled_error&) {
        log->add("P", at("catch block ran", ms(self().now())));
    }
}

task<void> send_then_kill(pid victim) {
    co_await self().sleep(10ms);
    send(victim, 5);
    coronet::exit(victim, exit_reason{exit_kind::killed, nullptr, "test"});
}

task<bool> lock_is_free(mutex* m) {
    co_return co_await m->lock(1ms);
}

}  // namespace

TEST_CASE("hold: a deadline does not wake a cancelled process before its children are gone",
          "[core][lifecycle]") {
    runtime rt(virtual_config());
    event_log log;
    auto p = rt.spawn(parent_in_deadline, &log);
    rt.spawn(cancel_at, p.id(), 10ms);
    rt.run();
    CHECK(log.lines() == std::vector<std::string>{"child: cleaned@60", "P: cancelled@60"});
}

TEST_CASE("hold: a sleep's timer does not wake a cancelled process before its children are gone",
          "[core][lifecycle]") {
    runtime rt(virtual_config());
    event_log log;
    auto p = rt.spawn(parent_sleeping, &log);
    rt.spawn(cancel_at, p.id(), 10ms);
    rt.run();
    CHECK(log.lines() == std::vector<std::string>{"child: cleaned@60", "P: cancelled@60"});
}

TEST_CASE("hold: a lock grant in flight loses to a cancel, with or without children",
          "[core][lifecycle]") {
    for (const bool with_child : {false, true}) {
        runtime rt(virtual_config());
        event_log log;
        mutex m;
        auto p = rt.spawn(parent_locking, &m, with_child, &log);
        rt.spawn(unlock_then_stop, &m, p.id(), false);
        rt.run();
        if (with_child)
            CHECK(log.lines() == std::vector<std::string>{"child: cleaned@60", "P: cancelled@60"});
        else
            CHECK(log.lines() == std::vector<std::string>{"P: cancelled@10"});
        auto free = rt.spawn(lock_is_free, &m);  // the grant was given back
        rt.run();
        CHECK(free.value());
    }
}

TEST_CASE("hold: a killed process is never resumed, even when its wait was satisfied first",
          "[core][lifecycle]") {
    SECTION("a lock granted just before the kill") {
        runtime rt(virtual_config());
        event_log log;
        mutex m;
        auto p = rt.spawn(parent_locking, &m, true, &log);
        rt.spawn(unlock_then_stop, &m, p.id(), true);
        CHECK_THROWS(rt.run());      // a killed root
        CHECK(log.lines().empty());  // P never ran again; its child was killed too
        CHECK(p.reason().kind == exit_kind::killed);
    }
    SECTION("a message matched just before the kill, with a child on another worker") {
        runtime rt(virtual_config(2));
        event_log log;
        auto p = rt.spawn(parent_receiving, &log);
        rt.spawn(send_then_kill, p.id());
        CHECK_THROWS(rt.run());
        CHECK(log.lines().empty());
        CHECK(p.reason().kind == exit_kind::killed);
    }
}
