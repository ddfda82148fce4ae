#pragma once
/// \file node.hpp
/// A runtime as a node of a cluster (issue 7, in progress): it listens for
/// other nodes, connects to them, and sends to their processes' pids
/// exactly as to local ones. The transport is CAF 0.17 (its middleman),
/// entirely inside coronet::net; messages cross as coronet's own wire format
/// (serialize.hpp).
///
/// What works: start / stop, connect, `send` to a remote pid of a type
/// with CORONET_SERIALIZABLE (another type throws not_serializable at the
/// sender), pids inside messages, `call` (call.hpp) to a remote pid,
/// monitors, links and exit signals across nodes (noconnection when a node
/// is lost), `whereis` of a registered name on a connected node, and
/// `spawn_on` of a function another node registered.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <type_traits>
#include <vector>

#include "coronet/net/error.hpp"
#include "coronet/pid.hpp"
#include "coronet/placement.hpp"
#include "coronet/runtime.hpp"
#include "coronet/serialize.hpp"
#include "coronet/task.hpp"
#include "coronet/time.hpp"

namespace coronet {
class runtime;
}

namespace coronet::net {

/// Mutual TLS between nodes (CAF 0.17's openssl module). A node has one
/// certificate for both ends of its connections, so it needs both
/// serverAuth and clientAuth in its extended key usage (or none). Peers
/// are verified against `ca_file`; host names are not checked (CAF does
/// not), so trust a CA that signs only your cluster's nodes.
///
/// **Thread safety:** a value type. **Suspends:** never.
struct node_tls {
    std::string certificate_file;  ///< PEM, the node's certificate (and chain)
    std::string private_key_file;  ///< PEM
    std::string passphrase;        ///< for an encrypted key
    std::string ca_file;           ///< PEM, the CAs that sign the cluster's nodes
};

struct node_options {
    /// The address to listen on. A node listens in plain text only on
    /// loopback, unless `tls` is set or `allow_plaintext` says so.
    std::string listen_host = "127.0.0.1";
    std::uint16_t port = 0;  ///< 0: the system picks one (see node::port)
    /// How often a connection proves it is alive, and after how long
    /// without a sign a peer counts as lost. Must be the same on every node
    /// (a node without heartbeats is declared dead by one that has them).
    duration heartbeat = std::chrono::milliseconds(100);
    duration connection_timeout = std::chrono::seconds(1);
    /// Nodes connect only within one cluster name (and one wire version):
    /// any other node is refused with errc::incompatible_peer.
    std::string cluster = "default";
    /// Back pressure: bytes sent to one node and not yet delivered there.
    /// A process that sends beyond it pauses at its next suspension point
    /// (its send itself never blocks or fails) until the peer has taken
    /// half of it; try_send refuses instead. At least 256 KiB.
    std::size_t send_window = std::size_t{8} << 20;
    /// The address other nodes are told to reach this one at (gossip:
    /// heard_of); empty: listen_host (127.0.0.1 for a wildcard listen_host).
    std::string advertise_host;
    /// Mutual TLS with every peer; then a node without the right
    /// certificate (or without TLS) cannot connect, in either direction.
    /// CAF 0.17 fails a connection whose TLS handshake takes longer than
    /// one `heartbeat` interval (connect gives timed_out): over a slow
    /// network, or under a sanitizer, raise `heartbeat` well above the
    /// handshake time (docs/caf017/FINDINGS.md §11).
    /// Checked at start: a bad file, passphrase or certificate throws.
    std::optional<node_tls> tls;
    /// Listen in plain text beyond loopback anyway (a trusted network).
    bool allow_plaintext = false;
    /// The cluster secret: when set, two nodes connect only if both hold
    /// it. Each proves it to the other in the hello, with HMAC-SHA256 over
    /// a fresh random challenge from the other side (nothing to replay);
    /// a node without it, or with another, is refused (connect gives
    /// errc::secret_refused; the accepting side logs it). It keeps
    /// strangers out of a plain-text cluster on a trusted LAN; it does not
    /// encrypt (use `tls` for that). The same secret signs multicast
    /// announcements (discovery::multicast_options::secret).
    std::string secret;
    /// A hidden node (a tool such as coronet-ctl, Erlang's hidden nodes):
    /// it connects and talks like any node, but its hellos carry no
    /// address, so its peers do not tell others of it (gossip), and a
    /// cluster does not count it as a member (node::is_hidden).
    bool hidden = false;
};

/// A node's service refused a request (ask): no service of that name, or
/// the service threw. The text says which.
class service_error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// Counters of a node (approximate while it runs).
///
/// **Thread safety:** a value type. **Suspends:** never.
struct node_stats {
    std::uint64_t pauses = 0;      ///< times a peer's send window filled up
    std::uint64_t lost_bytes = 0;  ///< batched for a node that was lost before they left
};

/// A spawn_on the other node refused: no such function, arguments that do
/// not decode as its parameters, or its spawn threw. The text says which.
class spawn_error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// One per runtime. The node's name is the runtime's `node_name`; pids of
/// other nodes carry their node's id (a hash of its name), so node names
/// must be unique in a cluster.
///
/// **Thread safety:** `connect`, `peers` and `add_spawnable` from any
/// thread (connect blocks: call it before `runtime::run`, or from a process
/// through run_blocking); `whereis`, `spawn_on` and `spawn_link_on` from
/// processes. **Suspends:** `whereis`, `spawn_on`, `spawn_link_on`.
class node {
  public:
    /// Starts listening. Throws std::system_error when it cannot (address
    /// in use, a non-loopback listen_host without TLS or allow_plaintext,
    /// TLS settings that do not check out), std::invalid_argument for a
    /// runtime on the virtual clock.
    static std::unique_ptr<node> start(runtime& rt, node_options options = {});
    /// Stops: no more sends to other nodes (they become dead letters), every
    /// monitor of another node's process still waiting gets noconnection,
    /// a round trip to each peer (at most 1 s) lets what was sent last
    /// reach it (best effort: a peer may still see noconnection instead of
    /// the exit of a process that ended just before), connections closed.
    /// Destroy a node on the thread that started it: CAF 0.17's
    /// ~actor_system hangs on any other thread (docs/caf017/FINDINGS.md
    /// §9). Typically main, after runtime::run returned or while the
    /// runtime runs on other threads.
    ~node();
    node(const node&) = delete;
    node& operator=(const node&) = delete;

    std::uint16_t port() const noexcept;
    const std::string& name() const noexcept;
    /// node_options::cluster: the cluster it connects within.
    const std::string& cluster_name() const noexcept;

    /// Connects to the node listening at host:port; its name. Errors:
    /// connection refused, a node of another cluster or wire version
    /// (errc::incompatible_peer), a failed TLS handshake (errc::tls_refused),
    /// a node that does not share the cluster secret (errc::secret_refused),
    /// a handshake CAF gave up three times (timed_out: a heartbeat tick or
    /// two each; a stopped or overloaded peer), no hello within 5 s
    /// (timed_out). A node
    /// whose name is already connected replaces the old connection, which
    /// counts as lost (its monitors get noconnection): node names must be
    /// unique in a cluster.
    result<std::string> connect(const std::string& host, std::uint16_t port);
    /// The names of the connected nodes (hidden ones too).
    std::vector<std::string> peers() const;
    /// True when the connected node `peer` is hidden (node_options::hidden).
    bool is_hidden(const std::string& peer) const;

    /// Called with a node's name when it connects (`up`) and when it is
    /// lost or disconnects (not `up`), once each, on CAF's network thread
    /// (or the thread that destroys this node): it must not block. Returns
    /// an id for unwatch_peers. Any thread.
    using peer_watcher = std::function<void(const std::string& name, bool up)>;
    std::uint64_t watch_peers(peer_watcher fn);
    /// After it returns, `id`'s function is not called again (it may be
    /// running on another thread while this is called).
    void unwatch_peers(std::uint64_t id);
    node_stats stats() const;
    /// "host:port" where other nodes reach this one (advertise_host).
    std::string address() const;
    /// Nodes this node has heard of from its peers' hellos (each hello
    /// carries the sender's address and its peers'), by name, with their
    /// address; connected or not. A cluster connects to those it is not
    /// connected to (full mesh).
    std::vector<std::pair<std::string, std::string>> heard_of() const;
    /// Forgets node `name` heard of (gone: a cluster stops trying to
    /// reach it), unless it is connected. Peers may tell of it again.
    void forget(const std::string& name);
    /// The runtime this node serves.
    runtime& runtime_of() const noexcept;
    /// Bytes sent to `peer` (or batched for it) and not yet acknowledged
    /// as delivered there; 0 for a node that is not connected.
    std::size_t outstanding(const std::string& peer) const;
    /// False while the send window towards `to`'s node is full: a send now
    /// would pause the sender. Any thread.
    bool has_room(const pid& to) const;

    /// Sends `msg` to `to` unless its node's send window is full (then
    /// false, and nothing is sent): back pressure for a sender that must
    /// not pause. Inside a process, or from any thread.
    template <class Msg>
    bool try_send(const pid& to, Msg&& msg) {
        if (!has_room(to)) return false;
        const unpaused u;  // (this send must not pause the caller, even past the window)
        runtime_of().send(to, std::forward<Msg>(msg));
        return true;
    }

    /// The pid registered as `name` on the connected node `node_name`;
    /// nullopt if none, or no answer within `timeout`.
    [[nodiscard]] task<std::optional<pid>> whereis(std::string node_name, std::string name,
                                                   duration timeout);

    /// Makes `fn` spawnable by other nodes as `function` (replacing one of
    /// that name). Its parameters must be serializable (serialize.hpp); a
    /// spawned process is an isolated root of this runtime (its failure
    /// does not stop the node; monitors and links see it). A plain function
    /// or a captureless lambda (`+[](int n) -> task<void> {...}`).
    template <class... Args>
    void add_spawnable(std::string function, task<void> (*fn)(Args...)) {
        static_assert((!std::is_reference_v<Args> && ...),
                      "add_spawnable: take the parameters by value (a reference would point "
                      "into the decoded arguments, which are gone when the process runs)");
        add_spawner(std::move(function), [fn](runtime& rt, std::string_view bytes) {
            std::tuple<std::decay_t<Args>...> args;
            try {
                wire_reader r(bytes);
                wire_read(r, args);
                if (r.remaining() != 0) throw wire_error("bytes left over");
            } catch (const wire_error& e) {
                throw wire_error(std::string("the arguments do not match its parameters (") +
                                 e.what() + ")");
            }
            spawn_options o;
            o.isolated = true;
            return std::apply([&](auto&... a) { return rt.spawn_opt(o, fn, std::move(a)...).id(); },
                              args);
        });
    }

    /// Spawns `function(args...)` on the connected node `node_name` (as it
    /// registered it with add_spawnable) and gives the new process's pid.
    /// The arguments travel as exactly their types: pass what the function
    /// takes (`std::uint64_t{42}`, not `42`, for a std::uint64_t).
    /// Throws spawn_error when that node refuses, call_error (call.hpp)
    /// with noconnection (not connected, or lost meanwhile) or timeout (no
    /// answer within `timeout`). A spawn is requested once, never retried
    /// (RPC-2): after a timeout the process may still have started. Inside
    /// a process; **suspends**.
    template <class... Args>
    [[nodiscard]] task<pid> spawn_on(std::string node_name, std::string function, duration timeout,
                                     const Args&... args) {
        std::string bytes;
        wire_writer w(bytes);
        wire_write(w, std::tuple<std::decay_t<Args>...>(args...));
        return spawn_encoded(std::move(node_name), std::move(function), std::move(bytes), timeout);
    }

    /// As spawn_on, and the new process is linked to the calling process
    /// before the answer leaves `node_name` (Erlang's spawn_link): no
    /// moment exists where it runs unlinked. So if the caller ends, or its
    /// node is lost, before the answer arrives, the new process gets the
    /// exit signal (noconnection for a lost node) like any linked process.
    /// A process that exits at once still gives the caller its exit (or
    /// noproc). After a timeout the process may have started: it is linked
    /// to the caller all the same, which then gets its exit as from a
    /// process it never heard of. Inside a process; **suspends**.
    template <class... Args>
    [[nodiscard]] task<pid> spawn_link_on(std::string node_name, std::string function,
                                          duration timeout, const Args&... args) {
        std::string bytes;
        wire_writer w(bytes);
        wire_write(w, std::tuple<std::decay_t<Args>...>(args...));
        return spawn_link_encoded(std::move(node_name), std::move(function), std::move(bytes),
                                  timeout);
    }

    /// A service other nodes may `ask` by name: bytes in, bytes out
    /// (replacing one of that name). It runs on CAF's network thread: it
    /// must be quick, must not block, and may throw (the asker then gets
    /// service_error with the text). For the cluster's own services
    /// (status, names); any thread.
    using service = std::function<std::string(std::string_view request)>;
    void add_service(std::string name, service fn);
    /// Asks `service` on the connected node `node_name`: its answer. Throws
    /// service_error, or call_error (noconnection, timeout). A late answer
    /// is dropped. Inside a process; **suspends**.
    [[nodiscard]] task<std::string> ask(std::string node_name, std::string service,
                                        std::string request, duration timeout);

    /// What add_spawnable registers: spawns from the encoded arguments.
    using spawner = std::function<pid(runtime&, std::string_view args)>;
    void add_spawner(std::string function, spawner fn);
    [[nodiscard]] task<pid> spawn_encoded(std::string node_name, std::string function,
                                          std::string args, duration timeout);
    [[nodiscard]] task<pid> spawn_link_encoded(std::string node_name, std::string function,
                                               std::string args, duration timeout);

    struct impl;

  private:
    /// While one exists on a thread, sends of that thread do not pause it.
    class unpaused {
      public:
        unpaused() noexcept;
        ~unpaused();
        unpaused(const unpaused&) = delete;
        unpaused& operator=(const unpaused&) = delete;

      private:
        bool was_;
    };
    explicit node(std::unique_ptr<impl> p) noexcept;
    std::unique_ptr<impl> p_;
};

}  // namespace coronet::net
