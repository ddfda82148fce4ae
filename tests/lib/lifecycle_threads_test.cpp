// The lifetime, supervision and hot-swap scenarios again, with the processes
// spread over two real worker threads ([threads]; run under TSan in CI). Where
// the rules fix the order (LT-4 teardown, a supervisor's sequential
// terminations and restarts) the whole log is compared; elsewhere logs are
// compared as sets with per-process order.

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>
#include <catch2/catch.hpp>
#include <coronet/hot_swap.hpp>
#include <coronet/link.hpp>
#include <coronet/monitor.hpp>
#include <coronet/names.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>
#include <coronet/start.hpp>
#include <coronet/stop.hpp>
#include <coronet/supervisor.hpp>

#include "event_log.hpp"
#include "test_runtime.hpp"

using namespace coronet;
using namespace coronet::test;

namespace {

struct crash {};
struct item {
    int n;
};
struct done {};

spawn_options on_worker(std::uint32_t k) {
    return spawn_options{placement::pinned(k)};
}

struct cleanup {
    event_log* log;
    std::string name;
    ~cleanup() { log->add(name, "cleanup"); }
};

/// A node of a tree of the given depth; children alternate between workers.
/// Started with start(), so that the whole tree is up when the root is ready.
task<void> tree_node(std::string name, int depth, event_log* log) {
    cleanup c{log, name};
    if (depth > 0) {
        co_await start_opt(on_worker(1), tree_node, name + "1", depth - 1, log);
        co_await start_opt(on_worker(0), tree_node, name + "2", depth - 1, log);
    }
    co_await self().receive<done>();  // never sent: runs until cancelled
}

task<void> cancels_tree(event_log* log) {
    auto root = co_await start(tree_node, std::string("r"), 2, log);
    cancel(root.id(), "test");
    try {
        co_await root;
    } catch (const exit_error&) {
    }
}

task<void> member(std::string name, event_log* log) {
    log->add(name, "start");
    cleanup c{log, name};
    for (;;) {
        co_await self().receive<crash>();
        throw std::runtime_error(name + " crashed");
    }
}

task<std::string> one_for_all_over_workers(event_log* log) {
    supervisor_flags f;
    f.how = strategy::one_for_all;
    std::vector<child_spec> specs;
    const std::string names = "ABC";
    for (std::size_t i = 0; i < names.size(); ++i) {
        const std::string n(1, names[i]);
        specs.push_back(child(n, member, n, log));
        specs.back().name = n;
        specs.back().where = placement::pinned(static_cast<std::uint32_t>(i % 2));
    }
    auto sup = co_await start(supervise, f, specs);
    auto before = co_await which_children(sup.id());
    const std::size_t mark = log->size();
    send(*whereis("B"), crash{});
    // The supervisor answers only after the restarts (it is sequential).
    std::vector<child_info> after;
    do {
        after = co_await which_children(sup.id());
    } while (after[1].process == before[1].process || !after[0].process || !after[2].process);
    coronet::exit(sup.id(), exit_reason{exit_kind::shutdown, nullptr, "done"});
    try {
        co_await sup;
    } catch (const exit_error&) {
    }
    std::string out;
    for (const auto& l : log->since(mark)) out += l + "; ";
    co_return out;
}

task<void> sends_then_exits(pid to, int n) {
    for (int i = 0; i < n; ++i) send(to, item{i});
    co_return;
}

task<std::string> order_then_down() {
    auto s = self();
    std::string out;
    for (int round = 0; round < 20; ++round) {
        auto [h, ref] = s.spawn_monitor(sends_then_exits, s.id(), 100);
        (void)h;
        int next = 0;
        bool ok = true;
        for (;;) {
            bool down = false;
            co_await s.receive_any([&](item i) { ok = ok && i.n == next++; },
                                   [&](down_msg d) { down = d.ref == ref; });
            if (down) break;
        }
        if (!ok || next != 100) co_return "round " + std::to_string(round) + " broke order";
    }
    co_return "ordered";
}

task<void> becomes_ready() {
    co_await self().receive<done>();
}

task<void> fails_early() {
    throw std::runtime_error("no start");
    co_return;
}

task<bool> accepts_stop() {
    auto r = co_await self().receive<stop_request>();
    r.accept();
    co_return true;
}

task<std::string> start_and_stop_across_workers() {
    auto s = self();
    std::string out;
    auto h = co_await start_opt(on_worker(1), becomes_ready);
    send(h.id(), done{});
    co_await h;
    out += "started";
    try {
        co_await start_opt(on_worker(1), fails_early);
    } catch (const std::runtime_error& e) {
        out += std::string(", start threw: ") + e.what();
    }
    auto t = s.spawn_opt(on_worker(1), accepts_stop);
    out += co_await request_stop(t.id()) ? ", stop accepted" : ", stop refused";
    co_return out;
}

std::shared_ptr<behaviour_of<std::vector<int>>> recorder(int version) {
    auto b = std::make_shared<behaviour_of<std::vector<int>>>("recorder", version);
    b->on<item>([version](std::vector<int>& v, item& i) { v.push_back(version * 100000 + i.n); });
    b->on<done>([](std::vector<int>&, done&) { stop_behaviour(); });
    return b;
}

task<void> streams(pid to, int from, int n) {
    for (int i = from; i < from + n; ++i) {
        send(to, item{i});
        if (i % 64 == 0) co_await self().yield();
    }
}

struct report {
    pid to;
};

task<std::string> swap_under_load() {
    auto s = self();
    auto v3 = std::make_shared<behaviour_of<std::vector<int>>>("recorder", 3);
    v3->on<item>([](std::vector<int>& v, item& i) { v.push_back(300000 + i.n); });
    v3->on<report>([](std::vector<int>& v, report& r) { send(r.to, v); });
    auto c =
        spawn_behaviour(behaviour_ref(recorder(1)), std::any(std::vector<int>{}), {}, on_worker(1));
    auto producer = s.spawn_opt(on_worker(0), streams, c.id(), 0, 20000);
    auto r1 = co_await swap(c.id(), behaviour_ref(recorder(2)));
    auto r2 = co_await swap(c.id(), behaviour_ref(v3));
    co_await producer;
    send(c.id(), report{s.id()});
    auto v = co_await s.receive<std::vector<int>>();
    cancel(c.id());
    if (!r1 || !r2) co_return "swap failed";
    if (v.size() != 20000) co_return "lost or duplicated: " + std::to_string(v.size());
    int last_version = 1;
    for (int i = 0; i < 20000; ++i) {
        if (v[i] % 100000 != i) co_return "out of order at " + std::to_string(i);
        if (v[i] / 100000 < last_version) co_return "version went back";
        last_version = v[i] / 100000;
    }
    co_return "20000 once, in order, ending on v" + std::to_string(last_version);
}

}  // namespace

TEST_CASE("T-LT-02 over two workers: a cancelled tree cleans up in reverse post-order",
          "[core][lifecycle][threads]") {
    runtime rt(real_config(2));
    event_log log;
    rt.spawn(cancels_tree, &log);
    rt.run();
    CHECK(log.lines() == std::vector<std::string>{"r22: cleanup", "r21: cleanup", "r2: cleanup",
                                                  "r12: cleanup", "r11: cleanup", "r1: cleanup",
                                                  "r: cleanup"});
}

TEST_CASE("T-SV-02 over two workers: one_for_all terminations and restarts keep their order",
          "[core][supervisor][threads]") {
    runtime rt(real_config(2));
    event_log log;
    auto h = rt.spawn(one_for_all_over_workers, &log);
    rt.run();
    CHECK(h.value() ==
          "B: cleanup; C: cleanup; A: cleanup; A: start; B: start; C: start; C: cleanup; "
          "B: cleanup; A: cleanup; ");
}

TEST_CASE("T-MO-02 over two workers: messages, then the down, in order",
          "[core][monitor][threads]") {
    runtime rt(real_config(2));
    auto h = rt.spawn(order_then_down);
    rt.run();
    CHECK(h.value() == "ordered");
}

TEST_CASE("start and request_stop across workers", "[core][start][threads]") {
    runtime rt(real_config(2));
    auto h = rt.spawn(start_and_stop_across_workers);
    rt.run();
    CHECK(h.value() == "started, start threw: no start, stop accepted");
}

TEST_CASE("T-HS-04 over two workers: two swaps under a stream of 20000 messages",
          "[core][hot_swap][threads]") {
    runtime rt(real_config(2));
    auto h = rt.spawn(swap_under_load);
    rt.run();
    CHECK(h.value() == "20000 once, in order, ending on v3");
}
