// Topics without their message type: the registry of names, subscriptions
// (attach, detach, exit hooks, overflow policies, counters) and deliver()
// receipts.

#include <algorithm>
#include <stdexcept>

#include "coronet/channels/detail/topic_core.hpp"
#include "coronet/channels/subscription.hpp"
#include "coronet/runtime.hpp"

namespace coronet::detail {

namespace {
/// drop_oldest: copies beyond the capacity that may be on their way to the
/// subscriber's worker (its inbox) before the newest are dropped instead.
constexpr std::size_t in_flight_allowance = 1024;
}  // namespace

// ---------------------------------------------------------------- receipts

void receipt::note(bool taken) noexcept {
    std::lock_guard lk(m);
    if (taken)
        ++received_;
    else
        ++lost_;
    sync_node dummy;
    if (has_waiters_locked() && try_take_locked(dummy)) grant_front_locked();
}

void receipt::arm(std::size_t sent, std::size_t need) {
    std::lock_guard lk(m);
    sent_ = sent;
    need_ = need;
    armed_ = true;
}

std::size_t receipt::received() {
    std::lock_guard lk(m);
    return received_;
}

// ---------------------------------------------------------------- subscriptions

void sub_state::taken(hooked_message& m) noexcept {
    received.fetch_add(1, std::memory_order_relaxed);
    pending.fetch_sub(1, std::memory_order_relaxed);  // no longer waiting
    if (m.tag) static_cast<receipt*>(m.tag)->note(true);
}

void sub_state::freed(hooked_message& m) noexcept {
    if (m.flags & msg_evicted) dropped.fetch_add(1, std::memory_order_relaxed);
    if (!(m.flags & msg_taken)) pending.fetch_sub(1, std::memory_order_relaxed);
    if (auto* r = static_cast<receipt*>(m.tag)) {
        if (!(m.flags & msg_taken)) r->note(false);
        r->release();
    }
    release();  // may delete this: last
}

subscription_stats sub_state::stats() const noexcept {
    subscription_stats s;
    s.sent = sent.load(std::memory_order_relaxed);
    s.received = received.load(std::memory_order_relaxed);
    s.dropped = dropped.load(std::memory_order_relaxed);
    s.filtered = filtered.load(std::memory_order_relaxed);
    s.active = attached.load(std::memory_order_acquire);
    s.disconnected = disconnected.load(std::memory_order_relaxed);
    return s;
}

namespace {

void drop_at_exit(exit_hook& h) noexcept {
    sub_state* s = static_cast<sub_exit_hook&>(h).sub;
    if (auto t = s->topic.lock()) t->detach(*s);
    s->release();  // the exit hook's reference
}

}  // namespace

// ---------------------------------------------------------------- the registry

namespace {
const char registry_key = 0;
std::shared_ptr<void> make_registry() {
    return std::make_shared<topic_registry>();
}
std::shared_ptr<topic_registry> registry_of(runtime_impl* rt) {
    return std::static_pointer_cast<topic_registry>(
        runtime_extension(rt, &registry_key, &make_registry));
}
}  // namespace

runtime_impl* topic_core::here(const char* what) {
    require_process(what);
    return current_runtime();
}

std::shared_ptr<topic_core> topic_core::create(runtime_impl* rt, std::string name,
                                               const void* type) {
    auto reg = registry_of(rt);
    auto t = std::make_shared<topic_core>(name, type, rt, reg);
    std::lock_guard lk(reg->m);
    for (auto& [n, w] : reg->by_name) {
        if (n != name) continue;
        if (!w.expired())
            throw std::invalid_argument("coronet: a topic named '" + name + "' exists");
        w = t;
        return t;
    }
    reg->by_name.emplace_back(std::move(name), t);
    return t;
}

std::shared_ptr<topic_core> topic_core::find(runtime_impl* rt, std::string_view name,
                                             const void* type) {
    auto reg = registry_of(rt);
    std::shared_ptr<topic_core> t;  // released after the lock: ~topic_core takes it
    {
        std::lock_guard lk(reg->m);
        for (auto& [n, w] : reg->by_name) {
            if (n == name) {
                t = w.lock();
                break;
            }
        }
    }
    if (t && t->type_ != type)
        throw std::invalid_argument("coronet: topic '" + std::string(name) +
                                    "' carries another message type");
    return t;
}

topic_core::~topic_core() {
    for (sub_state* s : subs) {
        s->attached.store(false, std::memory_order_release);
        s->release();
    }
    std::lock_guard lk(registry_->m);
    auto& v = registry_->by_name;
    v.erase(std::remove_if(v.begin(), v.end(),
                           [&](auto& e) { return e.first == name_ && e.second.expired(); }),
            v.end());
}

// ---------------------------------------------------------------- subscribe

sub_state* topic_core::attach(subscribe_options o, erased_filter* f) {
    process* p = require_process("coronet::topic::subscribe");
    if (current_runtime() != rt_)
        throw std::logic_error("coronet::topic::subscribe: the topic belongs to another runtime");
    auto* s = new sub_state(weak_from_this(), pid_of(p), o);
    if (f) std::swap(s->filter.fn, f->fn), std::swap(s->filter.destroy, f->destroy);
    {
        std::lock_guard lk(m);
        if (closed) {
            delete s;
            throw std::logic_error("coronet::topic::subscribe: the topic '" + name_ +
                                   "' is closed");
        }
        s->pos = subs.size();
        subs.push_back(s);
    }
    s->on_exit.run = &drop_at_exit;
    s->on_exit.sub = s;
    add_exit_hook(s->on_exit);
    return s;
}

void topic_core::unlink_locked(sub_state& s) noexcept {
    sub_state* last = subs.back();
    subs[s.pos] = last;
    last->pos = s.pos;
    subs.pop_back();
    s.attached.store(false, std::memory_order_release);
}

void topic_core::detach(sub_state& s) noexcept {
    {
        std::lock_guard lk(m);
        if (!s.attached.load(std::memory_order_relaxed)) return;
        unlink_locked(s);
    }
    s.release();  // the list's reference
}

void topic_core::close() {
    std::vector<sub_state*> gone;
    {
        std::lock_guard lk(m);
        if (closed) return;
        closed = true;
        gone.swap(subs);
        for (sub_state* s : gone) s->attached.store(false, std::memory_order_release);
    }
    {
        std::lock_guard lk(registry_->m);
        auto& v = registry_->by_name;
        v.erase(std::remove_if(v.begin(), v.end(), [&](auto& e) { return e.first == name_; }),
                v.end());
    }
    for (sub_state* s : gone) {
        try {
            send_queued(rt_, s->who,
                        make_message<subscription_ended>(subscription_ended{name_, false}));
        } catch (...) {  // out of memory: it ends all the same (active() says so)
        }
        s->release();
    }
}

bool topic_core::is_closed() {
    std::lock_guard lk(m);
    return closed;
}

std::size_t topic_core::subscriber_count() {
    std::lock_guard lk(m);
    return subs.size();
}

// ---------------------------------------------------------------- publish

topic_core::admit topic_core::admit_locked(sub_state& s) noexcept {
    const std::size_t cap = s.opts.capacity;
    if (cap == 0) return admit::go;
    const auto pending = static_cast<std::size_t>(s.pending.load(std::memory_order_relaxed));
    if (pending < cap) return admit::go;
    switch (s.opts.on_overflow) {
        case overflow::drop_oldest:
            // The oldest goes when the new copy reaches the mailbox. Copies
            // still on their way to a busy worker are bounded too.
            if (pending < cap + std::max<std::size_t>(cap, in_flight_allowance)) return admit::go;
            [[fallthrough]];
        case overflow::drop_newest:
            s.dropped.fetch_add(1, std::memory_order_relaxed);
            return admit::drop;
        case overflow::disconnect:
            return admit::disconnect;
    }
    return admit::drop;
}

namespace {
/// A counter only publishers change, under the topic's lock: no atomic
/// read-modify-write needed (readers elsewhere see a relaxed snapshot).
void bump_locked(std::atomic<std::uint64_t>& c) noexcept {
    c.store(c.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
}
}  // namespace

void topic_core::send_plain(sub_state& s, message* msg) {
    bump_locked(s.sent);
    send_queued(rt_, s.who, msg);
}

void topic_core::send_hooked(sub_state& s, hooked_message* msg) {
    bump_locked(s.sent);
    send_queued(rt_, s.who, msg);
}

void topic_core::disconnect_locked(sub_state& s) noexcept {
    s.disconnected.store(true, std::memory_order_relaxed);
    unlink_locked(s);
    try {
        send_queued(rt_, s.who, make_message<subscription_ended>(subscription_ended{name_, true}));
    } catch (...) {  // out of memory: the subscription still ends (active() says so)
    }
    s.release();  // the list's reference
}

void topic_core::publish_done_locked(std::size_t sent) noexcept {
    deliveries.fetch_add(sent, std::memory_order_relaxed);
}

}  // namespace coronet::detail

// ---------------------------------------------------------------- the handle

namespace coronet {

void subscription::unsubscribe() noexcept {
    if (!s_) return;
    detail::sub_state* s = std::exchange(s_, nullptr);
    if (auto t = s->topic.lock()) t->detach(*s);
    if (detail::remove_exit_hook(s->on_exit)) s->release();  // the exit hook's reference
    s->release();                                            // the handle's reference
}

bool subscription::active() const noexcept {
    return s_ && s_->attached.load(std::memory_order_acquire);
}

subscription_stats subscription::stats() const noexcept {
    return s_ ? s_->stats() : subscription_stats{};
}

}  // namespace coronet
