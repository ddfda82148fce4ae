#pragma once
/// \file node_plugin.hpp
/// The interface between coronet-node and the shared libraries it loads
/// (`--load`, and `coronet-ctl swap`). A library exports one entry point
///
/// ```cpp
/// extern "C" void coronet_node_plugin(coronet::discovery::plugin_host& host) {
///     host.add_function("hello", &hello);          // spawnable by other nodes
///     host.add_swappable("counter", &counter);     // spawnable, and hot-swappable
/// }
/// ```
///
/// where the functions take the command-line arguments of `coronet-ctl
/// spawn NODE FUNCTION ARGS...` as `std::vector<std::string>`. Other nodes
/// spawn them with `node::spawn_on(node, "hello", timeout,
/// std::vector<std::string>{...})`.
///
/// The library is compiled against coronet's headers and NOT linked with
/// coronet: it uses coronet-node's copy (the program exports its symbols).
/// coronet-node never unloads a library (code of it may still run, and
/// values it made may still be around). plugin_host has only virtual
/// members, so a library needs no symbol of the program to call it.
///
/// Hot swap: `coronet-ctl swap NODE FUNCTION LIBRARY` makes the node load
/// LIBRARY, whose entry point registers the new version of FUNCTION with
/// add_swappable; then every running process spawned from FUNCTION is
/// swapped to it (swap_body, hot_swap.hpp): the old function is unwound at
/// its next receive (its destructors run, the mailbox stays) and the new
/// one starts from its beginning in the same process, with the same
/// arguments, pid and names. State that must survive goes through the
/// mailbox (e.g. a destructor of the old version sends it to the process
/// itself) or a registered name.

#include <string>
#include <vector>

#include "coronet/pid.hpp"
#include "coronet/task.hpp"

namespace coronet {
class runtime;
}
namespace coronet::net {
class node;
}

namespace coronet::discovery {

class cluster;

/// A function coronet-node can spawn: the arguments as strings.
using plugin_function = task<void> (*)(std::vector<std::string> args);

/// What coronet-node gives a plugin's entry point. Valid during the entry
/// point and for as long as the node runs (keep the reference if needed).
///
/// **Thread safety:** every member from any thread. **Suspends:** never.
class plugin_host {
  public:
    /// The node's runtime, its node and its cluster.
    virtual runtime& runtime_of() = 0;
    virtual net::node& node() = 0;
    virtual discovery::cluster& cluster() = 0;

    /// Makes `fn` spawnable as `name` (replacing a function of that name).
    /// Its processes are isolated roots (their failure is logged, the node
    /// goes on) and are cancelled when the node stops.
    virtual void add_function(std::string name, plugin_function fn) = 0;
    /// Like add_function, but processes spawned from `name` are swappable
    /// functions (hot_swap.hpp). Registering `name` again (from a library
    /// loaded by a swap) makes `fn` the version new processes run, and the
    /// one a swap moves the running processes to.
    virtual void add_swappable(std::string name, plugin_function fn) = 0;
    /// A process the plugin spawned itself (e.g. a server started by its
    /// entry point): cancelled when the node stops. Without it, a root
    /// process that never ends keeps the node from stopping cleanly.
    virtual void track(const pid& p) = 0;
    /// The path of the library whose entry point runs now.
    virtual std::string library() const = 0;

  protected:
    plugin_host() = default;
    virtual ~plugin_host() = default;  // (the node owns it; a plugin never deletes it)
    plugin_host(const plugin_host&) = delete;
    plugin_host& operator=(const plugin_host&) = delete;
};

/// The entry point's name and type, as coronet-node looks it up.
inline constexpr const char* plugin_entry_point = "coronet_node_plugin";
using plugin_entry = void (*)(plugin_host& host);

}  // namespace coronet::discovery
