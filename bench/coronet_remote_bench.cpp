// coronet side of the distribution rows (issue 7): remote_pingpong and
// remote_throughput between a process of node A and a process of node B,
// and the same over mutual TLS (remote_pingpong_tls, remote_throughput_tls:
// node_options::tls on both nodes, the build's node.pem / node.key, signed
// by its ca.pem).
// Both nodes live in this program: two runtimes of one worker each, with
// their own node names, each a coronet::net::node (its own CAF actor system,
// middleman and gateway), A connected to B over 127.0.0.1. B runs on a
// thread of its own, A on the calling thread. A finds B's process with
// node::whereis (registered before the run). caf_bench's
// caf_remote_bench.cpp does the same work with two CAF actor systems.

#include "coronet_remote_bench.hpp"

#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <coronet/coronet.hpp>
#include <coronet/net/node.hpp>
#include <coronet/serialize.hpp>

#include "bench_certs.hpp"
#include "bench_report.hpp"

namespace bench::remote {

/// remote_pingpong's message: who to answer and a sequence number.
struct ball {
    coronet::pid from;
    std::uint64_t n = 0;
    template <class F>
    friend void fields(F& f, ball& b) {
        f(b.from, b.n);
    }
};

/// remote_throughput's message: a sequence number.
struct count {
    std::uint64_t n = 0;
    template <class F>
    friend void fields(F& f, count& c) {
        f(c.n);
    }
};

}  // namespace bench::remote

CORONET_SERIALIZABLE(bench::remote::ball, "coronet.bench.remote.ball");
CORONET_SERIALIZABLE(bench::remote::count, "coronet.bench.remote.count");

namespace {

using bench::remote_clock;
using bench::remote_timeout;
using bench::remote::ball;
using bench::remote::count;
using coronet::task;
namespace net = coronet::net;

constexpr const char* node_b = "bench-b";
constexpr const char* pong_name = "bench.pong";
constexpr const char* sink_name = "bench.sink";
/// The ball that ends the ponger.
constexpr std::uint64_t stop_ball = ~std::uint64_t{0};

double elapsed_ns(remote_clock::time_point t0, remote_clock::time_point t1) {
    return std::chrono::duration<double, std::nano>(t1 - t0).count();
}

coronet::runtime_config one_worker(const char* node_name) {
    coronet::runtime_config c;
    c.workers = 1;
    c.node_name = node_name;
    return c;
}

/// A node's options: the defaults, with mutual TLS if `tls` (both nodes
/// have the same certificate; node.pem has serverAuth and clientAuth).
net::node_options node_options(bool tls) {
    net::node_options o;
    if (tls)
        o.tls = net::node_tls{bench::readable_test_cert("node.pem"),
                              bench::readable_test_cert("node.key"), "",
                              bench::readable_test_cert("ca.pem")};
    return o;
}

/// Two runtimes of one worker, each a node, A connected to B (with TLS if
/// `tls`; the handshake is done before any run). The nodes are members
/// after the runtimes: they stop first, as they must.
struct node_pair {
    coronet::runtime a{one_worker("bench-a")};
    coronet::runtime b{one_worker(node_b)};
    std::unique_ptr<net::node> na;
    std::unique_ptr<net::node> nb;

    explicit node_pair(bool tls)
        : na(net::node::start(a, node_options(tls))), nb(net::node::start(b, node_options(tls))) {
        const auto peer = na->connect("127.0.0.1", nb->port());
        if (!peer) throw std::system_error(peer.error(), "remote: connect to node B");
    }

    /// Runs B on a thread of its own and A on this one, until each has no
    /// process left; if A fails, B's `b_root` is cancelled so that B ends
    /// too. Rethrows the first failure (A's, then B's).
    void run(const coronet::pid& b_root) {
        std::exception_ptr a_failure, b_failure;
        std::thread beta([this, &b_failure] {
            try {
                b.run();
            } catch (...) {
                b_failure = std::current_exception();
            }
        });
        try {
            a.run();
        } catch (...) {
            a_failure = std::current_exception();
            b.cancel(b_root, "node A failed");
        }
        beta.join();
        if (a_failure) std::rethrow_exception(a_failure);
        if (b_failure) std::rethrow_exception(b_failure);
    }
};

/// The pid registered as `name` on node B (found through A's node).
task<coronet::pid> find_on_b(net::node* here, std::string name) {
    const std::optional<coronet::pid> p = co_await here->whereis(node_b, name, remote_timeout);
    if (!p) throw std::runtime_error("remote: " + name + " not found on node B");
    co_return *p;
}

// -- remote_pingpong ----------------------------------------------------------

/// On node B: answers each ball with its number, until the stop ball.
task<void> pong_proc() {
    auto s = coronet::self();
    for (;;) {
        const std::optional<ball> b = co_await s.receive<ball>(remote_timeout);
        if (!b) throw std::runtime_error("remote_pingpong: no ball for 30 s");
        if (b->n == stop_ball) co_return;
        coronet::send(b->from, ball{s.id(), b->n});
    }
}

/// On node A: `warmup` untimed round trips, then `n` timed ones, each
/// waiting for its answer; then stops the ponger.
task<void> ping_proc(net::node* here, int warmup, int n, double* ns) {
    auto s = coronet::self();
    const coronet::pid pong = co_await find_on_b(here, pong_name);
    remote_clock::time_point t0 = remote_clock::now();
    for (int i = 0; i < warmup + n; ++i) {
        if (i == warmup) t0 = remote_clock::now();
        coronet::send(pong, ball{s.id(), std::uint64_t(i)});
        const std::optional<ball> r = co_await s.receive<ball>(remote_timeout);
        if (!r || r->n != std::uint64_t(i))
            throw std::runtime_error("remote_pingpong: a lost or wrong answer");
    }
    *ns = elapsed_ns(t0, remote_clock::now()) / n;
    coronet::send(pong, ball{s.id(), stop_ball});
}

/// remote_pingpong, or with `tls` remote_pingpong_tls (reported as `row`).
void remote_pingpong(const std::string& row, bool tls, const bench::remote_sizes& sz) {
    node_pair nodes(tls);
    const auto pong = nodes.b.spawn(pong_proc);
    if (!nodes.b.register_name(pong_name, pong.id()))
        throw std::runtime_error("remote_pingpong: cannot register the ponger");
    double ns = 0;
    nodes.a.spawn(ping_proc, nodes.na.get(), sz.warmup, sz.round_trips, &ns);
    nodes.run(pong.id());
    bench::report(row, "coronet", "ns_per_rt", ns, 0);
}

// -- remote_throughput --------------------------------------------------------

/// On node B: receives `n` counts, checks their order, and takes the time
/// when it has the last one.
task<void> sink_proc(int n, remote_clock::time_point* done, bool* in_order) {
    auto s = coronet::self();
    for (int i = 0; i < n; ++i) {
        const std::optional<count> c = co_await s.receive<count>(remote_timeout);
        if (!c) throw std::runtime_error("remote_throughput: the sink got nothing for 30 s");
        if (c->n != std::uint64_t(i)) *in_order = false;
    }
    *done = remote_clock::now();
}

/// On node A: sends `n` counts in a plain loop. The loop never suspends,
/// so the node's per-peer send window never pauses it (a sender pauses
/// only at a suspension point): the sends return before the messages are
/// on the wire (the worker hands CAF a batch every 64 KiB, and the rest
/// when the round ends).
task<void> source_proc(net::node* here, int n, remote_clock::time_point* start) {
    const coronet::pid sink = co_await find_on_b(here, sink_name);
    *start = remote_clock::now();
    for (int i = 0; i < n; ++i) coronet::send(sink, count{std::uint64_t(i)});
}

/// Timed from the first send until the sink has the last message. The
/// source ends when it has sent everything; node A stays up until B's sink
/// is done, so what A's CAF system still holds goes out. With `tls`:
/// remote_throughput_tls (reported as `row`).
void remote_throughput(const std::string& row, bool tls, const bench::remote_sizes& sz) {
    node_pair nodes(tls);
    remote_clock::time_point t0{}, t1{};
    bool in_order = true;
    const bench::rss_probe rss;
    const auto sink = nodes.b.spawn(sink_proc, sz.messages, &t1, &in_order);
    if (!nodes.b.register_name(sink_name, sink.id()))
        throw std::runtime_error("remote_throughput: cannot register the sink");
    nodes.a.spawn(source_proc, nodes.na.get(), sz.messages, &t0);
    nodes.run(sink.id());
    const long long growth = rss.peak_growth();
    if (!in_order) throw std::runtime_error("remote_throughput: messages out of order");
    bench::report(row, "coronet", "msgs_per_s", sz.messages / (elapsed_ns(t0, t1) * 1e-9), 0);
    bench::report(row, "coronet", "bytes_per_msg", double(growth) / sz.messages, 0);
}

}  // namespace

namespace bench {

bool is_coronet_remote_row(const std::string& name) {
    return is_row_of(name, remote_rows);
}

void run_coronet_remote(const std::string& name, const remote_sizes& sz) {
    if (!is_coronet_remote_row(name)) return;
    const bool tls = name.ends_with("_tls");
    if (name.starts_with("remote_pingpong"))
        remote_pingpong(name, tls, sz);
    else if (name.starts_with("remote_throughput"))
        remote_throughput(name, tls, sz);
}

}  // namespace bench
