#include "coronet/blocking.hpp"

#include <atomic>
#include <condition_variable>
#include <latch>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>
#include <catch2/catch.hpp>
#include <coronet/link.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>

#include "test_runtime.hpp"

using namespace coronet;
using namespace coronet::test;

namespace {

/// Blocks until its stop token is set (no polling); true when it saw the stop.
bool wait_for_stop(std::stop_token st, std::atomic<bool>* saw) {
    std::mutex m;
    std::condition_variable_any cv;
    std::unique_lock lk(m);
    cv.wait(lk, st, [] { return false; });
    saw->store(st.stop_requested());
    return true;
}

/// Blocks until the gate opens, whatever its stop token says.
int ignores_stop(std::shared_ptr<std::latch> gate, int v) {
    gate->wait();
    return v;
}

task<std::string> value_and_thread() {
    const auto me = std::this_thread::get_id();
    std::thread::id ran_on;
    const int v = co_await run_blocking(
        [](std::thread::id* on, int a, int b) {
            *on = std::this_thread::get_id();
            return a * b;
        },
        &ran_on, 6, 7);
    std::string out = std::to_string(v);
    out += ran_on != me ? ", on a pool thread" : ", on the worker (wrong)";
    out += std::this_thread::get_id() == me ? ", resumed on its worker" : ", resumed elsewhere";
    co_return out;
}

task<std::string> rethrows() {
    try {
        co_await run_blocking([] { throw std::invalid_argument("bad file"); });
        co_return "no throw";
    } catch (const std::invalid_argument& e) {
        co_return std::string("rethrown: ") + e.what();
    }
}

task<void> cancelled_job(std::atomic<bool>* saw) {
    co_await run_blocking(wait_for_stop, saw);
}

task<int> stuck_job(std::shared_ptr<std::latch> gate) {
    co_return co_await run_blocking(ignores_stop, gate, 1);
}

task<void> cancel_at(pid target, duration d) {
    co_await self().sleep(d);
    cancel(target, "test");
}

task<int> blocked_job(blocking_pool p, std::shared_ptr<std::latch> g, int v) {
    co_return co_await run_blocking_on(p, ignores_stop, g, v);
}

task<std::string> back_pressure(blocking_pool pool, std::shared_ptr<std::latch> gate) {
    auto s = self();
    // One thread, a queue of one: the first job runs (and blocks), the second waits.
    auto first = s.spawn(blocked_job, pool, gate, 1);
    // Until the pool thread has taken it (a real thread: yield, bounded).
    for (int i = 0; i < 50'000'000 && pool.running() == 0; ++i) co_await s.yield();
    auto second = s.spawn(blocked_job, pool, gate, 2);
    co_await s.yield();
    // The pool is busy and its queue full: the twin does not wait.
    auto none = co_await try_run_blocking_on(pool, [] { return 99; });
    std::string out = none ? "ran at once (wrong)" : "full";
    // Two more wait for room, in order.
    auto third = s.spawn(blocked_job, pool, gate, 3);
    co_await s.yield();
    auto fourth = s.spawn(blocked_job, pool, gate, 4);
    co_await s.yield();
    out += ", queued " + std::to_string(pool.queued());
    gate->count_down();  // open: everything runs
    out += ", " + std::to_string(co_await first) + std::to_string(co_await second) +
           std::to_string(co_await third) + std::to_string(co_await fourth);
    auto ok = co_await try_run_blocking_on(pool, [] { return 99; });
    out += ok ? ", then " + std::to_string(*ok) : ", still full (wrong)";
    co_return out;
}

task<std::string> own_pool(blocking_pool disk) {
    std::atomic<int> count{0};
    for (int i = 0; i < 10; ++i)
        co_await run_blocking_on(
            disk, [](std::atomic<int>* c) { c->fetch_add(1); }, &count);
    co_return disk.name() + " ran " + std::to_string(count.load());
}

}  // namespace

TEST_CASE("run_blocking runs on a pool thread and resumes on the process's worker",
          "[core][blocking]") {
    runtime rt(virtual_config());
    auto h = rt.spawn(value_and_thread);
    rt.run();
    CHECK(h.value() == "42, on a pool thread, resumed on its worker");
}

TEST_CASE("run_blocking rethrows what the call threw", "[core][blocking]") {
    runtime rt(virtual_config());
    auto h = rt.spawn(rethrows);
    rt.run();
    CHECK(h.value() == "rethrown: bad file");
}

TEST_CASE("T-CX-06: cancelling the process sets the job's stop token, and its exit waits",
          "[core][blocking][cancel]") {
    runtime_config cfg = virtual_config();
    cfg.virtual_job_wait = 10s;  // the job returns once stopped: however slow the machine
    runtime rt(cfg);
    std::atomic<bool> saw{false};
    auto h = rt.spawn(cancelled_job, &saw);
    rt.spawn(cancel_at, h.id(), 10ms);
    rt.run();
    CHECK(saw.load());  // the job saw the stop before the process exited
    CHECK(h.reason().kind == exit_kind::cancelled);
    CHECK(ms(rt.now()) == 10);
}

TEST_CASE("T-CX-06: a job that ignores its stop token holds the exit for the shutdown timeout",
          "[core][blocking][cancel]") {
    runtime_config cfg = virtual_config();
    cfg.shutdown_timeout = 200ms;
    cfg.virtual_job_wait = 20ms;  // the job is stuck on purpose: do not wait long for it
    auto gate = std::make_shared<std::latch>(1);
    {
        runtime rt(cfg);
        auto h = rt.spawn(stuck_job, gate);
        rt.spawn(cancel_at, h.id(), 10ms);
        rt.run();
        CHECK(h.reason().kind == exit_kind::cancelled);
        CHECK(ms(rt.now()) == 210);  // cancel + shutdown_timeout; the result is dropped
        gate->count_down();          // the pool thread finishes the job
    }
}

TEST_CASE("a full queue makes run_blocking wait in order, try_run_blocking refuses",
          "[core][blocking]") {
    runtime rt(virtual_config());
    auto pool = rt.add_pool("narrow", 1, 1);
    auto gate = std::make_shared<std::latch>(1);
    auto h = rt.spawn(back_pressure, pool, gate);
    rt.run();
    CHECK(h.value() == "full, queued 1, 1234, then 99");
}

TEST_CASE("several pools: run_blocking_on uses the named one", "[core][blocking]") {
    runtime rt(virtual_config());
    auto disk = rt.add_pool("disk", 2, 8);
    CHECK(disk.threads() == 2);
    CHECK(disk.capacity() == 8);
    CHECK_THROWS_AS(rt.add_pool("none", 0, 1), std::invalid_argument);
    auto h = rt.spawn(own_pool, disk);
    rt.run();
    CHECK(h.value() == "disk ran 10");
}

TEST_CASE("shutdown does not hang on a job that ignores its stop token", "[core][blocking]") {
    auto gate = std::make_shared<std::latch>(1);
    runtime_config cfg = virtual_config();
    cfg.shutdown_timeout = 100ms;
    cfg.virtual_job_wait = 20ms;
    runtime rt(cfg);
    auto h = rt.spawn(stuck_job, gate);
    rt.run_for(1ms);  // the job is running now
    CHECK(rt.default_pool().running() == 1);
    rt.shutdown();  // returns: the stuck thread is left behind
    CHECK(h.exited());
    gate->count_down();  // it finishes on its own; the runtime is not told
}

namespace {

task<long long> many_small_jobs() {
    for (int i = 0; i < 500; ++i) {
        const int v = co_await run_blocking([](int x) { return x + 1; }, i);
        if (v != i + 1) throw std::logic_error("wrong value");
    }
    co_return ms(self().now());
}

task<void> sleeps_an_hour() {
    co_await self().sleep(std::chrono::hours(1));
}

}  // namespace

TEST_CASE("on the virtual clock, time does not move while a job's result is on its way",
          "[core][blocking]") {
    runtime_config cfg = virtual_config();
    cfg.virtual_job_wait = 10s;  // tiny jobs: however slow the machine, they come back
    runtime rt(cfg);
    auto h = rt.spawn(many_small_jobs);
    rt.spawn(sleeps_an_hour);
    rt.run();
    CHECK(h.value() == 0);
}

namespace {

/// Waits until `n` jobs run at the same time (each counts itself in).
bool meets_others(std::shared_ptr<std::latch> all_in) {
    all_in->arrive_and_wait();  // returns only when every job of the group runs
    return true;
}

task<bool> one_of_four(std::shared_ptr<std::latch> all_in) {
    co_return co_await run_blocking(meets_others, all_in);
}

task<int> four_at_once() {
    auto s = self();
    // A first job: afterwards one thread polls the queue and the others
    // sleep, so the four below are queued with no wake-up of their own.
    co_await run_blocking([] { return 0; });
    auto all_in = std::make_shared<std::latch>(4);
    std::vector<handle<bool>> hs;
    for (int i = 0; i < 4; ++i) hs.push_back(s.spawn(one_of_four, all_in));
    int n = 0;
    for (auto& h : hs) n += (co_await h) ? 1 : 0;
    co_return n;
}

}  // namespace

TEST_CASE("jobs queued together run in parallel on the pool's threads", "[core][blocking]") {
    runtime_config cfg = virtual_config();
    cfg.blocking_threads = 4;
    runtime rt(cfg);
    auto h = rt.spawn(four_at_once);
    rt.run();  // would hang if the jobs ran one after the other
    CHECK(h.value() == 4);
}

namespace {

task<void> kills_at(pid target, duration d) {
    co_await self().sleep(d);
    coronet::exit(target, exit_reason{exit_kind::killed, nullptr, "kill"});
}

}  // namespace

TEST_CASE("a killed process does not wait for its job, and the job is asked to stop",
          "[core][blocking][cancel]") {
    std::atomic<bool> saw{false};
    {
        runtime_config cfg = virtual_config();
        cfg.virtual_job_wait = 20ms;
        runtime rt(cfg);
        auto h = rt.spawn(cancelled_job, &saw);
        rt.spawn(kills_at, h.id(), 10ms);
        CHECK_THROWS_AS(rt.run(), exit_error);  // a killed root: run() reports it (LK-4)
        CHECK(h.reason().kind == exit_kind::killed);
        CHECK(ms(rt.now()) == 10);
    }  // the runtime's pools stop: the job has returned by now
    CHECK(saw.load());
}
