#pragma once
/// \file cluster.hpp
/// A node's view of its cluster: who is a member (joined from seeds and
/// gossip), membership changes as messages, names registered cluster-wide
/// with a deterministic winner, `locate` of a name on any member, and each
/// node's status.

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "coronet/discovery/announcer.hpp"
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
    /// Also find members by authenticated UDP multicast (or broadcast)
    /// announcements (announcer.hpp): this node announces its name and
    /// address every `multicast->period`, and connects at once to every
    /// node of its cluster whose announcement carries the right HMAC.
    /// Announcements with another secret are ignored and logged. The
    /// announcements are the introduction only: to keep strangers from
    /// connecting to a node directly, give the nodes the same secret
    /// (node_options::secret, checked in the hello) or mutual TLS
    /// (node_options::tls).
    std::optional<multicast_options> multicast;
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
    /// counts as not holding it.
    ///
    /// A member that joins later (a partition healing) and holds one of
    /// this node's names too: the name stays with the node of lower id;
    /// the other node releases it, and its holder gets `name_lost` (and
    /// goes on running). Both sides decide alike, each from the other's
    /// list of names, asked when the member comes up and again every
    /// status_period. This covers every name of the node's registry, also
    /// those registered with plain coronet::register_name or by
    /// supervisors (which claim nothing: only this function makes sure no
    /// connected member holds the name already; for those, two holders
    /// last until the next heal, at most about one status_period).
    /// Inside a process; **suspends**.
    [[nodiscard]] task<bool> register_name(std::string name, pid p, duration timeout);

    /// Binds `name` to `p`, a process of member `node` (this node too), in
    /// that node's registry: a supervisor re-binding the name of a child
    /// it restarted there. True when bound (or bound to `p` already);
    /// false when the name is held by another process, or `p` is not a
    /// live process of that node. Throws call_error (noconnection,
    /// timeout). Inside a process; **suspends**.
    [[nodiscard]] task<bool> bind_name(std::string node, std::string name, pid p, duration timeout);

    /// Topics across the cluster (shared_topic.hpp): records that topic
    /// `name` of wire type `wire_type` is shared from this node (an empty
    /// `wire_type` removes it); any thread.
    void share_topic_name(std::string_view name, std::string_view wire_type);
    /// The first member (in name order) that shared a topic `name`, and
    /// the topic's wire type; nullopt when none did within `timeout`.
    /// Inside a process; **suspends**.
    [[nodiscard]] task<std::optional<std::pair<std::string, std::string>>> find_shared_topic(
        std::string name, duration timeout);

    /// The node this cluster follows.
    net::node& node() const noexcept;

    /// The multicast announcer (its counters: stats, wait_stats), or null
    /// without multicast.
    const announcer* multicast() const noexcept;

    /// Blocks until `n` heals (name comparisons with a member: one when it
    /// comes up, then one per member every status_period) have run, or
    /// `timeout` passed: false then. Not from a process (it blocks).
    bool wait_heals(std::uint64_t n, duration timeout) const;

    /// Names this node released to members of lower id (heals).
    std::uint64_t names_lost() const;

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
