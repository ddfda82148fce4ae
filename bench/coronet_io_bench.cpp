// coronet side of the I/O benchmarks: tcp_echo_rt, tcp_throughput,
// tcp_accepts (coronet::net on the workers' epoll reactor) and file_read
// (preads on the blocking pool, and io_uring driven from a process).
// Their baselines without coronet are in bench_io.hpp and bench_file.hpp;
// caf_bench's caf_io_bench.cpp has the CAF broker baselines of the tcp rows.

#include "coronet_io_bench.hpp"

#include <sys/eventfd.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <span>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <vector>
#include <coronet/coronet.hpp>
#include <coronet/net.hpp>

#include "bench_file.hpp"
#include "bench_report.hpp"

namespace {

using bench::io_clock;
using coronet::task;
namespace net = coronet::net;

/// Bound on every wait of the I/O rows: a lost peer fails the run instead
/// of hanging it.
constexpr auto io_timeout = std::chrono::seconds(30);

double elapsed_ns(io_clock::time_point t0, io_clock::time_point t1) {
    return std::chrono::duration<double, std::nano>(t1 - t0).count();
}

coronet::spawn_options on_worker(std::uint32_t w) {
    return {.where = coronet::placement::pinned(w)};
}

// -- tcp_echo_rt --------------------------------------------------------------

/// Echoes echo_size-byte messages on the first connection until the client
/// closes.
task<void> echo_server(net::tcp_listener* l) {
    auto c = co_await l->accept(io_timeout);
    if (!c) throw std::system_error(c.error(), "tcp_echo_rt: accept");
    c->set_nodelay(true);
    char buf[bench::echo_size];
    for (;;) {
        const auto r = co_await c->read_exactly(std::span<char>(buf), io_timeout);
        if (r.ec) co_return;
        const auto w = co_await c->write_all(std::span<const char>(buf), io_timeout);
        if (w.ec) co_return;
    }
}

/// `n` round trips of echo_size bytes; ns per round trip.
task<void> echo_client(net::address to, int n, double* ns) {
    auto c = co_await net::tcp_stream::connect(to, io_timeout);
    if (!c) throw std::system_error(c.error(), "tcp_echo_rt: connect");
    c->set_nodelay(true);
    char buf[bench::echo_size] = {};
    auto t0 = io_clock::now();
    for (int i = 0; i < n; ++i) {
        std::memcpy(buf, &i, sizeof i);
        const auto w = co_await c->write_all(std::span<const char>(buf), io_timeout);
        const auto r = co_await c->read_exactly(std::span<char>(buf), io_timeout);
        int back = -1;
        std::memcpy(&back, buf, sizeof back);
        if (w.ec || r.ec || back != i) throw std::runtime_error("tcp_echo_rt: a wrong echo");
    }
    *ns = elapsed_ns(t0, io_clock::now()) / n;
}

/// Server on the last worker, client on the first: one worker runs both,
/// two put them on different threads.
void tcp_echo_rt(const bench::io_sizes& sz, std::uint32_t workers, const char* impl) {
    coronet::runtime rt{{.workers = workers}};
    double ns = 0;
    auto l = net::tcp_listener::bind(net::address::loopback(0));
    if (!l) throw std::system_error(l.error(), "tcp_echo_rt: listen");
    rt.spawn_opt(on_worker(workers - 1), echo_server, &l.value());
    rt.spawn_opt(on_worker(0), echo_client, l->local_address(), sz.tcp_round_trips, &ns);
    rt.run();
    bench::report("tcp_echo_rt", impl, "ns_per_rt", ns, 0);
}

// -- tcp_throughput -----------------------------------------------------------

/// Accepts one connection and reads stream_chunk bytes at a time until the
/// end of the stream; takes the time when it has `bytes`.
task<void> stream_reader(net::tcp_listener* l, std::size_t bytes, io_clock::time_point* done,
                         std::size_t* got) {
    auto c = co_await l->accept(io_timeout);
    if (!c) throw std::system_error(c.error(), "tcp_throughput: accept");
    c->set_nodelay(true);  // as CAF sets it on all its sockets
    std::vector<char> buf(bench::stream_chunk);
    for (;;) {
        const auto r = co_await c->read_some(std::span<char>(buf), io_timeout);
        if (r.ec) throw std::system_error(r.ec, "tcp_throughput: read");
        if (r.n == 0) co_return;
        if ((*got += r.n) == bytes) *done = io_clock::now();
    }
}

/// Connects and writes `bytes` in stream_chunk writes; the stream closes
/// with the frame.
task<void> stream_writer(net::address to, std::size_t bytes, io_clock::time_point* start) {
    auto c = co_await net::tcp_stream::connect(to, io_timeout);
    if (!c) throw std::system_error(c.error(), "tcp_throughput: connect");
    c->set_nodelay(true);
    const std::vector<char> chunk(bench::stream_chunk, 'x');
    *start = io_clock::now();
    for (std::size_t sent = 0; sent < bytes; sent += chunk.size()) {
        const auto w = co_await c->write_all(std::span<const char>(chunk), io_timeout);
        if (w.ec) throw std::system_error(w.ec, "tcp_throughput: write");
    }
}

/// Reader on the last worker, writer on the first; timed from the first
/// write until the reader has the last byte.
void tcp_throughput(const bench::io_sizes& sz, std::uint32_t workers, const char* impl) {
    coronet::runtime rt{{.workers = workers}};
    io_clock::time_point t0{}, t1{};
    std::size_t got = 0;
    auto l = net::tcp_listener::bind(net::address::loopback(0));
    if (!l) throw std::system_error(l.error(), "tcp_throughput: listen");
    rt.spawn_opt(on_worker(workers - 1), stream_reader, &l.value(), sz.stream_bytes, &t1, &got);
    rt.spawn_opt(on_worker(0), stream_writer, l->local_address(), sz.stream_bytes, &t0);
    rt.run();
    if (got != sz.stream_bytes)
        throw std::runtime_error("tcp_throughput: the reader got too little");
    bench::report("tcp_throughput", impl, "mib_per_s", bench::mib_per_s(got, t0, t1), 0);
}

// -- tcp_accepts --------------------------------------------------------------

/// Accepts `n` connections one after the other and closes each at once.
task<void> accept_close(net::tcp_listener* l, int n) {
    for (int i = 0; i < n; ++i) {
        auto c = co_await l->accept(io_timeout);
        if (!c) throw std::system_error(c.error(), "tcp_accepts: accept");
        c->close();
    }
}

/// One acceptor process against bench::connect_close_loop on a plain
/// thread (the same client as every other implementation of the row).
void tcp_accepts(const bench::io_sizes& sz, const char* impl) {
    coronet::runtime rt{{.workers = 1}};
    auto l = net::tcp_listener::bind(net::address::loopback(0));
    if (!l) throw std::system_error(l.error(), "tcp_accepts: listen");
    double per_s = 0;
    rt.spawn(accept_close, &l.value(), sz.connections);
    {
        // The jthread is joined also when rt.run() throws; a connector left
        // waiting for a close that never comes gives up after its receive
        // timeout.
        std::jthread connector([&per_s, port = l->local_address().port(), n = sz.connections] {
            per_s = bench::connect_close_loop(port, n);
        });
        rt.run();
    }
    if (per_s == 0) throw std::runtime_error("tcp_accepts: a connection failed");
    bench::report("tcp_accepts", impl, "conns_per_s", per_s, 0);
}

// -- file_read ----------------------------------------------------------------

ssize_t pread_chunk(int fd, char* buf, std::size_t size, std::size_t off) {
    return ::pread(fd, buf, size, off_t(off));
}

/// One process does the job, each pread a job on the default blocking pool
/// (one in flight). One untimed call first starts the pool's threads.
task<void> pool_read(bench::read_job j, bench::read_stats* out) {
    std::vector<char> buf(j.chunk);
    (void)co_await coronet::run_blocking(pread_chunk, j.fd, buf.data(), j.chunk, std::size_t{0});
    const auto t0 = io_clock::now();
    for (std::size_t pos = 0; pos < j.total; pos += j.chunk) {
        const std::size_t off = j.offset(pos);
        const ssize_t r =
            co_await coronet::run_blocking(pread_chunk, j.fd, buf.data(), j.chunk, off);
        if (r != ssize_t(j.chunk) || !bench::chunk_ok(buf.data(), off, j.chunk))
            throw std::runtime_error("file_read: a wrong pread");
    }
    *out = bench::read_stats_of(j, io_clock::now() - t0);
}

/// The same reads through coronet::net::file::read_at: a page-cache hit is
/// served on the worker (preadv2 RWF_NOWAIT), a miss goes to the pool. (The
/// file is already unlinked: opened again through /proc/self/fd.)
task<void> file_api_read(bench::read_job j, bench::read_stats* out) {
    auto f =
        co_await net::file::open("/proc/self/fd/" + std::to_string(j.fd), net::file_flags::read);
    if (!f) throw std::system_error(f.error(), "file_read: open");
    std::vector<char> buf(j.chunk);
    const auto t0 = io_clock::now();
    for (std::size_t pos = 0; pos < j.total; pos += j.chunk) {
        const std::size_t off = j.offset(pos);
        const net::io_result r = co_await f->read_at(off, std::span<char>(buf));
        if (r.ec || r.n != j.chunk || !bench::chunk_ok(buf.data(), off, j.chunk))
            throw std::runtime_error("file_read: a wrong file::read_at");
    }
    *out = bench::read_stats_of(j, io_clock::now() - t0);
}

#ifdef CORONET_BENCH_HAVE_URING

/// Closes a descriptor when it goes out of scope.
struct fd_guard {
    int fd;
    ~fd_guard() {
        if (fd >= 0) ::close(fd);
    }
};

/// io_uring driven from a process, as a reactor-integrated file API would
/// do it: the process submits on its worker and takes the completions that
/// are there; when none is, it waits on an eventfd registered with the
/// ring, on the worker's epoll reactor (wait_io), so the worker could run
/// other processes meanwhile.
task<void> uring_proc_read(bench::read_job j, unsigned depth, bench::read_stats* out) {
    bench::uring_reader r(j, depth);
    const fd_guard efd{::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)};
    if (efd.fd < 0 || io_uring_register_eventfd(r.ring(), efd.fd) != 0)
        throw std::runtime_error("file_read: no eventfd for the ring");
    const auto t0 = io_clock::now();
    while (!r.done()) {
        r.fill();
        if (io_uring_submit(r.ring()) < 0) throw std::runtime_error("file_read: io_uring_submit");
        while (r.reap() == 0) {
            if (co_await coronet::wait_io(efd.fd, coronet::io_events::readable, io_timeout) == 0)
                throw std::runtime_error("file_read: no io_uring completion");
            std::uint64_t count = 0;
            (void)::read(efd.fd, &count, sizeof count);  // re-arms the eventfd
        }
    }
    *out = bench::read_stats_of(j, io_clock::now() - t0);
}

#endif  // CORONET_BENCH_HAVE_URING

void report_read(const char* bench_name, const char* impl, const bench::read_stats& s) {
    bench::report(bench_name, impl, "mib_per_s", s.mib_per_s, 0);
    bench::report(bench_name, impl, "ns_per_read", s.ns_per_read, 0);
}

/// Reads sz.file_read_bytes from one file of sz.file_bytes in 64 KiB and
/// in 4 KiB chunks, every implementation one after the other on the same
/// (page-cached) file.
void file_read(const bench::io_sizes& sz) {
    const bench::temp_file file(sz.file_bytes);
    for (const std::size_t chunk : {std::size_t{64 * 1024}, std::size_t{4 * 1024}}) {
        const char* name = chunk == 64 * 1024 ? "file_read_64k" : "file_read_4k";
        const bench::read_job job{file.fd(), sz.file_bytes, sz.file_read_bytes, chunk};
        bench::read_stats s;
        {
            coronet::runtime rt{{.workers = 1}};
            rt.spawn(pool_read, job, &s);
            rt.run();
        }
        report_read(name, "coronet-pool", s);
        {
            coronet::runtime rt{{.workers = 1}};
            rt.spawn(file_api_read, job, &s);
            rt.run();
        }
        report_read(name, "coronet-file", s);
        report_read(name, "sync-pread", bench::sync_pread(job));
#ifdef CORONET_BENCH_HAVE_URING
        for (const unsigned depth : {1u, 8u}) {
            const std::string qd = "-qd" + std::to_string(depth);
            report_read(name, ("io_uring" + qd).c_str(), bench::uring_read(job, depth));
            coronet::runtime rt{{.workers = 1}};
            rt.spawn(uring_proc_read, job, depth, &s);
            rt.run();
            report_read(name, ("coronet-uring" + qd).c_str(), s);
        }
#endif
    }
#ifndef CORONET_BENCH_HAVE_URING
    std::fprintf(stderr, "file_read: built without liburing, no io_uring rows\n");
#endif
}

}  // namespace

namespace bench {

bool is_coronet_io_row(const std::string& name) {
    return name == "tcp_echo_rt" || name == "tcp_throughput" || name == "tcp_accepts" ||
           name == "file_read";
}

void run_coronet_io(const std::string& name, const io_sizes& sz, std::uint32_t workers,
                    const char* impl) {
    const bool first = workers == 1;  // the baselines run once, with the one-worker row
    if (name == "tcp_echo_rt") {
        tcp_echo_rt(sz, workers, impl);
        if (first)
            report("tcp_echo_rt", "blocking-threads", "ns_per_rt",
                   blocking_tcp_echo(sz.tcp_round_trips), 0);
    } else if (name == "tcp_throughput") {
        tcp_throughput(sz, workers, impl);
        if (first)
            report("tcp_throughput", "blocking-threads", "mib_per_s",
                   blocking_tcp_throughput(sz.stream_bytes), 0);
    } else if (name == "tcp_accepts") {
        tcp_accepts(sz, impl);
        report("tcp_accepts", "blocking-threads", "conns_per_s",
               blocking_tcp_accepts(sz.connections), 0);
    } else if (name == "file_read") {
        file_read(sz);
    }
}

}  // namespace bench
