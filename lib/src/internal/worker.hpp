#pragma once
// A worker: one run queue, timers, a process table, an inbox for other
// threads, and an epoll reactor. On the real clock it owns an OS thread; on
// the virtual clock the runtime's driving thread steps it.

#include <atomic>
#include <cstdint>
#include <deque>
#include <string>
#include <thread>

#include "internal/mpsc_queue.hpp"
#include "internal/process.hpp"
#include "internal/process_table.hpp"
#include "internal/timer_heap.hpp"

namespace coronet::detail {

class runtime_impl;

class worker {
  public:
    worker(runtime_impl& rt, std::uint32_t index);
    ~worker();
    worker(const worker&) = delete;
    worker& operator=(const worker&) = delete;

    // --- owner thread only ---
    void make_runnable(process* p) noexcept {
        if (p->queued) return;
        p->queued = true;
        p->run_next = nullptr;
        if (rq_tail_)
            rq_tail_->run_next = p;
        else
            rq_head_ = p;
        rq_tail_ = p;
    }
    bool has_runnable() const noexcept { return rq_head_ != nullptr; }
    /// Drains the inbox, fires due timers, polls I/O without blocking and
    /// runs up to `budget` processes. Returns the number of processes run
    /// plus messages handled (0 = nothing happened).
    std::uint64_t step(std::uint64_t budget);
    /// Earliest timer deadline, or time_point::max() when none.
    time_point next_deadline() const noexcept {
        return timers.empty() ? time_point::max() : timers.top()->deadline;
    }
    void arm(timer_node* t, time_point deadline) { timers.insert(t, deadline); }
    void disarm(timer_node* t) noexcept {
        if (t->armed()) timers.remove(t);
    }
    /// Routes one inbox or local message: signal, or delivery / dead letter.
    void dispatch(message* m);
    void deliver_user(message* m);
    /// Real clock: the thread's loop.
    void thread_main();
    /// Destroys everything left at shutdown (after the threads stopped).
    void destroy_frame(process* p);
    void destroy_leftovers_rest();

    // --- any thread ---
    void post(message* m) noexcept;
    void wake() noexcept;

    runtime_impl& rt;
    const std::uint32_t index;
    process_table table;
    timer_heap timers;
    std::uint64_t spawn_counter = 0;
    process* current = nullptr;
    std::uint64_t resumptions = 0;
    // Messages put into mailboxes here (runtime_stats::delivered): written
    // by this worker only (load + store, no locked add), read by any thread.
    std::atomic<std::uint64_t> delivered{0};
    bool remote_dirty = false;       // routed to another node since the router's last flush
    std::uint32_t throttled = 0;     // its processes with a flow gate (process_ext::gate)
    std::uint64_t ext_wait_ids = 0;  // ext_wait_identify (ext_wait.cpp)
    /// Channel waiters of this worker completed by its own processes: woken
    /// after the completing process yields (no signal through the inbox).
    struct local_wake {
        std::uint32_t slot;
        std::uint64_t serial;
        std::uint64_t wait_id;
    };
    std::vector<local_wake> local_wakes;
    std::uint64_t run_local_wakes() noexcept;
    std::uint64_t rng = 0;  // worker_random() (ext_wait.cpp); seeded by index: deterministic
    int epfd = -1;
    int evfd = -1;
    std::uint32_t io_waiters = 0;
    /// wait_io's registrations, by fd: an fd stays in this worker's epoll
    /// (EPOLLONESHOT) after its first wait, and the next wait re-arms it
    /// with EPOLL_CTL_MOD (measured: ADD + DEL 1.7 µs, MOD 0.2 µs). `armed`
    /// is the tag of the wait it is armed for (0: none). A closed fd leaves
    /// epoll by itself; a later wait on that number then gets ENOENT from
    /// MOD and adds it again.
    struct io_reg {
        std::uint64_t armed = 0;
        bool registered = false;
    };
    std::vector<io_reg> io_regs;
    std::uint32_t io_serial = 0;
    std::atomic<std::uint32_t> load{0};
    std::atomic<bool> sleeping{false};
    std::thread thread;

    struct cancel_request {
        process* p;  // retained
        exit_kind kind;
        std::string why;
    };
    std::deque<cancel_request> cancel_queue;  // see cancel_remote
    bool draining_cancels = false;
    bool drop_sends = false;  // a killed frame is being destroyed: its sends are dropped (LT-5)

    /// `p` is no longer held by its flow gate (opened, or `p` ends). Owner
    /// thread only.
    void drop_gate(process* p) noexcept;

  private:
    std::uint64_t drain_inbox();
    std::uint64_t fire_timers();
    std::uint64_t poll_io(int timeout_ms);
    void run_one(process* p);
    void idle_wait();
    /// A throttled process about to resume: true when its flow gate is
    /// still closed (it is then paused, not resumed, until the gate opens).
    bool pause_throttled(process* p);

    /// Lets the router send what this worker routed (remote_router::flush).
    void flush_remote();

    process* rq_head_ = nullptr;
    process* rq_tail_ = nullptr;
    mpsc_queue inbox_;
};

/// The worker whose loop runs on this thread (or is being stepped by it).
extern thread_local worker* tl_worker;

}  // namespace coronet::detail
