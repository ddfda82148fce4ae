#include "coronet/stop.hpp"

#include <string>
#include <vector>
#include <catch2/catch.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>

#include "test_runtime.hpp"

using namespace coronet;
using namespace coronet::test;

namespace {

struct job {
    int n;
};

/// Refuses the first two stop requests, accepts the third, then finishes.
task<int> refuses_twice() {
    int refused = 0;
    int jobs = 0;
    for (;;) {
        bool stop = false;
        co_await self().receive_any([&](const job&) { ++jobs; },
                                    [&](const stop_request& r) {
                                        if (refused < 2) {
                                            ++refused;
                                            r.refuse();
                                        } else {
                                            r.accept();
                                            stop = true;
                                        }
                                    });
        if (stop) co_return jobs;
    }
}

task<std::string> asks_four_times(pid target) {
    std::string out;
    for (int i = 0; i < 4; ++i) {
        send(target, job{i});
        const bool ok = co_await request_stop(target, 1s);
        out += ok ? "True " : "False ";
    }
    co_return out + "at " + std::to_string(ms(self().now()));
}

task<void> never_answers() {
    co_await self().sleep(10s);
}

task<bool> asks_with_timeout(pid target) {
    co_return co_await request_stop(target, 100ms);
}

task<std::string> checks_flag() {
    co_await self().sleep(10ms);
    const bool before = stop_requested();
    auto r = co_await self().receive<stop_request>();
    const bool after = stop_requested();
    r.accept();
    co_return std::string(before ? "pending" : "none") + (after ? " pending" : " none");
}

}  // namespace

TEST_CASE("T-CX-05: request_stop refused twice, accepted the third time", "[core][stop]") {
    for (std::uint32_t workers : {1u, 2u}) {
        runtime rt(virtual_config(workers));
        auto target = rt.spawn_opt(spawn_options{placement::pinned(workers - 1)}, refuses_twice);
        auto asker = rt.spawn(asks_four_times, target.id());
        rt.run();
        CHECK(asker.value() == "False False True False at 0");
        CHECK(target.value() == 3);  // it finished its work first (CX-7)
    }
}

TEST_CASE("request_stop gives false at the timeout when the target does not answer",
          "[core][stop]") {
    runtime rt(virtual_config());
    auto target = rt.spawn(never_answers);
    auto asker = rt.spawn(asks_with_timeout, target.id());
    rt.run_for(1s);
    CHECK(asker.exited());
    CHECK_FALSE(asker.value());
    CHECK_FALSE(target.exited());  // a stop request is not a cancel
    rt.run();
}

TEST_CASE("stop_requested sees a waiting request without taking it", "[core][stop]") {
    runtime rt(virtual_config());
    auto target = rt.spawn(checks_flag);
    auto asker = rt.spawn(asks_with_timeout, target.id());
    rt.run();
    CHECK(target.value() == "pending none");
    CHECK(asker.value());
}
