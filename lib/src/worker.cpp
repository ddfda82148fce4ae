// The worker loop: inbox, timers, I/O, run queue; thread or stepped.

#include "internal/worker.hpp"

#include <sched.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "internal/blocking_pool.hpp"
#include "internal/core.hpp"
#include "internal/signals.hpp"

namespace coronet::detail {

thread_local worker* tl_worker = nullptr;

namespace {
constexpr std::uint64_t wake_tag = ~std::uint64_t{0};

struct tl_guard {
    worker* saved;
    explicit tl_guard(worker* w) noexcept : saved(tl_worker) { tl_worker = w; }
    ~tl_guard() { tl_worker = saved; }
};
}  // namespace

worker::worker(runtime_impl& r, std::uint32_t i) : rt(r), index(i) {
    rng = 0x2545f4914f6cdd1dull * (std::uint64_t{i} + 1);
    local_wakes.reserve(64);
    epfd = ::epoll_create1(EPOLL_CLOEXEC);
    evfd = ::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (epfd < 0 || evfd < 0)
        throw std::system_error(errno, std::generic_category(), "coronet: epoll/eventfd");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.u64 = wake_tag;
    if (::epoll_ctl(epfd, EPOLL_CTL_ADD, evfd, &ev) != 0)
        throw std::system_error(errno, std::generic_category(), "coronet: epoll_ctl");
}

worker::~worker() {
    if (evfd >= 0) ::close(evfd);
    if (epfd >= 0) ::close(epfd);
}

void worker::post(message* m) noexcept {
    inbox_.push(m);
    if (sleeping.load(std::memory_order_seq_cst)) wake();
}

void worker::wake() noexcept {
    if (sleeping.exchange(false, std::memory_order_seq_cst)) {
        std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(evfd, &one, sizeof one);
    }
}

namespace {

/// The link that points at `m` in p's mailbox (m is in it).
std::atomic<message*>* find_link(process* p, message* m) noexcept {
    std::atomic<message*>* link = &p->mb_head;
    while (link->load(std::memory_order_relaxed) != m)
        link = &link->load(std::memory_order_relaxed)->next;
    return link;
}

/// Drop-oldest: while `newest`'s hook is over capacity, frees the oldest
/// message of that hook still in the mailbox (the hook counts it). `taking`:
/// a receive that matched a message and has yet to take it through its
/// link; that message stays, and the link is kept pointing at it.
void evict_over_capacity(process* p, hooked_message* newest, receive_wait* taking) noexcept {
    message_hook* hook = newest->hook;
    message* keep = taking ? taking->link->load(std::memory_order_relaxed) : nullptr;
    std::atomic<message*>* link = &p->mb_head;
    while (hook->over_capacity(*newest)) {
        message* m = link->load(std::memory_order_relaxed);
        while (m != newest && (m == keep || !(m->flags & msg_hooked) ||
                               static_cast<hooked_message*>(m)->hook != hook)) {
            link = &m->next;
            m = link->load(std::memory_order_relaxed);
        }
        if (m == newest) return;  // the others are still on their way here
        link->store(m->next.load(std::memory_order_relaxed), std::memory_order_relaxed);
        if (taking && taking->link == &m->next) taking->link = link;
        --p->mb_size;
        m->flags |= msg_evicted;
        free_message(m);
    }
}

}  // namespace

void worker::deliver_user(message* m) {
    process* p = table.find(m->target_slot, m->target);
    if (!p || p->state == pstate::exited) {
        rt.dead_letter(rt.make_pid(m->target_slot, m->target), m);
        return;
    }
    if (m->flags & msg_reply) [[unlikely]] {
        // RPC-1: a reply whose call is over (timed out, failed, or another
        // call) never reaches the mailbox.
        if (!p->ext || p->ext->call_alias == 0 ||
            m->type->reply_alias(m->data()) != p->ext->call_alias) {
            rt.dropped(rt.make_pid(m->target_slot, m->target), m, "alias_inactive");
            return;
        }
    }
    delivered.store(delivered.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
    m->next.store(nullptr, std::memory_order_relaxed);
    std::atomic<message*>* link = p->mb_tail;
    link->store(m, std::memory_order_relaxed);
    p->mb_tail = &m->next;
    ++p->mb_size;
    if (m->flags & msg_hooked) [[unlikely]] {
        // Drop-oldest: older messages of the same hook leave the mailbox.
        auto* h = static_cast<hooked_message*>(m);
        if (h->hook->over_capacity(*h)) {
            auto* taking = p->take_pending ? static_cast<receive_wait*>(p->wait_ctx) : nullptr;
            evict_over_capacity(p, h, taking);
            link = find_link(p, m);
        }
    }
    if (p->waiting == wait_kind::receive) {
        auto* w = static_cast<receive_wait*>(p->wait_ctx);
        if (w->match(w->ctx, *m)) {
            w->link = link;
            w->outcome = wait_outcome::ready;
            finish_wait(p);
            // Until the receive takes it, the mailbox may only be edited
            // around that link (drop-oldest eviction above).
            p->take_pending = true;
            p->wait_ctx = w;
        }
    }
}

void worker::dispatch(message* m) {
    if (m->type->kind == msg_kind::user) {
        deliver_user(m);
        return;
    }
    if (dispatch_link_signal(*this, m)) {
        // handled (links.cpp)
    } else if (is_signal<sig_adopt>(m)) {
        adopt(*this, signal_data<sig_adopt>(m).p);
    } else if (is_signal<sig_cancel>(m)) {
        if (process* p = table.find(m->target_slot, m->target)) {
            auto& s = signal_data<sig_cancel>(m);
            if (s.kind == exit_kind::killed)
                kill_local(p, s.why);
            else
                cancel_local(p, s.kind, s.why);
        }
    } else if (is_signal<sig_resume>(m)) {
        if (process* p = table.find(m->target_slot, m->target)) resume_local(p);
    } else if (is_signal<sig_unthrottle>(m)) {
        if (process* p = table.find(m->target_slot, m->target); p && p->ext && p->ext->gate) {
            const bool paused = p->ext->paused;
            drop_gate(p);
            if (paused) make_runnable(p);
        }
    } else if (is_signal<sig_watch>(m)) {
        auto& s = signal_data<sig_watch>(m);
        add_watcher(s.target, s.who, s.watch_id, s.index);
        release(s.target);
    } else if (is_signal<sig_exit_notice>(m)) {
        auto& s = signal_data<sig_exit_notice>(m);
        exit_notice(s.who, s.watch_id, s.index);
        release(s.who);
    } else if (is_signal<sig_unwatch>(m)) {
        auto& s = signal_data<sig_unwatch>(m);
        remove_watcher(s.target, s.who, s.watch_id);
        release(s.target);
    } else if (is_signal<sig_child_exited>(m)) {
        auto& s = signal_data<sig_child_exited>(m);
        child_exited(s.parent, s.child);
    } else if (is_signal<sig_job_done>(m) || is_signal<sig_job_space>(m)) {
        job_signal(*this, m);
    } else if (is_signal<sig_sync>(m)) {
        sync_signal(*this, m);
    } else if (is_signal<sig_ext_wake>(m)) {
        ext_signal(*this, m);
    } else if (is_signal<sig_ready>(m)) {
        ready_signal(*this, m);
    } else if (is_signal<sig_swap>(m)) {
        swap_signal(*this, m);
    } else if (is_signal<sig_name_owned>(m)) {
        name_owned(*this, m);
    }
    free_message(m);
}

std::uint64_t worker::drain_inbox() {
    std::uint64_t n = 0;
    while (message* m = inbox_.pop()) {
        dispatch(m);
        ++n;
    }
    return n;
}

std::uint64_t worker::fire_timers() {
    std::uint64_t n = 0;
    if (timers.empty()) return 0;
    const time_point now = rt.now();
    while (timer_node* t = timers.pop_due(now)) {
        t->fire(t);
        ++n;
    }
    return n;
}

std::uint64_t worker::poll_io(int timeout_ms) {
    epoll_event evs[64];
    int n = ::epoll_wait(epfd, evs, 64, timeout_ms);
    if (n <= 0) return 0;
    std::uint64_t handled = 0;
    for (int i = 0; i < n; ++i) {
        if (evs[i].data.u64 == wake_tag) {
            std::uint64_t v;
            [[maybe_unused]] auto r = ::read(evfd, &v, sizeof v);
            continue;
        }
        io_ready_event(*this, evs[i].data.u64, evs[i].events);
        ++handled;
    }
    return handled;
}

void worker::run_one(process* p) {
    p->queued = false;
    if (p->killed && p->state == pstate::running) {
        // LT-5: destroyed where it is suspended, never resumed; with children
        // left (a wait satisfied before the kill woke it), it holds until
        // they are gone (continue_teardown wakes it again).
        if (p->live_children == 0) {
            killed_exit(p);
        } else {
            p->take_pending = false;
            p->waiting = wait_kind::hold;
            p->wake_deferred = true;
        }
        return;
    }
    if (throttled != 0) [[unlikely]] {
        // (a cancelled process is not held back: it has to clean up)
        if (p->ext && p->ext->gate && !is_cancelled(p) && pause_throttled(p))
            return;  // resumed when its gate opens
    }
    current = p;
    ++resumptions;
    p->resume_at.resume();
    current = nullptr;
    if (p->state == pstate::running && p->root.done()) body_done(p);
}

std::uint64_t worker::step(std::uint64_t budget) {
    tl_guard g{this};
    std::uint64_t n = drain_inbox();
    n += fire_timers();
    if (io_waiters) n += poll_io(0);
    std::uint64_t ran = 0;
    while (rq_head_ && ran < budget) {
        process* p = rq_head_;
        rq_head_ = p->run_next;
        if (!rq_head_) rq_tail_ = nullptr;
        run_one(p);
        ++ran;
        if (!local_wakes.empty()) n += run_local_wakes();
    }
    if (!local_wakes.empty()) n += run_local_wakes();
    if (remote_dirty) flush_remote();
    return n + ran;
}

std::uint64_t worker::run_local_wakes() noexcept {
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < local_wakes.size(); ++i, ++n) {  // (wakes may add wakes)
        const local_wake w = local_wakes[i];
        ext_wake(*this, w.slot, w.serial, w.wait_id);
    }
    local_wakes.clear();
    return n;
}

void worker::idle_wait() {
    // Spin briefly first: a wake-up through the eventfd costs tens of
    // microseconds, a reply from another worker (or a peer) often comes
    // sooner.
    if (rt.cfg.idle_spin.count() > 0) {
        const auto until = std::chrono::steady_clock::now() + rt.cfg.idle_spin;
        for (unsigned i = 1;; ++i) {
            if (!inbox_.empty()) return;
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#endif
            // Sockets too: a reply over the network is what a process
            // waiting on I/O is after (without this look, every such wake-up
            // came one whole idle_spin late).
            if ((i & 15) == 0 && io_waiters && poll_io(0)) return;
            if ((i & 63) == 0) {
                if (std::chrono::steady_clock::now() >= until) break;
                // When the worker that will reply shares this CPU, spinning
                // would hold it off for the whole idle_spin: let it run.
                sched_yield();
            }
        }
    }
    // Dekker pair with post(): publish "sleeping", then look at the inbox.
    sleeping.store(true, std::memory_order_seq_cst);
    if (!inbox_.empty() || rt.stopping.load(std::memory_order_seq_cst)) {
        sleeping.store(false, std::memory_order_relaxed);
        return;
    }
    int timeout_ms = -1;
    if (!timers.empty()) {
        auto d = timers.top()->deadline - rt.now();
        if (d.count() <= 0) {
            sleeping.store(false, std::memory_order_relaxed);
            return;
        }
        timeout_ms = static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(d).count());
    }
    poll_io(timeout_ms);
    sleeping.store(false, std::memory_order_relaxed);
}

void worker::thread_main() {
    tl_guard g{this};
    while (!rt.stopping.load(std::memory_order_acquire)) {
        std::uint64_t n = step(1024);
        if (n == 0 && !rq_head_) idle_wait();
    }
}

void worker::destroy_frame(process* p) {
    tl_guard g{this};
    if (p->waiting == wait_kind::sync) sync_forget(p);
    if (p->waiting == wait_kind::ext) ext_forget(p);
    p->take_pending = false;  // its receive_wait goes with the frame
    p->waiting = wait_kind::none;
    if (p->ext && !p->ext->held_locks.empty()) release_held_locks(p);  // abandoned
    drop_gate(p);  // (paused by a flow gate: no more)
    if (p->root) {
        current = p;
        p->root.destroy();
        current = nullptr;
        p->root = {};
    }
    if (p->ext && p->ext->exit_hooks) run_exit_hooks(p);  // e.g. its topic subscriptions
}

void worker::destroy_leftovers_rest() {
    tl_guard g{this};
    while (message* m = inbox_.pop()) {
        if (is_signal<sig_adopt>(m)) {
            process* p = signal_data<sig_adopt>(m).p;  // never ran
            if (p->root) p->root.destroy();
            p->root = {};
            release_links(p);
            p->state = pstate::exited;
            if (!p->reason)
                p->reason = new exit_reason{exit_kind::killed, nullptr, "runtime shut down"};
            p->exited_flag.store(true, std::memory_order_release);
            release(p);
        } else if (is_signal<sig_watch>(m)) {
            release(signal_data<sig_watch>(m).target);
            release(signal_data<sig_watch>(m).who);
        } else if (is_signal<sig_exit_notice>(m)) {
            release(signal_data<sig_exit_notice>(m).who);
        } else if (is_signal<sig_unwatch>(m)) {
            release(signal_data<sig_unwatch>(m).target);
        } else if (is_signal<sig_child_exited>(m)) {
            auto& s = signal_data<sig_child_exited>(m);
            detach_child(s.parent, s.child);
        }
        free_message(m);
    }
    timers.clear();
    table.for_each([&](process* p) {
        free_mailbox(p);
        release_links(p);
        p->state = pstate::exited;
        if (!p->reason)
            p->reason = new exit_reason{exit_kind::killed, nullptr, "runtime shut down"};
        p->exited_flag.store(true, std::memory_order_release);
    });
    std::vector<process*> all;
    table.for_each([&](process* p) { all.push_back(p); });
    for (process* p : all) {
        table.erase(p->slot);
        release(p);
    }
    rq_head_ = rq_tail_ = nullptr;
}

}  // namespace coronet::detail
