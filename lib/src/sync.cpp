// Coroutine locks, events, semaphores and conditions. Every primitive is a
// lock plus a FIFO of waiting processes (sync_base). A grant goes to the
// waiter's worker as sig_sync; one that finds its waiter gone (timed out,
// cancelled, destroyed) is given back with grant_lost, so that nothing is
// lost and no stale waiter stays queued.

#include <algorithm>
#include <stdexcept>

#include "coronet/condition.hpp"
#include "coronet/event.hpp"
#include "coronet/mutex.hpp"
#include "coronet/semaphore.hpp"
#include "internal/core.hpp"
#include "internal/signals.hpp"

namespace coronet::detail {

// ---------------------------------------------------------------- FIFO

void sync_base::grant_front_locked() {
    sync_node* n = fifo_.front();
    remove_locked(*n);
    on_grant_locked(*n);
    message* m = make_signal<sig_sync>(this, n->wait_id, n->want);
    m->target = n->serial;
    m->target_slot = n->slot;
    n->home->post(m);  // any thread; the waiter's worker handles it
}

// ---------------------------------------------------------------- waits

bool sync_awaiter::await_ready() {
    process* p = require_process("coronet: waiting for a lock, event, semaphore or condition");
    if (!n.shield && is_cancelled(p)) {
        if (hold_for_teardown(p)) return false;  // LT-4: its children first
        n.outcome = wait_outcome::cancelled;
        return true;
    }
    {
        std::lock_guard lk(n.prim->m);
        if (n.prim->try_take_locked(n)) {
            n.outcome = wait_outcome::ready;
        } else if (n.timeout <= duration::zero()) {
            n.outcome = wait_outcome::timeout;
        } else {
            n.serial = p->serial;
            n.slot = p->slot;
            n.home = p->home;
            n.wait_id = p->home->rt.next_wait_id.fetch_add(1, std::memory_order_relaxed) + 1;
            n.prim->enqueue_locked(n);
        }
    }
    if (release) {  // condition: queued first, then the mutex goes
        release->unlock();
        released = true;
    }
    if (n.outcome == wait_outcome::ready) n.prim->taken(p);
    return n.outcome != wait_outcome::pending;
}

void sync_awaiter::await_suspend(std::coroutine_handle<> h) {
    process* p = tl_worker->current;
    if (p->waiting == wait_kind::hold) {
        p->resume_at = h;
        return;
    }
    p->waiting = wait_kind::sync;
    p->wait_ctx = &n;
    p->resume_at = h;
    if (n.timeout != infinite)
        p->home->arm(&p->timer, deadline_after(p->home->rt.now(), n.timeout));
}

bool sync_awaiter::await_resume() {
    switch (n.outcome) {
        case wait_outcome::ready:
            return true;
        case wait_outcome::cancelled:
        case wait_outcome::pending:  // (pending: held for a teardown, LT-4)
            throw_cancelled(tl_worker->current);
        default:
            return false;
    }
}

/// Under the lock: a waiter leaves its queue without a grant.
void leave_locked(sync_node& n) noexcept {
    n.prim->remove_locked(n);
    n.prim->waiter_left_locked();
}

bool sync_hold(process* p) noexcept {
    auto& n = *static_cast<sync_node*>(p->wait_ctx);
    if (n.shield && !p->killed) return false;  // a condition taking its mutex back
    std::lock_guard lk(n.prim->m);
    // A grant on its way finds the waiter on hold and is given back
    // (sync_signal): for a lock, cancellation wins, as in sync_cancel.
    if (n.queued) leave_locked(n);
    return true;
}

void sync_forget(process* p) noexcept {
    auto& n = *static_cast<sync_node*>(p->wait_ctx);
    std::lock_guard lk(n.prim->m);
    if (!n.queued) return;  // a grant on its way is given back when it arrives
    leave_locked(n);
}

/// The waiter's timer fired (on its worker).
void sync_timeout(process* p) noexcept {
    auto& n = *static_cast<sync_node*>(p->wait_ctx);
    std::lock_guard lk(n.prim->m);
    if (!n.queued) return;  // granted meanwhile: the grant is on its way
    leave_locked(n);
    n.outcome = wait_outcome::timeout;
    finish_wait(p);
}

/// The waiter is cancelled (on its worker).
void sync_cancel(process* p) noexcept {
    auto& n = *static_cast<sync_node*>(p->wait_ctx);
    if (n.shield && !p->killed) return;  // a condition taking its mutex back
    std::lock_guard lk(n.prim->m);
    n.outcome = wait_outcome::cancelled;
    if (!n.queued) return;  // granted: given back when the grant arrives
    leave_locked(n);
    finish_wait(p);
}

void sync_signal(worker& w, message* m) {
    auto& s = signal_data<sig_sync>(m);
    process* p = w.table.find(m->target_slot, m->target);
    if (p && p->state == pstate::running && p->waiting == wait_kind::sync &&
        static_cast<sync_node*>(p->wait_ctx)->wait_id == s.wait_id) {
        auto& n = *static_cast<sync_node*>(p->wait_ctx);
        if (n.outcome == wait_outcome::cancelled) {
            s.prim->grant_lost(s.want);  // cancellation wins; the grant goes on
        } else {
            n.outcome = wait_outcome::ready;
            s.prim->taken(p);
        }
        finish_wait(p);
    } else {
        s.prim->grant_lost(s.want);  // its waiter is gone
    }
}

// ---------------------------------------------------------------- mutex

namespace {
void forget_held(process* p, mutex_core* m) {
    auto& held = p->ext->held_locks;
    if (auto it = std::find(held.begin(), held.end(), m); it != held.end()) held.erase(it);
}
}  // namespace

mutex_core::~mutex_core() {
    // A mutex that dies held by the running process (a local of its frame):
    // the process must not release it again at its exit.
    process* p = current_process();
    if (owner_ == 0 || !p || p->serial != owner_ || !p->ext) return;
    forget_held(p, this);
}

bool mutex_core::try_take_locked(sync_node& n) {
    if (owner_ == 0) {
        owner_ = n.serial ? n.serial : current_process()->serial;
        depth_ = 1;
        return true;
    }
    if (recursive_ && owner_ == current_process()->serial) {
        ++depth_;
        return true;
    }
    return false;
}

void mutex_core::on_grant_locked(sync_node& n) {
    owner_ = n.serial;
    depth_ = 1;
}

void mutex_core::release_locked() {
    depth_ = 0;
    owner_ = 0;
    if (has_waiters_locked()) grant_front_locked();
}

void mutex_core::grant_lost(std::uint32_t) {
    std::lock_guard lk(m);
    release_locked();
}

void mutex_core::taken(process* p) {
    auto& held = p->extension().held_locks;
    if (depth_ > 1) return;  // a recursive relock: recorded once
    held.push_back(this);
}

void mutex_core::unlock() {
    process* p = require_process("coronet::mutex::unlock");
    std::lock_guard lk(m);
    if (owner_ != p->serial)
        throw std::logic_error("coronet::mutex::unlock: not held by this process");
    abandoned_ = false;
    if (--depth_ > 0) return;
    forget_held(p, this);
    release_locked();
}

bool mutex_core::try_lock() {
    process* p = require_process("coronet::mutex::try_lock");
    bool ok;
    {
        std::lock_guard lk(m);
        if (has_waiters_locked() && owner_ != p->serial) return false;
        sync_node n;
        n.serial = p->serial;
        ok = try_take_locked(n);
    }
    if (ok) taken(p);
    return ok;
}

void mutex_core::abandon(std::uint64_t serial) {
    std::lock_guard lk(m);
    if (owner_ != serial) return;
    abandoned_ = true;
    release_locked();
}

bool mutex_core::owned_by_current() const {
    process* p = current_process();
    std::lock_guard lk(const_cast<std::mutex&>(m));
    return p && owner_ == p->serial;
}

bool mutex_core::abandoned() const {
    std::lock_guard lk(const_cast<std::mutex&>(m));
    return abandoned_;
}

void release_held_locks(process* p) {
    auto held = std::move(p->ext->held_locks);
    for (auto* mx : held) mx->abandon(p->serial);
}

}  // namespace coronet::detail

namespace coronet {

using namespace detail;

namespace {
task<mutex_guard> scoped_lock(mutex_core* c) {
    co_await sync_awaiter(c, infinite);
    co_return mutex_guard(c);
}
}  // namespace

task<mutex_guard> basic_mutex::scoped() {
    return scoped_lock(&c_);
}

// ---------------------------------------------------------------- event

void event::set() {
    std::lock_guard lk(c_.m);
    c_.set_ = true;
    while (c_.has_waiters_locked()) c_.grant_front_locked();
}

void event::clear() {
    std::lock_guard lk(c_.m);
    c_.set_ = false;
}

bool event::is_set() const {
    std::lock_guard lk(const_cast<std::mutex&>(c_.m));
    return c_.set_;
}

// ---------------------------------------------------------------- semaphore

semaphore::semaphore(std::uint32_t initial, std::optional<std::uint32_t> bound) {
    if (bound && initial > *bound)
        throw std::invalid_argument("coronet::semaphore: initial count above its bound");
    c_.permits = initial;
    c_.bound = bound;
}

bool semaphore::core::try_take_locked(sync_node& n) {
    if (has_waiters_locked() || permits < n.want) return false;  // FIFO: no passing
    permits -= n.want;
    return true;
}

void semaphore::core::release_locked(std::uint32_t n) {
    if (bound && permits + n > *bound)
        throw std::logic_error("coronet::semaphore::release: above its bound");
    permits += n;
    waiter_left_locked();  // serves the waiters that now fit
}

void semaphore::core::waiter_left_locked() {
    while (has_waiters_locked() && front_locked()->want <= permits) grant_front_locked();
}

void semaphore::core::grant_lost(std::uint32_t want) {
    std::lock_guard lk(m);
    permits += want;  // never above the bound: they were taken from it
    waiter_left_locked();
}

bool semaphore::try_acquire(std::uint32_t n) {
    std::lock_guard lk(c_.m);
    sync_node node;
    node.want = n;
    return c_.try_take_locked(node);
}

void semaphore::release(std::uint32_t n) {
    std::lock_guard lk(c_.m);
    c_.release_locked(n);
}

std::uint32_t semaphore::available() const {
    std::lock_guard lk(const_cast<std::mutex&>(c_.m));
    return c_.permits;
}

// ---------------------------------------------------------------- condition

task<bool> condition::wait(mutex& mx, duration timeout) {
    if (!mx.held()) throw std::logic_error("coronet::condition::wait: the mutex is not held");
    sync_awaiter wait_for_notify(&c_, timeout, 1, mx.core());
    bool notified = false;
    std::exception_ptr cancelled;
    try {
        notified = co_await wait_for_notify;
    } catch (...) {
        cancelled = std::current_exception();
    }
    if (wait_for_notify.released) {
        // The mutex is taken back before wait returns or throws, as with
        // std::condition_variable; a cancel does not interrupt that.
        sync_awaiter relock(mx.core(), infinite);
        relock.n.shield = true;
        co_await relock;
    }
    if (cancelled) std::rethrow_exception(cancelled);
    co_return notified;
}

void condition::notify_one() {
    std::lock_guard lk(c_.m);
    if (c_.has_waiters_locked()) c_.grant_front_locked();
}

void condition::notify_all() {
    std::lock_guard lk(c_.m);
    while (c_.has_waiters_locked()) c_.grant_front_locked();
}

void condition::core::grant_lost(std::uint32_t) {
    std::lock_guard lk(m);
    if (has_waiters_locked()) grant_front_locked();  // the notify goes to the next one
}

}  // namespace coronet
