#pragma once
/// \file remote_child.hpp
/// Supervisor children on other nodes (SEMANTICS SV-9): a child spec whose
/// process is spawned on a member of the cluster (a named node, or the
/// least loaded one by status), linked to its supervisor, and restarted on
/// another member when its node is lost.
///
/// ```cpp
/// // every candidate node: node.add_spawnable("worker", &worker);
/// auto spec = discovery::remote_child(*cl, "w",
///     {"worker", discovery::remote_placement::least_loaded(), "the-worker"});
/// auto sup = co_await start(supervise, supervisor_flags{}, std::vector{spec});
/// ```
///
/// The child is linked to the supervisor by the spawn itself
/// (net::node::spawn_link_on: linked before the answer leaves its node),
/// so it never runs unsupervised, even when the supervisor or its node ends
/// during the start. Its node's loss reaches the
/// supervisor as an exit with reason `noconnection`, which is abnormal: a
/// permanent or transient child is restarted, per placement, on a member
/// that is still connected. The supervisor's own end (or its node's loss)
/// reaches the child the same way. Its name (`remote_spec::name`) is bound
/// in the registry of the child's node (cluster::bind_name), so `locate`
/// finds it from anywhere; a restart binds it to the new process. A name
/// that `locate` finds on another member fails the start (the child is
/// killed): never two holders among connected members. Leave
/// `child_spec::name` empty for a remote child (the supervisor registers
/// that one on its own node, which refuses a pid of another node).
///
/// **Thread safety:** values; the factory runs in the supervisor's process.
/// **Suspends:** the factory does (status queries, spawn_link_on,
/// bind_name).

#include <any>
#include <cstdint>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "coronet/discovery/cluster.hpp"
#include "coronet/discovery/status.hpp"
#include "coronet/pid.hpp"
#include "coronet/serialize.hpp"
#include "coronet/supervisor.hpp"
#include "coronet/task.hpp"
#include "coronet/time.hpp"

namespace coronet::discovery {

/// Where a remote child is started.
///
/// **Thread safety:** a value type. **Suspends:** never.
struct remote_placement {
    enum class kind : std::uint8_t { named, least_loaded };
    kind how = kind::named;
    /// named: the nodes to try, in order (the first connected one that
    /// spawns it wins). least_loaded: the candidates (empty: every member
    /// but this node), tried from the least loaded on.
    std::vector<std::string> nodes;
    /// For each status query and each spawn request.
    duration timeout = std::chrono::seconds(5);

    /// On `nodes`, in that order of preference.
    static remote_placement on(std::vector<std::string> nodes) {
        return {kind::named, std::move(nodes), std::chrono::seconds(5)};
    }
    /// On the least loaded of `among` (empty: every member but this node).
    static remote_placement least_loaded(std::vector<std::string> among = {}) {
        return {kind::least_loaded, std::move(among), std::chrono::seconds(5)};
    }
};

/// How loaded a node is, for least_loaded (lower is less loaded): its
/// live coronet processes, plus its CPU use in cores used per core, plus
/// 10 per unit of the machine's 1-minute load per core. (Nodes on one
/// machine share the load term; then processes and CPU decide.)
double load_score(const node_status& s) noexcept;

/// What a remote child runs, where, and under which name.
///
/// **Thread safety:** a value type. **Suspends:** never.
struct remote_spec {
    std::string function;  ///< as the nodes registered it (net::node::add_spawnable)
    remote_placement where;
    std::string name;  ///< bound on the child's node at each start; empty: none
};

namespace detail {
/// The factory's body: picks a node, spawns `args` (encoded) there linked
/// to the calling supervisor, and binds its name.
task<pid> start_remote(cluster* c, remote_spec spec, std::string args);
}  // namespace detail

/// A child spec that starts `spec.function(args...)` on a member of `c`'s
/// cluster (see the file comment). The arguments travel as exactly their
/// types (as with net::node::spawn_on). A start fails (the supervisor's
/// start_error, or a failed restart that counts against its intensity) when
/// no candidate is connected or every one refused: the text says why for
/// each. `c` must outlive the supervisor.
template <class... Args>
child_spec remote_child(cluster& c, std::string id, remote_spec spec, const Args&... args) {
    std::string bytes;
    wire_writer w(bytes);
    wire_write(w, std::tuple<std::decay_t<Args>...>(args...));
    child_spec s;
    s.id = std::move(id);
    s.start = [c = &c, spec = std::move(spec), bytes = std::move(bytes)](const spawn_options&,
                                                                         const std::any&) {
        return detail::start_remote(c, spec, bytes);
    };
    return s;
}

}  // namespace coronet::discovery
