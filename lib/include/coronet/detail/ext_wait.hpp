#pragma once
// A wait whose queues live outside the core (channels: send, receive,
// select). Internal: users see the channel operations only.
//
// The module queues the waiter in its own structures, under its own locks.
// Whoever completes it (any thread) first claim()s it, writes the result
// into the waiter, then complete()s it, which wakes the process on its
// worker. A timeout, a cancel or a shutdown claims it the same way (as
// abandoned); whichever claims first wins. Before the process resumes (or
// its frame is destroyed) the core calls `cleanup`, which takes the waiter
// out of every queue it is still in.

#include <atomic>
#include <coroutine>
#include <cstdint>

#include "coronet/detail/process_ops.hpp"
#include "coronet/time.hpp"

namespace coronet::detail {

class worker;

/// One waiting process; lives in the awaiter.
///
/// **Thread safety:** claim() and complete() from any thread; the rest on
/// the waiter's worker. **Suspends:** never (the awaiters built on it do).
struct ext_wait {
    enum : std::uint8_t { waiting = 0, claimed = 1, done = 2, abandoned = 3 };

    std::atomic<std::uint8_t> state{waiting};
    wait_outcome outcome = wait_outcome::pending;
    duration timeout = infinite;
    /// On the waiter's worker: removes it from every queue it is still in.
    void (*cleanup)(ext_wait&) noexcept = nullptr;
    // who waits (set by ext_wait_prepare)
    worker* home = nullptr;
    std::uint32_t slot = 0;
    std::uint64_t serial = 0;
    std::uint64_t wait_id = 0;

    /// Takes the right to complete this waiter. False: another completer,
    /// a timeout or a cancel was first.
    bool claim() noexcept {
        std::uint8_t w = waiting;
        return state.compare_exchange_strong(w, claimed, std::memory_order_acq_rel);
    }
    /// After a successful claim(), once the result is written into the
    /// waiter: marks it ready and wakes it. The waiter may be gone as soon as this returns.
    void complete() noexcept;
    /// Claimed by someone else: waits (briefly) until the result is written.
    void wait_done() const noexcept;
};

/// Before queueing, on the waiting process: 0 go on, 1 finished at once
/// (cancelled: outcome set), 2 hold (suspend without queueing;
/// ext_wait_finish then throws).
int ext_wait_prepare(ext_wait& w, const char* what);
/// Just before the waiter is queued: records who waits (a completer needs it).
void ext_wait_identify(ext_wait& w) noexcept;
/// Suspends the current process in `w` (arms its timeout).
void ext_wait_suspend(ext_wait& w, std::coroutine_handle<> h);
/// After the resumption: throws cancelled_error when the wait was cancelled
/// (or held for a teardown); returns the outcome otherwise.
wait_outcome ext_wait_finish(ext_wait& w);
/// A deterministic (on the virtual clock) random number for the current
/// worker: fair choices among ready alternatives.
std::uint64_t worker_random() noexcept;

}  // namespace coronet::detail
