#pragma once
// What coronet-ctl and coronet-node say to each other, over the node
// protocol itself (coronet-ctl runs a short-lived node of its own):
//
// - the service "coronet.ctl.info" (net::node::add_service, answered on
//   CAF's network thread from snapshots, never blocking): a node_info;
// - the cluster's own service "coronet.status" (cluster::status_of);
// - spawn_on of the node's registered functions with the arguments as one
//   std::vector<std::string>;
// - spawn_on of "coronet.ctl.swap" (reply_to, function, library): the node
//   spawns a process that loads the library (in run_blocking), swaps every
//   running process of the function, and sends a swap_report to reply_to.
//   A swap is slow work (dlopen, one swap point per process), so it is not
//   a service: services run on CAF's thread and must not block.

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>
#include <coronet/discovery/status.hpp>
#include <coronet/pid.hpp>
#include <coronet/serialize.hpp>

namespace coronet::tools {

inline constexpr const char* info_service = "coronet.ctl.info";
inline constexpr const char* swap_function = "coronet.ctl.swap";
/// Node names coronet-ctl gives its own nodes; coronet-node refuses them
/// and leaves such members out of its answers.
inline constexpr std::string_view ctl_name_prefix = "coronet-ctl-";

/// A function a node can spawn for coronet-ctl (registered by a plugin).
struct function_info {
    std::string name;
    bool swappable = false;
    std::uint64_t processes = 0;  ///< running processes spawned from it
    std::string library;          ///< the library of its current version

    template <class F>
    friend void fields(F& f, function_info& i) {
        f(i.name, i.swappable, i.processes, i.library);
    }
};

/// A node's answer to coronet.ctl.info.
struct node_info {
    std::string name;
    std::string address;  ///< host:port where other nodes reach it
    std::string cluster;  ///< node_options::cluster
    /// The members (this node first, then the others by name) with their
    /// addresses ("" if unknown).
    std::vector<std::pair<std::string, std::string>> members;
    /// Registered names with their holder (to_string(pid)), by name.
    std::vector<std::pair<std::string, std::string>> names;
    std::uint64_t processes = 0;  ///< live processes of its runtime
    std::vector<function_info> functions;
    std::vector<std::string> libraries;  ///< loaded, in load order
    discovery::node_status status;

    template <class F>
    friend void fields(F& f, node_info& i) {
        f(i.name, i.address, i.cluster, i.members, i.names, i.processes, i.functions, i.libraries,
          i.status);
    }
};

/// What a swap did.
struct swap_report {
    std::string function;
    std::string library;
    std::string error;            ///< why nothing was swapped ("" if the library loaded)
    std::uint32_t processes = 0;  ///< running processes of the function
    std::uint32_t swapped = 0;
    std::vector<std::string> failures;  ///< "pid: status: error", one per failed process

    template <class F>
    friend void fields(F& f, swap_report& r) {
        f(r.function, r.library, r.error, r.processes, r.swapped, r.failures);
    }
};

/// "host:port" split; nullopt unless the port is 1..65535 (or 0 when
/// `allow_zero`) and the host is not empty. "[::1]:80" keeps the brackets off.
std::optional<std::pair<std::string, std::uint16_t>> split_host_port(const std::string& s,
                                                                     bool allow_zero = false);

/// Parses "250ms", "2s", "1m" or a plain number of milliseconds; nullopt
/// for anything else or a value that is not positive.
std::optional<std::chrono::milliseconds> parse_duration(const std::string& s);

/// The cluster secret in the file at `path` (its trailing line ends
/// removed); nullopt when it cannot be read.
std::optional<std::string> read_secret(const std::string& path);

}  // namespace coronet::tools

CORONET_SERIALIZABLE(coronet::tools::swap_report, "coronet.tools.swap_report");
