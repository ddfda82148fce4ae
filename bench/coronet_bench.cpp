// coronet side of the message-passing benchmarks. bench/caf_bench.cpp does the
// same work with raw CAF 0.17; bench/run.sh prints both side by side.
//
// Output: one line per result, `RESULT <bench> <impl> <metric> <value>`.
// Usage: coronet_bench [--quick] [--only pingpong|counting|counting_yield|ring|spawn]

#include <malloc.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>
#include <coronet/coronet.hpp>

#include "bench_report.hpp"

namespace {

using bench_clock = std::chrono::steady_clock;
using coronet::pid;
using coronet::self;
using coronet::send;
using coronet::task;

struct sizes {
    int pingpong_round_trips = 1'000'000;
    int counting_messages = 5'000'000;
    int ring_actors = 1000;
    int ring_hops = 1'000'000;
    int spawn_actors = 1'000'000;
};

double elapsed_ns(bench_clock::time_point t0, bench_clock::time_point t1) {
    return std::chrono::duration<double, std::nano>(t1 - t0).count();
}

using bench::report;

long rss_bytes() {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6)) * 1024;
    return 0;
}

// -- ping-pong ----------------------------------------------------------------

struct ball {
    pid from;
    int n;
};

task<void> pong_proc() {
    auto s = self();
    for (;;) {
        ball b = co_await s.receive<ball>();
        if (b.n < 0) co_return;
        send(b.from, ball{s.id(), b.n});
    }
}

task<void> ping_proc(pid other, int n, double* out) {
    auto s = self();
    auto t0 = bench_clock::now();
    for (int i = 0; i < n; ++i) {
        send(other, ball{s.id(), i});
        (void)co_await s.receive<ball>();
    }
    *out = elapsed_ns(t0, bench_clock::now()) / n;
    send(other, ball{s.id(), -1});
}

// -- counting -----------------------------------------------------------------

task<void> count_sink(int n, bench_clock::time_point* done) {
    auto s = self();
    for (int i = 0; i < n; ++i) (void)co_await s.receive<int>();
    *done = bench_clock::now();
}

/// Tight loop: every message is queued before the consumer runs (as CAF's
/// producer does inside one handler).
task<void> count_source(pid sink, int n, bench_clock::time_point* start) {
    *start = bench_clock::now();
    for (int i = 0; i < n; ++i) send(sink, i);
    co_return;
}

/// Cooperative producer: gives the consumer a turn every 256 messages (CAF's
/// counterpart sends itself a continue message).
task<void> count_source_yield(pid sink, int n, bench_clock::time_point* start) {
    auto s = self();
    *start = bench_clock::now();
    for (int i = 0; i < n; ++i) {
        send(sink, i);
        if ((i & 255) == 255) co_await s.yield();
    }
}

// -- ring ---------------------------------------------------------------------

struct token {
    int hops_left;
};

task<void> ring_node(bench_clock::time_point* done) {
    auto s = self();
    pid next = co_await s.receive<pid>();
    for (;;) {
        token t = co_await s.receive<token>();
        if (t.hops_left < 0) co_return;
        if (t.hops_left == 0) {
            *done = bench_clock::now();
            continue;
        }
        send(next, token{t.hops_left - 1});
    }
}

task<void> ring_driver(int actors, int hops, double* out) {
    auto s = self();
    bench_clock::time_point done{};
    std::vector<pid> ring;
    ring.reserve(actors);
    for (int i = 0; i < actors; ++i) ring.push_back(s.spawn(ring_node, &done));
    for (int i = 0; i < actors; ++i) send(ring[i], ring[(i + 1) % actors]);
    co_await s.yield();
    auto t0 = bench_clock::now();
    send(ring[0], token{hops});
    while (done == bench_clock::time_point{}) co_await s.sleep(std::chrono::microseconds(50));
    *out = elapsed_ns(t0, done) / hops;
    for (auto& p : ring) send(p, token{-1});
}

// -- spawn --------------------------------------------------------------------

struct stop {};

task<void> idle_proc(int* ready) {
    ++*ready;
    (void)co_await self().receive<stop>();
}

task<void> spawn_driver(int n, double* ns, double* bytes) {
    auto s = self();
    int ready = 0;
    std::vector<pid> procs(n);
    std::memset(static_cast<void*>(procs.data()), 0, n * sizeof(pid));
    malloc_trim(0);
    long rss0 = rss_bytes();
    auto t0 = bench_clock::now();
    for (int i = 0; i < n; ++i) procs[i] = s.spawn(idle_proc, &ready);
    while (ready < n) co_await s.yield();
    auto t1 = bench_clock::now();
    long rss1 = rss_bytes();
    *ns = elapsed_ns(t0, t1) / n;
    *bytes = double(rss1 - rss0) / n;
    for (auto& p : procs) send(p, stop{});
}

// -- driver -------------------------------------------------------------------

void run(const std::string& name, const sizes& sz, std::uint32_t workers, const char* impl) {
    coronet::runtime rt{{.workers = workers}};
    if (name == "pingpong") {
        double ns = 0;
        auto po = rt.spawn_opt({.where = coronet::placement::pinned(workers - 1)}, pong_proc);
        rt.spawn(ping_proc, po.id(), sz.pingpong_round_trips, &ns);
        rt.run();
        report("pingpong", impl, "ns_per_rt", ns, 1);
    } else if (name == "counting" || name == "counting_yield") {
        bench_clock::time_point t0{}, t1{};
        auto sink = rt.spawn_opt({.where = coronet::placement::pinned(workers - 1)}, count_sink,
                                 sz.counting_messages, &t1);
        if (name == "counting")
            rt.spawn(count_source, sink.id(), sz.counting_messages, &t0);
        else
            rt.spawn(count_source_yield, sink.id(), sz.counting_messages, &t0);
        rt.run();
        report(name.c_str(), impl, "msgs_per_s", sz.counting_messages / (elapsed_ns(t0, t1) * 1e-9),
               0);
    } else if (name == "ring") {
        double ns = 0;
        rt.spawn(ring_driver, sz.ring_actors, sz.ring_hops, &ns);
        rt.run();
        report("ring", impl, "ns_per_hop", ns, 1);
    } else if (name == "spawn") {
        double ns = 0, bytes = 0;
        rt.spawn(spawn_driver, sz.spawn_actors, &ns, &bytes);
        rt.run();
        report("spawn", impl, "ns_per_spawn", ns, 1);
        report("spawn", impl, "bytes_per_proc", bytes, 0);
    }
}

}  // namespace

int main(int argc, char** argv) {
    sizes sz;
    int repeat = 3;
    std::string only;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (bench::parse_repeat(argc, argv, i, repeat)) continue;
        if (a == "--quick") {
            sz.pingpong_round_trips /= 10;
            sz.counting_messages /= 10;
            sz.ring_hops /= 10;
            sz.spawn_actors /= 10;
        } else if (a == "--only" && i + 1 < argc) {
            only = argv[++i];
        } else {
            std::fprintf(stderr,
                         "usage: %s [--quick] [--repeat N] [--only "
                         "pingpong|counting|counting_yield|ring|spawn]\n",
                         argv[0]);
            return 2;
        }
    }
    for (int r = 0; r < repeat; ++r) {
        for (const char* name : {"pingpong", "counting", "counting_yield", "ring", "spawn"}) {
            if (!only.empty() && only != name) continue;
            run(name, sz, 1, "coronet");
            // The same work with the two processes on different workers (cross-thread path).
            if (std::string(name) != "ring" && std::string(name) != "spawn")
                run(name, sz, 2, "coronet-2w");
        }
    }
    bench::print_results();
    return 0;
}
