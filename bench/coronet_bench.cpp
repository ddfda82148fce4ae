// coronet side of the message-passing benchmarks. bench/caf_bench.cpp does the
// same work with raw CAF 0.17; bench/run.sh prints both side by side.
//
// Output: one line per result, `RESULT <bench> <impl> <metric> <value>`.
// Usage: coronet_bench [--quick] [--repeat N] [--only pingpong|counting|counting_yield|ring|
//                      spawn|monitor_down|link_chain|restart|swap|blocking_rt|
//                      mutex_uncontended|mutex_contended|fanout|chan_pingpong|
//                      chan_throughput_1x1|chan_throughput_NxN|tcp_echo_rt|tcp_throughput|
//                      tcp_accepts|file_read|tls_echo_rt|tls_throughput|tls_handshakes|
//                      remote_pingpong|remote_pingpong_tls|remote_throughput|
//                      remote_throughput_tls|locate|cluster_join]
//
// The I/O rows (tcp_*, file_read) are in coronet_io_bench.cpp, the TLS rows
// (tls_*) in coronet_tls_bench.cpp; they also print baselines without coronet
// (impls blocking-threads, sync-pread, io_uring-qd*). The distribution rows
// (remote_*: two nodes in one program, plain and over TLS) are in
// coronet_remote_bench.cpp, the cluster rows (locate, cluster_join:
// coronet::discovery across three and four nodes) in coronet_cluster_bench.cpp.

#include <malloc.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>
#include <coronet/channels.hpp>
#include <coronet/coronet.hpp>

#include "bench_report.hpp"
#include "coronet_cluster_bench.hpp"
#include "coronet_io_bench.hpp"
#include "coronet_remote_bench.hpp"
#include "coronet_tls_bench.hpp"

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
    int monitor_targets = 10'000;
    int monitors_per_target = 100;
    int chain_length = 1000;
    int chains = 100;
    int restarts = 100'000;
    int swaps = 100'000;
    int blocking_round_trips = 100'000;
    int mutex_pairs = 10'000'000;  ///< both mutex rows; contended: split over 4 processes
    int fanout_subscribers = 10'000;
    int fanout_messages = 100;  ///< published; each subscriber gets every one
    int chan_round_trips = 1'000'000;
    int chan_messages = 5'000'000;  ///< both chan_throughput rows; NxN: split over 4 producers
    bench::io_sizes io;             ///< the I/O rows (shared with caf_bench)
    bench::remote_sizes remote;     ///< the distribution rows (shared with caf_bench)
    bench::cluster_sizes cluster;   ///< the cluster rows (shared with caf_bench)
};

/// Capacity of the chan_throughput rows' channel (caf_bench's credit window).
constexpr std::size_t chan_capacity = 1024;

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

// -- monitor_down -------------------------------------------------------------

/// A monitored target: counts itself started, then waits to be stopped.
task<void> down_target(std::atomic<int>* ready) {
    ready->fetch_add(1, std::memory_order_release);
    (void)co_await self().receive<stop>();
}

/// Monitors each target `per_target` times, stops it and receives all its
/// downs. The targets are spawned (on `target_worker`) and have started
/// before the clock starts, so spawning is not counted; their exit is, once
/// per `per_target` downs.
task<void> monitor_driver(std::uint32_t target_worker, int targets, int per_target, double* out) {
    auto s = self();
    std::atomic<int> ready{0};
    std::vector<pid> ts;
    ts.reserve(targets);
    const coronet::spawn_options opts{.where = coronet::placement::pinned(target_worker)};
    for (int i = 0; i < targets; ++i) ts.push_back(s.spawn_opt(opts, down_target, &ready).id());
    while (ready.load(std::memory_order_acquire) < targets) co_await s.yield();
    auto t0 = bench_clock::now();
    for (const pid& t : ts) {
        for (int i = 0; i < per_target; ++i) coronet::monitor(t);
        send(t, stop{});
        for (int i = 0; i < per_target; ++i) (void)co_await s.receive<coronet::down_msg>();
    }
    *out = elapsed_ns(t0, bench_clock::now()) / (double(targets) * per_target);
}

// -- link_chain ---------------------------------------------------------------

struct build_node {
    pid prev;  ///< the null pid for the first node
    bool quit = false;
};

struct node_ready {
    pid node;
};

/// One link of the chain: linked to its predecessor only (the link to the
/// builder that spawn_link made is undone at once). Waits until an exit
/// signal coming down the chain takes it with it.
task<void> chain_node(pid builder, pid prev, pid driver) {
    coronet::unlink(builder);
    if (prev) coronet::link(prev);
    send(driver, node_ready{self().id()});
    (void)co_await self().receive<stop>();
}

/// Spawns chain nodes on its worker when asked. spawn_link, not spawn: a
/// plain child's failure would cancel the builder (LK-1); a spawn_link child
/// is tied to the builder by the link only, which the child removes.
task<void> chain_builder(pid driver) {
    auto s = self();
    for (;;) {
        build_node req = co_await s.receive<build_node>();
        if (req.quit) co_return;
        s.spawn_link(chain_node, s.id(), req.prev, driver);
    }
}

/// Builds `chains` chains of `length` linked nodes, node i on worker
/// i % workers, one after the other (not timed; a node is asked for only
/// once its predecessor has linked, so every link exists before the exit
/// signal can reach it). Then monitors the last node, and times from the
/// error exit signal to the first node until the last node's down.
task<void> chain_driver(std::uint32_t workers, int length, int chains, double* out) {
    auto s = self();
    std::vector<pid> builders;
    for (std::uint32_t w = 0; w < workers; ++w)
        builders.push_back(
            s.spawn_opt({.where = coronet::placement::pinned(w)}, chain_builder, s.id()).id());
    const coronet::exit_reason failure{
        coronet::exit_kind::error, std::make_exception_ptr(std::runtime_error("chain")), "chain"};
    double total_ns = 0;
    for (int c = 0; c < chains; ++c) {
        pid first{}, last{};
        for (int i = 0; i < length; ++i) {
            send(builders[i % workers], build_node{last});
            last = (co_await s.receive<node_ready>()).node;
            if (i == 0) first = last;
        }
        coronet::monitor(last);
        auto t0 = bench_clock::now();
        coronet::exit(first, failure);
        (void)co_await s.receive<coronet::down_msg>();
        total_ns += elapsed_ns(t0, bench_clock::now());
    }
    for (const pid& b : builders) send(b, build_node{{}, true});
    *out = total_ns / (double(chains) * length);
}

// -- restart ------------------------------------------------------------------

struct up {
    pid who;
};
struct crash_now {};

/// A supervised worker: tells the driver it runs, then crashes when asked.
task<void> restart_child(pid driver) {
    send(driver, up{self().id()});
    (void)co_await self().receive<crash_now>();
    throw std::runtime_error("asked to crash");
}

/// Supervisor restart latency: from the message that makes the child crash to
/// the new child's first message (crash, exit, exit_msg to the supervisor,
/// restart decision, start() handshake of the new child).
task<void> restart_driver(std::uint32_t child_worker, int n, double* out) {
    auto s = self();
    coronet::supervisor_flags f;
    f.intensity = n + 1;
    f.period = std::chrono::hours(1);
    std::vector<coronet::child_spec> specs;
    specs.push_back(coronet::child("w", restart_child, s.id()));
    specs.back().where = coronet::placement::pinned(child_worker);
    auto sup = co_await coronet::start(coronet::supervise, f, specs);
    pid current = (co_await s.receive<up>()).who;
    auto t0 = bench_clock::now();
    for (int i = 0; i < n; ++i) {
        send(current, crash_now{});
        current = (co_await s.receive<up>()).who;
    }
    *out = elapsed_ns(t0, bench_clock::now()) / n;
    coronet::exit(sup.id(), {coronet::exit_kind::shutdown, {}, "done"});
}

// -- swap ---------------------------------------------------------------------

struct sping {
    pid from;
};

coronet::behaviour_ref swap_version(int v) {
    auto b = std::make_shared<coronet::behaviour_of<long>>("bench", v);
    b->on<sping>([](long& count, sping& p) { send(p.from, ++count); });
    return coronet::behaviour_ref(b);
}

/// Hot-swap latency: from the swap request to the new version's answer to the
/// next message (swap() returns once the swap is done; then one round trip).
task<void> swap_driver(std::uint32_t worker, int n, double* out) {
    auto s = self();
    coronet::behaviour_ref v1 = swap_version(1);
    coronet::behaviour_ref v2 = swap_version(2);
    auto c = coronet::spawn_behaviour(v1, 0L, {}, {.where = coronet::placement::pinned(worker)});
    send(c.id(), sping{s.id()});
    (void)co_await s.receive<long>();
    auto t0 = bench_clock::now();
    for (int i = 0; i < n; ++i) {
        auto r = co_await coronet::swap(c.id(), i % 2 == 0 ? v2 : v1);
        if (!r) throw std::runtime_error("swap failed: " + r.error);
        send(c.id(), sping{s.id()});
        (void)co_await s.receive<long>();
    }
    *out = elapsed_ns(t0, bench_clock::now()) / n;
    coronet::cancel(c.id());
}

// -- blocking_rt --------------------------------------------------------------

/// The trivial blocking call: the round trip is all that is measured.
int add_one(int x) {
    return x + 1;
}

/// Submits `add_one` to the default blocking pool and waits for its value, `n`
/// times one after the other. One untimed call first starts the pool's threads.
task<void> blocking_driver(int n, double* out) {
    const int warm = co_await coronet::run_blocking(add_one, -1);
    long sum = warm;
    auto t0 = bench_clock::now();
    for (int i = 0; i < n; ++i) {
        const int r = co_await coronet::run_blocking(add_one, i);
        sum += r;
    }
    *out = elapsed_ns(t0, bench_clock::now()) / n;
    if (sum != long(n) * (n + 1) / 2) throw std::runtime_error("blocking_rt: wrong results");
}

// -- mutex --------------------------------------------------------------------

/// One process, nobody else wants the mutex: the lock's fast path.
task<void> mutex_uncontended_driver(coronet::mutex* m, int n, double* out) {
    auto t0 = bench_clock::now();
    for (int i = 0; i < n; ++i) {
        const bool ok = co_await m->lock();
        if (!ok) throw std::runtime_error("mutex_uncontended: lock failed");
        m->unlock();
    }
    *out = elapsed_ns(t0, bench_clock::now()) / n;
}

/// One of the contending processes: `n` lock / ++counter / unlock pairs,
/// giving the other processes of its worker a turn every 64 pairs (with the
/// mutex released).
task<void> mutex_contender(coronet::mutex* m, int n, long* counter) {
    auto s = self();
    for (int i = 0; i < n; ++i) {
        const bool ok = co_await m->lock();
        if (!ok) throw std::runtime_error("mutex_contended: lock failed");
        ++*counter;
        m->unlock();
        if ((i & 63) == 63) co_await s.yield();
    }
}

/// Spawns `procs` contenders, process i on worker i % workers, and times from
/// the first spawn until all have been joined; checks the counter.
task<void> mutex_contended_driver(coronet::mutex* m, std::uint32_t workers, int procs, int n,
                                  double* out) {
    auto s = self();
    long counter = 0;
    const int per_proc = n / procs;
    std::vector<coronet::handle<void>> hs;
    auto t0 = bench_clock::now();
    for (int i = 0; i < procs; ++i)
        hs.push_back(s.spawn_opt({.where = coronet::placement::pinned(std::uint32_t(i) % workers)},
                                 mutex_contender, m, per_proc, &counter));
    for (auto& h : hs) co_await h;
    *out = elapsed_ns(t0, bench_clock::now()) / (double(per_proc) * procs);
    if (counter != long(per_proc) * procs)
        throw std::runtime_error("mutex_contended: counter " + std::to_string(counter) +
                                 ", expected " + std::to_string(long(per_proc) * procs));
}

// -- fanout -------------------------------------------------------------------

struct fanout_done {};

/// One subscriber: subscribes with the default options (unbounded,
/// unfiltered), counts itself ready, receives `msgs` ints (checking their
/// order). The last subscriber to have all of them takes the time and tells
/// the publisher. It then stays, untimed, until the topic is closed, so that
/// subscriber exits are not counted as deliveries.
task<void> fanout_subscriber(coronet::topic<int> t, pid publisher, int msgs,
                             std::atomic<int>* ready, std::atomic<int>* left,
                             bench_clock::time_point* done) {
    auto s = self();
    coronet::subscription sub = t.subscribe();
    ready->fetch_add(1, std::memory_order_release);
    for (int i = 0; i < msgs; ++i) {
        const int v = co_await s.receive<int>();
        if (v != i) throw std::runtime_error("fanout: a message out of order");
    }
    if (left->fetch_sub(1, std::memory_order_acq_rel) == 1) {
        *done = bench_clock::now();
        send(publisher, fanout_done{});
    }
    (void)co_await s.receive<coronet::subscription_ended>();
}

/// Spawns the subscribers (subscriber i on worker i % workers) and waits
/// until all have subscribed; then times `msgs` publishes until the last
/// subscriber has received the last one. Closing the topic ends them.
task<void> fanout_driver(std::uint32_t workers, int subs, int msgs, bench_clock::time_point* start,
                         bench_clock::time_point* done) {
    auto s = self();
    auto t = coronet::topic<int>::create("fanout");
    std::atomic<int> ready{0};
    std::atomic<int> left{subs};
    for (int i = 0; i < subs; ++i) {
        const coronet::spawn_options opts{
            .where = coronet::placement::pinned(std::uint32_t(i) % workers)};
        s.spawn_opt(opts, fanout_subscriber, t, s.id(), msgs, &ready, &left, done);
    }
    while (ready.load(std::memory_order_acquire) < subs) co_await s.yield();
    std::size_t sent = 0;
    *start = bench_clock::now();
    for (int i = 0; i < msgs; ++i) sent += t.publish(i);
    (void)co_await s.receive<fanout_done>();
    t.close();
    if (sent != std::size_t(subs) * std::size_t(msgs))
        throw std::runtime_error("fanout: " + std::to_string(sent) + " copies sent");
}

// -- chan_pingpong ------------------------------------------------------------

/// Sends back on `out` every int it receives on `in`, until `in` is closed.
task<void> chan_pong(coronet::channel<int> in, coronet::channel<int> out) {
    for (;;) {
        const std::optional<int> v = co_await in.receive();
        if (!v) co_return;
        co_await out.send(*v);
    }
}

/// `n` round trips: send i on `out`, receive it back on `in`; then closes `out`.
task<void> chan_ping(coronet::channel<int> out, coronet::channel<int> in, int n, double* ns) {
    auto t0 = bench_clock::now();
    for (int i = 0; i < n; ++i) {
        co_await out.send(i);
        const std::optional<int> v = co_await in.receive();
        if (!v || *v != i) throw std::runtime_error("chan_pingpong: a wrong reply");
    }
    *ns = elapsed_ns(t0, bench_clock::now()) / n;
    out.close();
}

// -- chan_throughput ----------------------------------------------------------

task<void> chan_producer(coronet::channel<int> ch, int n) {
    for (int i = 0; i < n; ++i) co_await ch.send(i);
}

/// Receives until the channel is closed and drained; stores how many it got.
task<void> chan_consumer(coronet::channel<int> ch, long* got) {
    long count = 0;
    for (;;) {
        const std::optional<int> v = co_await ch.receive();
        if (!v) break;
        ++count;
    }
    *got = count;
}

/// `pairs` producers (producer i on worker i % workers) send `n` ints in all
/// through one channel of chan_capacity slots to `pairs` consumers
/// (consumer i on worker (i + 1) % workers: with one pair and two workers the
/// consumer is on the other worker). The consumers are spawned before the
/// clock starts; it stops when the producers are done, the channel is closed
/// and every consumer has drained it and been joined.
task<void> chan_throughput_driver(std::uint32_t workers, int pairs, int n, double* out) {
    auto s = self();
    coronet::channel<int> ch(chan_capacity);
    const int per_producer = n / pairs;
    std::vector<long> got(std::size_t(pairs), 0);
    std::vector<coronet::handle<void>> consumers, producers;
    for (int i = 0; i < pairs; ++i) {
        const coronet::spawn_options opts{
            .where = coronet::placement::pinned(std::uint32_t(i + 1) % workers)};
        consumers.push_back(s.spawn_opt(opts, chan_consumer, ch, &got[std::size_t(i)]));
    }
    auto t0 = bench_clock::now();
    for (int i = 0; i < pairs; ++i) {
        const coronet::spawn_options opts{
            .where = coronet::placement::pinned(std::uint32_t(i) % workers)};
        producers.push_back(s.spawn_opt(opts, chan_producer, ch, per_producer));
    }
    for (auto& h : producers) co_await h;
    ch.close();
    for (auto& h : consumers) co_await h;
    const double total = double(per_producer) * pairs;
    *out = total / (elapsed_ns(t0, bench_clock::now()) * 1e-9);
    long sum = 0;
    for (long g : got) sum += g;
    if (sum != long(per_producer) * pairs)
        throw std::runtime_error("chan_throughput: " + std::to_string(sum) + " received");
}

// -- driver -------------------------------------------------------------------

void run(const std::string& name, const sizes& sz, std::uint32_t workers, const char* impl) {
    if (bench::is_coronet_io_row(name)) {
        bench::run_coronet_io(name, sz.io, workers, impl);
        return;
    }
    if (bench::is_coronet_tls_row(name)) {
        bench::run_coronet_tls(name, sz.io, workers, impl);
        return;
    }
    coronet::mutex m;  // used by the mutex rows; outlives the runtime's processes
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
    } else if (name == "monitor_down") {
        double ns = 0;
        rt.spawn(monitor_driver, workers - 1, sz.monitor_targets, sz.monitors_per_target, &ns);
        rt.run();
        report("monitor_down", impl, "ns_per_down", ns, 1);
    } else if (name == "link_chain") {
        double ns = 0;
        rt.spawn(chain_driver, workers, sz.chain_length, sz.chains, &ns);
        rt.run();
        report("link_chain", impl, "ns_per_hop", ns, 1);
    } else if (name == "restart") {
        double ns = 0;
        rt.spawn(restart_driver, workers - 1, sz.restarts, &ns);
        rt.run();
        report("restart", impl, "ns_per_restart", ns, 1);
    } else if (name == "swap") {
        double ns = 0;
        rt.spawn(swap_driver, workers - 1, sz.swaps, &ns);
        rt.run();
        report("swap", impl, "ns_per_swap", ns, 1);
    } else if (name == "blocking_rt") {
        double ns = 0;
        rt.spawn(blocking_driver, sz.blocking_round_trips, &ns);
        rt.run();
        report("blocking_rt", impl, "ns_per_rt", ns, 1);
    } else if (name == "mutex_uncontended") {
        double ns = 0;
        rt.spawn(mutex_uncontended_driver, &m, sz.mutex_pairs, &ns);
        rt.run();
        report("mutex_uncontended", impl, "ns_per_pair", ns, 1);
    } else if (name == "mutex_contended") {
        double ns = 0;
        rt.spawn(mutex_contended_driver, &m, workers, 4, sz.mutex_pairs, &ns);
        rt.run();
        report("mutex_contended", impl, "ns_per_pair", ns, 1);
    } else if (name == "fanout") {
        bench_clock::time_point t0{}, t1{};
        rt.spawn_opt({.where = coronet::placement::pinned(0)}, fanout_driver, workers,
                     sz.fanout_subscribers, sz.fanout_messages, &t0, &t1);
        rt.run();
        const double deliveries = double(sz.fanout_subscribers) * sz.fanout_messages;
        report("fanout", impl, "deliveries_per_s", deliveries / (elapsed_ns(t0, t1) * 1e-9), 0);
    } else if (name == "chan_pingpong") {
        double ns = 0;
        coronet::channel<int> there(0), back(0);  // rendezvous, both ways
        rt.spawn_opt({.where = coronet::placement::pinned(workers - 1)}, chan_pong, there, back);
        rt.spawn_opt({.where = coronet::placement::pinned(0)}, chan_ping, there, back,
                     sz.chan_round_trips, &ns);
        rt.run();
        report("chan_pingpong", impl, "ns_per_rt", ns, 1);
    } else if (name == "chan_throughput_1x1" || name == "chan_throughput_NxN") {
        double per_s = 0;
        const int pairs = name == "chan_throughput_1x1" ? 1 : 4;
        rt.spawn_opt({.where = coronet::placement::pinned(0)}, chan_throughput_driver, workers,
                     pairs, sz.chan_messages, &per_s);
        rt.run();
        report(name, impl, "msgs_per_s", per_s, 0);
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
            sz.monitor_targets /= 10;
            sz.chains /= 10;
            sz.restarts /= 10;
            sz.swaps /= 10;
            sz.blocking_round_trips /= 10;
            sz.mutex_pairs /= 10;
            sz.fanout_subscribers /= 10;
            sz.chan_round_trips /= 10;
            sz.chan_messages /= 10;
            sz.io.quick();
            sz.remote.quick();
            sz.cluster.quick();
        } else if (a == "--only" && i + 1 < argc) {
            only = argv[++i];
        } else {
            std::fprintf(
                stderr,
                "usage: %s [--quick] [--repeat N] [--only "
                "pingpong|counting|counting_yield|ring|spawn|monitor_down|link_chain|restart|"
                "swap|blocking_rt|mutex_uncontended|mutex_contended|fanout|chan_pingpong|"
                "chan_throughput_1x1|chan_throughput_NxN|tcp_echo_rt|tcp_throughput|tcp_accepts|"
                "file_read|tls_echo_rt|tls_throughput|tls_handshakes|remote_pingpong|"
                "remote_pingpong_tls|remote_throughput|remote_throughput_tls|locate|"
                "cluster_join]\n",
                argv[0]);
            return 2;
        }
    }
    for (int r = 0; r < repeat; ++r) {
        for (const char* name :
             {"pingpong",    "counting",       "counting_yield",      "ring",
              "spawn",       "monitor_down",   "link_chain",          "restart",
              "swap",        "blocking_rt",    "mutex_uncontended",   "mutex_contended",
              "fanout",      "chan_pingpong",  "chan_throughput_1x1", "chan_throughput_NxN",
              "tcp_echo_rt", "tcp_throughput", "tcp_accepts",         "file_read",
              "tls_echo_rt", "tls_throughput", "tls_handshakes"}) {
            if (!only.empty() && only != name) continue;
            run(name, sz, 1, "coronet");
            // The same work with the two processes on different workers (cross-thread path):
            // monitor_down's targets on the other worker, link_chain's nodes alternating,
            // mutex_contended's contenders two per worker, fanout's subscribers alternating,
            // chan_pingpong's pong and chan_throughput's consumers on the other worker
            // (NxN: two producers and two consumers per worker), the tcp and tls rows' server
            // on the other worker. blocking_rt, mutex_uncontended, tcp_accepts (one acceptor
            // against a plain connector thread) and file_read have a single process, so a second
            // worker would only sit idle.
            const std::string n = name;
            if (n != "ring" && n != "spawn" && n != "blocking_rt" && n != "mutex_uncontended" &&
                n != "tcp_accepts" && n != "file_read")
                run(name, sz, 2, "coronet-2w");
        }
        // The distribution rows: two nodes, each a runtime of one worker (impl coronet only),
        // plain and over TLS.
        for (const char* name : bench::remote_rows) {
            if (!only.empty() && only != name) continue;
            bench::run_coronet_remote(name, sz.remote);
        }
        // The cluster rows (coronet::discovery): three or four nodes, each a runtime of one
        // worker.
        for (const char* name : bench::cluster_rows) {
            if (!only.empty() && only != name) continue;
            bench::run_coronet_cluster(name, sz.cluster);
        }
    }
    bench::print_results();
    return 0;
}
