#pragma once
// The waiting machinery shared by the coroutine locks, events, semaphores
// and conditions (mutex.hpp, event.hpp, semaphore.hpp, condition.hpp).
// Internal: users see the primitives only.

#include <coroutine>
#include <cstdint>
#include <mutex>

#include "coronet/detail/intrusive_fifo.hpp"
#include "coronet/detail/process_ops.hpp"
#include "coronet/time.hpp"

namespace coronet::detail {

class worker;
class sync_base;
class mutex_core;
struct process;

/// A waiting process in a primitive's FIFO; lives in the awaiter.
struct sync_node {
    sync_node* next = nullptr;
    sync_node* prev = nullptr;
    sync_base* prim = nullptr;
    std::uint64_t serial = 0;
    std::uint32_t slot = 0;
    worker* home = nullptr;
    std::uint64_t wait_id = 0;
    std::uint32_t want = 1;  ///< permits asked for (semaphores)
    bool queued = false;     ///< in the FIFO (guarded by the primitive's lock)
    bool shield = false;     ///< not interrupted by a cancel (only by a kill)
    wait_outcome outcome = wait_outcome::pending;
    duration timeout = infinite;
};

/// A primitive: a lock, and a FIFO of waiting processes. Grants travel to
/// the waiter's worker as a signal; a grant that finds its waiter gone
/// (timed out, cancelled, destroyed) is given back with grant_lost.
///
/// **Thread safety:** every member takes the lock. **Suspends:** never.
class sync_base {
  public:
    sync_base() = default;
    sync_base(const sync_base&) = delete;
    sync_base& operator=(const sync_base&) = delete;
    virtual ~sync_base() = default;

    /// Under the lock: take what `n` wants at once (no waiter is skipped:
    /// FIFO); false to wait.
    virtual bool try_take_locked(sync_node& n) = 0;
    /// A grant for a waiter that no longer waits: give it to the next one.
    virtual void grant_lost(std::uint32_t want) = 0;
    /// Under the lock, as the first waiter is granted: mark it taken for it.
    virtual void on_grant_locked(sync_node&) {}
    /// On the taking process's worker (after a grant or an immediate take):
    /// mutexes record what the process holds.
    virtual void taken(process*) {}
    /// Under the lock, after a waiter left without a grant (timeout, cancel):
    /// semaphores may now serve the ones behind it.
    virtual void waiter_left_locked() {}

    std::mutex m;  ///< the primitive's lock

    // FIFO, under m
    void enqueue_locked(sync_node& n) noexcept { fifo_.push_back(n); }
    void remove_locked(sync_node& n) noexcept { fifo_.remove(n); }
    sync_node* front_locked() const noexcept { return fifo_.front(); }
    /// Pops the first waiter and sends it its grant (under m).
    void grant_front_locked();
    bool has_waiters_locked() const noexcept { return !fifo_.empty(); }

  private:
    intrusive_fifo<sync_node> fifo_;
};

/// Awaits a primitive: takes at once, or waits in its FIFO until granted,
/// timed out (false) or cancelled (throws cancelled_error).
struct sync_awaiter {
    sync_node n;
    /// `release_after`: a mutex unlocked once this waiter is queued (condition).
    sync_awaiter(sync_base* prim, duration timeout, std::uint32_t want = 1,
                 mutex_core* release_after = nullptr) noexcept
        : release(release_after), released(false) {
        n.prim = prim;
        n.timeout = timeout;
        n.want = want;
    }
    mutex_core* release;
    bool released;  ///< `release` was unlocked (the condition must take it back)
    sync_awaiter(const sync_awaiter&) = delete;
    sync_awaiter& operator=(const sync_awaiter&) = delete;
    // No destructor: a frame destroyed while it waits is unqueued by the
    // runtime (sync_cancel for a kill, sync_forget at shutdown).
    bool await_ready();
    void await_suspend(std::coroutine_handle<> h);
    bool await_resume();
};

}  // namespace coronet::detail
