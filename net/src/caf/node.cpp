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
#include <caf/scoped_execution_unit.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <tuple>
#include <utility>

#include "coronet/call.hpp"
#include "coronet/detail/remote_route.hpp"
#include "coronet/exit_reason.hpp"
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

namespace coronet::net {

namespace {

/// The envelope's version: nodes of another version refuse each other
/// (middleman.app-identifiers), and an envelope of another version is
/// dropped with a log line.
constexpr std::uint8_t envelope_version = 1;
constexpr const char* app_identifier = "coronet-wire-1";

// (CAF 0.17 atoms: at most 10 characters.)
constexpr caf::atom_value hello_atom = caf::atom("c.hello");
constexpr caf::atom_value hello_back_atom = caf::atom("c.hello2");
constexpr caf::atom_value msg_atom = caf::atom("c.msg");
constexpr caf::atom_value whereis_atom = caf::atom("c.whereis");
constexpr caf::atom_value monitor_atom = caf::atom("c.mon");
constexpr caf::atom_value demonitor_atom = caf::atom("c.demon");
constexpr caf::atom_value down_atom = caf::atom("c.down");
constexpr caf::atom_value spawn_atom = caf::atom("c.spawn");
constexpr caf::atom_value link_atom = caf::atom("c.link");
constexpr caf::atom_value unlink_atom = caf::atom("c.unlink");
constexpr caf::atom_value exit_atom = caf::atom("c.exit");
constexpr caf::atom_value flush_atom = caf::atom("c.flush");
constexpr caf::atom_value flushed_atom = caf::atom("c.flushed");

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

    struct peer {
        std::string name;
        caf::actor gateway;
    };
    mutable std::shared_mutex peers_m;
    std::map<std::uint64_t, peer> peers;  ///< by coronet node id

    std::mutex hello_m;  ///< connect's wait for the peer's hello back
    std::condition_variable hello_cv;
    std::map<std::uint64_t, std::string> hello_backs;  ///< connect id -> peer name
    std::set<std::uint64_t> flushes_owed;              ///< ~node's round trips in flight

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

    std::mutex spawnables_m;
    std::map<std::string, node::spawner, std::less<>> spawnables;

    impl(runtime& r, node_options o)
        : rt(r), options(std::move(o)), name(r.node_name()), cfg(options), sys(cfg) {}

    impl(const impl&) = delete;
    impl& operator=(const impl&) = delete;
    ~impl() = default;

    /// A node said hello: its gateway. The same node id again (the node
    /// restarted, or a second node took its name) replaces the old
    /// connection, which counts as lost first: its monitors get their
    /// noconnection, none is left waiting.
    void add_peer(std::uint64_t id, std::string peer_name, caf::actor gw) {
        caf::actor old;
        {
            const std::lock_guard wl(watches_m);  // (lock order: watches_m, then peers_m)
            const std::unique_lock lock(peers_m);
            if (auto it = peers.find(id); it != peers.end() && it->second.gateway != gw)
                old = it->second.gateway;
        }
        if (old) node_lost(old.address());
        {
            const std::lock_guard wl(watches_m);
            const std::unique_lock lock(peers_m);
            peers[id] = peer{std::move(peer_name), gw};
        }
        companion->monitor(gw);  // after the insert: a gateway already dead is found
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
        {
            // Under watches_m too: a monitor being added either sees the
            // peer gone or has its watch in the set taken here.
            const std::lock_guard wl(watches_m);
            const std::unique_lock lock(peers_m);
            for (auto it = peers.begin(); it != peers.end(); ++it) {
                if (it->second.gateway.address() == gw) {
                    lost = it->first;
                    lost_name = it->second.name;
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

    // remote_router, monitors: worker threads.
    void monitor(const pid& target, const pid& watcher, std::uint64_t id) override {
        caf::actor gw;
        {
            // The lookup and the insert under one lock with node_lost.
            const std::lock_guard lock(watches_m);
            gw = gateway_of(target.node);
            if (gw) watches[target.node].insert(watch{watcher, id, target});
        }
        if (!gw) {
            detail::deliver_remote_down(
                rt, watcher, id, target,
                exit_reason{exit_kind::noconnection, nullptr, "its node is not connected"});
            return;
        }
        // (a monitor of the node itself stays here: it only waits for a loss)
        if (target.serial != detail::node_serial)
            caf::send_as(gateway, gw, monitor_atom, pid_bytes(target), pid_bytes(watcher), id);
    }

    void demonitor(const pid& target, const pid& watcher, std::uint64_t id) override {
        {
            const std::lock_guard lock(watches_m);
            if (auto it = watches.find(target.node); it != watches.end())
                it->second.erase(watch{watcher, id, target});
        }
        if (target.serial == detail::node_serial) return;
        if (const caf::actor gw = gateway_of(target.node))
            caf::send_as(gateway, gw, demonitor_atom, pid_bytes(target), pid_bytes(watcher), id);
    }

    // remote_router, links: worker threads.
    void link(const pid& target, const pid& from) override {
        caf::actor gw;
        {
            const std::lock_guard lock(watches_m);  // (as monitor: no loss in between)
            gw = gateway_of(target.node);
            if (gw) links[target.node].insert({from, target});
        }
        if (!gw) {
            detail::deliver_remote_exit(
                rt, from, target,
                exit_reason{exit_kind::noconnection, nullptr, "its node is not connected"}, true);
            return;
        }
        caf::send_as(gateway, gw, link_atom, pid_bytes(target), pid_bytes(from));
    }

    void unlink(const pid& target, const pid& from) override {
        forget_link(from, target);
        if (const caf::actor gw = gateway_of(target.node))
            caf::send_as(gateway, gw, unlink_atom, pid_bytes(target), pid_bytes(from));
    }

    void exit(const pid& target, const pid& from, const exit_reason& reason,
              bool via_link) override {
        if (via_link) forget_link(from, target);
        // (a target whose node is gone learns of it there: nothing to send)
        if (const caf::actor gw = gateway_of(target.node))
            caf::send_as(gateway, gw, exit_atom, pid_bytes(target), pid_bytes(from),
                         static_cast<std::uint64_t>(reason.kind), reason_text(reason), via_link);
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

    void down(const pid& watcher, std::uint64_t id, const pid& who,
              const exit_reason& reason) override {
        // (a watcher whose node is gone learns of it there: nothing to send)
        if (const caf::actor gw = gateway_of(watcher.node))
            caf::send_as(gateway, gw, down_atom, pid_bytes(watcher), id, pid_bytes(who),
                         static_cast<std::uint64_t>(reason.kind), reason_text(reason));
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

    // remote_router: any sending thread.
    void route(const pid& to, detail::message* m) override {
        std::string envelope;
        wire_writer w(envelope);
        w.integer(envelope_version);
        wire_write(w, to);
        try {
            encode_message(*m, envelope);
        } catch (...) {
            detail::free_message(m);
            throw;
        }
        const caf::actor gw = gateway_of(to.node);
        if (!gw) {
            detail::deliver_remote(rt, to, m);  // not connected: a traced dead letter
            return;
        }
        detail::free_message(m);
        caf::send_as(gateway, gw, msg_atom, std::move(envelope));
    }

    // The gateway's mailbox: CAF's network thread.
    void on_message(caf::mailbox_element& x) {
        auto& c = x.content();
        try {
            if (c.match_elements<caf::atom_value, std::string>() &&
                c.get_as<caf::atom_value>(0) == msg_atom) {
                deliver(c.get_as<std::string>(1));
            } else if (c.match_elements<caf::atom_value, std::string, std::uint64_t,
                                        std::uint64_t>() &&
                       c.get_as<caf::atom_value>(0) == hello_atom) {
                // A node connected: remember it, and say who we are.
                const auto gw = caf::actor_cast<caf::actor>(x.sender);
                add_peer(c.get_as<std::uint64_t>(2), c.get_as<std::string>(1), gw);
                caf::send_as(gateway, gw, hello_back_atom, name, rt.node_id(),
                             c.get_as<std::uint64_t>(3));
            } else if (c.match_elements<caf::atom_value, std::string, std::uint64_t,
                                        std::uint64_t>() &&
                       c.get_as<caf::atom_value>(0) == hello_back_atom) {
                add_peer(c.get_as<std::uint64_t>(2), c.get_as<std::string>(1),
                         caf::actor_cast<caf::actor>(x.sender));
                {
                    const std::lock_guard lock(hello_m);
                    hello_backs[c.get_as<std::uint64_t>(3)] = c.get_as<std::string>(1);
                }
                hello_cv.notify_all();
            } else if (c.match_elements<caf::atom_value, std::string, std::uint64_t,
                                        std::string>() &&
                       c.get_as<caf::atom_value>(0) == whereis_atom) {
                const pid asker = pid_of_bytes(c.get_as<std::string>(3));
                const std::optional<pid> found = rt.whereis(c.get_as<std::string>(1));
                rt.send(asker,
                        detail::call_reply<pid>{c.get_as<std::uint64_t>(2), found.value_or(pid{})});
            } else if (c.match_elements<caf::atom_value, std::string, std::string, std::uint64_t,
                                        std::string>() &&
                       c.get_as<caf::atom_value>(0) == spawn_atom) {
                const pid asker = pid_of_bytes(c.get_as<std::string>(4));
                rt.send(asker,
                        detail::call_reply<wire::spawn_result>{
                            c.get_as<std::uint64_t>(3),
                            spawn_here(c.get_as<std::string>(1), c.get_as<std::string>(2), asker)});
            } else if (c.match_elements<caf::atom_value, std::string, std::string>() &&
                       c.get_as<caf::atom_value>(0) == link_atom) {
                const pid target = pid_of_bytes(c.get_as<std::string>(1));
                const pid from = pid_of_bytes(c.get_as<std::string>(2));
                {
                    const std::lock_guard lock(watches_m);
                    links[from.node].insert({target, from});
                }
                detail::deliver_remote_link(rt, target, from);
            } else if (c.match_elements<caf::atom_value, std::string, std::string>() &&
                       c.get_as<caf::atom_value>(0) == unlink_atom) {
                const pid target = pid_of_bytes(c.get_as<std::string>(1));
                const pid from = pid_of_bytes(c.get_as<std::string>(2));
                forget_link(target, from);
                detail::deliver_remote_unlink(rt, target, from);
            } else if (c.match_elements<caf::atom_value, std::string, std::string, std::uint64_t,
                                        std::string, bool>() &&
                       c.get_as<caf::atom_value>(0) == exit_atom) {
                const pid target = pid_of_bytes(c.get_as<std::string>(1));
                const pid from = pid_of_bytes(c.get_as<std::string>(2));
                const bool via_link = c.get_as<bool>(5);
                if (via_link) forget_link(target, from);
                detail::deliver_remote_exit(rt, target, from,
                                            exit_reason{kind_of(c.get_as<std::uint64_t>(3)),
                                                        nullptr, c.get_as<std::string>(4)},
                                            via_link);
            } else if (c.match_elements<caf::atom_value, std::string, std::string,
                                        std::uint64_t>() &&
                       c.get_as<caf::atom_value>(0) == monitor_atom) {
                detail::deliver_remote_monitor(rt, pid_of_bytes(c.get_as<std::string>(1)),
                                               pid_of_bytes(c.get_as<std::string>(2)),
                                               c.get_as<std::uint64_t>(3));
            } else if (c.match_elements<caf::atom_value, std::string, std::string,
                                        std::uint64_t>() &&
                       c.get_as<caf::atom_value>(0) == demonitor_atom) {
                detail::deliver_remote_demonitor(rt, pid_of_bytes(c.get_as<std::string>(1)),
                                                 pid_of_bytes(c.get_as<std::string>(2)),
                                                 c.get_as<std::uint64_t>(3));
            } else if (c.match_elements<caf::atom_value, std::string, std::uint64_t, std::string,
                                        std::uint64_t, std::string>() &&
                       c.get_as<caf::atom_value>(0) == down_atom) {
                const pid watcher = pid_of_bytes(c.get_as<std::string>(1));
                const std::uint64_t id = c.get_as<std::uint64_t>(2);
                const pid who = pid_of_bytes(c.get_as<std::string>(3));
                const exit_kind kind = kind_of(c.get_as<std::uint64_t>(4));
                {
                    const std::lock_guard lock(watches_m);
                    if (auto it = watches.find(who.node); it != watches.end())
                        it->second.erase(watch{watcher, id, who});
                }
                // (an exception does not cross nodes: its text does)
                detail::deliver_remote_down(rt, watcher, id, who,
                                            exit_reason{kind, nullptr, c.get_as<std::string>(5)});
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

    /// A spawn_on from another node: the function's process, or why not.
    wire::spawn_result spawn_here(const std::string& function, const std::string& args,
                                  const pid& asker) {
        node::spawner fn;
        {
            const std::lock_guard lock(spawnables_m);
            if (auto it = spawnables.find(function); it != spawnables.end()) fn = it->second;
        }
        if (!fn) return {pid{}, "no function \"" + function + "\" on node " + name};
        try {
            return {fn(rt, args), {}};
        } catch (const std::exception& e) {
            std::fprintf(stderr, "coronet node %s: spawn of %s for %s failed: %s\n", name.c_str(),
                         function.c_str(), to_string(asker).c_str(), e.what());
            return {pid{}, function + ": " + e.what()};
        }
    }

    void deliver(const std::string& envelope) {
        wire_reader r(envelope);
        const auto version = r.integer<std::uint8_t>();
        if (version != envelope_version)
            throw wire_error("an envelope of version " + std::to_string(version));
        pid to;
        wire_read(r, to);
        const std::size_t header = envelope.size() - r.remaining();
        detail::message* m = decode_message(std::string_view(envelope).substr(header));
        detail::deliver_remote(rt, to, m);
    }
};

std::unique_ptr<node> node::start(runtime& rt, node_options options) {
    if (options.listen_host != "127.0.0.1" && options.listen_host != "::1" &&
        options.listen_host != "localhost")
        throw std::system_error(std::make_error_code(std::errc::operation_not_permitted),
                                "coronet node: listening beyond loopback needs TLS between "
                                "nodes, which is not there yet");
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
    auto port = p->sys.middleman().publish(p->gateway, p->options.port,
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
    {
        const std::lock_guard wl(p_->watches_m);
        const std::unique_lock lock(p_->peers_m);
        p_->peers.clear();
        for (auto& [node_id, ws] : p_->watches) owed.insert(ws.begin(), ws.end());
        p_->watches.clear();
        for (auto& [node_id, ls] : p_->links) linked.insert(ls.begin(), ls.end());
        p_->links.clear();
    }
    p_->tell_lost(owed, "this node stopped");
    p_->tell_links_lost(linked, "this node stopped");
    p_->gateway = caf::actor();
    // (The actor system is destroyed with *p_, on this thread. Destroying
    // it on another thread was seen to hang in ~actor_system every time;
    // see the issue 7 notes.)
}

std::uint16_t node::port() const noexcept {
    return p_->port;
}

const std::string& node::name() const noexcept {
    return p_->name;
}

result<std::string> node::connect(const std::string& host, std::uint16_t port) {
    auto gw = p_->sys.middleman().remote_actor(host, port);
    if (!gw) {
        const std::string why = p_->sys.render(gw.error());
        std::fprintf(stderr, "coronet node %s: connect to %s:%u failed: %s\n", p_->name.c_str(),
                     host.c_str(), static_cast<unsigned>(port), why.c_str());
        if (why.find("incompatible_application_ids") != std::string::npos)
            return make_error_code(errc::incompatible_peer);
        return std::make_error_code(std::errc::connection_refused);
    }
    const std::uint64_t id = p_->next_id++;
    caf::send_as(p_->gateway, *gw, hello_atom, p_->name, p_->rt.node_id(), id);
    std::unique_lock lock(p_->hello_m);
    if (!p_->hello_cv.wait_for(lock, std::chrono::seconds(5),
                               [&] { return p_->hello_backs.count(id) != 0; }))
        return std::make_error_code(std::errc::timed_out);
    std::string peer = std::move(p_->hello_backs[id]);
    p_->hello_backs.erase(id);
    return peer;
}

std::vector<std::string> node::peers() const {
    const std::shared_lock lock(p_->peers_m);
    std::vector<std::string> out;
    for (const auto& [id, p] : p_->peers) out.push_back(p.name);
    return out;
}

task<std::optional<pid>> node::whereis(std::string node_name, std::string name, duration timeout) {
    const std::optional<std::uint64_t> id = p_->id_named(node_name);
    if (!id) co_return std::nullopt;
    impl* p = p_.get();
    try {
        const pid found = co_await detail::call_with<pid>(
            detail::node_pid(*id),
            [&](const reply_address& from) {
                if (const caf::actor gw = p->gateway_of(*id))
                    caf::send_as(p->gateway, gw, whereis_atom, name, from.alias,
                                 pid_bytes(from.caller));
            },
            timeout);
        if (found) co_return found;
    } catch (const call_error&) {  // (lost, or no answer in time)
    }
    co_return std::nullopt;
}

void node::add_spawner(std::string function, spawner fn) {
    const std::lock_guard lock(p_->spawnables_m);
    p_->spawnables[std::move(function)] = std::move(fn);
}

task<pid> node::spawn_encoded(std::string node_name, std::string function, std::string args,
                              duration timeout) {
    const std::optional<std::uint64_t> id = p_->id_named(node_name);
    if (!id) throw call_error(call_errc::noconnection, "node " + node_name + " is not connected");
    impl* p = p_.get();
    const wire::spawn_result r = co_await detail::call_with<wire::spawn_result>(
        detail::node_pid(*id),
        [&](const reply_address& from) {
            if (const caf::actor gw = p->gateway_of(*id))
                caf::send_as(p->gateway, gw, spawn_atom, function, args, from.alias,
                             pid_bytes(from.caller));
        },
        timeout);
    if (!r.error.empty()) throw spawn_error("coronet spawn_on " + node_name + ": " + r.error);
    co_return r.spawned;
}

}  // namespace coronet::net
