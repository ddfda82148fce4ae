#pragma once
// The typed part of topic<T>: the publish loop and the deliver() awaiter.
// Internal.

#include <functional>
#include <optional>
#include <type_traits>

#include "coronet/channels/detail/topic_core.hpp"
#include "coronet/detail/process_ops.hpp"
#include "coronet/detail/type_name.hpp"

namespace coronet::detail {

template <class T>
using filter_fn = std::function<bool(T&)>;

template <class T>
void destroy_filter(void* f) noexcept {
    delete static_cast<filter_fn<T>*>(f);
}

/// A filter that throws drops its copy (counted as filtered).
template <class T>
bool run_filter(const erased_filter& f, T& v) noexcept {
    try {
        return (*static_cast<filter_fn<T>*>(f.fn))(v);
    } catch (...) {
        return false;
    }
}

/// Sends a copy of `value` to every subscriber (under the topic's lock, so
/// concurrent publishers' messages reach every subscriber in one order).
/// With a receipt `r`, every copy is tracked for deliver(). Returns the
/// number of copies sent.
template <class T>
std::size_t topic_publish(topic_core& t, const T& value, receipt* r) {
    std::lock_guard lk(t.m);
    if (t.closed) return 0;
    t.published.fetch_add(1, std::memory_order_relaxed);
    const T* v = &value;
    std::optional<T> changed;
    if (t.transform.fn) {
        changed.emplace(value);
        if (!run_filter(t.transform, *changed)) {
            t.transform_dropped.fetch_add(1, std::memory_order_relaxed);
            return 0;
        }
        v = &*changed;
    }
    std::size_t sent = 0;
    struct count_sent {  // also when a copy throws part-way (those sent stay sent)
        topic_core& t;
        const std::size_t& sent;
        ~count_sent() { t.publish_done_locked(sent); }
    } counter{t, sent};
    for (std::size_t i = 0; i < t.subs.size(); ++i) {
        sub_state& s = *t.subs[i];
        if (!r && s.plain()) {  // the fast path: unbounded, unfiltered
            t.send_plain(s, make_message<T>(*v));
            ++sent;
            continue;
        }
        std::optional<T> copy;
        if (s.filter.fn) {
            copy.emplace(*v);
            if (!run_filter(s.filter, *copy)) {
                s.filtered.fetch_add(1, std::memory_order_relaxed);
                continue;
            }
        }
        const auto a = t.admit_locked(s);
        if (a == topic_core::admit::drop) continue;
        if (a == topic_core::admit::disconnect) {
            t.disconnect_locked(s);
            --i;  // the last entry moved here
            continue;
        }
        hooked_message* m = alloc_hooked_message(&s, r);
        s.retain();
        s.pending.fetch_add(1, std::memory_order_relaxed);
        if (r) r->retain();
        if (copy)
            fill_message<T>(m, std::move(*copy));
        else
            fill_message<T>(m, *v);
        t.send_hooked(s, m);
        ++sent;
    }
    return sent;
}

/// co_await topic.deliver(v, n, timeout): publishes with a receipt, then
/// waits until `need` subscribers took their copy (or it cannot happen, or
/// the timeout). Yields how many took it.
template <class T>
class deliver_awaiter {
  public:
    deliver_awaiter(std::shared_ptr<topic_core> t, T v, std::size_t n, duration timeout)
        : t_(std::move(t)), v_(std::move(v)), n_(n), timeout_(timeout) {}
    deliver_awaiter(const deliver_awaiter&) = delete;
    deliver_awaiter& operator=(const deliver_awaiter&) = delete;
    ~deliver_awaiter() {
        if (r_) r_->release();
    }

    bool await_ready() {
        require_process("coronet::topic::deliver");
        r_ = new receipt;
        // A cancelled process publishes nothing: the wait below throws.
        const std::size_t sent = current_cancelled() ? 0 : topic_publish(*t_, v_, r_);
        r_->arm(sent, n_ == 0 ? sent : n_);
        wait_.emplace(r_, timeout_);
        return wait_->await_ready();
    }
    void await_suspend(std::coroutine_handle<> h) { wait_->await_suspend(h); }
    std::size_t await_resume() {
        wait_->await_resume();  // throws cancelled_error
        return r_->received();
    }

  private:
    std::shared_ptr<topic_core> t_;
    T v_;
    std::size_t n_;
    duration timeout_;
    receipt* r_ = nullptr;
    std::optional<sync_awaiter> wait_;
};

}  // namespace coronet::detail
