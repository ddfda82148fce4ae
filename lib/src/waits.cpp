// The suspension points of a process: receive, sleep/yield/suspend,
// waiting for exits, I/O readiness; and sending.

#include <fcntl.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <thread>

#include "coronet/blocking.hpp"
#include "coronet/detail/remote_route.hpp"
#include "coronet/hot_swap.hpp"
#include "coronet/self.hpp"
#include "internal/core.hpp"
#include "internal/signals.hpp"

namespace coronet::detail {

time_point deadline_after(time_point now, duration d) noexcept {
    if (d >= time_point::max() - now) return time_point::max();
    return now + d;
}

[[noreturn]] void throw_cancelled(process* p) {
    if (!p->cancelled) throw cancelled_error("deadline");  // a with_timeout scope fired
    throw cancelled_error(p->pending ? p->pending->detail : std::string("cancelled"));
}

namespace {

void arm_timeout(process* p, duration timeout) {
    worker& w = *p->home;
    const time_point deadline = deadline_after(w.rt.now(), timeout);
    if (deadline != time_point::max()) w.arm(&p->timer, deadline);
}

}  // namespace

bool current_cancelled() noexcept {
    process* p = current_process();
    return p && is_cancelled(p);
}

// ---------------------------------------------------------------- receive

bool receive_ready(receive_wait& w) {
    process* p = require_process("receive");
    if (is_cancelled(p)) {
        if (hold_for_teardown(p)) return false;
        w.outcome = wait_outcome::cancelled;
        return true;
    }
    if (p->wait_hooks && p->ext->swap_point && claim_swap(p)) {  // HS: a swap point
        w.outcome = wait_outcome::swap;
        return true;
    }
    std::atomic<message*>* link = &p->mb_head;
    while (message* m = link->load(std::memory_order_relaxed)) {
        if (w.match(w.ctx, *m)) {
            w.link = link;
            w.outcome = wait_outcome::ready;
            return true;
        }
        link = &m->next;
    }
    if (w.timeout <= duration::zero()) {
        w.outcome = wait_outcome::timeout;
        return true;
    }
    return false;
}

void receive_suspend(receive_wait& w, std::coroutine_handle<> h) {
    process* p = tl_worker->current;
    if (p->waiting == wait_kind::hold) {
        p->resume_at = h;
        return;
    }
    p->waiting = wait_kind::receive;
    p->wait_ctx = &w;
    p->resume_at = h;
    arm_timeout(p, w.timeout);
    if (p->wait_hooks && p->ext->starter) report_ready(p, {});  // LT-6: the first receive
}

message* receive_take(receive_wait& w) {
    process* p = tl_worker->current;
    switch (w.outcome) {
        case wait_outcome::cancelled:
            throw_cancelled(p);
        case wait_outcome::swap:
            if (is_cancelled(p)) throw_cancelled(p);
            throw swap_unwind{};
        case wait_outcome::timeout:
        case wait_outcome::pending:
            if (is_cancelled(p)) throw_cancelled(p);  // CX-6: only a matched message beats it
            return nullptr;
        case wait_outcome::ready:
            break;
    }
    // CX-6: a message already matched is returned even if a cancel came after.
    message* m = w.link->load(std::memory_order_relaxed);
    message* next = m->next.load(std::memory_order_relaxed);
    w.link->store(next, std::memory_order_relaxed);
    if (p->mb_tail == &m->next) p->mb_tail = w.link;
    --p->mb_size;
    p->take_pending = false;
    if (m->flags & msg_hooked) [[unlikely]] {
        m->flags |= msg_taken;
        auto* h = static_cast<hooked_message*>(m);
        h->hook->taken(*h);
    }
    return m;
}

// ---------------------------------------------------------------- park

bool park_ready(park_wait& w) {
    process* p = require_process(w.kind == 0 ? "sleep" : w.kind == 1 ? "suspend" : "yield");
    if (is_cancelled(p)) {
        if (hold_for_teardown(p)) return false;
        w.outcome = wait_outcome::cancelled;
        return true;
    }
    if (w.kind == 1 && p->resume_permit) {
        p->resume_permit = false;
        w.outcome = wait_outcome::ready;
        return true;
    }
    if (w.timed && w.deadline <= p->home->rt.now()) {
        w.outcome = w.kind == 0 ? wait_outcome::ready : wait_outcome::timeout;
        return true;
    }
    return false;
}

void park_suspend(park_wait& w, std::coroutine_handle<> h) {
    process* p = tl_worker->current;
    p->resume_at = h;
    if (p->waiting == wait_kind::hold) return;
    if (w.kind == 2) {
        w.outcome = wait_outcome::ready;
        p->home->make_runnable(p);
        return;
    }
    p->waiting = wait_kind::park;
    p->wait_ctx = &w;
    if (w.timed && w.deadline != time_point::max()) p->home->arm(&p->timer, w.deadline);
}

// CX-6: for every wait but receive, cancellation wins over an outcome that
// was already decided when the cancel arrived.
bool park_take(park_wait& w) {
    process* p = tl_worker->current;
    if (w.outcome == wait_outcome::cancelled || is_cancelled(p)) throw_cancelled(p);
    return w.outcome == wait_outcome::ready;
}

void process_timer_fired(timer_node* t) noexcept {
    process* p = from_timer(t);
    switch (p->waiting) {
        case wait_kind::receive:
            static_cast<receive_wait*>(p->wait_ctx)->outcome = wait_outcome::timeout;
            break;
        case wait_kind::park: {
            auto* w = static_cast<park_wait*>(p->wait_ctx);
            w->outcome = w->kind == 0 ? wait_outcome::ready : wait_outcome::timeout;
            break;
        }
        case wait_kind::io:
            static_cast<io_wait*>(p->wait_ctx)->outcome = wait_outcome::timeout;
            io_wait_end(p);
            break;
        case wait_kind::sync:
            sync_timeout(p);
            return;
        case wait_kind::ext:
            ext_timeout(p);
            return;
        case wait_kind::job:  // cancelled, the job did not stop in time: leave it (CX-8)
            static_cast<job_wait*>(p->wait_ctx)->outcome = wait_outcome::cancelled;
            break;
        case wait_kind::watch:
        case wait_kind::hold:
        case wait_kind::none:
            return;
    }
    finish_wait(p);
}

// ---------------------------------------------------------------- exit watch

exit_watch::exit_watch() noexcept = default;

exit_watch::~exit_watch() {
    if (owner) {
        // Members still running keep a watcher entry (and a reference to the
        // owner): drop them, or an abandoned join would pin memory until the
        // target exits.
        for (std::uint32_t i = 0; i < count_; ++i) {
            if (done_[i]) continue;
            process* t = members_[i];
            if (t->home == owner->home) {
                remove_watcher(t, owner, id);
            } else {
                retain(t);
                t->home->post(make_signal<sig_unwatch>(t, owner, id));
            }
        }
        for (exit_watch** w = &owner->active_watches; *w; w = &(*w)->next_active) {
            if (*w == this) {
                *w = next_active;
                break;
            }
        }
    }
    for (std::uint32_t i = 0; i < count_; ++i) release(members_[i]);
    delete[] members_;
    delete[] done_;
    delete[] order_;
}

void exit_watch::grow() {
    std::uint32_t cap = cap_ ? cap_ * 2 : 4;
    auto* m = new process*[cap];
    auto* d = new std::uint8_t[cap];
    auto* o = new std::uint32_t[cap];
    for (std::uint32_t i = 0; i < count_; ++i) {
        m[i] = members_[i];
        d[i] = done_[i];
        o[i] = order_[i];
    }
    delete[] members_;
    delete[] done_;
    delete[] order_;
    members_ = m;
    done_ = d;
    order_ = o;
    cap_ = cap;
}

std::uint32_t exit_watch::add(process* p) {
    process* me = require_process("join");
    if (!owner) {
        owner = me;
        id = me->next_watch_id++;
        next_active = me->active_watches;
        me->active_watches = this;
    }
    if (count_ == cap_) grow();
    const std::uint32_t i = count_++;
    retain(p);
    members_[i] = p;
    done_[i] = 0;
    retain(me);
    if (p->home == me->home) {
        add_watcher(p, me, id, i);
    } else {
        retain(p);
        p->home->post(make_signal<sig_watch>(p, me, id, i));
        // CO-1: an operand that has already exited counts at once, also when
        // its exit notice from the other worker is still on its way.
        if (has_exited(p)) mark_exited(i);
    }
    return i;
}

void exit_watch::mark_exited(std::uint32_t i) noexcept {
    if (i < count_ && !done_[i]) {
        done_[i] = 1;
        order_[exited_++] = i;
    }
}

std::uint32_t exit_watch::first_exited() const noexcept {
    for (std::uint32_t i = 0; i < count_; ++i)
        if (done_[i]) return i;
    return count_;
}

bool exit_watch::awaiter::await_ready() {
    process* p = require_process("join");
    w->need_ = need;
    w->shielded_ = shielded;
    w->cancelled_ = false;
    if ((!shielded || p->killed) && is_cancelled(p)) {
        if (hold_for_teardown(p)) return false;
        w->cancelled_ = true;
        return true;
    }
    return w->exited_ >= need;
}

void exit_watch::awaiter::await_suspend(std::coroutine_handle<> h) {
    process* p = tl_worker->current;
    if (p->waiting == wait_kind::hold) {
        p->resume_at = h;
        return;
    }
    p->waiting = wait_kind::watch;
    p->wait_ctx = w;
    p->resume_at = h;
}

void exit_watch::awaiter::await_resume() {
    process* p = tl_worker->current;
    if (w->cancelled_ || ((!shielded || p->killed) && is_cancelled(p))) throw_cancelled(p);
}

// ---------------------------------------------------------------- I/O

bool io_wait_ready(io_wait& w) {
    process* p = require_process("wait_io");
    if (is_cancelled(p)) {
        if (hold_for_teardown(p)) return false;  // LT-4: its children first
        w.outcome = wait_outcome::cancelled;
        return true;
    }
    return false;
}

void io_wait_suspend(io_wait& w, std::coroutine_handle<> h) {
    process* p = tl_worker->current;
    if (p->waiting == wait_kind::hold) {
        p->resume_at = h;
        return;
    }
    worker& wk = *p->home;
    if (w.fd < 0) throw std::system_error(EBADF, std::generic_category(), "coronet: wait_io");
    if (++wk.io_serial == 0) ++wk.io_serial;  // (a tag is never 0)
    w.tag = std::uint64_t{p->slot} | (std::uint64_t{wk.io_serial} << 32);
    epoll_event ev{};
    ev.events = w.events | EPOLLONESHOT;
    ev.data.u64 = w.tag;
    const auto fd = static_cast<std::size_t>(w.fd);
    if (fd >= wk.io_regs.size()) wk.io_regs.resize(std::max(fd + 1, wk.io_regs.size() * 2));
    worker::io_reg& reg = wk.io_regs[fd];
    if (reg.armed == 0) {
        // The worker's lasting registration of fd: re-armed, or added.
        int rc = -1;
        if (reg.registered) {
            rc = ::epoll_ctl(wk.epfd, EPOLL_CTL_MOD, w.fd, &ev);
            if (rc != 0 && errno == ENOENT) rc = ::epoll_ctl(wk.epfd, EPOLL_CTL_ADD, w.fd, &ev);
        } else {
            rc = ::epoll_ctl(wk.epfd, EPOLL_CTL_ADD, w.fd, &ev);
            if (rc != 0 && errno == EEXIST) rc = ::epoll_ctl(wk.epfd, EPOLL_CTL_MOD, w.fd, &ev);
        }
        if (rc != 0) {
            const int err = errno;
            reg.registered = false;
            throw std::system_error(err, std::generic_category(), "coronet: wait_io epoll_ctl");
        }
        reg.registered = true;
        reg.armed = w.tag;
        w.registered = w.fd;
        w.persistent = true;
    } else {
        // Another process of this worker waits on the same fd (a reader and
        // a writer of one socket): epoll keys on the descriptor, so a dup of
        // it is a registration of its own, for this wait only.
        w.persistent = false;
        w.registered = ::fcntl(w.fd, F_DUPFD_CLOEXEC, 0);
        if (w.registered < 0 || ::epoll_ctl(wk.epfd, EPOLL_CTL_ADD, w.registered, &ev) != 0) {
            const int e = errno;
            if (w.registered >= 0) ::close(w.registered);
            throw std::system_error(e, std::generic_category(), "coronet: wait_io epoll_ctl");
        }
    }
    ++wk.io_waiters;
    p->waiting = wait_kind::io;
    p->wait_ctx = &w;
    p->resume_at = h;
    arm_timeout(p, w.timeout);
}

std::uint32_t io_wait_take(io_wait& w) {
    process* p = tl_worker->current;
    if (w.outcome == wait_outcome::cancelled || is_cancelled(p)) throw_cancelled(p);
    return w.outcome == wait_outcome::ready ? w.revents : 0;
}

void io_wait_end(process* p) noexcept {
    auto* w = static_cast<io_wait*>(p->wait_ctx);
    worker& wk = *p->home;
    if (w->persistent) {
        worker::io_reg& reg = wk.io_regs[static_cast<std::size_t>(w->fd)];
        if (reg.armed == w->tag) {
            reg.armed = 0;
            if (w->outcome != wait_outcome::ready) {
                // Not fired (timeout, cancel): disarm, so that the fd's
                // next readiness wakes nobody. (An event already queued
                // carries this wait's tag, which no later wait has.)
                epoll_event ev{};
                ev.events = EPOLLONESHOT;
                ev.data.u64 = 0;
                ::epoll_ctl(wk.epfd, EPOLL_CTL_MOD, w->fd, &ev);
            }
        }
    } else {
        ::epoll_ctl(wk.epfd, EPOLL_CTL_DEL, w->registered, nullptr);
        ::close(w->registered);
    }
    --wk.io_waiters;
}

void io_ready_event(worker& w, std::uint64_t tag, std::uint32_t revents) noexcept {
    if (tag == 0) return;  // a disarmed registration's error or hang-up
    process* p = nullptr;
    w.table.for_slot(static_cast<std::uint32_t>(tag), [&](process* q) { p = q; });
    if (!p || p->waiting != wait_kind::io) return;
    auto* iw = static_cast<io_wait*>(p->wait_ctx);
    if (iw->tag != tag) return;  // an event of an earlier wait
    iw->revents = revents;
    iw->outcome = wait_outcome::ready;
    io_wait_end(p);
    finish_wait(p);
}

// ---------------------------------------------------------------- send

void set_remote_router(runtime& rt, remote_router* r) noexcept {
    runtime_impl& ri = *rt.impl();
    ri.router.store(r, std::memory_order_seq_cst);
    // Calls that loaded the old router finish before it may go (Dekker pair
    // with router_use: each side writes, then reads the other's variable).
    while (ri.router_calls.load(std::memory_order_seq_cst) != 0) std::this_thread::yield();
}

void deliver_remote(runtime& rt, const pid& to, message* m) {
    if (to.node != rt.impl()->node) {  // (never routed out again)
        rt.impl()->dead_letter(to, m);
        return;
    }
    send_impl(rt.impl(), to, m);
}

namespace {

/// The common part of a send: the home worker of `to` with `m` addressed to
/// it, or null when `m` became a dead letter.
worker* route(runtime_impl* rt_in, const pid& to, message* m) {
    worker* here = tl_worker;
    runtime_impl* rt = rt_in ? rt_in : (here ? &here->rt : nullptr);
    if (!rt) {
        free_message(m);
        throw std::logic_error("coronet::send outside a process needs runtime::send");
    }
    if (!rt->is_local(to) || (here && here->drop_sends)) {
        if (to.node != rt->node && to && !(here && here->drop_sends)) {
            const runtime_impl::router_use use(*rt);
            if (remote_router* r = use.get()) {
                if (here && &here->rt == rt) here->remote_dirty = true;  // (flushed at round end)
                r->route(to, m);  // another node's process: the distribution layer's
                return nullptr;
            }
        }
        // No route (no distribution layer, or a pid of an earlier
        // incarnation of this node), or sent by a killed process while its
        // frame is destroyed (LT-5: dropped and traced).
        rt->dead_letter(to, m);
        return nullptr;
    }
    m->target = to.serial;
    m->target_slot = to.slot;
    return rt->workers[to.worker()].get();
}

}  // namespace

void send_impl(runtime_impl* rt_in, const pid& to, message* m) {
    worker* home = route(rt_in, to, m);
    if (!home) return;
    if (home->rt.owns(home))
        home->deliver_user(m);
    else
        home->post(m);
}

void send_queued(runtime_impl* rt_in, const pid& to, message* m) {
    if (worker* home = route(rt_in, to, m)) home->post(m);
}

bool cancel_impl(runtime_impl* rt_in, const pid& target, exit_kind kind, const char* why) {
    worker* here = tl_worker;
    runtime_impl* rt = rt_in ? rt_in : (here ? &here->rt : nullptr);
    if (!rt) throw std::logic_error("coronet::cancel outside a process needs runtime::cancel");
    if (!rt->is_local(target)) return false;
    worker* home = rt->workers[target.worker()].get();
    if (rt->owns(home)) {
        process* p = home->table.find(target.slot, target.serial);
        return p && cancel_local(p, kind, why);
    }
    message* m = make_signal<sig_cancel>(kind, std::string(why));
    m->target = target.serial;
    m->target_slot = target.slot;
    home->post(m);
    return false;
}

void resume_impl(runtime_impl* rt_in, const pid& target) {
    worker* here = tl_worker;
    runtime_impl* rt = rt_in ? rt_in : (here ? &here->rt : nullptr);
    if (!rt) throw std::logic_error("coronet::resume outside a process needs runtime::resume");
    if (!rt->is_local(target)) return;
    worker* home = rt->workers[target.worker()].get();
    if (rt->owns(home)) {
        if (process* p = home->table.find(target.slot, target.serial)) resume_local(p);
        return;
    }
    message* m = make_signal<sig_resume>();
    m->target = target.serial;
    m->target_slot = target.slot;
    home->post(m);
}

}  // namespace coronet::detail

namespace coronet {

detail::park_wait_awaiter self_ref::sleep(duration d) const {
    return sleep_until(detail::deadline_after(p_->home->rt.now(), d));
}
detail::park_wait_awaiter self_ref::sleep_until(time_point t) const {
    detail::park_wait_awaiter a;
    a.w.deadline = t;
    a.w.timed = true;
    a.w.kind = 0;
    return a;
}
detail::park_wait_awaiter self_ref::yield() const {
    detail::park_wait_awaiter a;
    a.w.kind = 2;
    return a;
}
detail::park_wait_awaiter self_ref::suspend(duration timeout) const {
    detail::park_wait_awaiter a;
    a.w.kind = 1;
    if (timeout != infinite) {
        a.w.timed = true;
        a.w.deadline = detail::deadline_after(p_->home->rt.now(), timeout);
    }
    return a;
}
std::size_t self_ref::mailbox_size() const noexcept {
    return p_->mb_size;
}
bool self_ref::cancelled() const noexcept {
    return p_->cancelled;
}

}  // namespace coronet
