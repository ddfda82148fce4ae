#include "coronet/task.hpp"

#include <stdexcept>
#include <catch2/catch.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>

#include "test_runtime.hpp"

using namespace coronet;
using namespace coronet::test;

namespace {

int started = 0;

task<int> answer() {
    ++started;
    co_return 42;
}

task<int> fails() {
    throw std::runtime_error("boom");
    co_return 0;
}

task<void> lazy_probe(bool* before, bool* after) {
    started = 0;
    task<int> t = answer();
    *before = started == 0;  // nothing ran at creation
    int v = co_await std::move(t);
    *after = started == 1 && v == 42;
}

task<int> one() {
    co_return 1;
}

task<long> many_sync_awaits(int n) {
    long sum = 0;
    for (int i = 0; i < n; ++i) sum += co_await one();
    co_return sum;
}

task<int> nested(int depth) {
    if (depth == 0) co_return 0;
    co_return 1 + co_await nested(depth - 1);
}

task<std::string> catches() {
    try {
        co_await fails();
    } catch (const std::runtime_error& e) {
        co_return e.what();
    }
    co_return "not thrown";
}

}  // namespace

TEST_CASE("a task is lazy and yields its value when awaited", "[core][task]") {
    runtime rt{virtual_config()};
    bool before = false, after = false;
    rt.spawn(lazy_probe, &before, &after);
    rt.run();
    CHECK(before);
    CHECK(after);
}

TEST_CASE("an exception in a task propagates to its awaiter", "[core][task]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(catches);
    rt.run();
    CHECK(h.value() == "boom");
}

TEST_CASE("a million synchronous awaits in a loop do not grow the stack", "[core][task]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(many_sync_awaits, 1'000'000);
    rt.run();
    CHECK(h.value() == 1'000'000);
}

TEST_CASE("nested tasks return through every level", "[core][task]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(nested, 10'000);
    rt.run();
    CHECK(h.value() == 10'000);
}

TEST_CASE("a default task is empty and a moved-from task too", "[core][task]") {
    task<int> a;
    CHECK_FALSE(a);
    task<int> b = answer();
    CHECK(b);
    task<int> c = std::move(b);
    CHECK_FALSE(b);
    CHECK(c);
}
