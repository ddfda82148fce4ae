// Blocking pools (SEMANTICS CX-8). A pool is a bounded queue and N OS
// threads, started with the first job. A finished job is reported to the
// waiting process's worker with sig_job_done; room in a full queue with
// sig_job_space. Threads hold the pool's state by shared_ptr, so a thread
// stuck in a call that ignores its stop token can be left behind at
// shutdown without touching freed memory.

#include "coronet/blocking.hpp"

#include <sched.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <thread>
#include <vector>

#include "internal/blocking_pool.hpp"
#include "internal/core.hpp"
#include "internal/signals.hpp"

namespace coronet::detail {

namespace {

struct space_waiter {
    std::uint64_t serial;
    std::uint32_t slot;
    worker* home;
    std::uint64_t wait_id;
};

/// Posts a signal for a process of this runtime from a pool thread (or a
/// worker): under the pool's lock, only while the runtime is alive.
template <class S>
void post_to(blocking_pool_impl& pool, worker* home, std::uint64_t serial, std::uint32_t slot,
             S s) {
    if (!pool.alive) return;
    message* m = make_signal<S>(std::move(s));
    m->target = serial;
    m->target_slot = slot;
    home->post(m);
    pool.rt->external_event();
}

}  // namespace

struct blocking_pool_impl::state {
    std::deque<job*> queue;
    std::deque<space_waiter> space;
    std::vector<std::thread> threads;
};

blocking_pool_impl::blocking_pool_impl(runtime_impl* r, std::string n, std::uint32_t t,
                                       std::size_t c)
    : rt(r),
      name(std::move(n)),
      nthreads(std::max<std::uint32_t>(1, t)),
      capacity(c),
      rt_idle_spin(r->cfg.idle_spin),
      st(std::make_unique<state>()) {}

blocking_pool_impl::~blocking_pool_impl() = default;

void release_job(job* j) noexcept {
    if (j->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) delete j;
}

/// Under the lock: tells the first process waiting for room that there is.
void blocking_pool_impl::grant_space_locked() {
    if (st->space.empty() || st->queue.size() + reserved >= capacity) return;
    space_waiter w = st->space.front();
    st->space.pop_front();
    ++reserved;  // the slot is kept for it until it queues (or gives it up)
    post_to(*this, w.home, w.serial, w.slot, sig_job_space{this, w.wait_id});
}

void blocking_pool_impl::pass_space_on() {
    std::lock_guard lk(m);
    if (reserved > 0) --reserved;
    grant_space_locked();
}

void blocking_pool_impl::thread_main(std::shared_ptr<blocking_pool_impl> self) {
    for (;;) {
        job* j;
        {
            std::unique_lock lk(m);
            if (!stopping && st->queue.empty()) {
                // Spin briefly before sleeping: the process that just got a
                // result often submits its next call at once, and a futex
                // wake-up costs several microseconds.
                lk.unlock();
                spinning.fetch_add(1, std::memory_order_seq_cst);
                const auto until = std::chrono::steady_clock::now() + rt_idle_spin;
                for (unsigned i = 1; queue_size.load(std::memory_order_acquire) == 0; ++i) {
#if defined(__x86_64__) || defined(__i386__)
                    __builtin_ia32_pause();
#endif
                    if ((i & 63) == 0) {
                        if (std::chrono::steady_clock::now() >= until) break;
                        sched_yield();  // a worker on this CPU may need it
                    }
                }
                spinning.fetch_sub(1, std::memory_order_seq_cst);
                lk.lock();
            }
            cv_work.wait(lk, [&] { return stopping || !st->queue.empty(); });
            if (st->queue.empty()) return;
            j = st->queue.front();
            st->queue.pop_front();
            queue_size.fetch_sub(1, std::memory_order_relaxed);
            // More waiting (queued while this thread polled, unannounced):
            // wake another thread for them.
            if (!st->queue.empty()) cv_work.notify_one();
            ++running;
            grant_space_locked();
        }
        j->execute(j->stop.get_token());
        worker* const home = j->home;
        const std::uint64_t serial = j->owner_serial;
        const std::uint32_t slot = j->owner_slot;
        const std::uint64_t wait_id = j->wait_id;
        j->done.store(true, std::memory_order_release);
        // Our reference goes before the process is told: the process, which
        // reads the value or the exception, is then the one that frees them
        // (an exception object shared across threads is counted inside the
        // uninstrumented libstdc++, which TSan cannot see).
        release_job(j);
        {
            std::lock_guard lk(m);
            --running;
            // jobs_outstanding drops when the worker handles this (job_signal):
            // a virtual-clock driver must not move time while it is in flight.
            post_to(*this, home, serial, slot, sig_job_done{wait_id});
            cv_idle.notify_all();
        }
    }
    (void)self;
}

void blocking_pool_impl::rt_jobs_done_locked() {
    if (alive) rt->jobs_outstanding.fetch_sub(1, std::memory_order_acq_rel);
}

/// Queues `w.j` for the current process; false when the queue is full (or
/// others wait for room first), and then, if `w.wait_for_space`, the process
/// is registered as waiting for room, under the same lock (no lost grant).
bool blocking_pool_impl::try_enqueue(process* p, job_wait& w) {
    std::lock_guard lk(m);
    if (stopping) throw std::runtime_error("coronet: blocking pool '" + name + "' is stopped");
    if (w.space_granted && reserved > 0) --reserved;            // its reserved slot
    const bool my_turn = w.space_granted || st->space.empty();  // FIFO among waiters
    w.space_granted = false;
    if (st->queue.size() + reserved >= capacity || !my_turn) {
        if (w.wait_for_space) {
            st->space.push_back({p->serial, p->slot, p->home, w.id});
            w.waiting_space = true;
        }
        return false;
    }
    if (st->threads.empty()) {
        auto self = shared_from_this();
        for (std::uint32_t i = 0; i < nthreads; ++i)
            st->threads.emplace_back([self] { self->thread_main(self); });
    }
    job* j = w.j;
    j->owner_serial = p->serial;
    j->owner_slot = p->slot;
    j->home = p->home;
    j->wait_id = w.id;
    j->refs.fetch_add(1, std::memory_order_relaxed);  // the pool's reference
    st->queue.push_back(j);
    queue_size.fetch_add(1, std::memory_order_release);
    rt->jobs_outstanding.fetch_add(1, std::memory_order_acq_rel);
    // A polling thread takes it without a futex wake-up; one that stops
    // polling right now takes the lock and sees the job before it sleeps.
    if (spinning.load(std::memory_order_seq_cst) == 0) cv_work.notify_one();
    return true;
}

void blocking_pool_impl::forget_space_waiter(const process* p, std::uint64_t wait_id) {
    std::lock_guard lk(m);
    auto& v = st->space;
    auto it = std::find_if(v.begin(), v.end(), [&](const space_waiter& s) {
        return s.serial == p->serial && s.wait_id == wait_id;
    });
    if (it != v.end()) v.erase(it);
    // else its grant is in flight: job_signal passes it on when it arrives
}

void blocking_pool_impl::stop(duration grace) {
    std::vector<std::thread> threads;
    bool idle;
    {
        std::unique_lock lk(m);
        stopping = true;
        for (job* j : st->queue) {
            j->stop.request_stop();
            rt_jobs_done_locked();
            release_job(j);
        }
        st->queue.clear();
        queue_size.store(0, std::memory_order_relaxed);
        st->space.clear();
        cv_work.notify_all();
        cv_idle.wait_for(lk, grace, [&] { return running == 0; });
        alive = false;  // from now on nothing is posted to the runtime
        idle = running == 0;
        threads = std::move(st->threads);
    }
    // Threads whose job ignores its stop token are left to finish on their
    // own; they hold the pool's state, never the runtime.
    for (auto& t : threads) {
        if (idle)
            t.join();
        else
            t.detach();
    }
}

std::size_t blocking_pool_impl::queued() const {
    std::lock_guard lk(m);
    return st->queue.size();
}

// ---------------------------------------------------------------- waits

int job_ready_impl(job_wait& w);

bool job_ready(job_wait& w) {
    process* p = require_process("run_blocking");
    if (is_cancelled(p)) {
        if (hold_for_teardown(p)) return false;  // LT-4: its children first
        w.outcome = wait_outcome::cancelled;
        return true;
    }
    if (w.id == 0) w.id = p->home->rt.next_wait_id.fetch_add(1, std::memory_order_relaxed) + 1;
    if (w.queued) return w.j->done.load(std::memory_order_acquire);
    if (w.pool->try_enqueue(p, w)) {
        w.queued = true;
        return w.j->done.load(std::memory_order_acquire);
    }
    if (!w.wait_for_space) {
        w.outcome = wait_outcome::timeout;  // full, and the caller does not wait
        return true;
    }
    return false;  // registered for room (try_enqueue)
}

void job_suspend(job_wait& w, std::coroutine_handle<> h) {
    process* p = tl_worker->current;
    if (p->waiting == wait_kind::hold) {
        p->resume_at = h;
        return;
    }
    p->waiting = wait_kind::job;
    p->wait_ctx = &w;
    p->resume_at = h;
}

job_step job_resume(job_wait& w) {
    process* p = tl_worker->current;
    if (w.outcome == wait_outcome::cancelled || is_cancelled(p)) {
        // Whatever room it was promised goes to the next waiter.
        if (w.waiting_space && w.outcome == wait_outcome::ready)
            w.pool->pass_space_on();  // granted, not used
        else if (w.waiting_space)
            w.pool->forget_space_waiter(p, w.id);  // (a grant in flight is passed on on arrival)
        else if (w.space_granted)
            w.pool->pass_space_on();
        w.waiting_space = w.space_granted = false;
        throw_cancelled(p);
    }
    if (w.outcome == wait_outcome::timeout) return job_step::full;
    w.outcome = wait_outcome::pending;
    if (w.queued && w.j->done.load(std::memory_order_acquire)) return job_step::done;
    if (w.waiting_space) {  // room was granted: the next await queues it, in its turn
        w.waiting_space = false;
        w.space_granted = true;
    }
    return job_step::again;
}

void job_cancel(process* p) noexcept {
    auto& w = *static_cast<job_wait*>(p->wait_ctx);
    if (!w.queued || p->killed) {  // waiting for room, or a kill: no job to wait for
        w.outcome = wait_outcome::cancelled;
        finish_wait(p);
        return;
    }
    if (w.stop_asked) return;
    // CX-8: ask the job to stop and wait for it, at most the shutdown timeout.
    w.stop_asked = true;
    w.j->stop.request_stop();
    runtime_impl& rt = p->home->rt;
    p->home->arm(&p->timer, deadline_after(rt.now(), rt.cfg.shutdown_timeout));
}

void job_signal(worker& wk, message* m) {
    process* p = wk.table.find(m->target_slot, m->target);
    const bool space = is_signal<sig_job_space>(m);
    if (!space) wk.rt.jobs_outstanding.fetch_sub(1, std::memory_order_acq_rel);
    const std::uint64_t id =
        space ? signal_data<sig_job_space>(m).wait_id : signal_data<sig_job_done>(m).wait_id;
    if (p && p->state == pstate::running && p->waiting == wait_kind::job &&
        static_cast<job_wait*>(p->wait_ctx)->id == id) {
        static_cast<job_wait*>(p->wait_ctx)->outcome = wait_outcome::ready;
        finish_wait(p);
    } else if (space) {
        signal_data<sig_job_space>(m).pool->pass_space_on();  // nobody takes it: next one
    }
}

blocking_pool_impl* default_pool_of_current() {
    return require_process("coronet::run_blocking")->home->rt.pools.front().get();
}

}  // namespace coronet::detail

namespace coronet {

const std::string& blocking_pool::name() const noexcept {
    return p_->name;
}
std::uint32_t blocking_pool::threads() const noexcept {
    return p_->nthreads;
}
std::size_t blocking_pool::capacity() const noexcept {
    return p_->capacity;
}
std::size_t blocking_pool::queued() const {
    return p_->queued();
}
std::size_t blocking_pool::running() const {
    std::lock_guard lk(p_->m);
    return p_->running;
}

}  // namespace coronet
