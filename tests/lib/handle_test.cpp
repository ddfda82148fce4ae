#include "coronet/handle.hpp"

#include <memory>
#include <stdexcept>
#include <string>
#include <catch2/catch.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>
#include <coronet/when.hpp>

#include "test_runtime.hpp"

using namespace coronet;
using namespace coronet::test;

namespace {

task<int> value_after(int v, duration d) {
    co_await self().sleep(d);
    co_return v;
}

task<int> throws_after(duration d) {
    co_await self().sleep(d);
    throw std::invalid_argument("bad input");
}

task<std::string> joins_child_value() {
    auto h = self().spawn(value_after, 7, 10ms);
    int a = co_await h;
    int b = co_await h;  // joining a finished process again gives the same value
    co_return std::to_string(a) + "," + std::to_string(b) + "@" + std::to_string(ms(self().now()));
}

task<std::string> joins_handle(handle<int> h) {
    try {
        co_await h;
        co_return "no throw";
    } catch (const std::invalid_argument& e) {
        co_return std::string("rethrown: ") + e.what();
    }
}

task<int> joins_across_workers(handle<int> h) {
    co_return co_await h + 1;
}

task<void> waits_forever() {
    co_await self().receive<int>();
}

task<std::string> joins_cancelled(handle<void> h) {
    try {
        co_await h;
        co_return "no throw";
    } catch (const exit_error& e) {
        co_return to_string(e.reason().kind);
    }
}

task<int> quick_value() {
    co_return 9;
}

task<std::unique_ptr<int>> move_only_value() {
    co_return std::make_unique<int>(5);
}

task<int> joins_move_only() {
    auto h = self().spawn(move_only_value);
    std::unique_ptr<int> v = co_await h;
    co_return v ? *v : -1;
}

task<std::string> first_of(handle<int> done_elsewhere) {
    auto r = co_await when_any(done_elsewhere, value_after(1, 0ms));
    co_return std::to_string(r.index);
}

}  // namespace

TEST_CASE("join returns the child's value, also when joined twice", "[core][handle]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(joins_child_value);
    rt.run();
    CHECK(h.value() == "7,7@10");
}

TEST_CASE("join rethrows the joined process's exception", "[core][handle]") {
    runtime rt{virtual_config()};
    auto failing = rt.spawn(throws_after, 5ms);
    CHECK_THROWS_AS(rt.run(), std::invalid_argument);  // LK-4: a root failure reaches run()
    REQUIRE(failing.exited());
    CHECK(failing.reason().kind == exit_kind::error);
    auto j = rt.spawn(joins_handle, failing);
    rt.run();
    CHECK(j.value() == "rethrown: bad input");
}

TEST_CASE("a joiner torn down by a root failure is cancelled, even if the join was ready (CX-6)",
          "[core][handle]") {
    runtime rt{virtual_config()};
    auto failing = rt.spawn(throws_after, 5ms);
    auto j = rt.spawn(joins_handle, failing);
    CHECK_THROWS_AS(rt.run(), std::invalid_argument);
    REQUIRE(j.exited());
    CHECK(j.reason().kind == exit_kind::shutdown);
}

TEST_CASE("join of a cancelled process throws exit_error with the reason", "[core][handle]") {
    runtime rt{virtual_config()};
    auto w = rt.spawn(waits_forever);
    auto j = rt.spawn(joins_cancelled, handle<void>(w));
    rt.run_until_idle();
    rt.cancel(w.id());
    rt.run();
    CHECK(j.value() == "cancelled");
}

TEST_CASE("value() before the process exited is a clear error", "[core][handle]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(value_after, 1, 1s);
    CHECK_FALSE(h.exited());
    CHECK_THROWS_AS(h.value(), std::logic_error);
    rt.run();
    CHECK(h.value() == 1);
}

TEST_CASE("a process on one worker joins a process on another", "[core][handle]") {
    runtime rt{virtual_config(2)};
    spawn_options on1;
    on1.where = placement::pinned(1);
    auto target = rt.spawn_opt(on1, value_after, 41, 20ms);
    auto j = rt.spawn(joins_across_workers, target);
    CHECK(target.id().worker() == 1);
    CHECK(j.id().worker() == 0);
    rt.run();
    CHECK(j.value() == 42);
}

TEST_CASE("join moves a move-only value out", "[core][handle]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(joins_move_only);
    rt.run();
    CHECK(h.value() == 5);
}

TEST_CASE("a handle outlives its runtime: id and value stay readable", "[core][handle]") {
    handle<int> h;
    pid id;
    {
        runtime rt{virtual_config()};
        h = rt.spawn(quick_value);
        id = h.id();
        rt.run();
    }
    CHECK(h.id() == id);
    CHECK(h.value() == 9);
}

TEST_CASE("an operand that already exited on another worker wins over a new one (CO-1)",
          "[core][handle]") {
    runtime rt{virtual_config(2)};
    spawn_options on1;
    on1.where = placement::pinned(1);
    auto done = rt.spawn_opt(on1, quick_value);
    rt.run();
    REQUIRE(done.exited());
    auto h = rt.spawn(first_of, done);
    rt.run();
    CHECK(h.value() == "0");
}

TEST_CASE("join from real threads across workers", "[core][handle][threads]") {
    runtime rt{real_config(2)};
    spawn_options on1;
    on1.where = placement::pinned(1);
    auto target = rt.spawn_opt(on1, value_after, 41, 1ms);
    auto j = rt.spawn(joins_across_workers, target);
    rt.run();
    CHECK(j.value() == 42);
}
