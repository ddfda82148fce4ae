#pragma once
/// \file membership.hpp
/// The messages a cluster sends: node_up / node_down to its membership
/// subscribers, name_lost to a process that lost its name to another node.

#include <string>

namespace coronet::discovery {

/// A node joined the cluster (connected to this node).
///
/// **Thread safety:** a value type. **Suspends:** never.
struct node_up {
    std::string node;
};

/// A node left the cluster: it stopped, was killed, hung past the
/// connection timeout, or this node stopped.
///
/// **Thread safety:** a value type. **Suspends:** never.
struct node_down {
    std::string node;
};

/// The receiver held `name` here, and a member that joined (a partition
/// healed) held it too; that member's node has the lower id, so it keeps
/// the name and it was released here (the receiver itself goes on).
///
/// **Thread safety:** a value type. **Suspends:** never.
struct name_lost {
    std::string name;
    std::string winner;  ///< the node that holds it now
};

}  // namespace coronet::discovery
