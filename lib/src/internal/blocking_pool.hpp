#pragma once
// A blocking pool's state (blocking.cpp). Owned by the runtime through a
// shared_ptr that its threads share.

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "coronet/blocking.hpp"

namespace coronet::detail {

class runtime_impl;
struct process;

struct blocking_pool_impl : std::enable_shared_from_this<blocking_pool_impl> {
    blocking_pool_impl(runtime_impl* rt, std::string name, std::uint32_t threads,
                       std::size_t capacity);
    ~blocking_pool_impl();

    /// On the process's worker.
    bool try_enqueue(process* p, job_wait& w);
    void forget_space_waiter(const process* p, std::uint64_t wait_id);
    void pass_space_on();
    /// At runtime shutdown: drops queued jobs (asked to stop), waits up to
    /// `grace` for the running ones (asked to stop when their processes'
    /// frames went, see job_ptr), then leaves stuck threads behind.
    void stop(duration grace);
    std::size_t queued() const;

    runtime_impl* const rt;
    const std::string name;
    const std::uint32_t nthreads;
    const std::size_t capacity;
    const duration rt_idle_spin;             // how long an idle thread polls before it sleeps
    std::atomic<std::size_t> queue_size{0};  // the queue's length, for that poll
    std::atomic<std::uint32_t> spinning{0};  // threads polling now (no wake-up needed)

    mutable std::mutex m;
    std::condition_variable cv_work;
    std::condition_variable cv_idle;
    std::uint32_t running = 0;  // guarded by m
    std::size_t reserved = 0;   // free slots granted to waiters not yet queued (m)
    bool stopping = false;      // guarded by m
    bool alive = true;          // the runtime may be told (guarded by m)

  private:
    struct state;
    void thread_main(std::shared_ptr<blocking_pool_impl> self);
    void grant_space_locked();
    void rt_jobs_done_locked();
    std::unique_ptr<state> st;
};

/// blocking.cpp: a sig_job_done / sig_job_space for a process of this worker.
void job_signal(worker& w, message* m);
/// blocking.cpp: the process waiting for a job (or for room) is cancelled.
void job_cancel(process* p) noexcept;

}  // namespace coronet::detail
