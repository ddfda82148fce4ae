#pragma once
// The remote child of the remote supervision tests, spawnable on the
// in-program nodes and on coronet_test_node: tells `watcher` it started
// (sv_started: its node's id and pid), then answers every call (request<std::string>) with its
// node's id.

#include <cstdint>
#include <string>
#include <coronet/call.hpp>
#include <coronet/receive.hpp>
#include <coronet/self.hpp>
#include <coronet/serialize.hpp>

namespace coronet::test {

/// What sv_worker tells its watcher when it starts.
struct sv_started {
    std::uint64_t node = 0;
    pid who;
    template <class F>
    friend void fields(F& f, sv_started& s) {
        f(s.node, s.who);
    }
};

}  // namespace coronet::test
CORONET_SERIALIZABLE(coronet::test::sv_started, "coronet.test.sv_started");

namespace coronet::test {

inline task<void> sv_worker(pid watcher) {
    const std::uint64_t here = self().id().node;
    send(watcher, sv_started{here, self().id()});
    for (;;) {
        co_await self().receive_any([here](request<std::string> r) { reply(r, here); });
    }
}

}  // namespace coronet::test
