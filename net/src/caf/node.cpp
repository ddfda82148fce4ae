// node: coronet's distribution over CAF 0.17 (the only CAF code of coronet;
// see docs/caf017/FINDINGS.md for what was measured about CAF).
//
// Each node has one CAF actor_system with its middleman and one
// actor_companion, the gateway, published on the listen port. A connect is
// remote_actor plus a hello exchange, which maps the peer's coronet node id
// (from its name) to its gateway's handle. A send to a pid of another node
// goes through the runtime's remote route (node_router below): the message
// is encoded (serialize.hpp) into an envelope string and sent to the peer's
// gateway with send_as; the peer's gateway, on CAF's network thread (one,
// with middleman.workers = 0), decodes it and delivers it into the target's
// mailbox (deliver_remote). Control messages (hello, whereis) are CAF
// atoms with strings and integers, which CAF carries without registration.

#include "coronet/net/node.hpp"

#include <caf/actor_companion.hpp>
#include <caf/all.hpp>
#include <caf/io/all.hpp>
#include <caf/openssl/manager.hpp>
#include <caf/openssl/publish.hpp>
#include <caf/openssl/remote_actor.hpp>
#include <caf/scoped_execution_unit.hpp>

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include "../node_tls.hpp"
#include "coronet/call.hpp"
#include "coronet/detail/remote_route.hpp"
#include "coronet/exit_reason.hpp"
#include "coronet/net/hmac.hpp"
#include "coronet/receive.hpp"
#include "coronet/runtime.hpp"
#include "coronet/self.hpp"
#include "coronet/serialize.hpp"

namespace coronet::net::wire {

/// The answer to a spawn_on: the new process, or why there is none.
struct spawn_result {
    pid spawned;
    std::string error;
    template <class F>
    friend void fields(F& f, spawn_result& r) {
        f(r.spawned, r.error);
    }
};

}  // namespace coronet::net::wire

CORONET_SERIALIZABLE(coronet::net::wire::spawn_result, "coronet.node.spawn_result");

namespace coronet::net::wire {

/// The answer to an ask: the service's bytes, or why there are none.
struct ask_result {
    std::string answer;
    std::string error;
    template <class F>
    friend void fields(F& f, ask_result& r) {
        f(r.answer, r.error);
    }
};

}  // namespace coronet::net::wire

CORONET_SERIALIZABLE(coronet::net::wire::ask_result, "coronet.node.ask_result");

namespace coronet::net {

bool openssl_error_queue_fix() noexcept;  // (openssl_error_queue.cpp)

namespace {

/// The envelope's version: nodes of another version refuse each other
/// (middleman.app-identifiers), and an envelope of another version is
/// dropped with a log line.
constexpr std::uint8_t envelope_version = 1;
constexpr const char* app_identifier = "coronet-wire-1";

// (CAF 0.17 atoms: at most 10 characters.)
constexpr caf::atom_value hello_atom = caf::atom("c.hello");
constexpr caf::atom_value hello_back_atom = caf::atom("c.hello2");
constexpr caf::atom_value hello_proof_atom = caf::atom("c.hello3");
constexpr caf::atom_value batch_atom = caf::atom("c.batch");
constexpr caf::atom_value ack_atom = caf::atom("c.ack");
constexpr caf::atom_value whereis_atom = caf::atom("c.whereis");
constexpr caf::atom_value spawn_atom = caf::atom("c.spawn");
constexpr caf::atom_value spawn_link_atom = caf::atom("c.spawnl");
constexpr caf::atom_value spawn_cancel_atom = caf::atom("c.spawnx");
constexpr caf::atom_value ask_atom = caf::atom("c.ask");
constexpr caf::atom_value flush_atom = caf::atom("c.flush");
constexpr caf::atom_value flushed_atom = caf::atom("c.flushed");

/// What a batch carries: records of [kind u8][length u32][body], after
/// the envelope version byte. Everything a process sends to another node
/// (messages and the signals of monitors and links) goes into its worker's
/// batch for that node, so that one order per pair holds (MO-4).
enum class rec : std::uint8_t { msg = 1, monitor, demonitor, down, link, unlink, exit };

/// A worker's batch for one node is sent when its round ends, or once it
/// holds this much.
constexpr std::size_t batch_bytes = 64 * 1024;
/// The receiver acknowledges what it delivered once this much came.
constexpr std::size_t ack_bytes = 64 * 1024;

caf::timespan to_timespan(duration d) {
    return std::chrono::duration_cast<caf::timespan>(d);
}

struct node_config : caf::actor_system_config {
    explicit node_config(const node_options& o) {
        load<caf::io::middleman>();
        // The latency settings (docs/caf017/FINDINGS.md): the gateway's
        // handler runs on the one network thread, no scheduling hop.
        set("scheduler.policy", caf::atom("sharing"));
        set("scheduler.max-threads", std::size_t{1});
        set("scheduler.max-throughput", std::size_t{100});
        set("middleman.workers", std::size_t{0});
        set("middleman.heartbeat-interval", to_timespan(o.heartbeat));
        set("middleman.connection-timeout", to_timespan(o.connection_timeout));
        // (CAF refuses a peer whose list shares no entry with ours.)
        set("middleman.app-identifiers",
            std::vector<std::string>{std::string(app_identifier) + "/" + o.cluster});
        set("logger.verbosity", caf::atom("quiet"));
        if (o.tls) {
            load<caf::openssl::manager>();
            set("openssl.certificate", o.tls->certificate_file);
            set("openssl.key", o.tls->private_key_file);
            set("openssl.cafile", o.tls->ca_file);
            if (!o.tls->passphrase.empty()) set("openssl.passphrase", o.tls->passphrase);
        }
    }
};

std::string pid_bytes(const pid& p) {
    std::string out;
    wire_writer w(out);
    wire_write(w, p);
    return out;
}

pid pid_of_bytes(const std::string& s) {
    wire_reader r(s);
    pid p;
    wire_read(r, p);
    return p;
}

/// What crosses nodes of an exit reason besides its kind: its text, and
/// an exception's what() (the exception itself stays).
std::string reason_text(const exit_reason& r) {
    if (!r.error) return r.detail;
    try {
        std::rethrow_exception(r.error);
    } catch (const std::exception& e) {
        return r.detail.empty() ? e.what() : r.detail + ": " + e.what();
    } catch (...) {
        return r.detail;
    }
}

/// CAF 0.17 with TLS: ~actor_system waits for a connection whose TLS
/// handshake never finished (a peer that connected and said nothing) until
/// that peer closes: the multiplexer spins in that session's handshake
/// (docs/caf017/FINDINGS.md §8). So every socket of this process on our
/// port is shut down: the listener (no more accepts) and each accepted
/// connection, also one CAF accepts while it stops (~node sweeps until the
/// system is gone).
///
/// The sweep runs next to CAF's threads, which open and close sockets as it
/// reads the descriptor table. Each descriptor is first copied
/// (F_DUPFD_CLOEXEC): the copy holds one socket, so the port check and the
/// shutdown see the same socket even if CAF closes the number meanwhile and
/// the number is reused. The calls go to the kernel directly (syscall):
/// its descriptor table is thread-safe, but ThreadSanitizer models each
/// descriptor number as memory and reported this read against CAF's close
/// of the same number as a race (CI, FINDINGS §13) -- the very reuse the
/// copy rules out.
void shut_down_accepted(std::uint16_t port) noexcept {
    DIR* d = ::opendir("/proc/self/fd");
    if (!d) return;
    const int own = ::dirfd(d);
    while (const dirent* e = ::readdir(d)) {
        char* end = nullptr;
        const long fd = std::strtol(e->d_name, &end, 10);
        if (end == e->d_name || *end != '\0' || fd == own) continue;
        const long copy = ::syscall(SYS_fcntl, fd, F_DUPFD_CLOEXEC, 0L);
        if (copy < 0) continue;  // closed meanwhile
        int listening = 0;
        socklen_t len = sizeof listening;
        sockaddr_storage a{};
        socklen_t alen = sizeof a;
        // (getsockopt fails with ENOTSOCK for anything but a socket)
        if (::syscall(SYS_getsockopt, copy, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 &&
            ::syscall(SYS_getsockname, copy, reinterpret_cast<sockaddr*>(&a), &alen) == 0) {
            std::uint16_t local = 0;
            if (a.ss_family == AF_INET)
                local = ntohs(reinterpret_cast<const sockaddr_in*>(&a)->sin_port);
            else if (a.ss_family == AF_INET6)
                local = ntohs(reinterpret_cast<const sockaddr_in6*>(&a)->sin6_port);
            if (local == port && local != 0)
                ::syscall(SYS_shutdown, copy, listening ? SHUT_RD : SHUT_RDWR);
        }
        ::syscall(SYS_close, copy);
    }
    ::closedir(d);
}

/// Set while try_send sends: that send must not pause its process.
thread_local bool no_pause = false;

void log_drop(const std::string& why) {
    std::fprintf(stderr, "coronet node: dropped a message: %s\n", why.c_str());
}

}  // namespace

struct node::impl final : detail::remote_router {
    runtime& rt;
    node_options options;
    std::string name;
    node_config cfg;
    caf::actor_system sys;
    caf::actor gateway;
    caf::actor_companion* companion = nullptr;
    std::uint16_t port = 0;

    /// Flow control towards one peer: bytes sent (or batched) and not yet
    /// acknowledged; over the window, senders pause at their next
    /// suspension point (detail::flow_gate) until acks bring it below half.
    struct peer_flow {
        std::atomic<std::size_t> outstanding{0};
        std::shared_ptr<detail::flow_gate> gate = std::make_shared<detail::flow_gate>();
        std::size_t unacked_in = 0;     ///< received from it, not yet acknowledged (CAF thread)
        std::atomic<bool> dead{false};  ///< its node was lost: its gate stays open
    };
    struct peer {
        std::string name;
        caf::actor gateway;
        std::string address;  ///< where it says it listens ("host:port")
        std::shared_ptr<peer_flow> flow = std::make_shared<peer_flow>();
    };
    mutable std::shared_mutex peers_m;
    std::map<std::uint64_t, peer> peers;  ///< by coronet node id

    std::mutex hello_m;  ///< connect's wait for the peer's hello back
    std::condition_variable hello_cv;
    /// connect id -> the peer's name, or nullopt when the secret check failed
    std::map<std::uint64_t, std::optional<std::string>> hello_backs;
    std::map<std::uint64_t, std::string> hello_nonces;  ///< connect id -> our challenge (secret)
    /// Hellos that passed their first half (a secret is set): waiting for
    /// the peer's proof, by its gateway (at most 256; under hello_m).
    struct pending_hello {
        std::string challenge;  ///< what we asked the peer to sign
        std::uint64_t id = 0;
        std::string name;
        std::string addresses;
    };
    std::map<caf::actor_addr, pending_hello> pending_hellos;
    std::set<std::uint64_t> flushes_owed;      ///< ~node's round trips in flight
    std::set<std::uint64_t> hellos_abandoned;  ///< connects that timed out

    std::atomic<std::uint64_t> next_id{1};

    /// Monitors of our processes on other nodes' processes, by the
    /// target's node: each owes its watcher one down, noconnection when
    /// that node is lost.
    struct watch {
        pid watcher;
        std::uint64_t id;
        pid target;
        friend bool operator<(const watch& a, const watch& b) {
            return std::tie(a.watcher, a.id) < std::tie(b.watcher, b.id);
        }
    };
    std::mutex watches_m;
    std::map<std::uint64_t, std::set<watch>> watches;
    /// Links between our processes and other nodes' ones, by the remote
    /// node: (local, remote). Each local one gets an exit signal with
    /// noconnection when that node is lost. (Guarded by watches_m; an entry
    /// left after its link ended only costs a signal the process ignores.)
    std::map<std::uint64_t, std::set<std::pair<pid, pid>>> links;

    std::map<std::string, std::string> heard;  ///< name -> address, from hellos (under peers_m)

    /// What a hello carries besides the name: our address, then one line
    /// "name address" per peer.
    std::string hello_addresses() const {
        std::string out = options.hidden ? std::string() : own_address();
        const std::shared_lock lock(peers_m);
        for (const auto& [id, p] : peers)
            if (!p.address.empty()) out += "\n" + p.name + " " + p.address;
        return out;
    }

    std::string own_address() const {
        std::string host = options.advertise_host;
        if (host.empty())
            host = options.listen_host == "0.0.0.0" || options.listen_host.empty()
                       ? "127.0.0.1"
                       : options.listen_host;
        return host + ":" + std::to_string(port);
    }

    /// A hello's addresses: the sender's (returned), and what it has heard.
    std::string take_addresses(const std::string& text) {
        std::size_t start = 0;
        std::string first;
        std::vector<std::pair<std::string, std::string>> lines;
        while (start <= text.size()) {
            const std::size_t end = std::min(text.find('\n', start), text.size());
            const std::string line = text.substr(start, end - start);
            if (first.empty() && start == 0) {
                first = line;
            } else if (const auto sp = line.find(' '); sp != std::string::npos && sp > 0) {
                lines.emplace_back(line.substr(0, sp), line.substr(sp + 1));
            }
            start = end + 1;
        }
        const std::unique_lock lock(peers_m);
        for (auto& [n, a] : lines)
            if (n != name && heard.size() < 4096) heard[n] = a;  // (bounded)
        return first;
    }

    std::mutex watchers_m;
    std::map<std::uint64_t, node::peer_watcher> watchers;

    /// Tells the peer watchers (outside every other lock).
    void tell_watchers(const std::string& peer_name, bool up) noexcept {
        std::vector<node::peer_watcher> fns;
        try {
            const std::lock_guard lock(watchers_m);
            for (const auto& [id, fn] : watchers) fns.push_back(fn);
        } catch (...) {
            return;
        }
        for (const auto& fn : fns) {
            try {
                fn(peer_name, up);
            } catch (...) {  // (a watcher must not throw into CAF's thread)
            }
        }
    }

    std::mutex spawnables_m;
    std::map<std::string, node::spawner, std::less<>> spawnables;
    std::map<std::string, node::service, std::less<>> services;  ///< (under spawnables_m)

    /// An ask from another node: the service's answer, or why not.
    wire::ask_result answer(const std::string& service, const std::string& request) {
        node::service fn;
        {
            const std::lock_guard lock(spawnables_m);
            if (auto it = services.find(service); it != services.end()) fn = it->second;
        }
        if (!fn) return {{}, "no service \"" + service + "\" on node " + name};
        try {
            return {fn(request), {}};
        } catch (const std::exception& e) {
            return {{}, service + ": " + e.what()};
        } catch (...) {
            return {{}, service + ": a non-standard exception"};
        }
    }

    /// Per worker, its batches by node id: only that worker's thread
    /// touches its map (and ~node, once the router is removed).
    std::vector<std::map<std::uint64_t, std::string>> outs;
    std::atomic<std::uint64_t> lost_bytes{0};  ///< batched for a node lost before they went
    std::atomic<std::uint64_t> pauses{0};      ///< times a window filled up

    impl(runtime& r, node_options o)
        : rt(r),
          options(std::move(o)),
          name(r.node_name()),
          cfg(options),
          sys(cfg),
          outs(detail::worker_count(r)) {}

    impl(const impl&) = delete;
    impl& operator=(const impl&) = delete;
    ~impl() = default;

    /// A node said hello: its gateway. The same node id again (the node
    /// restarted, or a second node took its name) replaces the old
    /// connection, which counts as lost first: its monitors get their
    /// noconnection, none is left waiting.
    void add_peer(std::uint64_t id, std::string peer_name, caf::actor gw, std::string address) {
        caf::actor old;
        {
            const std::lock_guard wl(watches_m);  // (lock order: watches_m, then peers_m)
            const std::unique_lock lock(peers_m);
            if (auto it = peers.find(id); it != peers.end() && it->second.gateway != gw)
                old = it->second.gateway;
        }
        if (old) node_lost(old.address());
        bool fresh = false;
        {
            const std::lock_guard wl(watches_m);
            const std::unique_lock lock(peers_m);
            if (auto it = peers.find(id); it == peers.end() || it->second.gateway != gw) {
                peers[id] = peer{peer_name, gw, address};
                if (!address.empty()) heard[peer_name] = address;
                fresh = true;
            }
        }
        companion->monitor(gw);  // after the insert: a gateway already dead is found
        if (fresh) tell_watchers(peer_name, true);
    }

    /// Every monitor owed by `lost` gets noconnection, once.
    void tell_lost(const std::set<watch>& owed, const std::string& why) noexcept {
        for (const watch& w : owed) {
            try {
                detail::deliver_remote_down(rt, w.watcher, w.id, w.target,
                                            exit_reason{exit_kind::noconnection, nullptr, why});
            } catch (...) {  // (out of memory: the others still get theirs)
            }
        }
    }

    /// The peer whose gateway is gone: forgotten, and every monitor of one
    /// of its processes gets noconnection.
    void node_lost(const caf::actor_addr& gw) {
        std::uint64_t lost = 0;
        std::string lost_name;
        std::set<watch> owed;
        std::set<std::pair<pid, pid>> linked;
        std::shared_ptr<peer_flow> flow;
        {
            // Under watches_m too: a monitor being added either sees the
            // peer gone or has its watch in the set taken here.
            const std::lock_guard wl(watches_m);
            const std::unique_lock lock(peers_m);
            for (auto it = peers.begin(); it != peers.end(); ++it) {
                if (it->second.gateway.address() == gw) {
                    lost = it->first;
                    lost_name = it->second.name;
                    flow = it->second.flow;
                    peers.erase(it);
                    break;
                }
            }
            if (lost == 0) return;
            if (auto it = watches.find(lost); it != watches.end()) {
                owed = std::move(it->second);
                watches.erase(it);
            }
            if (auto it = links.find(lost); it != links.end()) {
                linked = std::move(it->second);
                links.erase(it);
            }
        }
        std::fprintf(stderr, "coronet node %s: lost node %s (%zu monitors, %zu links told)\n",
                     name.c_str(), lost_name.c_str(), owed.size(), linked.size());
        tell_lost(owed, "node " + lost_name + " lost");
        tell_links_lost(linked, "node " + lost_name + " lost");
        tell_watchers(lost_name, false);
        flow->dead.store(true);
        flow->gate->open(rt);  // (its paused senders go on: their sends are dead letters now)
    }

    /// Every local process linked to a process of a lost node gets an exit
    /// signal from it with noconnection.
    void tell_links_lost(const std::set<std::pair<pid, pid>>& pairs,
                         const std::string& why) noexcept {
        for (const auto& [local, remote] : pairs) {
            try {
                detail::deliver_remote_exit(
                    rt, local, remote, exit_reason{exit_kind::noconnection, nullptr, why}, true);
            } catch (...) {
            }
        }
    }

    /// A control request to the connected node `node_name`, answered with
    /// a call_reply<R> (whereis, spawn_on, ask): `send(gateway, from)`
    /// sends it. call_error noconnection when it is not connected or is
    /// lost meanwhile, timeout when no answer comes.
    template <class R, class Send>
    task<R> control_call(std::string node_name, duration timeout, Send send) {
        const std::optional<std::uint64_t> id = id_named(node_name);
        if (!id)
            throw call_error(call_errc::noconnection, "node " + node_name + " is not connected");
        co_return co_await detail::call_with<R>(
            detail::node_pid(*id),
            [&](const reply_address& from) {
                if (const caf::actor gw = gateway_of(*id)) send(gw, from);
            },
            timeout);
    }

    /// spawn_on (`how` spawn_atom) or spawn_link_on (spawn_link_atom). A
    /// spawn_link_on that times out asks that node to undo it
    /// (spawn_cancel_atom): a process that started all the same is unlinked
    /// from the caller and killed, so the caller never gets the exit of a
    /// process it never heard of.
    task<pid> spawn_request(std::string node_name, std::string function, std::string args,
                            duration timeout, caf::atom_value how) {
        reply_address sent;
        caf::actor to;
        wire::spawn_result r;
        try {
            r = co_await control_call<wire::spawn_result>(
                node_name, timeout, [&](const caf::actor& gw, const reply_address& from) {
                    sent = from;
                    to = gw;
                    caf::send_as(gateway, gw, how, function, args, from.alias,
                                 pid_bytes(from.caller));
                });
        } catch (const call_error& e) {
            if (how == spawn_link_atom && e.code() == call_errc::timeout && to)
                caf::send_as(gateway, to, spawn_cancel_atom, sent.alias, pid_bytes(sent.caller));
            throw;
        }
        if (!r.error.empty()) throw spawn_error("coronet spawn_on " + node_name + ": " + r.error);
        co_return r.spawned;
    }

    // ------------------------------------------------ sending: batches and credits

    /// The flow state of the connected node `node_id`, or null.
    std::shared_ptr<peer_flow> flow_of(std::uint64_t node_id) const {
        const std::shared_lock lock(peers_m);
        const auto it = peers.find(node_id);
        return it == peers.end() ? nullptr : it->second.flow;
    }

    /// Appends one record for `node_id` (connected: `flow` is its flow) to
    /// the calling worker's batch (a plain thread's record goes at once);
    /// `body` writes it. Counts it against the peer's window, and pauses
    /// the sending process when the window is full.
    template <class Body>
    void emit(std::uint64_t node_id, const std::shared_ptr<peer_flow>& flow, rec kind,
              Body&& body) {
        const int w = detail::current_worker_index(rt);
        std::string single;
        std::string& buf = w >= 0 ? outs[static_cast<std::size_t>(w)][node_id] : single;
        if (buf.empty()) buf.push_back(static_cast<char>(envelope_version));
        const std::size_t start = buf.size();
        buf.push_back(static_cast<char>(kind));
        buf.append(4, '\0');
        try {
            wire_writer out(buf);
            body(out);
        } catch (...) {
            buf.resize(start);
            if (buf.size() == 1) buf.clear();
            throw;
        }
        const std::size_t len = buf.size() - start - 5;
        if (len > 0xffffffffu) {
            buf.resize(start);
            throw wire_error("coronet node: a message over 4 GiB");
        }
        for (int b = 0; b < 4; ++b)
            buf[start + 1 + static_cast<std::size_t>(b)] =
                static_cast<char>((len >> (8 * b)) & 0xff);
        const std::size_t now = flow->outstanding.fetch_add(len + 5) + len + 5;
        if (now > options.send_window && !no_pause) {
            if (!flow->gate->closed()) pauses.fetch_add(1, std::memory_order_relaxed);
            flow->gate->close();
            // An ack (or the node's loss) may have come between the add and
            // the close, and found the gate open: look again.
            if (flow->dead.load() || flow->outstanding.load() <= options.send_window / 2)
                flow->gate->open(rt);
            else
                detail::throttle_current(flow->gate);
        }
        if (w < 0 || buf.size() >= batch_bytes) send_batch(node_id, buf);
    }

    /// Sends `buf` (a batch for `node_id`) and empties it. A batch for a
    /// node that is gone is dropped: the monitors and links of its
    /// processes got noconnection, and the messages count as lost.
    void send_batch(std::uint64_t node_id, std::string& buf) {
        if (buf.empty()) return;
        const caf::actor gw = gateway_of(node_id);
        if (!gw) {
            lost_bytes.fetch_add(buf.size(), std::memory_order_relaxed);
            std::fprintf(stderr,
                         "coronet node %s: dropped %zu bytes of messages for a node that is gone\n",
                         name.c_str(), buf.size());
            buf.clear();
            return;
        }
        caf::send_as(gateway, gw, batch_atom, rt.node_id(), std::move(buf));
        buf.clear();
    }

    /// remote_router: worker `w`'s round ended.
    void flush(std::uint32_t w) override {
        for (auto& [node_id, buf] : outs[w]) send_batch(node_id, buf);
    }

    static void write_reason(wire_writer& out, const exit_reason& r) {
        out.integer(static_cast<std::uint64_t>(r.kind));
        wire_write(out, reason_text(r));
    }

    // remote_router: any sending thread.
    void route(const pid& to, detail::message* m) override {
        struct owned {
            detail::message* m;
            ~owned() {
                if (m) detail::free_message(m);
            }
        } own{m};
        const auto flow = flow_of(to.node);  // (one look-up per message)
        if (!flow) {
            if (!m->type->encode) {  // (not_serializable: the sender's error comes first)
                std::string unused;
                encode_message(*m, unused);
            }
            detail::deliver_remote(rt, to, std::exchange(own.m, nullptr));  // a dead letter
            return;
        }
        emit(to.node, flow, rec::msg, [&](wire_writer& out) {
            wire_write(out, to);
            encode_message(*m, out.buffer());
        });
    }

    // remote_router, monitors: worker threads.
    void monitor(const pid& target, const pid& watcher, std::uint64_t id) override {
        std::shared_ptr<peer_flow> flow;
        {
            // The lookup and the insert under one lock with node_lost.
            const std::lock_guard lock(watches_m);
            flow = flow_of(target.node);
            if (flow) watches[target.node].insert(watch{watcher, id, target});
        }
        if (!flow) {
            detail::deliver_remote_down(
                rt, watcher, id, target,
                exit_reason{exit_kind::noconnection, nullptr, "its node is not connected"});
            return;
        }
        // (a monitor of the node itself stays here: it only waits for a loss)
        if (target.serial != detail::node_serial)
            emit(target.node, flow, rec::monitor, [&](wire_writer& out) {
                wire_write(out, target);
                wire_write(out, watcher);
                out.integer(id);
            });
    }

    void demonitor(const pid& target, const pid& watcher, std::uint64_t id) override {
        {
            const std::lock_guard lock(watches_m);
            if (auto it = watches.find(target.node); it != watches.end())
                it->second.erase(watch{watcher, id, target});
        }
        if (target.serial == detail::node_serial) return;
        const auto flow = flow_of(target.node);
        if (!flow) return;
        emit(target.node, flow, rec::demonitor, [&](wire_writer& out) {
            wire_write(out, target);
            wire_write(out, watcher);
            out.integer(id);
        });
    }

    void down(const pid& watcher, std::uint64_t id, const pid& who,
              const exit_reason& reason) override {
        // (a watcher whose node is gone learns of it there: nothing to send)
        const auto flow = flow_of(watcher.node);
        if (!flow) return;
        emit(watcher.node, flow, rec::down, [&](wire_writer& out) {
            wire_write(out, watcher);
            out.integer(id);
            wire_write(out, who);
            write_reason(out, reason);
        });
    }

    // remote_router, links: worker threads.
    void link(const pid& target, const pid& from) override {
        if (!send_link(target, from))
            detail::deliver_remote_exit(
                rt, from, target,
                exit_reason{exit_kind::noconnection, nullptr, "its node is not connected"}, true);
    }

    /// Records the link of `from` (ours) to `target` (of a connected node)
    /// and sends it there: that node's flow, or null (not connected: nothing
    /// recorded or sent).
    std::shared_ptr<peer_flow> send_link(const pid& target, const pid& from) {
        std::shared_ptr<peer_flow> flow;
        {
            const std::lock_guard lock(watches_m);  // (as monitor: no loss in between)
            flow = flow_of(target.node);
            if (flow) links[target.node].insert({from, target});
        }
        if (flow)
            emit(target.node, flow, rec::link, [&](wire_writer& out) {
                wire_write(out, target);
                wire_write(out, from);
            });
        return flow;
    }

    void unlink(const pid& target, const pid& from) override {
        forget_link(from, target);
        const auto flow = flow_of(target.node);
        if (!flow) return;
        emit(target.node, flow, rec::unlink, [&](wire_writer& out) {
            wire_write(out, target);
            wire_write(out, from);
        });
    }

    void exit(const pid& target, const pid& from, const exit_reason& reason,
              bool via_link) override {
        if (via_link) forget_link(from, target);
        // (a target whose node is gone learns of it there: nothing to send)
        const auto flow = flow_of(target.node);
        if (!flow) return;
        emit(target.node, flow, rec::exit, [&](wire_writer& out) {
            wire_write(out, target);
            wire_write(out, from);
            write_reason(out, reason);
            wire_write(out, via_link);
        });
    }

    void forget_link(const pid& local, const pid& remote) {
        const std::lock_guard lock(watches_m);
        if (auto it = links.find(remote.node); it != links.end()) it->second.erase({local, remote});
    }

    static exit_kind kind_of(std::uint64_t k) {
        if (k > static_cast<std::uint64_t>(exit_kind::swap_failed))
            throw wire_error("an unknown exit kind");
        return static_cast<exit_kind>(k);
    }

    caf::actor gateway_of(std::uint64_t node_id) const {
        const std::shared_lock lock(peers_m);
        const auto it = peers.find(node_id);
        return it == peers.end() ? caf::actor() : it->second.gateway;
    }

    std::optional<std::uint64_t> id_named(const std::string& n) const {
        const std::shared_lock lock(peers_m);
        for (const auto& [id, p] : peers)
            if (p.name == n) return id;
        return std::nullopt;
    }

    // ------------------------------------------------ receiving: CAF's network thread

    /// A batch from node `from`: each record delivered in order. A record
    /// that does not decode is dropped with a log line; the others go on.
    void on_batch(std::uint64_t from, const std::string& bytes, const caf::actor& sender,
                  const caf::strong_actor_ptr& sender_ptr) {
        // Records may only speak for the node that sent them.
        if (id_of_gateway(sender_ptr) != from)
            throw wire_error("a batch from a gateway that is not node " + std::to_string(from));
        // Credits back, whatever the batch holds: what arrived no longer
        // counts against the sender's window (also when it did not decode).
        struct ack_at_end {
            impl& self;
            std::uint64_t from;
            std::size_t n;
            const caf::actor& sender;
            ~ack_at_end() { self.credit(from, n, sender); }
        } ack{*this, from, bytes.empty() ? 0 : bytes.size() - 1, sender};
        wire_reader r(bytes);
        const auto version = r.integer<std::uint8_t>();
        if (version != envelope_version)
            throw wire_error("a batch of version " + std::to_string(version));
        while (r.remaining() != 0) {
            const auto kind = r.integer<std::uint8_t>();
            const auto len = r.integer<std::uint32_t>();
            const std::string_view body = r.take(len);
            try {
                on_record(from, static_cast<rec>(kind), body);
            } catch (const std::exception& e) {
                log_drop(e.what());
            }
        }
    }

    /// Counts `n` bytes received from node `from`, and acknowledges them
    /// in steps of ack_bytes.
    void credit(std::uint64_t from, std::size_t n, const caf::actor& sender) noexcept {
        try {
            if (const auto flow = flow_of(from)) {
                flow->unacked_in += n;
                if (flow->unacked_in >= ack_bytes) {
                    caf::send_as(gateway, sender, ack_atom, rt.node_id(),
                                 static_cast<std::uint64_t>(flow->unacked_in));
                    flow->unacked_in = 0;
                }
            }
        } catch (...) {  // (out of memory: acknowledged with a later batch)
        }
    }

    /// The node id of the connected node whose gateway `a` is; 0 if none.
    std::uint64_t id_of_gateway(const caf::strong_actor_ptr& a) const {
        if (!a) return 0;
        const std::shared_lock lock(peers_m);
        for (const auto& [id, p] : peers)
            if (caf::actor_cast<caf::strong_actor_ptr>(p.gateway) == a) return id;
        return 0;
    }

    void on_record(std::uint64_t from, rec kind, std::string_view body) {
        wire_reader r(body);
        const std::uint64_t here = rt.node_id();
        // A record names a process here and one of the sending node: a peer
        // cannot speak for a third node, nor make this node signal one.
        auto check = [&](const pid& local, const pid& remote) {
            if (local.node != here || remote.node != from)
                throw wire_error("a record for pids of other nodes (" + to_string(local) + ", " +
                                 to_string(remote) + ")");
        };
        auto read_pid = [&] {
            pid p;
            wire_read(r, p);
            return p;
        };
        auto read_reason = [&] {
            const exit_kind k = kind_of(r.integer<std::uint64_t>());
            std::string text;
            wire_read(r, text);
            return exit_reason{k, nullptr, std::move(text)};
        };
        switch (kind) {
            case rec::msg: {
                const pid to = read_pid();
                if (to.node != here) throw wire_error("a message for another node's pid");
                const std::size_t header = body.size() - r.remaining();
                detail::deliver_remote(rt, to, decode_message(body.substr(header)));
                return;
            }
            case rec::monitor:
            case rec::demonitor: {
                const pid target = read_pid();
                const pid watcher = read_pid();
                const auto id = r.integer<std::uint64_t>();
                check(target, watcher);
                if (kind == rec::monitor)
                    detail::deliver_remote_monitor(rt, target, watcher, id);
                else
                    detail::deliver_remote_demonitor(rt, target, watcher, id);
                return;
            }
            case rec::down: {
                const pid watcher = read_pid();
                const auto id = r.integer<std::uint64_t>();
                const pid who = read_pid();
                exit_reason reason = read_reason();
                check(watcher, who);
                {
                    const std::lock_guard lock(watches_m);
                    if (auto it = watches.find(who.node); it != watches.end())
                        it->second.erase(watch{watcher, id, who});
                }
                // (an exception does not cross nodes: its text does)
                detail::deliver_remote_down(rt, watcher, id, who, std::move(reason));
                return;
            }
            case rec::link:
            case rec::unlink: {
                const pid target = read_pid();
                const pid other = read_pid();
                check(target, other);
                if (kind == rec::link) {
                    {
                        const std::lock_guard lock(watches_m);
                        links[other.node].insert({target, other});
                    }
                    detail::deliver_remote_link(rt, target, other);
                } else {
                    forget_link(target, other);
                    detail::deliver_remote_unlink(rt, target, other);
                }
                return;
            }
            case rec::exit: {
                const pid target = read_pid();
                const pid other = read_pid();
                exit_reason reason = read_reason();
                bool via_link = false;
                wire_read(r, via_link);
                check(target, other);
                if (via_link) forget_link(target, other);
                detail::deliver_remote_exit(rt, target, other, std::move(reason), via_link);
                return;
            }
        }
        throw wire_error("a record of unknown kind " + std::to_string(static_cast<int>(kind)));
    }

    /// Node `from` acknowledged `n` bytes: senders paused by its window go
    /// on once half of it is free.
    void on_ack(std::uint64_t from, std::uint64_t n) {
        const auto flow = flow_of(from);
        if (!flow) return;
        // (never below 0: bytes counted against an earlier connection of
        // the same node may be acknowledged by the new one)
        std::size_t had = flow->outstanding.load();
        std::size_t left = 0;
        do {
            left = had > n ? had - n : 0;
        } while (!flow->outstanding.compare_exchange_weak(had, left));
        if (flow->gate->closed() && left <= options.send_window / 2) flow->gate->open(rt);
    }

    // The gateway's mailbox: CAF's network thread.
    void on_message(caf::mailbox_element& x) {
        auto& c = x.content();
        try {
            if (c.match_elements<caf::atom_value, std::uint64_t, std::string>() &&
                c.get_as<caf::atom_value>(0) == batch_atom) {
                on_batch(c.get_as<std::uint64_t>(1), c.get_as<std::string>(2),
                         caf::actor_cast<caf::actor>(x.sender), x.sender);
            } else if (c.match_elements<caf::atom_value, std::uint64_t, std::uint64_t>() &&
                       c.get_as<caf::atom_value>(0) == ack_atom) {
                if (id_of_gateway(x.sender) == c.get_as<std::uint64_t>(1))  // (no spoofing)
                    on_ack(c.get_as<std::uint64_t>(1), c.get_as<std::uint64_t>(2));
            } else if (c.match_elements<caf::atom_value, std::string, std::uint64_t, std::uint64_t,
                                        std::string, std::string>() &&
                       c.get_as<caf::atom_value>(0) == hello_atom) {
                // A node connected: say who we are (and whom we know:
                // gossip), then remember it.
                on_hello(x.sender, c.get_as<std::string>(1), c.get_as<std::uint64_t>(2),
                         c.get_as<std::uint64_t>(3), c.get_as<std::string>(4),
                         c.get_as<std::string>(5));
            } else if (c.match_elements<caf::atom_value, std::string, std::uint64_t, std::uint64_t,
                                        std::string, std::string>() &&
                       c.get_as<caf::atom_value>(0) == hello_back_atom) {
                on_hello_back(x.sender, c.get_as<std::string>(1), c.get_as<std::uint64_t>(2),
                              c.get_as<std::uint64_t>(3), c.get_as<std::string>(4),
                              c.get_as<std::string>(5));
            } else if (c.match_elements<caf::atom_value, std::uint64_t, std::string>() &&
                       c.get_as<caf::atom_value>(0) == hello_proof_atom) {
                on_hello_proof(x.sender, c.get_as<std::string>(2));
            } else if (c.match_elements<caf::atom_value, std::string, std::uint64_t,
                                        std::string>() &&
                       c.get_as<caf::atom_value>(0) == whereis_atom) {
                const pid asker = pid_of_bytes(c.get_as<std::string>(3));
                const std::optional<pid> found = rt.whereis(c.get_as<std::string>(1));
                rt.send(asker,
                        detail::call_reply<pid>{c.get_as<std::uint64_t>(2), found.value_or(pid{})});
            } else if (c.match_elements<caf::atom_value, std::string, std::string, std::uint64_t,
                                        std::string>() &&
                       (c.get_as<caf::atom_value>(0) == spawn_atom ||
                        c.get_as<caf::atom_value>(0) == spawn_link_atom)) {
                const pid asker = pid_of_bytes(c.get_as<std::string>(4));
                const bool linked = c.get_as<caf::atom_value>(0) == spawn_link_atom;
                const std::uint64_t call = c.get_as<std::uint64_t>(3);
                wire::spawn_result r =
                    spawn_here(c.get_as<std::string>(1), c.get_as<std::string>(2), asker, linked);
                if (linked && r.error.empty()) remember_linked_spawn(asker, call, r.spawned);
                rt.send(asker, detail::call_reply<wire::spawn_result>{call, std::move(r)});
            } else if (c.match_elements<caf::atom_value, std::uint64_t, std::string>() &&
                       c.get_as<caf::atom_value>(0) == spawn_cancel_atom) {
                cancel_linked_spawn(pid_of_bytes(c.get_as<std::string>(2)),
                                    c.get_as<std::uint64_t>(1));
            } else if (c.match_elements<caf::atom_value, std::string, std::string, std::uint64_t,
                                        std::string>() &&
                       c.get_as<caf::atom_value>(0) == ask_atom) {
                const pid asker = pid_of_bytes(c.get_as<std::string>(4));
                rt.send(asker, detail::call_reply<wire::ask_result>{
                                   c.get_as<std::uint64_t>(3),
                                   answer(c.get_as<std::string>(1), c.get_as<std::string>(2))});
            } else if (c.match_elements<caf::atom_value, std::uint64_t>() &&
                       c.get_as<caf::atom_value>(0) == flush_atom) {
                caf::send_as(gateway, caf::actor_cast<caf::actor>(x.sender), flushed_atom,
                             c.get_as<std::uint64_t>(1));
            } else if (c.match_elements<caf::atom_value, std::uint64_t>() &&
                       c.get_as<caf::atom_value>(0) == flushed_atom) {
                {
                    const std::lock_guard lock(hello_m);
                    flushes_owed.erase(c.get_as<std::uint64_t>(1));
                }
                hello_cv.notify_all();
            } else if (c.match_elements<caf::down_msg>()) {
                node_lost(c.get_as<caf::down_msg>(0).source);
            } else if (c.match_elements<caf::exit_msg>()) {
            } else {
                log_drop("an unknown control message " + c.stringify());
            }
        } catch (const std::exception& e) {
            log_drop(e.what());  // never throws into CAF's network thread
        } catch (...) {
            log_drop("a non-standard exception");
        }
    }

    /// A node's hello must carry the id of its name (pids carry the id):
    /// another id would let it pose as a third node.
    /// The proof of the secret for `challenge`, from `from` to `to`
    /// (`kind` tells the two directions apart), as hex.
    std::string secret_proof(std::string_view kind, const std::string& challenge,
                             const std::string& from, const std::string& to) const {
        const auto tag = hmac_sha256(options.secret,
                                     std::string(kind) + "|" + challenge + "|" + from + "|" + to);
        return to_hex(tag.data(), tag.size());
    }
    static std::string to_hex(const std::uint8_t* p, std::size_t n) {
        static const char digits[] = "0123456789abcdef";
        std::string out;
        for (std::size_t i = 0; i < n; ++i) {
            out.push_back(digits[p[i] >> 4]);
            out.push_back(digits[p[i] & 15]);
        }
        return out;
    }
    static std::string fresh_challenge() {
        const std::vector<std::uint8_t> b = random_bytes(16);
        return to_hex(b.data(), b.size());
    }
    static bool same_proof(const std::string& a, const std::string& b) noexcept {
        return a.size() == b.size() &&
               hmac_equal({reinterpret_cast<const std::uint8_t*>(a.data()), a.size()},
                          {reinterpret_cast<const std::uint8_t*>(b.data()), b.size()});
    }

    /// A hello (the connecting node's first message). Without a secret on
    /// either side, the node is a peer at once. With one: the hello back
    /// carries this node's proof for the peer's challenge and a challenge
    /// of its own; the peer becomes one when its proof comes (hello_proof).
    void on_hello(const caf::strong_actor_ptr& from, const std::string& peer_name, std::uint64_t id,
                  std::uint64_t hello_id, const std::string& addresses,
                  const std::string& their_challenge) {
        check_hello(peer_name, id);
        const auto gw = caf::actor_cast<caf::actor>(from);
        const std::string mine = hello_addresses();  // (before it is a peer)
        if (options.secret.empty() != their_challenge.empty()) {
            std::fprintf(stderr, "coronet node %s: refused node %s: %s\n", name.c_str(),
                         peer_name.c_str(),
                         options.secret.empty() ? "it has a cluster secret, this node has none"
                                                : "it does not have the cluster secret");
            caf::send_as(gateway, gw, hello_back_atom, name, rt.node_id(), hello_id, mine,
                         std::string("refused"));
            return;
        }
        if (options.secret.empty()) {
            // The hello back goes first: what this node sends the peer once
            // it is one (a watcher's first request) must not overtake the
            // hello back, or the peer, not knowing this node yet, drops it.
            caf::send_as(gateway, gw, hello_back_atom, name, rt.node_id(), hello_id, mine,
                         std::string());
            add_peer(id, peer_name, gw, take_addresses(addresses));
            return;
        }
        pending_hello p{fresh_challenge(), id, peer_name, addresses};
        const std::string auth =
            p.challenge + ":" + secret_proof("hello-back", their_challenge, name, peer_name);
        {
            const std::lock_guard lock(hello_m);
            if (pending_hellos.size() >= 256) pending_hellos.erase(pending_hellos.begin());
            pending_hellos[caf::actor_cast<caf::actor_addr>(from)] = std::move(p);
        }
        caf::send_as(gateway, gw, hello_back_atom, name, rt.node_id(), hello_id, mine, auth);
    }

    /// The answer to our hello: the peer, if its proof checks out (a
    /// secret), after our own proof went to it.
    void on_hello_back(const caf::strong_actor_ptr& from, const std::string& peer_name,
                       std::uint64_t id, std::uint64_t hello_id, const std::string& addresses,
                       const std::string& auth) {
        check_hello(peer_name, id);
        std::string our_challenge;
        {
            const std::lock_guard lock(hello_m);
            if (auto it = hello_nonces.find(hello_id); it != hello_nonces.end()) {
                our_challenge = std::move(it->second);
                hello_nonces.erase(it);
            }
        }
        const auto gw = caf::actor_cast<caf::actor>(from);
        bool ok = auth.empty() && options.secret.empty();
        if (!options.secret.empty() && auth != "refused" && !our_challenge.empty()) {
            const auto colon = auth.find(':');
            if (colon != std::string::npos &&
                same_proof(auth.substr(colon + 1),
                           secret_proof("hello-back", our_challenge, peer_name, name))) {
                // Our proof first: it must reach the peer before anything
                // this node sends it as a peer.
                caf::send_as(gateway, gw, hello_proof_atom, hello_id,
                             secret_proof("hello", auth.substr(0, colon), name, peer_name));
                ok = true;
            }
        }
        if (ok) {
            add_peer(id, peer_name, gw, take_addresses(addresses));
        } else {
            std::fprintf(stderr, "coronet node %s: refused node %s: %s\n", name.c_str(),
                         peer_name.c_str(),
                         auth == "refused"        ? "it refused this node's cluster secret"
                         : options.secret.empty() ? "it has a cluster secret, this node has none"
                                                  : "it does not have the cluster secret");
        }
        {
            const std::lock_guard lock(hello_m);
            if (hellos_abandoned.erase(hello_id) == 0)
                hello_backs[hello_id] = ok ? std::optional<std::string>(peer_name) : std::nullopt;
        }
        hello_cv.notify_all();
    }

    /// The connecting node's proof of the secret: then it is a peer.
    void on_hello_proof(const caf::strong_actor_ptr& from, const std::string& proof) {
        pending_hello p;
        {
            const std::lock_guard lock(hello_m);
            const auto it = pending_hellos.find(caf::actor_cast<caf::actor_addr>(from));
            if (it == pending_hellos.end()) return;
            p = std::move(it->second);
            pending_hellos.erase(it);
        }
        if (!same_proof(proof, secret_proof("hello", p.challenge, p.name, name))) {
            std::fprintf(stderr, "coronet node %s: refused node %s: a wrong secret proof\n",
                         name.c_str(), p.name.c_str());
            return;
        }
        add_peer(p.id, p.name, caf::actor_cast<caf::actor>(from), take_addresses(p.addresses));
    }

    static void check_hello(const std::string& peer_name, std::uint64_t id) {
        if (id != detail::node_id_of(peer_name))
            throw wire_error("a hello from \"" + peer_name + "\" with another node's id");
    }

    /// spawn_link_on: links `child` (of this node, just spawned) to `asker`
    /// (of another node) before the answer leaves. The asker's node hears
    /// of the link first (a link record, sent at once from this thread),
    /// then the child does; so an exit of the child, even a noproc because
    /// it already ended, reaches the asker after the link. An asker whose
    /// node is not connected, or is lost meanwhile, ends the child with
    /// noconnection: lost between the two steps, node_lost's exit could
    /// reach the child before its link, so the flow is checked again after.
    void link_spawned(const pid& child, const pid& asker) {
        const exit_reason lost{exit_kind::noconnection, nullptr,
                               "the node of the process that spawned it is not connected"};
        const std::shared_ptr<peer_flow> flow = send_link(asker, child);
        if (!flow) {
            detail::deliver_remote_exit(rt, child, asker, lost, false);
            return;
        }
        detail::deliver_remote_link(rt, child, asker);
        if (flow_of(asker.node) != flow) detail::deliver_remote_exit(rt, child, asker, lost, true);
    }

    /// The latest spawn_link_on answers (asker, its call, the child), for
    /// an asker that times out and cancels: bounded, oldest dropped (a
    /// child whose entry is gone stays linked, so it still ends with its
    /// asker). Any thread (under linked_spawns_m).
    struct linked_spawn {
        pid asker;
        std::uint64_t call = 0;
        pid child;
    };
    static constexpr std::size_t linked_spawns_kept = 1024;
    std::mutex linked_spawns_m;
    std::deque<linked_spawn> linked_spawns;

    void remember_linked_spawn(const pid& asker, std::uint64_t call, const pid& child) {
        const std::lock_guard lock(linked_spawns_m);
        if (linked_spawns.size() == linked_spawns_kept) linked_spawns.pop_front();
        linked_spawns.push_back({asker, call, child});
    }

    /// The asker of a spawn_link_on gave up (timeout): the child, if it
    /// started, is unlinked from it and killed.
    void cancel_linked_spawn(const pid& asker, std::uint64_t call) {
        pid child;
        {
            const std::lock_guard lock(linked_spawns_m);
            const auto it = std::find_if(
                linked_spawns.begin(), linked_spawns.end(),
                [&](const linked_spawn& s) { return s.asker == asker && s.call == call; });
            if (it == linked_spawns.end()) return;
            child = it->child;
            linked_spawns.erase(it);
        }
        detail::deliver_remote_unlink(rt, child, asker);
        unlink(asker, child);  // (the asker's side, and our record)
        detail::deliver_remote_exit(
            rt, child, asker,
            exit_reason{exit_kind::killed, nullptr, "spawn_link_on timed out at its caller"},
            false);
        std::fprintf(stderr, "coronet node %s: killed %s: %s's spawn_link_on timed out\n",
                     name.c_str(), to_string(child).c_str(), to_string(asker).c_str());
    }

    /// A spawn_on from another node: the function's process, or why not.
    wire::spawn_result spawn_here(const std::string& function, const std::string& args,
                                  const pid& asker, bool linked) {
        node::spawner fn;
        {
            const std::lock_guard lock(spawnables_m);
            if (auto it = spawnables.find(function); it != spawnables.end()) fn = it->second;
        }
        if (!fn) return {pid{}, "no function \"" + function + "\" on node " + name};
        try {
            const pid child = fn(rt, args);
            if (linked) link_spawned(child, asker);
            return {child, {}};
        } catch (const std::exception& e) {
            std::fprintf(stderr, "coronet node %s: spawn of %s for %s failed: %s\n", name.c_str(),
                         function.c_str(), to_string(asker).c_str(), e.what());
            return {pid{}, function + ": " + e.what()};
        } catch (...) {
            return {pid{}, function + ": a non-standard exception"};
        }
    }
};

std::unique_ptr<node> node::start(runtime& rt, node_options options) {
    if (options.listen_host != "127.0.0.1" && options.listen_host != "::1" &&
        options.listen_host != "localhost" && !options.tls && !options.allow_plaintext)
        throw std::system_error(std::make_error_code(std::errc::operation_not_permitted),
                                "coronet node: listening on " + options.listen_host +
                                    " in plain text: configure TLS (node_options::tls), or set "
                                    "node_options::allow_plaintext for a trusted network");
    if (options.send_window < 4 * ack_bytes)
        throw std::invalid_argument(
            "coronet node: send_window below " + std::to_string(4 * ack_bytes) +
            " bytes (a peer acknowledges every " + std::to_string(ack_bytes) + ")");
    // (CAF 0.17 aborts or hangs on bad TLS settings: check them first.)
    if (options.tls) {
        check_node_tls(*options.tls);
        (void)openssl_error_queue_fix();
    }
    if (rt.virtual_clock())
        throw std::invalid_argument(
            "coronet node: a runtime on the virtual clock cannot be a node (the network runs in "
            "real time)");
    auto p = std::make_unique<impl>(rt, std::move(options));
    p->gateway = p->sys.spawn<caf::actor_companion>();
    p->companion =
        static_cast<caf::actor_companion*>(caf::actor_cast<caf::abstract_actor*>(p->gateway));
    impl* self = p.get();
    p->companion->on_enqueue([self](caf::mailbox_element_ptr x) {
        if (x) self->on_message(*x);
    });
    auto port = p->options.tls ? caf::openssl::publish(p->gateway, p->options.port,
                                                       p->options.listen_host.c_str(), true)
                               : p->sys.middleman().publish(p->gateway, p->options.port,
                                                            p->options.listen_host.c_str(), true);
    if (!port) {
        const std::string why = p->sys.render(port.error());
        caf::scoped_execution_unit ctx{&p->sys};
        p->companion->cleanup(caf::make_error(caf::exit_reason::user_shutdown), &ctx);
        throw std::system_error(std::make_error_code(std::errc::address_in_use),
                                "coronet node: cannot listen: " + why);
    }
    p->port = *port;
    detail::set_remote_router(rt, p.get());
    return std::unique_ptr<node>(new node(std::move(p)));
}

node::node(std::unique_ptr<impl> p) noexcept : p_(std::move(p)) {}

node::~node() {
    detail::set_remote_router(p_->rt, nullptr);
    // What the workers batched goes first (no worker touches its batches
    // once the router is gone), and no sender stays paused.
    for (auto& batches : p_->outs)
        for (auto& [node_id, buf] : batches) p_->send_batch(node_id, buf);
    {
        std::vector<std::shared_ptr<impl::peer_flow>> flows;
        {
            const std::shared_lock lock(p_->peers_m);
            for (const auto& [id, p] : p_->peers) flows.push_back(p.flow);
        }
        for (const auto& f : flows) f->gate->open(p_->rt);
    }
    // CAF sends asynchronously: what was sent before the stop (the downs of
    // processes that just ended, say) could still be queued. A round trip
    // to every peer, in order behind them, at most 1 s in all.
    {
        std::vector<caf::actor> gws;
        {
            const std::shared_lock lock(p_->peers_m);
            for (const auto& [id, p] : p_->peers) gws.push_back(p.gateway);
        }
        std::unique_lock lock(p_->hello_m);
        for (const caf::actor& gw : gws) {
            const std::uint64_t id = p_->next_id++;
            p_->flushes_owed.insert(id);
            caf::send_as(p_->gateway, gw, flush_atom, id);
        }
        p_->hello_cv.wait_for(lock, std::chrono::seconds(1),
                              [&] { return p_->flushes_owed.empty(); });
    }
    // (docs/caf017/FINDINGS.md: only cleanup lets ~actor_system end.)
    p_->companion->on_enqueue([](caf::mailbox_element_ptr) {});
    caf::scoped_execution_unit ctx{&p_->sys};
    p_->companion->cleanup(caf::make_error(caf::exit_reason::user_shutdown), &ctx);
    // Monitors of other nodes' processes still owed a down get noconnection
    // (the router is gone: no new one can come).
    std::set<impl::watch> owed;
    std::set<std::pair<pid, pid>> linked;
    std::vector<std::string> gone;
    {
        const std::lock_guard wl(p_->watches_m);
        const std::unique_lock lock(p_->peers_m);
        for (const auto& [id, p] : p_->peers) gone.push_back(p.name);
        p_->peers.clear();
        for (auto& [node_id, ws] : p_->watches) owed.insert(ws.begin(), ws.end());
        p_->watches.clear();
        for (auto& [node_id, ls] : p_->links) linked.insert(ls.begin(), ls.end());
        p_->links.clear();
    }
    p_->tell_lost(owed, "this node stopped");
    p_->tell_links_lost(linked, "this node stopped");
    for (const std::string& g : gone) p_->tell_watchers(g, false);
    p_->gateway = caf::actor();
    if (p_->options.tls) {
        // (see shut_down_accepted: until the system is destroyed)
        std::atomic<bool> gone{false};
        const std::uint16_t port = p_->port;
        std::thread sweeper([&gone, port] {
            while (!gone.load()) {
                shut_down_accepted(port);
                std::this_thread::sleep_for(std::chrono::milliseconds(20));
            }
        });
        p_.reset();  // ~actor_system, on this thread
        gone.store(true);
        sweeper.join();
    }
    // (The actor system is destroyed with *p_, on this thread. Destroying
    // it on another thread was seen to hang in ~actor_system every time;
    // see the issue 7 notes.)
}

std::uint16_t node::port() const noexcept {
    return p_->port;
}

void node::forget(const std::string& name) {
    const std::unique_lock lock(p_->peers_m);
    for (const auto& [id, p] : p_->peers)
        if (p.name == name) return;
    p_->heard.erase(name);
}

bool node::is_hidden(const std::string& peer) const {
    const std::shared_lock lock(p_->peers_m);
    for (const auto& [id, p] : p_->peers)
        if (p.name == peer) return p.address.empty();
    return false;
}

const std::string& node::cluster_name() const noexcept {
    return p_->options.cluster;
}

const std::string& node::name() const noexcept {
    return p_->name;
}

result<std::string> node::connect(const std::string& host, std::uint16_t port) {
    // CAF 0.17 gives up a handshake not done within a heartbeat tick or two
    // (connection_timeout, after ~0.2 s with the default 100 ms), also when
    // the peer is merely busy: a loaded host failed 1 of 150 plain connects
    // that way (docs/caf017/FINDINGS.md §11). So that one error is tried
    // again, twice; a peer that really does not answer costs three ticks.
    constexpr int handshake_attempts = 3;
    caf::expected<caf::actor> gw{caf::actor()};
    std::string why;
    for (int attempt = 1; attempt <= handshake_attempts; ++attempt) {
        gw = p_->options.tls ? caf::openssl::remote_actor(p_->sys, host, port)
                             : p_->sys.middleman().remote_actor(host, port);
        if (gw) break;
        why = p_->sys.render(gw.error());
        std::fprintf(stderr, "coronet node %s: connect to %s:%u failed (attempt %d): %s\n",
                     p_->name.c_str(), host.c_str(), static_cast<unsigned>(port), attempt,
                     why.c_str());
        if (why.find("connection_timeout") == std::string::npos) break;
    }
    if (!gw) {
        if (why.find("incompatible_application_ids") != std::string::npos)
            return make_error_code(errc::incompatible_peer);
        if (why.find("disconnect_during_handshake") != std::string::npos)
            return make_error_code(errc::tls_refused);
        if (why.find("connection_timeout") != std::string::npos)
            return std::make_error_code(std::errc::timed_out);
        return std::make_error_code(std::errc::connection_refused);
    }
    const std::uint64_t id = p_->next_id++;
    std::string challenge;  // (with a secret: what the peer must sign)
    if (!p_->options.secret.empty()) {
        challenge = impl::fresh_challenge();
        const std::lock_guard lock(p_->hello_m);
        p_->hello_nonces[id] = challenge;
    }
    caf::send_as(p_->gateway, *gw, hello_atom, p_->name, p_->rt.node_id(), id,
                 p_->hello_addresses(), challenge);
    std::unique_lock lock(p_->hello_m);
    if (!p_->hello_cv.wait_for(lock, std::chrono::seconds(5),
                               [&] { return p_->hello_backs.count(id) != 0; })) {
        // (a hello back after this is dropped; the peer may still be added)
        p_->hellos_abandoned.insert(id);
        p_->hello_nonces.erase(id);
        return std::make_error_code(std::errc::timed_out);
    }
    std::optional<std::string> peer = std::move(p_->hello_backs[id]);
    p_->hello_backs.erase(id);
    if (!peer) return make_error_code(errc::secret_refused);
    return std::move(*peer);
}

runtime& node::runtime_of() const noexcept {
    return p_->rt;
}

node::unpaused::unpaused() noexcept : was_(no_pause) {
    no_pause = true;
}

node::unpaused::~unpaused() {
    no_pause = was_;
}

node_stats node::stats() const {
    return {p_->pauses.load(), p_->lost_bytes.load()};
}

std::size_t node::outstanding(const std::string& peer) const {
    const std::optional<std::uint64_t> id = p_->id_named(peer);
    if (!id) return 0;
    const auto flow = p_->flow_of(*id);
    return flow ? flow->outstanding.load() : 0;
}

bool node::has_room(const pid& to) const {
    const auto flow = p_->flow_of(to.node);
    return !flow || flow->outstanding.load() <= p_->options.send_window;
}

std::string node::address() const {
    return p_->own_address();
}

std::vector<std::pair<std::string, std::string>> node::heard_of() const {
    const std::shared_lock lock(p_->peers_m);
    return {p_->heard.begin(), p_->heard.end()};
}

std::uint64_t node::watch_peers(peer_watcher fn) {
    const std::lock_guard lock(p_->watchers_m);
    const std::uint64_t id = p_->next_id++;
    p_->watchers.emplace(id, std::move(fn));
    return id;
}

void node::unwatch_peers(std::uint64_t id) {
    const std::lock_guard lock(p_->watchers_m);
    p_->watchers.erase(id);
}

std::vector<std::string> node::peers() const {
    const std::shared_lock lock(p_->peers_m);
    std::vector<std::string> out;
    for (const auto& [id, p] : p_->peers) out.push_back(p.name);
    return out;
}

task<std::optional<pid>> node::whereis(std::string node_name, std::string name, duration timeout) {
    impl* p = p_.get();
    try {
        const pid found = co_await p->control_call<pid>(
            std::move(node_name), timeout, [&](const caf::actor& gw, const reply_address& from) {
                caf::send_as(p->gateway, gw, whereis_atom, name, from.alias,
                             pid_bytes(from.caller));
            });
        if (found) co_return found;
    } catch (const call_error&) {  // (not connected, lost, or no answer in time)
    }
    co_return std::nullopt;
}

void node::add_spawner(std::string function, spawner fn) {
    const std::lock_guard lock(p_->spawnables_m);
    p_->spawnables[std::move(function)] = std::move(fn);
}

task<pid> node::spawn_encoded(std::string node_name, std::string function, std::string args,
                              duration timeout) {
    return p_->spawn_request(std::move(node_name), std::move(function), std::move(args), timeout,
                             spawn_atom);
}

task<pid> node::spawn_link_encoded(std::string node_name, std::string function, std::string args,
                                   duration timeout) {
    return p_->spawn_request(std::move(node_name), std::move(function), std::move(args), timeout,
                             spawn_link_atom);
}

void node::add_service(std::string name, service fn) {
    const std::lock_guard lock(p_->spawnables_m);
    p_->services[std::move(name)] = std::move(fn);
}

task<std::string> node::ask(std::string node_name, std::string service, std::string request,
                            duration timeout) {
    impl* p = p_.get();
    const wire::ask_result r = co_await p->control_call<wire::ask_result>(
        node_name, timeout, [&](const caf::actor& gw, const reply_address& from) {
            caf::send_as(p->gateway, gw, ask_atom, service, request, from.alias,
                         pid_bytes(from.caller));
        });
    if (!r.error.empty()) throw service_error("coronet ask " + node_name + ": " + r.error);
    co_return r.answer;
}

}  // namespace coronet::net
