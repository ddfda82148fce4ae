// topic_relay: a relay process subscribes to a topic and forwards its
// copies to another process (on another node in real use: net's
// spawn_on; here on the same runtime, which the relay does not mind).

#include <coronet/channels/topic_relay.hpp>

#include <string>
#include <vector>
#include <catch2/catch.hpp>
#include <coronet/link.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>

#include "test_runtime.hpp"

namespace relaytest {

struct tick {
    int n = 0;
    template <class F>
    friend void fields(F& f, tick& t) {
        f(t.n);
    }
};

}  // namespace relaytest

CORONET_SERIALIZABLE(relaytest::tick, "coronet.test.relay.tick");

namespace {

using namespace coronet;
using namespace coronet::test;
using relaytest::tick;

}  // namespace

TEST_CASE(
    "topic relay: forwards every copy, deliver(n) counts the relay, and it ends with its "
    "subscriber",
    "[channels][relay]") {
    runtime rt(virtual_config());
    auto t = topic<tick>::create(rt, "ticks");
    auto sub = rt.spawn([]() -> task<std::vector<int>> {
        spawn_options o;
        o.daemon = true;  // (on another node in real use; here: ended with us)
        auto relay = self().spawn_opt(o, topic_relay<tick>, relay_request_for("ticks"));
        std::vector<int> got;
        for (int i = 0; i < 3; ++i) got.push_back((co_await self().receive<tick>()).n);
        co_return got;
    });
    auto pub = rt.spawn(
        [](topic<tick> t) -> task<std::vector<std::size_t>> {
            while (t.subscribers() == 0) co_await self().sleep(1ms);
            std::vector<std::size_t> counts;
            for (int i = 0; i < 3; ++i) counts.push_back(co_await t.deliver(tick{i}, 1, 1s));
            co_return counts;
        },
        t);
    rt.run();
    CHECK(sub.value() == std::vector<int>{0, 1, 2});
    CHECK(pub.value() == std::vector<std::size_t>{1, 1, 1});
    CHECK(t.subscribers() == 0);  // the relay ended with its subscriber
}
