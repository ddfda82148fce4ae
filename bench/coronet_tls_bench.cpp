// coronet side of the TLS benchmarks: tls_echo_rt, tls_throughput and
// tls_handshakes, with coronet::net::tls_stream on the workers' epoll
// reactor. Their baseline without coronet (two plain threads calling
// OpenSSL on blocking sockets) is in bench_tls.hpp; CAF 0.17's brokers have
// no TLS, so there is no CAF baseline.
//
// Both sides are configured as the baseline's: TLS 1.3 only, the server's
// ECDSA P-256 test certificate, no client certificate; the client verifies
// the server and its host name ("localhost", also sent as SNI).

#include "coronet_tls_bench.hpp"

#include <sys/socket.h>

#include <chrono>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>
#include <coronet/coronet.hpp>
#include <coronet/net.hpp>
#include <coronet/net/tls_context.hpp>
#include <coronet/net/tls_stream.hpp>

#include "bench_report.hpp"
#include "bench_tls.hpp"

namespace {

using bench::io_clock;
using coronet::task;
namespace net = coronet::net;

/// Bound on every wait: a lost peer fails the run instead of hanging it.
constexpr auto io_timeout = std::chrono::seconds(30);

coronet::spawn_options on_worker(std::uint32_t w) {
    return {.where = coronet::placement::pinned(w)};
}

net::tls_context server_context() {
    net::tls_options o;
    o.role = net::tls_role::server;
    o.certificate_chain_file = bench::test_cert("server.pem");
    o.private_key_file = bench::test_cert("server.key");
    o.verify = net::tls_verify::none;  // mutual TLS off
    o.min_version = net::tls_version::tls1_3;
    return net::tls_context::create(o);
}

net::tls_context client_context() {
    net::tls_options o;
    o.role = net::tls_role::client;
    o.ca_file = bench::test_cert("ca.pem");
    o.verify = net::tls_verify::peer;
    o.min_version = net::tls_version::tls1_3;
    return net::tls_context::create(o);
}

/// Accepts one connection and does the server handshake; throws on failure.
task<net::tls_stream> accept_tls(net::tcp_listener* l, net::tls_context ctx, const char* row) {
    auto c = co_await l->accept(io_timeout);
    if (!c) throw std::system_error(c.error(), std::string(row) + ": accept");
    c->set_nodelay(true);
    auto t = co_await net::tls_stream::accept(std::move(*c), std::move(ctx), io_timeout);
    if (!t) throw std::system_error(t.error(), std::string(row) + ": server handshake");
    co_return std::move(*t);
}

/// Connects and does the client handshake; throws on failure.
task<net::tls_stream> connect_tls(net::address to, net::tls_context ctx, const char* row) {
    auto c = co_await net::tcp_stream::connect(to, io_timeout);
    if (!c) throw std::system_error(c.error(), std::string(row) + ": connect");
    c->set_nodelay(true);
    auto t = co_await net::tls_stream::connect(std::move(*c), std::move(ctx), bench::tls_host,
                                               io_timeout);
    if (!t) throw std::system_error(t.error(), std::string(row) + ": client handshake");
    if (t->version() != "TLSv1.3")
        throw std::runtime_error(std::string(row) + ": negotiated " + t->version());
    co_return std::move(*t);
}

/// Reads (and drops) until the peer's close_notify.
task<void> read_until_close_notify(net::tls_stream& t, const char* row) {
    char buf[256];
    for (;;) {
        const auto r = co_await t.read_some(std::span<char>(buf), io_timeout);
        if (r.ec) throw std::system_error(r.ec, std::string(row) + ": waiting for close_notify");
        if (r.n == 0) co_return;
    }
}

// -- tls_echo_rt --------------------------------------------------------------

/// Echoes echo_size-byte messages until the client's close_notify.
task<void> echo_server(net::tcp_listener* l, net::tls_context ctx) {
    auto t = co_await accept_tls(l, std::move(ctx), "tls_echo_rt");
    char buf[bench::echo_size];
    for (;;) {
        const auto r = co_await t.read_exactly(std::span<char>(buf), io_timeout);
        if (r.ec) co_return;
        const auto w = co_await t.write_all(std::span<const char>(buf), io_timeout);
        if (w.ec) co_return;
    }
}

/// `n` round trips of echo_size bytes after an untimed handshake; ns per
/// round trip.
task<void> echo_client(net::address to, net::tls_context ctx, int n, double* ns) {
    auto t = co_await connect_tls(to, std::move(ctx), "tls_echo_rt");
    char buf[bench::echo_size] = {};
    const auto t0 = io_clock::now();
    for (int i = 0; i < n; ++i) {
        std::memcpy(buf, &i, sizeof i);
        const auto w = co_await t.write_all(std::span<const char>(buf), io_timeout);
        const auto r = co_await t.read_exactly(std::span<char>(buf), io_timeout);
        int back = -1;
        std::memcpy(&back, buf, sizeof back);
        if (w.ec || r.ec || back != i) throw std::runtime_error("tls_echo_rt: a wrong echo");
    }
    *ns = std::chrono::duration<double, std::nano>(io_clock::now() - t0).count() / n;
    (void)co_await t.shutdown(io_timeout);
}

/// Server on the last worker, client on the first: one worker runs both,
/// two put them on different threads (as in every tls row).
void tls_echo_rt(const bench::io_sizes& sz, std::uint32_t workers, const char* impl) {
    double ns = 0;
    coronet::runtime rt{{.workers = workers}};
    auto l = net::tcp_listener::bind(net::address::loopback(0));
    if (!l) throw std::system_error(l.error(), "tls_echo_rt: listen");
    rt.spawn_opt(on_worker(workers - 1), echo_server, &l.value(), server_context());
    rt.spawn_opt(on_worker(0), echo_client, l->local_address(), client_context(),
                 sz.tls_round_trips, &ns);
    rt.run();
    bench::report("tls_echo_rt", impl, "ns_per_rt", ns, 0);
}

// -- tls_throughput -----------------------------------------------------------

/// Reads up to stream_chunk bytes at a time (one TLS record, at most 16 KiB,
/// per read) until the writer's close_notify, taking the time when it has
/// `bytes`; then sends its own close_notify.
task<void> stream_reader(net::tcp_listener* l, net::tls_context ctx, std::size_t bytes,
                         io_clock::time_point* done, std::size_t* got) {
    auto t = co_await accept_tls(l, std::move(ctx), "tls_throughput");
    std::vector<char> buf(bench::stream_chunk);
    for (;;) {
        const auto r = co_await t.read_some(std::span<char>(buf), io_timeout);
        if (r.ec) throw std::system_error(r.ec, "tls_throughput: read");
        if (r.n == 0) break;
        if ((*got += r.n) == bytes) *done = io_clock::now();
    }
    (void)co_await t.shutdown(io_timeout);
}

/// Writes `bytes` in stream_chunk writes, then exchanges close_notify with
/// the reader (so that neither side closes with unread data).
task<void> stream_writer(net::address to, net::tls_context ctx, std::size_t bytes,
                         io_clock::time_point* start) {
    auto t = co_await connect_tls(to, std::move(ctx), "tls_throughput");
    const std::vector<char> chunk(bench::stream_chunk, 'x');
    *start = io_clock::now();
    for (std::size_t sent = 0; sent < bytes; sent += chunk.size()) {
        const auto w = co_await t.write_all(std::span<const char>(chunk), io_timeout);
        if (w.ec) throw std::system_error(w.ec, "tls_throughput: write");
    }
    if (const auto ec = co_await t.shutdown(io_timeout))
        throw std::system_error(ec, "tls_throughput: shutdown");
    co_await read_until_close_notify(t, "tls_throughput");
}

/// Timed from the first write until the reader has the last byte.
void tls_throughput(const bench::io_sizes& sz, std::uint32_t workers, const char* impl) {
    io_clock::time_point t0{}, t1{};
    std::size_t got = 0;
    const std::size_t bytes = sz.tls_stream_bytes;
    coronet::runtime rt{{.workers = workers}};
    auto l = net::tcp_listener::bind(net::address::loopback(0));
    if (!l) throw std::system_error(l.error(), "tls_throughput: listen");
    rt.spawn_opt(on_worker(workers - 1), stream_reader, &l.value(), server_context(), bytes, &t1,
                 &got);
    rt.spawn_opt(on_worker(0), stream_writer, l->local_address(), client_context(), bytes, &t0);
    rt.run();
    if (got != bytes) throw std::runtime_error("tls_throughput: the reader got too little");
    bench::report("tls_throughput", impl, "mib_per_s", bench::mib_per_s(got, t0, t1), 0);
}

// -- tls_handshakes -----------------------------------------------------------

/// `n` connections one after the other: accept, server handshake,
/// close_notify, close.
task<void> handshake_server(net::tcp_listener* l, net::tls_context ctx, int n) {
    for (int i = 0; i < n; ++i) {
        auto t = co_await accept_tls(l, ctx, "tls_handshakes");
        (void)co_await t.shutdown(io_timeout);
        t.close();
    }
}

/// `n` connections one after the other: connect, client handshake, read
/// the server's close_notify, close with an RST (SO_LINGER 0: no
/// TIME_WAIT, as in tcp_accepts). Handshakes per second.
task<void> handshake_client(net::address to, net::tls_context ctx, int n, double* per_s) {
    const auto t0 = io_clock::now();
    for (int i = 0; i < n; ++i) {
        auto t = co_await connect_tls(to, ctx, "tls_handshakes");
        co_await read_until_close_notify(t, "tls_handshakes");
        const linger reset{1, 0};
        ::setsockopt(t.native_handle(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
        t.close();
    }
    *per_s = n / std::chrono::duration<double>(io_clock::now() - t0).count();
}

void tls_handshakes(const bench::io_sizes& sz, std::uint32_t workers, const char* impl) {
    double per_s = 0;
    const int n = sz.tls_handshakes;
    coronet::runtime rt{{.workers = workers}};
    auto l = net::tcp_listener::bind(net::address::loopback(0));
    if (!l) throw std::system_error(l.error(), "tls_handshakes: listen");
    rt.spawn_opt(on_worker(workers - 1), handshake_server, &l.value(), server_context(), n);
    rt.spawn_opt(on_worker(0), handshake_client, l->local_address(), client_context(), n, &per_s);
    rt.run();
    bench::report("tls_handshakes", impl, "handshakes_per_s", per_s, 0);
}

}  // namespace

namespace bench {

bool is_coronet_tls_row(const std::string& name) {
    return name == "tls_echo_rt" || name == "tls_throughput" || name == "tls_handshakes";
}

void run_coronet_tls(const std::string& name, const io_sizes& sz, std::uint32_t workers,
                     const char* impl) {
    const bool first = workers == 1;  // the baseline runs once, with the one-worker row
    if (name == "tls_echo_rt") {
        tls_echo_rt(sz, workers, impl);
        if (first)
            report("tls_echo_rt", "blocking-threads", "ns_per_rt",
                   blocking_tls_echo(sz.tls_round_trips), 0);
    } else if (name == "tls_throughput") {
        tls_throughput(sz, workers, impl);
        if (first)
            report("tls_throughput", "blocking-threads", "mib_per_s",
                   blocking_tls_throughput(sz.tls_stream_bytes), 0);
    } else if (name == "tls_handshakes") {
        tls_handshakes(sz, workers, impl);
        if (first)
            report("tls_handshakes", "blocking-threads", "handshakes_per_s",
                   blocking_tls_handshakes(sz.tls_handshakes), 0);
    }
}

}  // namespace bench
