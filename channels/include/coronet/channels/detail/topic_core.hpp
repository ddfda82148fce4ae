#pragma once
// The non-template core of topics: the subscriber list, subscriptions as
// message hooks (counting, bounding), deliver() receipts, the per-runtime
// registry of topic names. Internal.

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "coronet/channels/subscription_options.hpp"
#include "coronet/detail/message_node.hpp"
#include "coronet/detail/module_hooks.hpp"
#include "coronet/detail/sync_wait.hpp"
#include "coronet/pid.hpp"

namespace coronet::detail {

class runtime_impl;
class topic_core;

/// A type-erased callable `bool(T&)` (a transform/filter) and its deleter.
struct erased_filter {
    void* fn = nullptr;
    void (*destroy)(void*) noexcept = nullptr;
    erased_filter() = default;
    erased_filter(const erased_filter&) = delete;
    erased_filter& operator=(const erased_filter&) = delete;
    ~erased_filter() {
        if (fn) destroy(fn);
    }
};

/// What a deliver() waits for: how many of the subscribers it sent to have
/// taken the message out of their mailbox. Done at `need` receipts, or once
/// every copy was either taken or lost (dropped, its subscriber gone). A
/// one-waiter primitive.
class receipt final : public sync_base {
  public:
    bool try_take_locked(sync_node&) override {
        return armed_ && (received_ >= need_ || received_ + lost_ >= sent_);
    }
    void grant_lost(std::uint32_t) override {}
    /// A subscriber took it (true) or it died untaken (false). Any thread.
    void note(bool taken) noexcept;
    /// After the publish: `sent` copies went out; done at `need` received.
    void arm(std::size_t sent, std::size_t need);
    std::size_t received();
    void retain() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
    void release() noexcept {
        if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
    }

  private:
    std::atomic<std::uint32_t> refs_{1};
    bool armed_ = false;  // under m, as the counts
    std::size_t sent_ = 0, received_ = 0, lost_ = 0, need_ = 0;
};

class sub_state;

/// The exit hook of a subscription: drops it when its process exits.
struct sub_exit_hook : exit_hook {
    sub_state* sub = nullptr;
};

/// One subscription: an entry of its topic's list, and the hook of the
/// copies sent to it that must be counted (bounded, deliver()).
class sub_state final : public message_hook {
  public:
    sub_state(std::weak_ptr<topic_core> t, pid who, subscribe_options o)
        : topic(std::move(t)), who(who), opts(o) {}

    void taken(hooked_message& m) noexcept override;
    void freed(hooked_message& m) noexcept override;
    bool over_capacity(hooked_message&) noexcept override {
        return opts.capacity && opts.on_overflow == overflow::drop_oldest &&
               attached.load(std::memory_order_relaxed) &&
               pending.load(std::memory_order_relaxed) > static_cast<std::int64_t>(opts.capacity);
    }
    /// Unbounded and unfiltered: plain messages suffice.
    bool plain() const noexcept { return opts.capacity == 0 && !filter.fn; }

    void retain() noexcept { refs.fetch_add(1, std::memory_order_relaxed); }
    void release() noexcept {
        if (refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
    }
    subscription_stats stats() const noexcept;

    // refs: the topic's list while attached, the handle, the exit hook,
    // and one per hooked copy on its way or in the mailbox.
    std::atomic<std::uint32_t> refs{3};
    const std::weak_ptr<topic_core> topic;
    const pid who;
    const subscribe_options opts;
    erased_filter filter;                  // bool(T&); runs on the publisher's thread
    std::atomic<std::int64_t> pending{0};  // hooked copies on their way or in the mailbox
    std::atomic<std::uint64_t> sent{0}, received{0}, dropped{0}, filtered{0};
    std::atomic<bool> attached{true}, disconnected{false};
    std::size_t pos = 0;    // in the topic's list (under its lock)
    sub_exit_hook on_exit;  // on the subscriber's worker
};

/// Per-runtime map of topic names.
struct topic_registry {
    std::mutex m;
    std::vector<std::pair<std::string, std::weak_ptr<topic_core>>> by_name;  // under m
};

/// A topic without its message type.
///
/// **Thread safety:** every member takes the topic's lock. **Suspends:** never.
class topic_core : public std::enable_shared_from_this<topic_core> {
  public:
    topic_core(std::string name, const void* type, runtime_impl* rt,
               std::shared_ptr<topic_registry> reg)
        : name_(std::move(name)), type_(type), rt_(rt), registry_(std::move(reg)) {}
    ~topic_core();

    /// Creates and names a topic on `rt`; throws std::invalid_argument when
    /// the name is taken (by a live topic).
    static std::shared_ptr<topic_core> create(runtime_impl* rt, std::string name, const void* type);
    /// The live topic of that name, or null; throws std::invalid_argument
    /// when it carries another type.
    static std::shared_ptr<topic_core> find(runtime_impl* rt, std::string_view name,
                                            const void* type);
    /// The runtime of the calling process; throws std::logic_error outside.
    static runtime_impl* here(const char* what);

    /// The current process subscribes (ownership: dropped at its exit).
    sub_state* attach(subscribe_options o, erased_filter* f);
    /// Idempotent; any thread.
    void detach(sub_state& s) noexcept;
    void close();
    bool is_closed();
    std::size_t subscriber_count();
    const std::string& name() const noexcept { return name_; }

    // publish, for the typed loop (topic_impl.hpp), under m
    enum class admit : std::uint8_t { go, drop, disconnect };
    admit admit_locked(sub_state& s) noexcept;
    void send_plain(sub_state& s, message* m);
    void send_hooked(sub_state& s, hooked_message* m);
    void disconnect_locked(sub_state& s) noexcept;
    void publish_done_locked(std::size_t sent) noexcept;

    std::mutex m;
    std::vector<sub_state*> subs;  // under m; each holds a ref
    erased_filter transform;       // bool(T&), under m
    bool closed = false;           // under m
    std::atomic<std::uint64_t> published{0}, deliveries{0}, transform_dropped{0};

  private:
    void unlink_locked(sub_state& s) noexcept;

    const std::string name_;
    const void* const type_;
    runtime_impl* const rt_;
    const std::shared_ptr<topic_registry> registry_;
};

}  // namespace coronet::detail
