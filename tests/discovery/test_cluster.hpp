#pragma once
// What the discovery tests share: runtimes named as nodes, and "alpha" and
// "beta" with their nodes (loopback, port 0) and clusters, not connected
// yet. Members are destroyed in reverse order: clusters before their
// nodes, nodes before their runtimes, all on the thread that made them
// (CAF 0.17).

#include <memory>
#include <catch2/catch.hpp>
#include <coronet/discovery/cluster.hpp>
#include <coronet/net/node.hpp>
#include <coronet/runtime.hpp>

#include "test_runtime.hpp"

namespace coronet::test {

/// One worker, real clock, node name `name`.
inline runtime_config named(const char* name) {
    runtime_config c = real_config(1);
    c.node_name = name;
    return c;
}

/// alpha and beta, each a runtime, a node and a cluster.
struct two_members {
    runtime a{named("alpha")};
    runtime b{named("beta")};
    std::unique_ptr<net::node> na = net::node::start(a);
    std::unique_ptr<net::node> nb = net::node::start(b);
    std::unique_ptr<discovery::cluster> ca = discovery::cluster::start(*na);
    std::unique_ptr<discovery::cluster> cb = discovery::cluster::start(*nb);

    /// alpha connects to beta.
    void connect() { REQUIRE(na->connect("127.0.0.1", nb->port())); }
};

}  // namespace coronet::test
