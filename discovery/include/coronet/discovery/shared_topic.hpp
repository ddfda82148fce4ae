#pragma once
/// \file shared_topic.hpp
/// Topics found across the cluster: a node shares a topic, and
/// `locate_topic<T>` finds it on any member and subscribes to it from
/// there (through a relay process on the topic's node, topic_relay.hpp).
///
/// ```cpp
/// // node A
/// auto quotes = coronet::topic<quote>::create(rt, "quotes");
/// discovery::share_topic(*cluster_a, quotes);
/// // a process on node B
/// auto t = co_await discovery::locate_topic<quote>(*cluster_b, "quotes", 5s);
/// if (t && !t->here) pid relay = co_await t->subscribe(*cluster_b, {}, 5s);
/// quote q = co_await self().receive<quote>();
/// ```
///
/// **Thread safety:** share_topic / unshare_topic from any thread;
/// locate_topic and subscribe inside a process. **Suspends:** locate_topic,
/// subscribe.

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "coronet/channels/subscription_options.hpp"
#include "coronet/channels/topic.hpp"
#include "coronet/channels/topic_relay.hpp"
#include "coronet/discovery/cluster.hpp"
#include "coronet/net/node.hpp"
#include "coronet/pid.hpp"
#include "coronet/serialize.hpp"
#include "coronet/task.hpp"
#include "coronet/time.hpp"

namespace coronet::discovery {

/// The spawnable relay function of topics of the wire type `wire_name`.
inline std::string relay_function_for(std::string_view wire_name) {
    return "coronet.topic_relay/" + std::string(wire_name);
}

/// Makes `t` findable by locate_topic on other members, and subscribable
/// from them (its node makes topic_relay<T> spawnable). T must be
/// CORONET_SERIALIZABLE. Until unshare_topic, or until the topic closes
/// (a subscribe then fails: no topic of that name).
template <class T>
void share_topic(cluster& c, const topic<T>& t) {
    static_assert(!coronet::detail::wire_type<T>::name.empty(),
                  "share_topic<T>: T must be CORONET_SERIALIZABLE to reach another node");
    const std::string_view wire = wire_name_of<T>();
    c.node().add_spawnable(relay_function_for(wire), &topic_relay<T>);
    c.share_topic_name(t.name(), wire);
}
/// Stops answering locate_topic for `name` (subscriptions made stay).
inline void unshare_topic(cluster& c, std::string_view name) {
    c.share_topic_name(name, {});
}

/// A topic locate_topic found: on this node (`here`), or on `node`.
///
/// **Thread safety:** a value type. **Suspends:** subscribe.
template <class T>
struct located_topic {
    std::string node;  ///< where it is (this node's name when `here`)
    std::string name;
    std::optional<topic<T>> here;  ///< the topic itself when it is on this node

    /// Subscribes the calling process to the remote topic: a relay on its
    /// node takes the copies and sends them on as plain T. Returns the
    /// relay's pid: monitor it (it ends when the topic closes or that node
    /// is lost), make it exit to unsubscribe. Throws net::spawn_error or
    /// call_error (noconnection, timeout); std::logic_error when the topic
    /// is here (subscribe to `*here` instead).
    [[nodiscard]] task<pid> subscribe(cluster& c, subscribe_options o, duration timeout) const {
        if (here) throw std::logic_error("located_topic::subscribe: the topic is on this node");
        const relay_request r = relay_request_for(name, o);
        const std::string fn = relay_function_for(wire_name_of<T>());
        co_return co_await c.node().spawn_on(node, fn, timeout, r);
    }
};

/// Finds the topic `name` of T: on this node, else on the members that
/// shared it (asked in name order within `timeout`). nullopt when none has
/// it. Throws std::invalid_argument when the topic found carries another
/// type. Inside a process; **suspends**.
template <class T>
task<std::optional<located_topic<T>>> locate_topic(cluster& c, std::string name, duration timeout) {
    if (auto t = topic<T>::find(c.node().runtime_of(), name))
        co_return located_topic<T>{c.node().name(), name, std::move(t)};
    const std::optional<std::pair<std::string, std::string>> found =
        co_await c.find_shared_topic(name, timeout);
    if (!found) co_return std::nullopt;
    if (found->second != wire_name_of<T>())
        throw std::invalid_argument("locate_topic: topic \"" + name + "\" on " + found->first +
                                    " carries " + found->second + ", not " +
                                    std::string(wire_name_of<T>()));
    co_return located_topic<T>{found->first, name, std::nullopt};
}

}  // namespace coronet::discovery
