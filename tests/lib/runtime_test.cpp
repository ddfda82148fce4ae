#include "coronet/runtime.hpp"

#include <atomic>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <unordered_set>
#include <vector>
#include <catch2/catch.hpp>
#include <coronet/self.hpp>

#include "test_runtime.hpp"

using namespace coronet;
using namespace coronet::test;

namespace {

task<void> exits_at_once() {
    co_return;
}

task<void> waits_for_int() {
    co_await self().receive<int>();
}

task<void> waits_with_guard(int* destroyed) {
    struct on_destroy {
        int* n;
        ~on_destroy() { ++*n; }
    } g{destroyed};
    co_await self().receive<int>();
}

struct stop {};

task<void> idle_until_stop(int* alive) {
    ++*alive;
    co_await self().receive<stop>();
    --*alive;
}

task<std::string> spawn_many(int n) {
    auto s = self();
    int alive = 0;
    std::vector<pid> pids;
    pids.reserve(n);
    for (int i = 0; i < n; ++i) pids.push_back(s.spawn(idle_until_stop, &alive));
    co_await s.yield();  // every child runs up to its receive
    std::string out = "alive " + std::to_string(alive);
    std::set<pid> unique(pids.begin(), pids.end());
    out += ", unique " + std::to_string(unique.size());
    for (auto& p : pids) send(p, stop{});
    co_await s.yield();
    out += ", after stop " + std::to_string(alive);
    co_return out;
}

task<void> fails_at(duration d) {
    co_await self().sleep(d);
    throw std::runtime_error("root failure");
}

task<void> long_sleeper(int* cleaned) {
    struct on_destroy {
        int* n;
        ~on_destroy() { ++*n; }
    } g{cleaned};
    co_await self().sleep(1h);
}

task<void> ticker(int* ticks) {
    for (;;) {
        co_await self().sleep(10ms);
        ++*ticks;
    }
}

// --- [threads] ---

struct seq_msg {
    int sender;
    int seq;
};

task<std::string> sink(int senders, int per_sender) {
    auto s = self();
    std::vector<int> next(senders, 0);
    long bad = 0;
    for (long i = 0; i < long(senders) * per_sender; ++i) {
        seq_msg m = co_await s.receive<seq_msg>();
        if (m.seq != next[m.sender]) ++bad;
        next[m.sender] = m.seq + 1;
    }
    co_return "out of order " + std::to_string(bad);
}

task<void> source(pid to, int id, int n) {
    auto s = self();
    for (int i = 0; i < n; ++i) {
        send(to, seq_msg{id, i});
        if ((i & 1023) == 1023) co_await s.yield();
    }
}

task<std::string> spawns_pool_burst() {
    spawn_options pool;
    pool.where = placement::pool();
    std::vector<handle<void>> hs;
    for (int i = 0; i < 6; ++i) hs.push_back(self().spawn_opt(pool, exits_at_once));
    int on0 = 0, on1 = 0;
    for (auto& h : hs) (h.id().worker() == 0 ? on0 : on1)++;
    for (auto& h : hs) co_await h;
    co_return std::to_string(on0) + "/" + std::to_string(on1);
}

task<std::thread::id> thread_of() {
    co_return std::this_thread::get_id();
}

task<int> counts_ints(int n) {
    int sum = 0;
    for (int i = 0; i < n; ++i) sum += co_await self().receive<int>();
    co_return sum;
}

}  // namespace

TEST_CASE("a send to an exited pid is a counted dead letter, not an error", "[core][runtime]") {
    std::vector<std::string> traced;
    runtime_config cfg = virtual_config();
    cfg.on_dead_letter = [&](const pid&, std::string_view type) { traced.emplace_back(type); };
    runtime rt{cfg};
    auto h = rt.spawn(exits_at_once);
    rt.run();
    CHECK(rt.stats().dead_letters == 0);
    rt.send(h.id(), 42);
    rt.send(pid{}, std::string("nobody"));
    rt.run_until_idle();
    CHECK(rt.stats().dead_letters == 2);
    REQUIRE(traced.size() == 2);
    CHECK(traced[0] == "int");
    CHECK(traced[1].find("string") != std::string::npos);
}

TEST_CASE("100 000 processes are all alive at once, then all finish", "[core][runtime]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(spawn_many, 100'000);
    rt.run();
    CHECK(h.value() == "alive 100000, unique 100000, after stop 0");
    CHECK(rt.stats().spawned == 100'001);
    CHECK(rt.stats().exited == 100'001);
    CHECK(rt.live_processes() == 0);
}

TEST_CASE("a root failure tears the tree down and run() rethrows it (LK-4)", "[core][runtime]") {
    runtime rt{virtual_config()};
    int cleaned = 0;
    auto other = rt.spawn(long_sleeper, &cleaned);
    rt.spawn(fails_at, 50ms);
    CHECK_THROWS_WITH(rt.run(), "root failure");
    CHECK(cleaned == 1);
    CHECK(other.reason().kind == exit_kind::shutdown);
    CHECK(ms(rt.now()) == 50);  // the sleeper did not sleep its hour
}

TEST_CASE("run() on the virtual clock reports a deadlock instead of hanging", "[core][runtime]") {
    runtime rt{virtual_config()};
    rt.spawn(waits_for_int);
    CHECK_THROWS_AS(rt.run(), deadlock_error);
}

TEST_CASE("shutdown destroys blocked processes and runs their destructors", "[core][runtime]") {
    int destroyed = 0;
    {
        runtime rt{virtual_config(2)};
        rt.spawn(waits_with_guard, &destroyed);
        spawn_options on1;
        on1.where = placement::pinned(1);
        rt.spawn_opt(on1, waits_with_guard, &destroyed);
        rt.run_until_idle();
        CHECK(destroyed == 0);
        CHECK(rt.live_processes() == 2);
    }
    CHECK(destroyed == 2);
}

TEST_CASE("run_for advances the virtual clock by exactly the duration", "[core][runtime]") {
    runtime rt{virtual_config()};
    int ticks = 0;
    rt.spawn(ticker, &ticks);
    rt.run_for(55ms);
    CHECK(ticks == 5);
    CHECK(ms(rt.now()) == 55);
    rt.run_for(5ms);
    CHECK(ticks == 6);
}

TEST_CASE("pids carry the node, the incarnation and the home worker", "[core][runtime]") {
    runtime a{virtual_config(3)};
    runtime b{virtual_config(3)};
    CHECK(a.incarnation() != b.incarnation());
    spawn_options on2;
    on2.where = placement::pinned(2);
    auto h = a.spawn_opt(on2, exits_at_once);
    CHECK(h.id().worker() == 2);
    CHECK(h.id().node == a.node_id());
    CHECK(h.id().incarnation == a.incarnation());
    a.run();
    b.send(h.id(), 1);  // another runtime's pid: no route, a dead letter
    b.run_until_idle();
    CHECK(b.stats().dead_letters == 1);
}

TEST_CASE("pool placement puts each new process on the least loaded worker", "[core][runtime]") {
    runtime rt{virtual_config(2)};
    spawn_options pool;
    pool.where = placement::pool();
    std::vector<handle<void>> hs;
    for (int i = 0; i < 6; ++i) hs.push_back(rt.spawn_opt(pool, waits_for_int));
    int on0 = 0, on1 = 0;
    for (auto& h : hs) (h.id().worker() == 0 ? on0 : on1)++;
    CHECK(on0 == 3);
    CHECK(on1 == 3);
    for (auto& h : hs) rt.send(h.id(), 1);
    rt.run();
    CHECK(rt.live_processes() == 0);
}

TEST_CASE("a burst of pool spawns from inside a process spreads over the workers",
          "[core][runtime]") {
    runtime rt{virtual_config(2)};
    auto h = rt.spawn(spawns_pool_burst);  // runs on worker 0, which it loads itself
    rt.run();
    CHECK(h.value() == "3/3");  // ties go to the lower index; before counting at spawn: 0/6
}

TEST_CASE("1 000 000 messages across workers: none lost, per-pair FIFO kept",
          "[core][runtime][threads]") {
    runtime rt{real_config(2)};
    spawn_options on1;
    on1.where = placement::pinned(1);
    constexpr int senders = 4;
    constexpr int per_sender = 250'000;
    auto s = rt.spawn_opt(on1, sink, senders, per_sender);
    for (int i = 0; i < senders; ++i) rt.spawn(source, s.id(), i, per_sender);
    rt.run();
    CHECK(s.value() == "out of order 0");
}

TEST_CASE("processes pinned to different workers run on different threads",
          "[core][runtime][threads]") {
    runtime rt{real_config(2)};
    spawn_options on0, on1;
    on0.where = placement::pinned(0);
    on1.where = placement::pinned(1);
    auto a = rt.spawn_opt(on0, thread_of);
    auto b = rt.spawn_opt(on1, thread_of);
    rt.run();
    CHECK(a.value() != b.value());
    CHECK(a.value() != std::this_thread::get_id());
}

TEST_CASE("threads outside the runtime send while it runs", "[core][runtime][threads]") {
    runtime rt{real_config(2)};
    spawn_options on1;
    on1.where = placement::pinned(1);
    auto h = rt.spawn_opt(on1, counts_ints, 20'000);
    std::vector<std::thread> senders;
    for (int t = 0; t < 2; ++t)
        senders.emplace_back([&rt, id = h.id()] {
            for (int i = 0; i < 10'000; ++i) rt.send(id, 1);
        });
    rt.run();
    for (auto& t : senders) t.join();
    CHECK(h.value() == 20'000);
}

namespace {

task<void> exits_now() {
    co_return;
}

/// Spawns `n` short-lived children (each exits at once; at most 1000 alive)
/// and counts the distinct pids it was given.
task<std::size_t> spawns_and_forgets(int n) {
    std::unordered_set<std::uint64_t> serials;
    serials.reserve(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        auto h = self().spawn(exits_now);
        serials.insert(h.id().serial);
        if (i % 1000 == 999) co_await self().yield();  // let them exit
    }
    co_return serials.size();
}

struct cleanup_log {
    std::vector<std::string>* log;
    std::string name;
    ~cleanup_log() { log->push_back(name); }
};

task<void> failing_leaf(std::vector<std::string>* log) {
    cleanup_log c{log, "leaf"};
    co_await self().sleep(10ms);
    throw std::runtime_error("leaf failed");
}

task<void> waiting_node(std::string name, int depth, std::vector<std::string>* log) {
    cleanup_log c{log, name};
    if (depth > 0) {
        self().spawn(waiting_node, name + ".a", depth - 1, log);
        if (depth == 1) self().spawn(failing_leaf, log);
    }
    co_await self().sleep(1h);
}

}  // namespace

TEST_CASE("T-LT-03: a failure with no trap runs every destructor of the tree before run() throws",
          "[core][runtime]") {
    runtime rt{virtual_config()};
    std::vector<std::string> log;
    rt.spawn(waiting_node, std::string("root"), 2, &log);
    CHECK_THROWS_WITH(rt.run(), "leaf failed");
    // The leaf unwinds first; then its parent's remaining child, the parent,
    // and up the tree (LT-4 order).
    CHECK(log == std::vector<std::string>{"leaf", "root.a.a", "root.a", "root"});
    CHECK(rt.live_processes() == 0);
}

TEST_CASE("T-LT-06: 1 000 000 spawns never reuse a pid", "[core][runtime]") {
    runtime rt{virtual_config()};
    auto h = rt.spawn(spawns_and_forgets, 1'000'000);
    rt.run();
    CHECK(h.value() == 1'000'000);
}
