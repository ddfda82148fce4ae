#pragma once
// How a distribution layer (coronet::net's nodes) plugs into a runtime:
// sends to pids of other nodes go to its router, and what arrives from other
// nodes is delivered like a local send. Internal: users see nodes, not this.

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string_view>
#include <vector>

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

    /// Links across nodes (LK-2, MO-3), from the worker threads:
    /// - the local `from` links to / unlinks from the remote `target`;
    /// - the local `from` sends `target` (remote) an exit signal: its exit
    ///   through a link (`via_link`), or coronet::exit(target, reason).
    /// The router owes every local process linked to a process of a lost
    /// node an exit signal from that process with noconnection.
    virtual void link(const pid& target, const pid& from) = 0;
    virtual void unlink(const pid& target, const pid& from) = 0;
    virtual void exit(const pid& target, const pid& from, const exit_reason& reason,
                      bool via_link) = 0;

    /// The worker `worker` of this runtime routed something since its last
    /// flush and has run out of work for now (the end of one scheduling
    /// round): a router that batches sends what that worker queued. Called
    /// on that worker's thread.
    virtual void flush(std::uint32_t worker) { (void)worker; }

  protected:
    ~remote_router() = default;
};

/// The index of the calling thread's worker if it is a worker of `rt`,
/// else -1 (a plain thread, or a worker of another runtime).
int current_worker_index(const runtime& rt) noexcept;
/// The node id of a node named `name` (what runtime::node_id gives it).
std::uint64_t node_id_of(std::string_view name) noexcept;
/// How many workers `rt` has.
std::uint32_t worker_count(const runtime& rt) noexcept;

/// Back pressure for senders to another node (a router has one per peer):
/// while it is closed, a process that sent through it (throttle_current)
/// does not resume at its next suspension point until the gate opens
/// again. Sending never blocks a thread; the sender pauses instead.
///
/// **Thread safety:** every member from any thread.
class flow_gate {
  public:
    bool closed() const noexcept { return closed_.load(std::memory_order_acquire); }
    void close() noexcept { closed_.store(true, std::memory_order_release); }
    /// Opens the gate and resumes the processes paused by it.
    void open(runtime& rt);

  private:
    friend struct gate_access;
    std::atomic<bool> closed_{false};
    std::mutex m_;
    std::vector<pid> paused_;  // guarded by m_
};

/// The current process (if any) pauses at its next suspension point until
/// `gate` opens (at once if it is open by then).
void throttle_current(const std::shared_ptr<flow_gate>& gate) noexcept;

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
/// From another node (any thread): the remote `from` links to / unlinks
/// from the local `target` (a link to a process that is not alive gives
/// `from` an exit signal with noproc at once); an exit signal from `from`
/// to the local `target`.
void deliver_remote_link(runtime& rt, const pid& target, const pid& from);
void deliver_remote_unlink(runtime& rt, const pid& target, const pid& from);
void deliver_remote_exit(runtime& rt, const pid& target, const pid& from, exit_reason reason,
                         bool via_link);

/// The pid that stands for node `node_id` itself: a monitor of it (from
/// a process, through its router) fires noconnection when that node is
/// lost, or at once when it is not connected; nothing crosses the network.
/// A node's pending control requests (whereis, spawn_on) use it.
inline constexpr std::uint64_t node_serial = ~std::uint64_t{0};
inline pid node_pid(std::uint64_t node_id) noexcept {
    return pid{node_id, 0, 0, node_serial};
}

/// The down for monitor `id` of the local `watcher` (the target `who` is
/// remote): its exit, or noconnection.
void deliver_remote_down(runtime& rt, const pid& watcher, std::uint64_t id, const pid& who,
                         exit_reason reason);

}  // namespace coronet::detail
