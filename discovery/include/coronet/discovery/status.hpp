#pragma once
/// \file status.hpp
/// A node's status, as its cluster measures it every period and any
/// member can ask for (cluster::status_of).

#include <cstdint>
#include <string>

#include "coronet/serialize.hpp"

namespace coronet::discovery {

/// One measurement of a node.
///
/// **Thread safety:** a value type. **Suspends:** never.
struct node_status {
    std::string node;               ///< its name
    std::uint64_t taken_at_ms = 0;  ///< when (milliseconds since the Unix epoch)
    double cpu_percent = 0;         ///< its process's CPU use over the last period (100 = one core)
    std::uint64_t rss_bytes = 0;    ///< its process's resident memory
    std::uint64_t processes = 0;    ///< live coronet processes of its runtime
    double spawns_per_s = 0;        ///< processes spawned per second over the last period
    double messages_per_s = 0;      ///< messages put into mailboxes per second, same period
    std::uint64_t dead_letters = 0;  ///< since the runtime started
    double load_1min = 0;            ///< the machine's 1-minute load average
    std::uint32_t cores = 0;         ///< the machine's online CPUs

    template <class F>
    friend void fields(F& f, node_status& s) {
        f(s.node, s.taken_at_ms, s.cpu_percent, s.rss_bytes, s.processes, s.spawns_per_s,
          s.messages_per_s, s.dead_letters, s.load_1min, s.cores);
    }
};

}  // namespace coronet::discovery

CORONET_SERIALIZABLE(coronet::discovery::node_status, "coronet.discovery.node_status");
