// CAF 0.17 broker baselines of coronet_bench's tcp rows. Both ends are
// brokers where CAF has a natural client (tcp_echo_rt, tcp_throughput);
// tcp_accepts' connector is bench::connect_close_loop on the driver thread,
// the plain blocking client every implementation of that row uses: CAF 0.17
// only connects with a blocking connect() (spawn_client on the calling
// thread, add_tcp_scribe on the multiplexer thread, which also accepts), so
// a CAF connector would be a blocking loop too.
//
// CAF 0.17 sets TCP_NODELAY on every socket it accepts or connects, so the
// brokers' connections have it without asking (coronet's and the blocking
// threads' data connections get it explicitly, so all run without Nagle).
//
// CAF runs every broker on the middleman's one multiplexer thread, not on
// the scheduler: both brokers of a row share that thread, as coronet's two
// processes share its one worker. The scheduler settings (impls caf-1t,
// caf-2t, caf-tuned) only touch the driver's scoped actor, and
// middleman.workers only BASP (remote actors), so the three differ by noise.

#include "caf_io_bench.hpp"

#include <chrono>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "bench_report.hpp"
#include "caf_bench_util.hpp"

namespace {

using bench::elapsed_ns;
using bench::exit_guard;

using done_atom = caf::atom_constant<caf::atom("done")>;
using port_atom = caf::atom_constant<caf::atom("port")>;

using bench::io_clock;
using caf::io::broker;
using caf::io::connection_handle;

/// Bound on the driver's waits: a broker that died fails the run instead of
/// hanging it.
constexpr auto io_timeout = std::chrono::seconds(30);

/// Opens the server broker's doorman on 127.0.0.1 with a port the kernel
/// picks, and tells `driver` the port (0: it failed). Not
/// middleman().spawn_server: it takes no address and listens on every
/// interface (the IPv6 wildcard).
bool open_doorman(broker* self, const caf::actor& driver) {
    auto d = self->add_tcp_doorman(0, "127.0.0.1");
    self->send(driver, port_atom::value, d ? d->second : std::uint16_t{0});
    if (!d) self->quit(d.error());
    return static_cast<bool>(d);
}

/// The port a server broker reports with open_doorman.
std::uint16_t await_port(caf::scoped_actor& self) {
    std::uint16_t port = 0;
    self->receive([&](port_atom, std::uint16_t p) { port = p; }, caf::after(io_timeout) >> [] {});
    if (port == 0) throw std::runtime_error("caf broker: no doorman on 127.0.0.1");
    return port;
}

void await_done(caf::scoped_actor& self, const char* bench) {
    bool done = false;
    self->receive([&](done_atom) { done = true; }, caf::after(io_timeout) >> [] {});
    if (!done) throw std::runtime_error(std::string(bench) + ": the CAF brokers timed out");
}

// -- tcp_echo_rt --------------------------------------------------------------

/// Shared by the driver and the client broker; the driver reads it after
/// the broker's done message.
struct echo_run {
    int n = 0;
    int round_trips = 0;
    bool failed = false;
    io_clock::time_point t0, t1;
    caf::actor driver;
};

/// Echoes each echo_size-byte message of its one connection (read with
/// receive_policy::exactly); quits when the client closes.
caf::behavior echo_server(broker* self, caf::actor driver) {
    if (!open_doorman(self, driver)) return {};
    return {
        [=](const caf::io::new_connection_msg& m) {
            self->configure_read(m.handle, caf::io::receive_policy::exactly(bench::echo_size));
        },
        [=](caf::io::new_data_msg& m) {
            self->write(m.handle, m.buf.size(), m.buf.data());
            self->flush(m.handle);
        },
        [=](const caf::io::connection_closed_msg&) { self->quit(); },
    };
}

void send_echo(broker* self, connection_handle hdl, int i) {
    char buf[bench::echo_size] = {};
    std::memcpy(buf, &i, sizeof i);
    self->write(hdl, sizeof buf, buf);
    self->flush(hdl);
}

/// Makes run->n round trips, each the next one from the reply's handler.
caf::behavior echo_client(broker* self, connection_handle hdl, std::shared_ptr<echo_run> run) {
    self->configure_read(hdl, caf::io::receive_policy::exactly(bench::echo_size));
    run->t0 = io_clock::now();
    send_echo(self, hdl, 0);
    return {
        [=](caf::io::new_data_msg& m) {
            int back = -1;
            std::memcpy(&back, m.buf.data(), sizeof back);
            if (back != run->round_trips) {
                run->failed = true;
            } else if (++run->round_trips < run->n) {
                send_echo(self, hdl, run->round_trips);
                return;
            }
            run->t1 = io_clock::now();
            self->send(run->driver, done_atom::value);
            self->quit();
        },
        [=](const caf::io::connection_closed_msg&) {
            run->failed = true;
            self->send(run->driver, done_atom::value);
            self->quit();
        },
    };
}

void tcp_echo_rt(caf::actor_system& sys, const std::string& impl, int n) {
    caf::scoped_actor self{sys};
    const exit_guard server{sys.middleman().spawn_broker(echo_server, caf::actor{self})};
    const std::uint16_t port = await_port(self);
    auto run = std::make_shared<echo_run>();
    run->n = n;
    run->driver = caf::actor{self};
    auto client = sys.middleman().spawn_client(echo_client, "127.0.0.1", port, run);
    if (!client) throw std::runtime_error("tcp_echo_rt: " + sys.render(client.error()));
    const exit_guard client_guard{*client};
    await_done(self, "tcp_echo_rt");
    if (run->failed) throw std::runtime_error("tcp_echo_rt: a wrong echo (CAF)");
    bench::report("tcp_echo_rt", impl, "ns_per_rt", elapsed_ns(run->t0, run->t1) / n, 0);
}

// -- tcp_throughput -----------------------------------------------------------

/// Shared by the driver and both brokers.
struct stream_run {
    std::size_t bytes = 0;
    std::size_t got = 0;    ///< reader: bytes received
    std::size_t sent = 0;   ///< writer: bytes handed to CAF
    std::size_t acked = 0;  ///< writer: bytes CAF has written to the socket
    io_clock::time_point t0, t1;
    caf::actor driver;
    std::vector<char> chunk = std::vector<char>(bench::stream_chunk, 'x');
};

/// Reads its one connection with receive_policy::at_most(stream_chunk)
/// (a new_data_msg per read of up to 64 KiB); tells the driver when it has
/// all the bytes.
caf::behavior stream_reader(broker* self, caf::actor driver, std::shared_ptr<stream_run> run) {
    if (!open_doorman(self, driver)) return {};
    return {
        [=](const caf::io::new_connection_msg& m) {
            self->configure_read(m.handle, caf::io::receive_policy::at_most(bench::stream_chunk));
        },
        [=](caf::io::new_data_msg& m) {
            if ((run->got += m.buf.size()) != run->bytes) return;
            run->t1 = io_clock::now();
            self->send(run->driver, done_atom::value);
        },
        [=](const caf::io::connection_closed_msg&) { self->quit(); },
    };
}

/// Bytes the writer lets CAF hold unwritten. A broker's write() only
/// appends to the connection's buffer (it would take all the bytes at once
/// and hold them in memory), so the writer paces itself by the
/// data_transferred_msg that ack_writes turns on.
constexpr std::size_t writer_window = 4 * bench::stream_chunk;

void top_up(broker* self, connection_handle hdl, stream_run& run) {
    if (run.sent == run.bytes || run.sent - run.acked >= writer_window) return;
    while (run.sent < run.bytes && run.sent - run.acked < writer_window) {
        self->write(hdl, run.chunk.size(), run.chunk.data());
        run.sent += run.chunk.size();
    }
    self->flush(hdl);
}

/// Writes run->bytes in stream_chunk writes; quits (which closes the
/// connection) once CAF has written all of them to the socket.
caf::behavior stream_writer(broker* self, connection_handle hdl, std::shared_ptr<stream_run> run) {
    self->ack_writes(hdl, true);
    run->t0 = io_clock::now();
    top_up(self, hdl, *run);
    return {
        [=](const caf::io::data_transferred_msg& m) {
            run->acked += m.written;
            if (run->acked == run->bytes)
                self->quit();
            else
                top_up(self, hdl, *run);
        },
        [=](const caf::io::connection_closed_msg&) { self->quit(); },
    };
}

void tcp_throughput(caf::actor_system& sys, const std::string& impl, std::size_t bytes) {
    caf::scoped_actor self{sys};
    auto run = std::make_shared<stream_run>();
    run->bytes = bytes;
    run->driver = caf::actor{self};
    const exit_guard reader{sys.middleman().spawn_broker(stream_reader, caf::actor{self}, run)};
    const std::uint16_t port = await_port(self);
    auto writer = sys.middleman().spawn_client(stream_writer, "127.0.0.1", port, run);
    if (!writer) throw std::runtime_error("tcp_throughput: " + sys.render(writer.error()));
    const exit_guard writer_guard{*writer};
    await_done(self, "tcp_throughput");
    bench::report("tcp_throughput", impl, "mib_per_s", bench::mib_per_s(bytes, run->t0, run->t1),
                  0);
}

// -- tcp_accepts --------------------------------------------------------------

/// Closes every connection as soon as it gets its new_connection_msg.
/// close() sends the FIN and detaches the connection from the broker (no
/// connection_closed_msg follows); the multiplexer closes the socket when
/// the client's RST comes.
caf::behavior accept_closer(broker* self, caf::actor driver) {
    if (!open_doorman(self, driver)) return {};
    return {
        [=](const caf::io::new_connection_msg& m) { self->close(m.handle); },
    };
}

void tcp_accepts(caf::actor_system& sys, const std::string& impl, int n) {
    caf::scoped_actor self{sys};
    const exit_guard server{sys.middleman().spawn_broker(accept_closer, caf::actor{self})};
    const double per_s = bench::connect_close_loop(await_port(self), n);
    if (per_s == 0) throw std::runtime_error("tcp_accepts: a connection failed (CAF)");
    bench::report("tcp_accepts", impl, "conns_per_s", per_s, 0);
}

// -- configurations -----------------------------------------------------------

/// An actor system with the middleman for `impl`: caf-1t / caf-2t are
/// CAF's defaults with scheduler.max-threads 1 / 2 (as every caf_bench
/// row); caf-tuned is the latency configuration of the design's
/// "Distribution over CAF" (scheduler.policy = sharing,
/// middleman.workers = 0) with two threads.
void with_io_system(const std::string& impl, const std::function<void(caf::actor_system&)>& body) {
    caf::actor_system_config cfg;
    cfg.load<caf::io::middleman>();
    cfg.set("scheduler.max-threads", std::size_t{impl == "caf-1t" ? 1u : 2u});
    if (impl == "caf-tuned") {
        cfg.set("scheduler.policy", caf::atom("sharing"));
        cfg.set("middleman.workers", std::size_t{0});
    }
    caf::actor_system sys{cfg};
    body(sys);
}

}  // namespace

namespace bench {

bool is_caf_io_row(const std::string& name) {
    return name == "tcp_echo_rt" || name == "tcp_throughput" || name == "tcp_accepts";
}

void run_caf_io(const std::string& name, const io_sizes& sz) {
    for (const std::string impl : {"caf-1t", "caf-2t", "caf-tuned"}) {
        with_io_system(impl, [&](caf::actor_system& sys) {
            if (name == "tcp_echo_rt")
                tcp_echo_rt(sys, impl, sz.tcp_round_trips);
            else if (name == "tcp_throughput")
                tcp_throughput(sys, impl, sz.stream_bytes);
            else if (name == "tcp_accepts")
                tcp_accepts(sys, impl, sz.connections);
        });
    }
}

}  // namespace bench
