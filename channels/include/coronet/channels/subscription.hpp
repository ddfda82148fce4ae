#pragma once
/// \file subscription.hpp
/// A process's subscription to a topic.

#include <utility>

#include "coronet/channels/detail/topic_core.hpp"
#include "coronet/channels/subscription_options.hpp"

namespace coronet {

/// Owns one subscription of the process that made it (topic<T>::subscribe).
/// Copies of what is published arrive in that process's mailbox as plain
/// messages; receive them like any other. The subscription ends when the
/// handle is destroyed or unsubscribe() is called, when the process exits
/// (even if the handle lives on), when the topic is closed or destroyed, or
/// by overflow::disconnect.
///
/// **Thread safety:** unsubscribe and the destructor from the owning process
/// (elsewhere they only detach from the topic; the exit hook stays until the
/// process exits); stats() and active() from any thread. **Suspends:** never.
class subscription {
  public:
    subscription() = default;
    explicit subscription(detail::sub_state* s) noexcept : s_(s) {}
    subscription(subscription&& o) noexcept : s_(std::exchange(o.s_, nullptr)) {}
    subscription& operator=(subscription&& o) noexcept {
        if (this != &o) {
            unsubscribe();
            s_ = std::exchange(o.s_, nullptr);
        }
        return *this;
    }
    ~subscription() { unsubscribe(); }

    /// Ends the subscription (idempotent). Copies already in the mailbox stay.
    void unsubscribe() noexcept;
    bool active() const noexcept;
    subscription_stats stats() const noexcept;

  private:
    detail::sub_state* s_ = nullptr;
};

}  // namespace coronet
