#pragma once
/// \file topic.hpp
/// Named publish-subscribe topics (asyncoro's Channel): publish, deliver(n),
/// transforms and filters, bounded subscriptions.

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "coronet/channels/detail/topic_impl.hpp"
#include "coronet/channels/subscription.hpp"
#include "coronet/runtime.hpp"

namespace coronet {

/// Counters of a topic (a snapshot).
struct topic_stats {
    std::uint64_t published = 0;          ///< publish and deliver calls
    std::uint64_t deliveries = 0;         ///< copies sent to subscribers
    std::uint64_t transform_dropped = 0;  ///< messages the topic's transform dropped
    std::size_t subscribers = 0;
};

/// A named topic of `T` messages on one runtime. Processes subscribe; each
/// publish sends every current subscriber its own copy, in its mailbox, as a
/// plain `T`. Publishers from any thread are ordered by the topic: every
/// subscriber sees the messages of the topic in one order. (A topic's copies
/// travel through the subscriber's worker inbox: the topic, not the
/// publisher, is their sender. They are not ordered with what the publisher
/// sends the subscriber directly, nor with its down or exit message.)
///
/// - `publish(v)` never suspends and returns how many copies went out.
/// - `co_await deliver(v, n, timeout)` publishes, then waits until `n`
///   subscribers (0: all it was sent to) have received their copy (taken it
///   out of the mailbox), until every copy was either received or lost (dropped
///   by an overflow policy, its subscriber gone), or until the timeout; it
///   yields how many received it.
/// - A transform on the topic, and a filter per subscription, may change a
///   message or drop it (return false). They run on the publisher's thread
///   under the topic's lock: they must not suspend or use the topic; one
///   that throws drops that copy.
/// - Subscriptions are unbounded by default (like mailboxes); bound them
///   with subscribe_options (drop-oldest, drop-newest or disconnect).
///
/// A `topic` is a handle; copies share the topic. The topic lives while a
/// handle does (its name is then free again), or until close(). It must not
/// be used after its runtime is destroyed.
///
/// **Thread safety:** every member from any thread; subscribe and deliver
/// from processes. A publish holds the topic's lock while it queues its
/// copies: subscribe, unsubscribe and other publishes of that topic wait for
/// it (a `runtime_config::on_dead_letter` hook called for a copy to a
/// departed subscriber runs under that lock and must not use the topic).
/// **Suspends:** `deliver` only.
template <class T>
class topic {
  public:
    topic() = default;

    /// A new topic named `name` on the current process's runtime. Throws
    /// std::invalid_argument if a live topic has that name.
    static topic create(std::string name) {
        return topic(detail::topic_core::create(here(), std::move(name), type()));
    }
    static topic create(runtime& rt, std::string name) {
        return topic(detail::topic_core::create(rt.impl(), std::move(name), type()));
    }
    /// The live topic of that name; nullopt if none. Throws
    /// std::invalid_argument if it carries another type.
    static std::optional<topic> find(std::string_view name) { return found(here(), name); }
    static std::optional<topic> find(runtime& rt, std::string_view name) {
        return found(rt.impl(), name);
    }
    /// find, or create when there is none.
    static topic open(std::string name) {
        for (;;) {  // a concurrent create may win: then find it
            if (auto t = find(name)) return *t;
            try {
                return create(name);
            } catch (const std::invalid_argument&) {
            }
        }
    }

    /// Sends a copy to every subscriber now; never suspends.
    std::size_t publish(const T& v) const { return detail::topic_publish(core(), v, nullptr); }
    /// Publishes and waits for `n` receipts (0: all); see the class comment.
    /// Throws cancelled_error.
    [[nodiscard]] detail::deliver_awaiter<T> deliver(T v, std::size_t n, duration timeout) const {
        return {shared(), std::move(v), n, timeout};
    }

    /// Subscribes the current process. Throws std::logic_error outside a
    /// process of the topic's runtime.
    [[nodiscard]] subscription subscribe(subscribe_options o = {}) const {
        return subscription(core().attach(o, nullptr));
    }
    /// With a filter that may change this subscriber's copy or drop it.
    [[nodiscard]] subscription subscribe(subscribe_options o,
                                         std::function<bool(T&)> filter) const {
        detail::erased_filter f;
        if (filter) {
            f.fn = new detail::filter_fn<T>(std::move(filter));
            f.destroy = &detail::destroy_filter<T>;
        }
        return subscription(core().attach(o, &f));
    }
    /// Sets (or with an empty function, removes) the topic's transform.
    void set_transform(std::function<bool(T&)> f) const {
        auto& c = core();
        std::lock_guard lk(c.m);
        if (c.transform.fn) c.transform.destroy(c.transform.fn);
        c.transform.fn = f ? new detail::filter_fn<T>(std::move(f)) : nullptr;
        c.transform.destroy = &detail::destroy_filter<T>;
    }

    /// Ends every subscription (subscribers get subscription_ended) and
    /// frees the name; later publishes send nothing.
    void close() const { core().close(); }
    bool closed() const { return core().is_closed(); }
    std::size_t subscribers() const { return core().subscriber_count(); }
    topic_stats stats() const {
        auto& c = core();
        topic_stats s;
        s.published = c.published.load(std::memory_order_relaxed);
        s.deliveries = c.deliveries.load(std::memory_order_relaxed);
        s.transform_dropped = c.transform_dropped.load(std::memory_order_relaxed);
        s.subscribers = c.subscriber_count();
        return s;
    }
    const std::string& name() const { return core().name(); }
    explicit operator bool() const noexcept { return c_ != nullptr; }
    friend bool operator==(const topic& a, const topic& b) noexcept { return a.c_ == b.c_; }

  private:
    explicit topic(std::shared_ptr<detail::topic_core> c) : c_(std::move(c)) {}
    static const void* type() noexcept { return &detail::msg_type_of<T>; }
    static detail::runtime_impl* here() { return detail::topic_core::here("coronet::topic"); }
    static std::optional<topic> found(detail::runtime_impl* rt, std::string_view name) {
        if (auto c = detail::topic_core::find(rt, name, type())) return topic(std::move(c));
        return std::nullopt;
    }
    detail::topic_core& core() const {
        if (!c_) throw std::logic_error("coronet::topic: an empty handle");
        return *c_;
    }
    const std::shared_ptr<detail::topic_core>& shared() const {
        core();
        return c_;
    }
    std::shared_ptr<detail::topic_core> c_;
};

}  // namespace coronet
