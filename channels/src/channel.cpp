// channel<T> and select without the element type: FIFO queues of waiting
// senders and receivers per channel; a waiter is completed by whoever
// claims it first (its partner, close, its own timeout or cancel).

#include <algorithm>
#include <array>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <vector>

#include "coronet/channels/detail/chan_core.hpp"

namespace coronet::detail {

chan_base::~chan_base() {
    if (!senders_.empty() || !receivers_.empty()) {
        std::fputs(
            "coronet: a channel was destroyed while processes wait on it; keep a channel "
            "handle in every process that uses it\n",
            stderr);
        std::abort();
    }
}

// ---------------------------------------------------------------- queues

void chan_base::enqueue_locked(chan_op& o) noexcept {
    (o.is_send ? senders_ : receivers_).push_back(o);
}

void chan_base::remove_locked(chan_op& o) noexcept {
    (o.is_send ? senders_ : receivers_).remove(o);
}

chan_op* chan_base::claim_first_locked(intrusive_fifo<chan_op>& q) noexcept {
    while (chan_op* w = q.front()) {
        q.remove(*w);
        if (w->owner->claim()) return w;
        // Stale: its owner completed elsewhere or gave up; its cleanup
        // finds it no longer queued.
    }
    return nullptr;
}

void chan_base::finish(chan_op& o) noexcept {
    o.owner->winner = o.index;
    o.owner->complete();
}

// ---------------------------------------------------------------- operations

bool chan_base::try_op_locked(chan_op& o) {
    if (o.is_send) {
        if (closed_) {
            o.closed = true;
            return true;
        }
        if (chan_op* r = claim_first_locked(receivers_)) {
            hand_over(o.slot, r->slot);
            finish(*r);
            return true;
        }
        if (buffered_locked() < capacity_) {
            push_locked(o.slot);
            return true;
        }
        return false;
    }
    if (buffered_locked() > 0) {
        pop_locked(o.slot);
        if (chan_op* s = claim_first_locked(senders_)) {  // room again
            push_locked(s->slot);
            finish(*s);
        }
        return true;
    }
    if (chan_op* s = claim_first_locked(senders_)) {  // rendezvous
        hand_over(s->slot, o.slot);
        finish(*s);
        return true;
    }
    if (closed_) {
        o.closed = true;
        return true;
    }
    return false;
}

bool chan_base::try_op(chan_op& o) {
    std::lock_guard lk(m);
    return try_op_locked(o);
}

void chan_base::close() {
    std::lock_guard lk(m);
    if (closed_) return;
    closed_ = true;
    // Waiting senders fail; waiting receivers (the buffer is empty, or they
    // would not wait) see the end.
    for (intrusive_fifo<chan_op>* q : {&senders_, &receivers_}) {
        while (chan_op* w = claim_first_locked(*q)) {
            w->closed = true;
            finish(*w);
        }
    }
}

bool chan_base::closed() const {
    std::lock_guard lk(const_cast<std::mutex&>(m));
    return closed_;
}

std::size_t chan_base::size() const {
    std::lock_guard lk(const_cast<std::mutex&>(m));
    return buffered_locked();
}

// ---------------------------------------------------------------- waiting

namespace {

/// The distinct channels of a wait, locked in address order (no deadlock
/// between selects that share channels).
class lock_all {
  public:
    explicit lock_all(chan_wait& w) {
        if (w.n <= small.size()) {
            view_ = small.data();
        } else {
            big.resize(w.n);
            view_ = big.data();
        }
        for (std::size_t i = 0; i < w.n; ++i) view_[i] = w.ops[i]->chan;
        n_ = w.n;
        if (n_ > 1) {
            std::sort(view_, view_ + w.n, std::less<chan_base*>{});
            n_ = static_cast<std::size_t>(std::unique(view_, view_ + w.n) - view_);
        }
        for (std::size_t i = 0; i < n_; ++i) view_[i]->m.lock();
    }
    lock_all(const lock_all&) = delete;
    lock_all& operator=(const lock_all&) = delete;
    ~lock_all() {
        for (std::size_t i = n_; i-- > 0;) view_[i]->m.unlock();
    }

  private:
    std::array<chan_base*, 8> small{};
    std::vector<chan_base*> big;
    chan_base** view_ = nullptr;
    std::size_t n_ = 0;
};

void cleanup(ext_wait& e) noexcept {
    auto& w = static_cast<chan_wait&>(e);
    for (std::size_t i = 0; i < w.n; ++i) {
        chan_op& o = *w.ops[i];
        std::lock_guard lk(o.chan->m);
        if (o.queued) o.chan->remove_locked(o);
    }
}

}  // namespace

bool chan_wait_ready(chan_wait& w) {
    w.cleanup = &cleanup;
    switch (ext_wait_prepare(w, "coronet: a channel send, receive or select")) {
        case 1:
            return true;  // cancelled
        case 2:
            return false;  // held for a teardown (LT-4): suspends, then throws
        default:
            break;
    }
    lock_all locks(w);
    // Fair among the ready ones: start at a random op (deterministic on the
    // virtual clock: the worker's generator).
    const std::size_t start = w.n > 1 ? worker_random() % w.n : 0;
    for (std::size_t k = 0; k < w.n; ++k) {
        const std::size_t i = (start + k) % w.n;
        if (w.ops[i]->chan->try_op_locked(*w.ops[i])) {
            w.winner = static_cast<int>(i);
            w.outcome = wait_outcome::ready;
            return true;
        }
    }
    if (w.timeout <= duration::zero()) {
        w.outcome = wait_outcome::timeout;
        return true;
    }
    ext_wait_identify(w);
    for (std::size_t i = 0; i < w.n; ++i) w.ops[i]->chan->enqueue_locked(*w.ops[i]);
    return false;
}

void chan_wait_suspend(chan_wait& w, std::coroutine_handle<> h) {
    ext_wait_suspend(w, h);
}

int chan_wait_resume(chan_wait& w) {
    return ext_wait_finish(w) == wait_outcome::ready ? w.winner : -1;
}

}  // namespace coronet::detail
