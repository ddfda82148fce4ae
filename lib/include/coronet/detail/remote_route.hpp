#pragma once
// How a distribution layer (coronet::net's nodes) plugs into a runtime:
// sends to pids of other nodes go to its router, and what arrives from other
// nodes is delivered like a local send. Internal: users see nodes, not this.

#include <cstdint>

#include "coronet/detail/message_node.hpp"
#include "coronet/exit_reason.hpp"
#include "coronet/pid.hpp"

namespace coronet {
class runtime;
}

namespace coronet::detail {

/// Takes the messages a runtime's processes send to pids of other nodes.
///
/// **Thread safety:** `route` is called from any thread that sends (worker
/// threads, and runtime::send's callers) at once. **Suspends:** never.
class remote_router {
  public:
    /// Owns `m` from the call on (frees it, whatever happens). Throws
    /// not_serializable (serialize.hpp) for a type that cannot leave the
    /// node; anything else (no connection, node unknown) is the router's to
    /// report: a traced drop, or a down/exit to who monitors the target.
    virtual void route(const pid& to, message* m) = 0;

    /// Monitors across nodes (MO-3), from the worker threads:
    /// - `watcher` (local) starts monitor `id` on `target` (remote);
    /// - `watcher` (local) stops it;
    /// - the local process `who` ended, and `watcher` (remote) monitored it.
    /// The router owes the watcher exactly one down (deliver_remote_down):
    /// the target's, or noconnection when the target's node is lost or not
    /// connected, unless demonitored first.
    virtual void monitor(const pid& target, const pid& watcher, std::uint64_t id) = 0;
    virtual void demonitor(const pid& target, const pid& watcher, std::uint64_t id) = 0;
    virtual void down(const pid& watcher, std::uint64_t id, const pid& who,
                      const exit_reason& reason) = 0;

  protected:
    ~remote_router() = default;
};

/// Installs `r` (null removes it). Sends to another node's pids made while
/// none is installed are dead letters. The router must stay alive until it
/// is removed, and removing it does not wait for sends in progress: remove
/// it only once no process runs (after runtime::run returned).
void set_remote_router(runtime& rt, remote_router* r) noexcept;

/// A message that came from another node, for the local process `to`
/// (any thread). A dead letter if `to` is not a live process of `rt`.
void deliver_remote(runtime& rt, const pid& to, message* m);

/// From another node (any thread): `watcher` (remote) monitors the local
/// `target` (a down with noproc goes back at once if it is not alive).
void deliver_remote_monitor(runtime& rt, const pid& target, const pid& watcher, std::uint64_t id);
void deliver_remote_demonitor(runtime& rt, const pid& target, const pid& watcher, std::uint64_t id);
/// The down for monitor `id` of the local `watcher` (the target `who` is
/// remote): its exit, or noconnection.
void deliver_remote_down(runtime& rt, const pid& watcher, std::uint64_t id, const pid& who,
                         exit_reason reason);

}  // namespace coronet::detail
