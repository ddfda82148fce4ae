// CAF 0.17 baselines of coronet_bench's distribution rows: remote_pingpong
// and remote_throughput between two actor systems in this program, each
// with its middleman (BASP over TCP, 127.0.0.1). System B `publish`es an
// event-based actor on 127.0.0.1 port 0; system A gets a proxy of it with
// `remote_actor`, and an event-based actor of A ping-pongs with it or
// sends to it. The messages are plain uint64_t (a built-in CAF type: no
// registration); CAF's envelope carries the sender, so the ponger answers
// with its handler's return value.
//
// Configurations, the same on both systems: caf-1t / caf-2t are CAF's
// defaults (stealing scheduler, middleman.workers = 1 on this machine:
// inbound messages are deserialized by a BASP worker on the scheduler) with
// scheduler.max-threads 1 / 2; caf-tuned is the latency configuration of
// docs/caf017/FINDINGS.md (scheduler.policy = sharing,
// middleman.workers = 0: deserialized and delivered on the multiplexer
// thread) with two threads, as in the tcp rows.
//
// remote_pingpong_tls and remote_throughput_tls do the same over
// caf::openssl (docs/caf017/FINDINGS.md §6): both systems load
// openssl::manager with the build's node.pem / node.key (serverAuth and
// clientAuth: one certificate serves both ends) and ca.pem, so TLS is
// mutual, and B publishes with openssl::publish, A connects with
// openssl::remote_actor. (caf/openssl/unpublish.hpp does not compile in
// 0.17.6, and nothing here needs it.)
//
// ~actor_system waits for every actor, and a published actor never quits by
// itself: every actor of a run gets an exit when the run ends, also when it
// throws (exit_guard), so a failed run cannot hang the executable. With
// TLS, ~actor_system also waits for an accepted connection whose handshake
// never finished, until the peer closes it (FINDINGS §8): before the
// systems go, the TLS runs shut down the connections accepted on B's port,
// as coronet's node does.

#include "caf_remote_bench.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>

#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/openssl/remote_actor.hpp>

#include "bench_certs.hpp"
#include "bench_report.hpp"
#include "caf_bench_util.hpp"

namespace {

using bench::elapsed_ns;
using bench::exit_guard;

using start_atom = caf::atom_constant<caf::atom("start")>;
using done_atom = caf::atom_constant<caf::atom("done")>;

using bench::remote_clock;

/// Waits for a `done` of the run's actors, at most `timeout`.
void await_done(caf::scoped_actor& self, const char* bench, std::chrono::seconds timeout) {
    bool done = false;
    self->receive([&](done_atom) { done = true; }, caf::after(timeout) >> [] {});
    if (!done) throw std::runtime_error(std::string(bench) + ": the CAF actors timed out");
}

/// `impl`'s settings; with `tls`, caf::openssl with the test node
/// certificate (checked readable first: CAF aborts at the first connection
/// on a missing key, FINDINGS §6).
caf::actor_system_config& configure(caf::actor_system_config& cfg, const std::string& impl,
                                    bool tls) {
    cfg.load<caf::io::middleman>();
    cfg.set("scheduler.max-threads", std::size_t{impl == "caf-1t" ? 1u : 2u});
    if (impl == "caf-tuned") {
        cfg.set("scheduler.policy", caf::atom("sharing"));
        cfg.set("middleman.workers", std::size_t{0});
    }
    if (tls) {
        cfg.load<caf::openssl::manager>();
        cfg.set("openssl.certificate", bench::readable_test_cert("node.pem"));
        cfg.set("openssl.key", bench::readable_test_cert("node.key"));
        cfg.set("openssl.cafile", bench::readable_test_cert("ca.pem"));
    }
    return cfg;
}

/// Shuts down (both ways) every connected socket of this process whose
/// local port is `port`: the connections B accepted. What CAF still holds
/// of them then ends at once, so ~actor_system cannot wait on a TLS
/// handshake that never finished (FINDINGS §8; as coronet's node does).
void shut_down_accepted(std::uint16_t port) noexcept {
    DIR* d = ::opendir("/proc/self/fd");
    if (!d) return;
    while (const dirent* e = ::readdir(d)) {
        char* end = nullptr;
        const long fd = std::strtol(e->d_name, &end, 10);
        if (end == e->d_name || *end != '\0' || fd == ::dirfd(d)) continue;
        struct stat st {};
        if (::fstat(int(fd), &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
        int listening = 0;
        socklen_t len = sizeof listening;
        if (::getsockopt(int(fd), SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0 || listening)
            continue;
        sockaddr_in a{};
        socklen_t alen = sizeof a;
        if (::getsockname(int(fd), reinterpret_cast<sockaddr*>(&a), &alen) == 0 &&
            a.sin_family == AF_INET && ntohs(a.sin_port) == port)
            ::shutdown(int(fd), SHUT_RDWR);
    }
    ::closedir(d);
}

/// The two nodes of a run: B (the published actor's) and A. A is destroyed
/// first, then B; with TLS, B's accepted connections are shut down before.
struct system_pair {
    bool tls;
    std::uint16_t port = 0;  ///< B's, once connect() published
    caf::actor_system_config cfg_b, cfg_a;
    caf::actor_system b, a;
    system_pair(const std::string& impl, bool use_tls)
        : tls(use_tls), b{configure(cfg_b, impl, use_tls)}, a{configure(cfg_a, impl, use_tls)} {}
    system_pair(const system_pair&) = delete;
    system_pair& operator=(const system_pair&) = delete;
    ~system_pair() {
        if (tls && port != 0) shut_down_accepted(port);
    }

    /// Publishes `whom` (an actor of B) on 127.0.0.1, port 0, and returns
    /// A's proxy of it (over TLS with `tls`: the handshake is done when it
    /// returns).
    caf::actor connect(const caf::actor& whom, const char* bench) {
        const auto published = tls ? caf::openssl::publish(whom, 0, "127.0.0.1")
                                   : b.middleman().publish(whom, 0, "127.0.0.1");
        if (!published)
            throw std::runtime_error(std::string(bench) +
                                     ": publish: " + b.render(published.error()));
        port = *published;
        auto proxy = tls ? caf::openssl::remote_actor(a, "127.0.0.1", port)
                         : a.middleman().remote_actor("127.0.0.1", port);
        if (!proxy)
            throw std::runtime_error(std::string(bench) +
                                     ": remote_actor: " + a.render(proxy.error()));
        return *proxy;
    }
};

// -- remote_pingpong ----------------------------------------------------------

struct ping_run {
    int warmup = 0;
    int n = 0;
    remote_clock::time_point t0, t1;
    caf::actor done_to;
};

/// On B: the answer is the handler's return value, sent back to the
/// sender (A's pinger, through B's proxy of it).
caf::behavior remote_ponger(caf::event_based_actor*) {
    return {[](std::uint64_t x) { return x; }};
}

/// On A: sends 0, and each answer's successor, until warmup + n round
/// trips; the clock starts when the last warm-up answer is in.
caf::behavior remote_pinger(caf::event_based_actor* self, caf::actor pong,
                            std::shared_ptr<ping_run> run) {
    return {
        [=](start_atom) {
            if (run->warmup == 0) run->t0 = remote_clock::now();
            self->send(pong, std::uint64_t{0});
        },
        [=](std::uint64_t x) {
            if (x + 1 == std::uint64_t(run->warmup)) run->t0 = remote_clock::now();
            if (x + 1 < std::uint64_t(run->warmup + run->n)) {
                self->send(pong, x + 1);
                return;
            }
            run->t1 = remote_clock::now();
            self->send(run->done_to, done_atom::value);
            self->quit();
        },
    };
}

/// remote_pingpong, or with `tls` remote_pingpong_tls (reported as `row`).
void remote_pingpong(const std::string& row, bool tls, const std::string& impl,
                     const bench::remote_sizes& sz) {
    system_pair sys(impl, tls);
    const exit_guard pong{sys.b.spawn(remote_ponger)};
    const caf::actor proxy = sys.connect(pong.a, row.c_str());
    caf::scoped_actor self{sys.a};
    auto run = std::make_shared<ping_run>();
    run->warmup = sz.warmup;
    run->n = sz.round_trips;
    run->done_to = caf::actor{self};
    const exit_guard ping{sys.a.spawn(remote_pinger, proxy, run)};
    self->send(ping.a, start_atom::value);
    await_done(self, row.c_str(), bench::remote_timeout);
    bench::report(row, impl, "ns_per_rt", elapsed_ns(run->t0, run->t1) / run->n, 0);
}

// -- remote_throughput --------------------------------------------------------

struct count_run {
    int n = 0;
    int got = 0;
    bool in_order = true;
    remote_clock::time_point t1;
    caf::actor done_to;
};

/// On B: counts the messages, checks their order, takes the time at the
/// last one.
caf::behavior remote_counter(caf::event_based_actor* self, std::shared_ptr<count_run> run) {
    return {[=](std::uint64_t x) {
        if (x != std::uint64_t(run->got)) run->in_order = false;
        if (++run->got < run->n) return;
        run->t1 = remote_clock::now();
        self->send(run->done_to, done_atom::value);
    }};
}

/// On A: sends `n` messages in one handler, in a plain loop (as
/// caf_bench's counting producer), then quits.
caf::behavior remote_blaster(caf::event_based_actor* self, caf::actor sink, int n) {
    return {[=](start_atom) {
        for (int i = 0; i < n; ++i) self->send(sink, std::uint64_t(i));
        self->quit();
    }};
}

/// Timed from the start message to the blaster until the counter has the
/// last message. With `tls`: remote_throughput_tls (reported as `row`).
void remote_throughput(const std::string& row, bool tls, const std::string& impl,
                       const bench::remote_sizes& sz) {
    system_pair sys(impl, tls);
    const bench::rss_probe rss;
    caf::scoped_actor waiter{sys.b};
    auto run = std::make_shared<count_run>();
    run->n = sz.messages;
    run->done_to = caf::actor{waiter};
    const exit_guard sink{sys.b.spawn(remote_counter, run)};
    const caf::actor proxy = sys.connect(sink.a, row.c_str());
    const exit_guard source{sys.a.spawn(remote_blaster, proxy, sz.messages)};
    const auto t0 = remote_clock::now();
    caf::anon_send(source.a, start_atom::value);
    // The whole run, not one message: bounded by what CAF was measured at
    // (> 150 000 msgs/s), with room.
    await_done(waiter, row.c_str(),
               bench::remote_timeout + std::chrono::seconds(sz.messages / 10'000));
    const long long growth = rss.peak_growth();
    if (!run->in_order) throw std::runtime_error(row + ": messages out of order (CAF)");
    bench::report(row, impl, "msgs_per_s", sz.messages / (elapsed_ns(t0, run->t1) * 1e-9), 0);
    bench::report(row, impl, "bytes_per_msg", double(growth) / sz.messages, 0);
}

}  // namespace

namespace bench {

bool is_caf_remote_row(const std::string& name) {
    return is_row_of(name, remote_rows);
}

void run_caf_remote(const std::string& name, const remote_sizes& sz) {
    if (!is_caf_remote_row(name)) return;
    const bool tls = name.ends_with("_tls");
    for (const std::string impl : {"caf-1t", "caf-2t", "caf-tuned"}) {
        if (name.starts_with("remote_pingpong"))
            remote_pingpong(name, tls, impl, sz);
        else if (name.starts_with("remote_throughput"))
            remote_throughput(name, tls, impl, sz);
    }
}

}  // namespace bench
