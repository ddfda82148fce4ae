// Process lifecycle: spawn, cancel, body completion, draining, exit,
// watchers and the parent/child links (SEMANTICS LT, CX-1, LK-1, LK-4).

#include <cassert>
#include <stdexcept>

#include "internal/blocking_pool.hpp"
#include "internal/core.hpp"
#include "internal/signals.hpp"

namespace coronet::detail {

// The record must stay within the pool's largest size class (see process.hpp).
static_assert(sizeof(process) <= 256, "process record grew: move fields to process_ext");

namespace {

exit_reason normal_reason{};

bool is_cancelled_error(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const cancelled_error&) {
        return true;
    } catch (...) {
        return false;
    }
}

void unlink_child(process* parent, process* c) noexcept {
    if (c->prev_sib)
        c->prev_sib->next_sib = c->next_sib;
    else
        parent->first_child = c->next_sib;
    if (c->next_sib)
        c->next_sib->prev_sib = c->prev_sib;
    else
        parent->last_child = c->prev_sib;
    c->prev_sib = c->next_sib = nullptr;
}

void append_child(process* parent, process* c) noexcept {
    c->prev_sib = parent->last_child;
    if (parent->last_child)
        parent->last_child->next_sib = c;
    else
        parent->first_child = c;
    parent->last_child = c;
    ++parent->live_children;
}

worker& choose_home(runtime_impl& rt, worker* here, process* parent, const placement& where) {
    const auto n = static_cast<std::uint32_t>(rt.workers.size());
    switch (where.where) {
        case placement::kind::pinned:
            return *rt.workers[where.worker % n];
        case placement::kind::pool: {
            worker* best = rt.workers[0].get();
            for (auto& w : rt.workers)
                if (w->load.load(std::memory_order_relaxed) <
                    best->load.load(std::memory_order_relaxed))
                    best = w.get();
            return *best;
        }
        case placement::kind::local:
            break;
    }
    if (parent) return *parent->home;
    if (here && &here->rt == &rt) return *here;
    return *rt.workers[0];
}

void finalize(process* p);
void continue_teardown(process* p);

void notify_watchers(process* p) {
    watcher* w = p->watchers;
    p->watchers = nullptr;
    while (w) {
        watcher* next = w->next;
        if (w->who->home == p->home) {
            exit_notice(w->who, w->watch_id, w->index);
            release(w->who);
        } else {
            w->who->home->post(make_signal<sig_exit_notice>(w->who, w->watch_id, w->index));
        }
        delete w;
        w = next;
    }
}

/// Exits one process; returns its parent when that one can now exit too (same
/// worker), so that finalize walks up a deep chain in a loop, not recursion.
process* finalize_one(process* p) {
    worker& w = *p->home;
    runtime_impl& rt = w.rt;
    assert(p->live_children == 0);
    if (p->root) {
        process* saved = w.current;
        w.current = p;  // the frame's parameters may still use self()
        // LT-5: what a killed process's destructors send is dropped (traced).
        w.drop_sends = p->killed;
        p->take_pending = false;  // a matched receive's wait goes with the frame
        p->root.destroy();        // RAII destructors of the frame run here (LT-5)
        w.drop_sends = false;
        w.current = saved;
        p->root = {};
    }
    if (p->ext && p->ext->exit_hooks) run_exit_hooks(p);  // e.g. topic subscriptions
    w.drop_gate(p);                                       // (paused by a flow gate: no more)
    free_mailbox(p);
    w.disarm(&p->timer);
    p->state = pstate::exited;
    delete p->pending;
    p->pending = nullptr;
    w.table.erase(p->slot);
    w.load.fetch_sub(1, std::memory_order_relaxed);
    rt.exited.fetch_add(1, std::memory_order_relaxed);
    if (p->ext) {
        release_names(p);  // before anyone can learn of the exit (NM-1)
        if (!p->ext->held_locks.empty()) release_held_locks(p);  // abandoned: next holder told
    }
    p->exited_flag.store(true, std::memory_order_release);
    notify_watchers(p);
    if (p->ext) notify_links_and_monitors(p);
    process* next = nullptr;
    if (process* parent = p->parent) {
        if (parent->home == p->home) {
            if (child_exited_step(parent, p)) next = parent;
        } else {
            parent->home->post(make_signal<sig_child_exited>(parent, p));
        }
    } else {
        rt.root_exited(p);
    }
    release(p);  // the table's reference
    return next;
}

void finalize(process* p) {
    while (p) p = finalize_one(p);
}

}  // namespace

// ---------------------------------------------------------------- refcount

void retain(process* p) noexcept {
    p->refs.fetch_add(1, std::memory_order_relaxed);
}

void release(process* p) noexcept {
    if (p->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        if (p->result) p->ops->destroy(p->result);
        delete p->ext;
        delete p->reason;
        delete p->pending;
        delete p;
    }
}

pid pid_of(const process* p) noexcept {
    return pid{p->node, p->incarnation, p->slot, p->serial};
}
bool has_exited(const process* p) noexcept {
    return p->exited_flag.load(std::memory_order_acquire);
}
const exit_reason& reason_of(const process* p) noexcept {
    return p->reason ? *p->reason : normal_reason;
}
void* result_of(const process* p) noexcept {
    return p->result;
}

void rethrow_if_failed(const process* p) {
    const exit_reason& r = reason_of(p);
    if (r.kind == exit_kind::normal) return;
    if (r.kind == exit_kind::error && r.error) std::rethrow_exception(r.error);
    throw exit_error(r);
}

// ---------------------------------------------------------------- spawn

process* spawn_impl(runtime_impl* rt_in, std::coroutine_handle<> root, const result_ops* ops,
                    const spawn_options& opts, bool linked) {
    return spawn_impl_ex(rt_in, root, ops, opts, linked, false, nullptr);
}

process* spawn_impl_ex(runtime_impl* rt_in, std::coroutine_handle<> root, const result_ops* ops,
                       const spawn_options& opts, bool linked, bool link_spawner,
                       std::uint64_t* monitor_id, bool handshake) {
    worker* here = tl_worker;
    runtime_impl* rt = rt_in ? rt_in : (here ? &here->rt : nullptr);
    if (!rt) {
        root.destroy();
        throw std::logic_error("coronet: spawn outside a process needs a runtime");
    }
    if (rt->stopping.load(std::memory_order_relaxed)) {
        root.destroy();
        throw std::logic_error("coronet: spawn on a runtime that is shutting down");
    }
    const bool inside = here && &here->rt == rt;
    process* parent = (!rt_in && inside) ? here->current : nullptr;
    worker& home = choose_home(*rt, here, parent, opts.where);

    auto* p = new process;
    p->refs.store(parent ? 3 : 2, std::memory_order_relaxed);  // table, handle, parent list
    const std::uint64_t counter =
        inside ? ++here->spawn_counter : rt->outside_counter.fetch_add(1) + 1;
    const std::uint64_t spawner = inside ? here->index : 0xffu;
    p->serial = (counter << 16) | (spawner << 8) | home.index;
    p->slot = rt->owns(&home) ? home.table.alloc_local() : home.table.alloc_remote();
    p->home = &home;
    // Counted now, not at adoption, so a burst of pool spawns spreads out.
    home.load.fetch_add(1, std::memory_order_relaxed);
    p->root = p->resume_at = root;
    p->ops = ops;
    p->parent = parent;
    p->linked = linked && parent;
    p->daemon = opts.daemon && parent;
    if (opts.isolated && !parent) p->extension().isolated = true;
    p->timer.fire = &process_timer_fired;
    p->node = rt->node;
    p->incarnation = rt->incarnation;
    if (parent) {
        append_child(parent, p);
        if (parent->cancelled && parent->shields == 0) {  // CX-1: the mark covers every descendant
            p->cancelled = true;
            p->pending = new exit_reason(*parent->pending);
        }
    } else {
        rt->add_root(p);
    }
    rt->spawned.fetch_add(1, std::memory_order_relaxed);
    if (link_spawner || monitor_id || handshake) {
        process* me = require_process("spawn_link / spawn_monitor / start");
        if (link_spawner) link_at_spawn(me, p);
        if (monitor_id) *monitor_id = monitor_at_spawn(me, p);
        if (handshake) {  // LT-6: linked (LK-1) only once start() has seen it ready
            p->linked = false;
            p->extension().starter = pid_of(me);
            p->wait_hooks = true;
        }
    }

    if (rt->owns(&home)) {
        adopt(home, p);
    } else {
        home.post(make_signal<sig_adopt>(p));
    }
    return p;
}

void adopt(worker& w, process* p) {
    w.table.insert(p->slot, p->serial, p);
    if (!p->parent) {
        // LK-4: a root that arrives while a root failure tears the node down
        // is torn down too (it may have missed the teardown's cancel).
        bool tearing;
        {
            std::lock_guard lk(w.rt.m);
            tearing = w.rt.tearing_down;
        }
        if (tearing) cancel_local(p, exit_kind::shutdown, "root failure");
    }
    w.make_runnable(p);
}

// ---------------------------------------------------------------- waits

void finish_wait(process* p) noexcept {
    p->waiting = wait_kind::none;
    p->wait_ctx = nullptr;
    p->home->disarm(&p->timer);
    p->home->make_runnable(p);
}

void resume_local(process* p) noexcept {
    if (p->state != pstate::running) return;
    if (p->waiting == wait_kind::park) {
        auto* w = static_cast<park_wait*>(p->wait_ctx);
        if (w->kind == 1) {
            w->outcome = wait_outcome::ready;
            finish_wait(p);
            return;
        }
    }
    p->resume_permit = true;
}

// ---------------------------------------------------------------- cancel

void wake_cancelled(process* p) noexcept {
    bool wake = true;
    switch (p->waiting) {
        case wait_kind::receive:
            static_cast<receive_wait*>(p->wait_ctx)->outcome = wait_outcome::cancelled;
            break;
        case wait_kind::park:
            static_cast<park_wait*>(p->wait_ctx)->outcome = wait_outcome::cancelled;
            break;
        case wait_kind::watch:
            wake = static_cast<exit_watch*>(p->wait_ctx)->cancel_wait(p->killed);
            break;
        case wait_kind::io:
            static_cast<io_wait*>(p->wait_ctx)->outcome = wait_outcome::cancelled;
            io_wait_end(p);
            break;
        case wait_kind::hold:
            if (p->teardown) return;  // LT-4: continue_teardown wakes it when the children are gone
            break;
        case wait_kind::job:
            job_cancel(p);  // it decides: wake now, or wait for the job (CX-8)
            return;
        case wait_kind::sync:
            sync_cancel(p);
            return;
        case wait_kind::ext:
            ext_cancel(p);
            return;
        case wait_kind::none:
            // Paused by a flow gate (flow.cpp): it goes on, to see its cancel.
            if (p->ext && p->ext->paused) {
                p->ext->paused = false;
                p->home->make_runnable(p);
            }
            return;
    }
    if (wake) finish_wait(p);
}

namespace {

/// LT-4: children stop one at a time, last spawned first; the next one is
/// asked only when the previous one has exited (child_exited calls back).
/// When none is left, a cancelled parent that waits is woken to clean up.
void continue_teardown(process* p) {
    for (process* c = p->last_child; c; c = c->prev_sib) {
        if (!p->teardown_all && !c->daemon) continue;
        if (!c->cancel_sent || (p->killed && !c->kill_sent)) {
            c->cancel_sent = true;
            c->kill_sent = p->killed;
            // A killed process's children are killed too (no shield holds them).
            const exit_kind k = p->killed         ? exit_kind::killed
                                : p->teardown_all ? exit_kind::cancelled
                                                  : exit_kind::shutdown;
            const std::string why = p->pending  ? p->pending->detail
                                    : p->reason ? to_string(*p->reason)
                                                : std::string("parent returned");
            cancel_remote(c, k, why);
        }
        return;
    }
    p->teardown = false;
    if (p->wake_deferred) {
        p->wake_deferred = false;
        if (p->state == pstate::running && is_cancelled(p)) wake_cancelled(p);
    }
}

}  // namespace

void start_teardown(process* p, bool all) {
    p->teardown_deferred = false;
    p->teardown = true;
    p->teardown_all = p->teardown_all || all;
    continue_teardown(p);
}

/// LT-4: a cancelled process waits for its children's teardown before it is
/// woken to clean up. Until then a wait that was not satisfied when the
/// cancel came turns into a hold, so that nothing completes it meanwhile (no
/// message is matched, no channel value or lock is taken, no timer or fd
/// wakes it early): CX-6 lets only what was satisfied first complete.
void hold_until_teardown(process* p) noexcept {
    switch (p->waiting) {
        case wait_kind::receive:
        case wait_kind::park:  // (a cancel beats these anyway: nothing changes but the time)
            break;
        case wait_kind::io:
            io_wait_end(p);
            break;
        case wait_kind::ext:
            if (!ext_hold(p)) return;
            break;
        case wait_kind::sync:
            if (!sync_hold(p)) return;
            break;
        default:  // watch (join), job (CX-8): their own cancel rules; hold, none
            return;
    }
    p->waiting = wait_kind::hold;
    p->home->disarm(&p->timer);
}

bool cancel_local(process* p, exit_kind kind, const std::string& why) {
    if (p->state == pstate::exited || p->cancelled) return false;
    p->cancelled = true;
    if (!p->pending) p->pending = new exit_reason{kind, nullptr, why};
    if (p->shields > 0 && !p->killed) {
        // A shield protects what it waits for, children included, also those
        // it spawns (CX-4): they are torn down when the last shield closes
        // (cancel_scope.cpp), and the process waits for that at its next await.
        p->teardown_deferred = true;
    } else if (p->live_children > 0) {
        p->wake_deferred = p->waiting != wait_kind::none;
        hold_until_teardown(p);
        start_teardown(p, true);
    } else if (is_cancelled(p)) {  // a shielded section keeps waiting (CX-4)
        wake_cancelled(p);
    }
    return true;
}

void kill_local(process* p, const std::string& why) {
    if (p->state == pstate::exited) return;
    p->killed = true;
    exit_reason*& slot = p->state == pstate::draining ? p->reason : p->pending;
    if (!slot || slot->kind != exit_kind::killed) {
        delete slot;
        slot = new exit_reason{exit_kind::killed, nullptr, why};
    }
    if (p->state == pstate::draining) {
        start_teardown(p, true);
    } else if (!cancel_local(p, exit_kind::killed, why)) {
        // Already cancelled (e.g. in a shielded section): escalate. Its
        // children go first, then it is woken (also from a shielded wait).
        if (p->live_children == 0) {
            wake_cancelled(p);
        } else {
            p->wake_deferred = p->wake_deferred || p->waiting != wait_kind::none;
            hold_until_teardown(p);
            start_teardown(p, true);
        }
    }
}

void exit_current(const exit_reason& r) {
    process* p = require_process("coronet: exit of the current process");
    if (!p->cancelled) {
        delete p->pending;
        p->pending = new exit_reason(r);
    }
    cancel_local(p, r.kind, r.detail);
    throw cancelled_error(r.detail);
}

void cancel_remote(process* p, exit_kind kind, const std::string& why) {
    worker* here = tl_worker;
    if (here == p->home) {
        // Queued and drained by the outermost call: a cancel that spreads
        // down a deep tree is a loop, not a recursion.
        retain(p);
        here->cancel_queue.push_back({p, kind, why});
        if (here->draining_cancels) return;
        here->draining_cancels = true;
        while (!here->cancel_queue.empty()) {
            auto req = std::move(here->cancel_queue.front());
            here->cancel_queue.pop_front();
            if (req.kind == exit_kind::killed)
                kill_local(req.p, req.why);
            else
                cancel_local(req.p, req.kind, req.why);
            release(req.p);
        }
        here->draining_cancels = false;
    } else {
        message* m = make_signal<sig_cancel>(kind, why);
        m->target = p->serial;
        m->target_slot = p->slot;
        p->home->post(m);
    }
}

// ---------------------------------------------------------------- exit

void killed_exit(process* p) {
    if (!p->reason) {
        p->reason = p->pending && p->pending->kind == exit_kind::killed
                        ? new exit_reason(*p->pending)
                        : new exit_reason{exit_kind::killed, nullptr, "killed"};
    }
    p->state = pstate::draining;
    p->waiting = wait_kind::none;
    p->home->disarm(&p->timer);
    finalize(p);  // destroys the frame: the destructors of its live locals run
}

void body_done(process* p) {
    std::exception_ptr err;
    p->result = p->ops->take(p->root.address(), err);
    exit_reason r;
    if (p->pending &&
        (p->pending->kind == exit_kind::error || p->pending->kind == exit_kind::killed)) {
        r = *p->pending;  // a linked child failed: this process fails with it (LK-1)
    } else if (err && p->cancelled && is_cancelled_error(err)) {
        r = *p->pending;
    } else if (err) {
        r = exit_reason{exit_kind::error, err, {}};
    }
    if (r.kind != exit_kind::normal) p->reason = new exit_reason(std::move(r));
    p->state = pstate::draining;
    p->waiting = wait_kind::none;
    const bool abnormal = p->reason && !p->reason->is_normal();
    if (p->live_children > 0) start_teardown(p, abnormal);
    if (p->live_children == 0) finalize(p);
}

/// The parent's side of a child's exit (on the parent's worker). LK-1: a
/// linked child's failure fails the parent, also while the parent drains
/// (its body returned and it waits for its children). Returns true when the
/// parent can now exit.
bool child_exited_step(process* parent, process* child) {
    unlink_child(parent, child);
    --parent->live_children;
    const exit_reason* r = child->reason;
    if (child->linked && trap_child_exit(parent, child)) {
        // LK-1: a parent that traps exits gets exit_msg and keeps running.
    } else if (child->linked && r &&
               (r->kind == exit_kind::error || r->kind == exit_kind::killed)) {
        const std::string why = "child " + to_string(pid_of(child)) + " failed: " + to_string(*r);
        if (parent->state == pstate::running) {
            if (!parent->pending || parent->pending->kind != exit_kind::error) {
                delete parent->pending;
                parent->pending = new exit_reason(*r);
                parent->pending->detail = why;
            }
            cancel_local(parent, r->kind, why);
        } else if (parent->state == pstate::draining &&
                   (!parent->reason || parent->reason->is_normal())) {
            delete parent->reason;
            parent->reason = new exit_reason(*r);
            parent->reason->detail = why;
            start_teardown(parent, true);
        }
    }
    release(child);
    if (parent->teardown) continue_teardown(parent);
    return parent->state == pstate::draining && parent->live_children == 0;
}

void child_exited(process* parent, process* child) {
    if (child_exited_step(parent, child)) finalize(parent);
}

void add_watcher(process* target, process* who, std::uint64_t watch_id, std::uint32_t index) {
    if (target->state == pstate::exited) {
        if (who->home == target->home) {
            exit_notice(who, watch_id, index);
            release(who);
        } else {
            who->home->post(make_signal<sig_exit_notice>(who, watch_id, index));
        }
        return;
    }
    target->watchers = new watcher{target->watchers, who, watch_id, index};
}

void remove_watcher(process* target, const process* who, std::uint64_t watch_id) noexcept {
    for (watcher** w = &target->watchers; *w;) {
        if ((*w)->who == who && (*w)->watch_id == watch_id) {
            watcher* dead = *w;
            *w = dead->next;
            release(dead->who);
            delete dead;
        } else {
            w = &(*w)->next;
        }
    }
}

void exit_notice(process* who, std::uint64_t watch_id, std::uint32_t index) noexcept {
    if (who->state == pstate::exited) return;
    for (exit_watch* w = who->active_watches; w; w = w->next_active) {
        if (w->id != watch_id) continue;
        w->mark_exited(index);
        if (who->waiting == wait_kind::watch && who->wait_ctx == w && w->satisfied())
            finish_wait(who);
        return;
    }
}

void detach_child(process* parent, process* child) noexcept {
    unlink_child(parent, child);
    --parent->live_children;
    release(child);
}

void free_mailbox(process* p) noexcept {
    message* m = p->mb_head.load(std::memory_order_relaxed);
    while (m) {
        message* next = m->next.load(std::memory_order_relaxed);
        free_message(m);
        m = next;
    }
    p->mb_head.store(nullptr, std::memory_order_relaxed);
    p->mb_tail = &p->mb_head;
    p->mb_size = 0;
}

void release_links(process* p) noexcept {
    watcher* w = p->watchers;
    p->watchers = nullptr;
    while (w) {
        watcher* next = w->next;
        release(w->who);
        delete w;
        w = next;
    }
    for (process* c = p->first_child; c;) {
        process* next = c->next_sib;
        c->prev_sib = c->next_sib = nullptr;
        release(c);
        c = next;
    }
    p->first_child = p->last_child = nullptr;
    p->live_children = 0;
}

// ---------------------------------------------------------------- helpers

runtime_impl* current_runtime() noexcept {
    return tl_worker ? &tl_worker->rt : nullptr;
}
process* current_process() noexcept {
    return tl_worker ? tl_worker->current : nullptr;
}
process* require_process(const char* what) {
    process* p = current_process();
    if (!p) throw std::logic_error(std::string(what) + " called outside a coronet process");
    return p;
}
time_point now_impl() {
    runtime_impl* rt = current_runtime();
    if (!rt) throw std::logic_error("coronet: now() outside a runtime");
    return rt->now();
}

}  // namespace coronet::detail
