#pragma once
/// \file cluster.hpp
/// A node's view of its cluster (issue 8, first part): who is a member,
/// membership changes as messages, and `locate` of a registered name on
/// any member.
///
/// Still to come (issue 8): names registered cluster-wide with a
/// deterministic winner, peer discovery from seeds and authenticated UDP
/// multicast, node status, remote supervision, coronet-node and
/// coronet-ctl.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "coronet/discovery/membership.hpp"
#include "coronet/discovery/status.hpp"
#include "coronet/pid.hpp"
#include "coronet/task.hpp"
#include "coronet/time.hpp"

namespace coronet::net {
class node;
}

namespace coronet::discovery {

/// How a cluster measures its node.
///
/// **Thread safety:** a value type. **Suspends:** never.
struct cluster_options {
    /// How often this node's status is measured (what others get), and how
    /// often it connects to the nodes it has heard of and is not connected
    /// to (full mesh).
    duration status_period = std::chrono::seconds(1);
    /// Nodes to join at start ("host:port"); unreachable ones are logged
    /// and tried again every period. From them the cluster hears of the
    /// others (each hello carries the sender's peers) and connects to them.
    std::vector<std::string> seeds;
};

/// Membership, lookup and status for one node. Make it after the node and
/// destroy it before the node.
///
/// **Thread safety:** every member from any thread; `locate` from a
/// process. **Suspends:** `locate`.
class cluster {
  public:
    /// Starts following `n`'s connections; connects to the seeds (blocking:
    /// call it from a thread, not a process).
    static std::unique_ptr<cluster> start(net::node& n, cluster_options options = {});
    ~cluster();
    cluster(const cluster&) = delete;
    cluster& operator=(const cluster&) = delete;

    /// The members: this node first, then the connected nodes, by name.
    std::vector<std::string> members() const;

    /// `who` gets node_up for every member there is now except this node
    /// (in name order), then node_up / node_down as members come and go,
    /// in the order they happen. Until unsubscribe, or until it exits (a
    /// message to an exited process is a dead letter; unsubscribe to stop
    /// that).
    void subscribe(const pid& who);
    void unsubscribe(const pid& who);

    /// Registers `name` for `p` (a process of this node) so that no member
    /// holds it too: the name is registered here (NM-1: released when `p`
    /// exits), then every member is asked whether it holds the name. True
    /// when none does; false when one does (the local registration is
    /// undone). Two members claiming one name at the same time: the one
    /// with the lower node id (runtime::node_id) wins, the other gets
    /// false; never both. A member that does not answer within `timeout`
    /// counts as not holding it. Members that join later are not asked
    /// (a partition that heals can leave two holders: see the notes).
    /// Inside a process; **suspends**.
    [[nodiscard]] task<bool> register_name(std::string name, pid p, duration timeout);

    /// The process registered as `name` on this node, or else on a member
    /// (asked in name order, each answer ends that member's turn; one that
    /// does not answer uses up what is left of `timeout`); nullopt when no
    /// member has it. Late answers are dropped (call aliases).
    [[nodiscard]] task<std::optional<pid>> locate(std::string name, duration timeout);

    /// This node's latest status (measured every status_period; the first
    /// at start).
    node_status status() const;
    /// The latest status of member `node` (this node's own without asking).
    /// Throws call_error (noconnection, timeout) or net::service_error.
    /// Inside a process; **suspends**.
    [[nodiscard]] task<node_status> status_of(std::string node, duration timeout);

    struct impl;

  private:
    explicit cluster(std::shared_ptr<impl> p) noexcept;
    std::shared_ptr<impl>
        p_;  // (shared with the node's watcher, which may outlive ~cluster briefly)
};

}  // namespace coronet::discovery
