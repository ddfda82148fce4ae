#pragma once
/// \file blocking.hpp
/// Thread pools for blocking calls: run_blocking (SEMANTICS CX-8).

#include <atomic>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stop_token>
#include <string>
#include <type_traits>
#include <utility>

#include "coronet/detail/process_ops.hpp"
#include "coronet/task.hpp"

namespace coronet {

namespace detail {
struct blocking_pool_impl;
class worker;

/// One blocking call, shared by the pool thread that runs it and the
/// process that waits for it (two references).
struct job {
    virtual ~job() = default;
    /// Runs the call on a pool thread; stores the value or the exception.
    virtual void execute(std::stop_token st) noexcept = 0;
    std::exception_ptr error;
    std::stop_source stop;
    std::atomic<int> refs{1};
    std::atomic<bool> done{false};
    // the waiting process (set when it is queued)
    std::uint64_t owner_serial = 0;
    std::uint32_t owner_slot = 0;
    worker* home = nullptr;
    std::uint64_t wait_id = 0;
};
void release_job(job* j) noexcept;

template <class R>
struct job_result : job {
    std::optional<std::conditional_t<std::is_void_v<R>, bool, R>> value;
};

template <class R, class F>
struct job_of final : job_result<R> {
    explicit job_of(F f) : fn(std::move(f)) {}
    F fn;
    void execute(std::stop_token st) noexcept override {
        try {
            if constexpr (std::is_void_v<R>) {
                fn(st);
                this->value.emplace(true);
            } else {
                this->value.emplace(fn(st));
            }
        } catch (...) {
            this->error = std::current_exception();
        }
    }
};

/// The state of one submit / wait, in the awaiter.
struct job_wait {
    blocking_pool_impl* pool = nullptr;
    job* j = nullptr;
    bool wait_for_space = true;
    bool queued = false;         ///< the job is in the pool
    bool waiting_space = false;  ///< waiting for room in a full queue
    bool space_granted = false;  ///< room was granted to it: it may pass earlier waiters
    bool stop_asked = false;     ///< cancelled while it runs: stop requested
    wait_outcome outcome = wait_outcome::pending;
    std::uint64_t id = 0;
};
/// What an await of the job gave: done; full (the pool's queue was full and
/// the caller does not wait: nothing was run); again (room was granted:
/// await once more to queue it and wait for it).
enum class job_step : std::uint8_t { done, full, again };
/// Queues the job (or waits for room) and waits for it.
bool job_ready(job_wait& w);
void job_suspend(job_wait& w, std::coroutine_handle<> h);
/// Throws cancelled_error when the process was cancelled.
job_step job_resume(job_wait& w);

struct job_awaiter {
    job_wait w;
    bool await_ready() { return job_ready(w); }
    void await_suspend(std::coroutine_handle<> h) { job_suspend(w, h); }
    job_step await_resume() { return job_resume(w); }
};

blocking_pool_impl* default_pool_of_current();

/// The process's reference to its job (released with the frame that holds it).
template <class R>
struct job_ptr {
    job_result<R>* j;
    explicit job_ptr(job_result<R>* x) noexcept : j(x) {}
    job_ptr(job_ptr&& o) noexcept : j(std::exchange(o.j, nullptr)) {}
    job_ptr(const job_ptr&) = delete;
    job_ptr& operator=(const job_ptr&) = delete;
    job_ptr& operator=(job_ptr&&) = delete;
    ~job_ptr() {
        if (!j) return;
        // The process no longer waits (kill, a frame destroyed at shutdown,
        // any unwind): the job is asked to stop, its value will be dropped.
        if (!j->done.load(std::memory_order_acquire)) j->stop.request_stop();
        release_job(j);
    }
};

template <class Fn, class... Args>
auto make_job(Fn&& fn, Args&&... args) {
    auto call = [f = std::forward<Fn>(fn),
                 ... a = std::forward<Args>(args)](std::stop_token st) mutable -> decltype(auto) {
        if constexpr (std::is_invocable_v<std::decay_t<Fn>&, std::stop_token,
                                          std::decay_t<Args>&...>)
            return std::invoke(f, st, a...);
        else
            return std::invoke(f, a...);
    };
    using R = std::invoke_result_t<decltype(call)&, std::stop_token>;
    static_assert(!std::is_reference_v<R>, "run_blocking: return a value, not a reference");
    return job_ptr<R>{new job_of<R, decltype(call)>(std::move(call))};
}

template <class R>
task<R> await_job(blocking_pool_impl* pool, job_ptr<R> own) {
    job_result<R>* j = own.j;
    job_awaiter a{};
    a.w.pool = pool;
    a.w.j = j;
    for (;;) {
        const job_step r = co_await a;  // (not in the loop condition: see README's pitfalls)
        if (r == job_step::done) break;
    }
    if (j->error) std::rethrow_exception(j->error);
    if constexpr (!std::is_void_v<R>) co_return std::move(*j->value);
}

template <class R>
task<std::optional<std::conditional_t<std::is_void_v<R>, bool, R>>> try_await_job(
    blocking_pool_impl* pool, job_ptr<R> own) {
    job_result<R>* j = own.j;
    job_awaiter a{};
    a.w.pool = pool;
    a.w.j = j;
    a.w.wait_for_space = false;
    for (;;) {
        const job_step r = co_await a;
        if (r == job_step::full) co_return std::nullopt;  // not run
        if (r == job_step::done) break;
    }
    if (j->error) std::rethrow_exception(j->error);
    co_return std::move(j->value);
}
}  // namespace detail

/// A pool of OS threads for blocking calls, separate from the workers. The
/// runtime owns its pools: `runtime::default_pool()` (sized by
/// runtime_config::blocking_threads and blocking_queue) and the ones made
/// with `runtime::add_pool` (e.g. one for disk, one for a legacy client).
/// Threads start with the first job.
///
/// **Thread safety:** any thread. **Suspends:** never (the run_blocking
/// functions do).
class blocking_pool {
  public:
    explicit blocking_pool(detail::blocking_pool_impl* p) noexcept : p_(p) {}
    const std::string& name() const noexcept;
    std::uint32_t threads() const noexcept;
    /// How many jobs may wait in the queue (not counting running ones).
    std::size_t capacity() const noexcept;
    /// Jobs waiting / running now (approximate while threads run).
    std::size_t queued() const;
    std::size_t running() const;
    detail::blocking_pool_impl* impl() const noexcept { return p_; }

  private:
    detail::blocking_pool_impl* p_;
};

/// Runs `fn(args...)` (or `fn(stop_token, args...)` when it takes one) on a
/// thread of `pool` and resumes the calling process, on its own worker,
/// with the value, or rethrows what `fn` threw. The arguments are copied
/// (decayed) into the job.
///
/// - A full queue makes it wait for room (back pressure); waiters are
///   served in order.
/// - Cancelling the process requests stop on the job's stop_token (CX-8);
///   the process still waits for the job, at most the runtime's
///   shutdown_timeout, then throws cancelled_error; the job's value is
///   dropped when it returns. A kill does not wait.
/// - On the virtual clock a job takes no virtual time (the driver waits for
///   it) unless it runs longer than runtime_config::virtual_job_wait (200 ms
///   of real time by default).
///
/// **Thread safety:** inside a process only. **Suspends:** until the job
/// is done.
template <class Fn, class... Args>
auto run_blocking_on(blocking_pool& pool, Fn&& fn, Args&&... args) {
    return detail::await_job(pool.impl(),
                             detail::make_job(std::forward<Fn>(fn), std::forward<Args>(args)...));
}
/// run_blocking_on the runtime's default pool.
template <class Fn, class... Args>
auto run_blocking(Fn&& fn, Args&&... args) {
    return detail::await_job(detail::default_pool_of_current(),
                             detail::make_job(std::forward<Fn>(fn), std::forward<Args>(args)...));
}
/// The non-waiting twin: nullopt at once when the pool's queue is full
/// (nothing is run); otherwise as run_blocking_on, giving the value (true
/// for a void call).
template <class Fn, class... Args>
auto try_run_blocking_on(blocking_pool& pool, Fn&& fn, Args&&... args) {
    return detail::try_await_job(
        pool.impl(), detail::make_job(std::forward<Fn>(fn), std::forward<Args>(args)...));
}
template <class Fn, class... Args>
auto try_run_blocking(Fn&& fn, Args&&... args) {
    return detail::try_await_job(
        detail::default_pool_of_current(),
        detail::make_job(std::forward<Fn>(fn), std::forward<Args>(args)...));
}

}  // namespace coronet
