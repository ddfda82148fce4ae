#pragma once
/// \file subscription_options.hpp
/// How a topic subscription bounds what it holds, what it counts, and the
/// message that tells a subscriber its subscription ended.

#include <cstddef>
#include <cstdint>
#include <string>

namespace coronet {

/// What a bounded subscription does when `capacity` copies are already
/// waiting for its subscriber.
enum class overflow : std::uint8_t {
    /// The oldest waiting copy is removed from the mailbox when a new one
    /// arrives. Copies still on their way to a busy worker count too: past
    /// capacity + max(capacity, 1024) of them, the newest is dropped instead.
    drop_oldest,
    drop_newest,  ///< the new copy is not sent
    disconnect,   ///< the subscription ends; the subscriber gets subscription_ended
};

/// Options of topic<T>::subscribe.
struct subscribe_options {
    /// Most copies from this topic waiting in the subscriber's mailbox (sent
    /// and not yet received). 0: unbounded, like any mailbox; the default.
    std::size_t capacity = 0;
    overflow on_overflow = overflow::drop_oldest;
};

/// Counters of one subscription (a snapshot).
struct subscription_stats {
    std::uint64_t sent = 0;      ///< copies sent to the subscriber
    std::uint64_t received = 0;  ///< copies it took (bounded or deliver() copies only)
    std::uint64_t dropped = 0;   ///< copies dropped by the overflow policy
    std::uint64_t filtered = 0;  ///< copies its filter dropped (or that threw)
    bool active = false;         ///< still subscribed
    bool disconnected = false;   ///< ended by overflow::disconnect
};

/// Sent to a subscriber whose subscription ended without its asking: its
/// topic was closed, or it overflowed with overflow::disconnect.
struct subscription_ended {
    std::string topic;
    bool overflowed = false;  ///< false: the topic was closed
};

}  // namespace coronet
