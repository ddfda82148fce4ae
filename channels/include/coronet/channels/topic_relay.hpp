#pragma once
/// \file topic_relay.hpp
/// Subscribing to a topic of another node: a relay process on the topic's
/// node subscribes there and forwards each copy to the remote subscriber.
///
/// The topic's node makes the relay spawnable (net::node::add_spawnable),
/// the subscriber's node spawns it there with spawn_on:
///
/// ```cpp
/// // node A, which has topic<quote> "quotes"
/// node_a->add_spawnable("quotes", &coronet::topic_relay<quote>);
/// // a process on node B
/// pid relay = co_await node_b->spawn_on("A", "quotes", 5s,
///                                       coronet::relay_request_for("quotes"));
/// monitor(relay);  // its end: the topic closed, or A lost (noconnection)
/// quote q = co_await self().receive<quote>();
/// coronet::exit(relay, {coronet::exit_kind::shutdown});  // unsubscribe
/// ```
///
/// What it means for the topic: the relay is one subscriber. publish()
/// counts it, and deliver(n) counts a copy as received when the relay took
/// it and sent it on to the subscriber's node (not when the remote
/// subscriber took it). The subscription's bound and overflow policy apply
/// to the relay's mailbox: when the subscriber's node falls behind, the
/// node's send window pauses the relay, and the policy drops copies there.
/// T must be serializable (serialize.hpp). The relay ends when the
/// subscriber exits or its node is lost (it monitors it), when the topic is
/// closed or disconnects it, or when told to exit; a topic name that does
/// not exist makes it fail at once (its down says why).
///
/// **Thread safety:** values; the relay is a process. **Suspends:** the
/// relay does.

#include <cstdint>
#include <stdexcept>
#include <string>

#include "coronet/channels/topic.hpp"
#include "coronet/monitor.hpp"
#include "coronet/receive.hpp"
#include "coronet/self.hpp"
#include "coronet/serialize.hpp"

namespace coronet {

/// What a relay is spawned with: the topic's name, who gets the copies,
/// and the subscription's bound (subscribe_options, as integers).
struct relay_request {
    std::string topic;
    pid subscriber;
    std::uint64_t capacity = 0;    ///< 0: unbounded
    std::uint8_t on_overflow = 0;  ///< an `overflow` value

    template <class F>
    friend void fields(F& f, relay_request& r) {
        f(r.topic, r.subscriber, r.capacity, r.on_overflow);
    }
};

/// The request for the current process to subscribe to `topic` (on the
/// node it is sent to) with `o`.
inline relay_request relay_request_for(std::string topic, subscribe_options o = {}) {
    return {std::move(topic), self().id(), o.capacity, static_cast<std::uint8_t>(o.on_overflow)};
}

/// The relay process (see the file comment).
template <class T>
task<void> topic_relay(relay_request r) {
    static_assert(!detail::wire_type<T>::name.empty(),
                  "topic_relay<T>: T must be CORONET_SERIALIZABLE to reach another node");
    if (r.on_overflow > static_cast<std::uint8_t>(overflow::disconnect))
        throw std::invalid_argument("topic_relay: an unknown overflow policy");
    auto t = topic<T>::find(r.topic);
    if (!t) throw std::invalid_argument("topic_relay: no topic named \"" + r.topic + "\" here");
    const subscription sub =
        t->subscribe(subscribe_options{r.capacity, static_cast<overflow>(r.on_overflow)});
    const monitor_ref m = monitor(r.subscriber);
    const pid to = r.subscriber;
    for (;;) {
        const bool go = co_await self().receive_any(
            [to](T v) {
                send(to, std::move(v));
                return true;
            },
            guard([m](const down_msg& d) { return d.ref == m; }, [](down_msg) { return false; }),
            [](subscription_ended) { return false; });
        if (!go) co_return;
    }
}

}  // namespace coronet
