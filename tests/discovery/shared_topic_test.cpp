// locate_topic: a topic shared on one node is found from another and
// subscribed to through a relay; a local one is found here; a missing or
// unshared one is not found; another type is refused. Real clock,
// loopback, two nodes in one program.

#include <coronet/discovery/shared_topic.hpp>

#include <string>
#include <thread>
#include <catch2/catch.hpp>
#include <coronet/channels/topic.hpp>
#include <coronet/discovery/cluster.hpp>
#include <coronet/monitor.hpp>
#include <coronet/names.hpp>
#include <coronet/net/node.hpp>
#include <coronet/receive.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>
#include <coronet/serialize.hpp>

#include "test_cluster.hpp"
#include "test_runtime.hpp"

namespace topictest {
struct quote {
    std::string text;
    template <class F>
    friend void fields(F& f, quote& q) {
        f(q.text);
    }
};
struct other {
    int n = 0;
    template <class F>
    friend void fields(F& f, other& o) {
        f(o.n);
    }
};
/// Asks the publisher to deliver one quote; it answers with how many took it.
struct go {
    coronet::pid from;
    template <class F>
    friend void fields(F& f, go& g) {
        f(g.from);
    }
};
struct took {
    std::uint64_t n = 0;
    template <class F>
    friend void fields(F& f, took& t) {
        f(t.n);
    }
};
}  // namespace topictest
CORONET_SERIALIZABLE(topictest::quote, "coronet.test.topic.quote");
CORONET_SERIALIZABLE(topictest::other, "coronet.test.topic.other");
CORONET_SERIALIZABLE(topictest::go, "coronet.test.topic.go");
CORONET_SERIALIZABLE(topictest::took, "coronet.test.topic.took");

namespace {

using namespace coronet;
using namespace coronet::discovery;
using namespace coronet::test;
using topictest::quote;

/// beta: on each go, delivers a quote to one subscriber and says how many
/// took it; ends on an int.
task<void> publisher(topic<quote> t) {
    for (;;) {
        std::optional<topictest::go> g;
        const bool more = co_await self().receive_any(
            [&](topictest::go m) {
                g = m;
                return true;
            },
            [](int) { return false; });
        if (!more) co_return;
        const quote q{"hello from beta"};
        const std::size_t n = co_await t.deliver(q, 1, 2s);
        send(g->from, topictest::took{n});
    }
}

task<std::string> find_and_subscribe(cluster* cl) {
    std::string out;
    auto t = co_await locate_topic<quote>(*cl, "quotes", 5s);
    if (!t) co_return "quotes not found";
    out += "quotes on " + t->node + (t->here ? " (here)" : "");
    const pid relay = co_await t->subscribe(*cl, {}, 5s);
    const monitor_ref m = monitor(relay);
    auto pub = co_await cl->locate("publisher", 5s);
    if (!pub) co_return out + ", no publisher";
    // The relay subscribes when it first runs: ask until a copy was taken.
    std::uint64_t n = 0;
    for (int i = 0; i < 50 && n == 0; ++i) {
        send(*pub, topictest::go{self().id()});
        auto r = co_await self().receive<topictest::took>(5s);
        if (!r) co_return out + ", no answer from the publisher";
        n = r->n;
    }
    auto q = co_await self().receive<quote>(5s);
    out += q ? ", got \"" + q->text + "\"" : ", no quote";
    auto local = co_await locate_topic<quote>(*cl, "local-quotes", 5s);
    out += local && local->here ? ", local-quotes here" : ", local-quotes not here";
    auto missing = co_await locate_topic<quote>(*cl, "unshared", 5s);
    out += missing ? ", unshared found (wrong)" : ", unshared not found";
    try {
        (void)co_await locate_topic<topictest::other>(*cl, "quotes", 5s);
        out += ", other type accepted (wrong)";
    } catch (const std::invalid_argument&) {
        out += ", other type refused";
    }
    coronet::exit(relay, exit_reason{exit_kind::shutdown, nullptr, "unsubscribe"});
    auto down = co_await self().receive<down_msg>(5s);
    out += down && down->ref == m ? ", relay ended" : ", relay still there";
    co_return out;
}

}  // namespace

TEST_CASE("shared topics: locate_topic finds a topic on another node and subscribes to it",
          "[discovery][net]") {
    two_members m;
    auto& [a, b, na, nb, ca, cb] = m;
    m.connect();
    auto quotes = topic<quote>::create(b, "quotes");
    share_topic(*cb, quotes);
    auto unshared = topic<quote>::create(b, "unshared");
    auto local = topic<quote>::create(a, "local-quotes");
    auto pub = b.spawn(publisher, quotes);
    REQUIRE(b.register_name("publisher", pub.id()));
    auto h = a.spawn(find_and_subscribe, ca.get());
    std::thread tb([&] { b.run(); });
    a.run();
    b.send(pub.id(), 0);
    tb.join();
    CHECK(h.value() ==
          "quotes on beta, got \"hello from beta\", local-quotes here, unshared not found, other "
          "type refused, relay ended");
    CHECK(quotes.subscribers() == 0);
    ca.reset();
    cb.reset();
}
