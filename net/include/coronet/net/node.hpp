#pragma once
/// \file node.hpp
/// A runtime as a node of a cluster (issue 7, in progress): it listens for
/// other nodes, connects to them, and sends to their processes' pids
/// exactly as to local ones. The transport is CAF 0.17 (its middleman),
/// entirely inside coronet::net; messages cross as coronet's own wire format
/// (serialize.hpp).
///
/// What works so far: start / stop, connect, `send` to a remote pid of a
/// type with CORONET_SERIALIZABLE (another type throws not_serializable at
/// the sender), pids inside messages, `whereis` of a registered name on a
/// connected node. Remote monitors and links, calls, remote spawn, TLS
/// between nodes and back pressure are to come.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "coronet/net/error.hpp"
#include "coronet/pid.hpp"
#include "coronet/task.hpp"
#include "coronet/time.hpp"

namespace coronet {
class runtime;
}

namespace coronet::net {

struct node_options {
    /// The address to listen on. Only loopback for now (TLS between nodes
    /// is to come, and a node never listens in plain text elsewhere).
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
};

/// One per runtime. The node's name is the runtime's `node_name`; pids of
/// other nodes carry their node's id (a hash of its name), so node names
/// must be unique in a cluster.
///
/// **Thread safety:** `connect` and `peers` from any thread (connect blocks:
/// call it before `runtime::run`, or from a process through run_blocking);
/// `whereis` from processes. **Suspends:** `whereis`.
class node {
  public:
    /// Starts listening. Throws std::system_error when it cannot (address
    /// in use, a non-loopback listen_host), std::invalid_argument for a
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

    /// Connects to the node listening at host:port; its name. Errors:
    /// connection refused, a node of another cluster or wire version
    /// (errc::incompatible_peer), no hello within 5 s (timed_out). A node
    /// whose name is already connected replaces the old connection, which
    /// counts as lost (its monitors get noconnection): node names must be
    /// unique in a cluster.
    result<std::string> connect(const std::string& host, std::uint16_t port);
    /// The names of the connected nodes.
    std::vector<std::string> peers() const;

    /// The pid registered as `name` on the connected node `node_name`;
    /// nullopt if none, or no answer within `timeout`.
    [[nodiscard]] task<std::optional<pid>> whereis(std::string node_name, std::string name,
                                                   duration timeout);

    struct impl;

  private:
    explicit node(std::unique_ptr<impl> p) noexcept;
    std::unique_ptr<impl> p_;
};

}  // namespace coronet::net
