// Waits whose queues live outside the core (detail/ext_wait.hpp): the
// claim protocol, the wake-up signal, timeouts, cancellation, shutdown.

#include <sched.h>

#include "coronet/detail/ext_wait.hpp"
#include "internal/core.hpp"
#include "internal/signals.hpp"

namespace coronet::detail {

void ext_wait::complete() noexcept {
    // Copy what the signal needs: the waiter may be destroyed once done.
    worker* to = home;
    const std::uint32_t to_slot = slot;
    const std::uint64_t to_serial = serial;
    const std::uint64_t id = wait_id;
    outcome = wait_outcome::ready;
    state.store(done, std::memory_order_release);
    if (to == tl_worker) {  // woken by a process of its own worker: no signal needed
        to->local_wakes.push_back({to_slot, to_serial, id});
        return;
    }
    message* m = make_signal<sig_ext_wake>(id);
    m->target = to_serial;
    m->target_slot = to_slot;
    to->post(m);
}

void ext_wait::wait_done() const noexcept {
    // The claimer writes the result under its lock and stores done right
    // after: a short wait, unless that thread is preempted.
    for (unsigned i = 0; state.load(std::memory_order_acquire) != done; ++i) {
        if (i % 64 == 63) ::sched_yield();
    }
}

int ext_wait_prepare(ext_wait& w, const char* what) {
    process* p = require_process(what);
    if (is_cancelled(p)) {
        if (hold_for_teardown(p)) return 2;  // LT-4: its children first
        w.outcome = wait_outcome::cancelled;
        return 1;
    }
    return 0;
}

void ext_wait_identify(ext_wait& w) noexcept {
    process* p = tl_worker->current;
    w.home = p->home;
    w.slot = p->slot;
    w.serial = p->serial;
    // Unique among this worker's waits, which is all a wake-up compares.
    w.wait_id = ++p->home->ext_wait_ids;
}

void ext_wait_suspend(ext_wait& w, std::coroutine_handle<> h) {
    process* p = tl_worker->current;
    p->resume_at = h;
    if (p->waiting == wait_kind::hold) return;
    p->waiting = wait_kind::ext;
    p->wait_ctx = &w;
    if (w.timeout != infinite)
        p->home->arm(&p->timer, deadline_after(p->home->rt.now(), w.timeout));
}

wait_outcome ext_wait_finish(ext_wait& w) {
    process* p = tl_worker->current;
    if (w.outcome == wait_outcome::cancelled || w.outcome == wait_outcome::pending)
        throw_cancelled(p);
    // CX-6: only a completed operation beats a cancel, not a timeout.
    if (w.outcome == wait_outcome::timeout && is_cancelled(p)) throw_cancelled(p);
    return w.outcome;
}

std::uint64_t worker_random() noexcept {
    static thread_local std::uint64_t outside = 0x9e3779b97f4a7c15ull;
    std::uint64_t& s = tl_worker ? tl_worker->rng : outside;
    std::uint64_t z = (s += 0x9e3779b97f4a7c15ull);  // splitmix64
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

// ---------------------------------------------------------------- the core's side

namespace {
/// Takes the wait away from any completer; false when one was first.
bool abandon(ext_wait& w) noexcept {
    std::uint8_t s = ext_wait::waiting;
    return w.state.compare_exchange_strong(s, ext_wait::abandoned, std::memory_order_acq_rel);
}
}  // namespace

void ext_timeout(process* p) noexcept {
    auto& w = *static_cast<ext_wait*>(p->wait_ctx);
    if (!abandon(w)) return;  // completed meanwhile: the wake-up is on its way
    w.cleanup(w);
    w.outcome = wait_outcome::timeout;
    finish_wait(p);
}

void ext_cancel(process* p) noexcept {
    auto& w = *static_cast<ext_wait*>(p->wait_ctx);
    if (!abandon(w)) return;  // CX-6: completed first; it resumes with the result
    w.cleanup(w);
    w.outcome = wait_outcome::cancelled;
    finish_wait(p);
}

bool ext_hold(process* p) noexcept {
    auto& w = *static_cast<ext_wait*>(p->wait_ctx);
    if (!abandon(w)) return false;  // completed before the cancel (CX-6)
    w.cleanup(w);
    return true;
}

void ext_forget(process* p) noexcept {
    auto& w = *static_cast<ext_wait*>(p->wait_ctx);
    if (!abandon(w)) w.wait_done();  // let the completer finish writing into the frame
    w.cleanup(w);
}

void ext_signal(worker& wk, message* m) noexcept {
    ext_wake(wk, m->target_slot, m->target, signal_data<sig_ext_wake>(m).wait_id);
}

void ext_wake(worker& wk, std::uint32_t slot, std::uint64_t serial, std::uint64_t id) noexcept {
    process* p = wk.table.find(slot, serial);
    if (!p || p->state != pstate::running || p->waiting != wait_kind::ext) return;
    auto& w = *static_cast<ext_wait*>(p->wait_ctx);
    if (w.wait_id != id) return;  // a wait that ended without suspending
    w.cleanup(w);
    finish_wait(p);
}

}  // namespace coronet::detail
