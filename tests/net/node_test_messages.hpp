#pragma once
// Messages of the node tests, shared by node_test.cpp and the test-node
// program (test_node_main.cpp), which must agree on them.

#include <string>

#include <coronet/pid.hpp>
#include <coronet/serialize.hpp>

namespace nodetest {

struct ping {
    coronet::pid from;
    std::string text;
    template <class F>
    friend void fields(F& f, ping& p) {
        f(p.from, p.text);
    }
};

struct pong {
    std::string text;
    template <class F>
    friend void fields(F& f, pong& p) {
        f(p.text);
    }
};

}  // namespace nodetest

CORONET_SERIALIZABLE(nodetest::ping, "coronet.test.node.ping");
CORONET_SERIALIZABLE(nodetest::pong, "coronet.test.node.pong");
