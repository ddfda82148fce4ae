#pragma once
/// \file membership.hpp
/// The messages a cluster sends its membership subscribers.

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

}  // namespace coronet::discovery
