#pragma once
// The process record. Every field except `refs` and `exited_flag` is owned by
// the home worker's thread (or by the parent's worker, for the sibling links
// the parent maintains); other threads reach a process only through signals.

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "coronet/detail/message_node.hpp"
#include "coronet/detail/pool.hpp"
#include "coronet/detail/process_ops.hpp"
#include "coronet/exit_reason.hpp"
#include "coronet/pid.hpp"
#include "internal/timer_heap.hpp"

namespace coronet::detail {

class worker;

// hold: a cancelled process parked at a suspension point until its children
// are torn down (LT-4: their cleanup before its own); woken to throw.
// ext: a channel operation (detail/ext_wait.hpp).
enum class wait_kind : std::uint8_t { none, receive, park, watch, io, hold, job, sync, ext };
enum class pstate : std::uint8_t { running, draining, exited };

/// Someone waiting for this process to exit (an exit_watch member slot).
struct watcher {
    watcher* next;
    process* who;  // retained
    std::uint64_t watch_id;
    std::uint32_t index;
};

struct io_wait_state;
class flow_gate;
struct exit_hook;
struct swap_ctl;
class mutex_core;

/// Links and monitors of a process: allocated on first use, so that a
/// process that never links costs nothing. Holds pids, never pointers.
struct process_ext {
    struct monitored_by_entry {
        pid watcher;
        std::uint64_t id;
    };
    struct my_monitor {
        std::uint64_t id;
        pid target;
    };
    std::vector<pid> links;
    std::vector<monitored_by_entry> monitored_by;
    std::vector<my_monitor> monitors;  // the active monitors this process owns
    std::uint64_t next_monitor = 1;
    // The call this process waits for (RPC-1): replies of any other alias
    // are dropped on arrival. A process makes one call at a time.
    std::uint64_t call_alias = 0;
    bool isolated = false;  // a root whose failure does not tear the node down
    bool paused = false;    // held back by `gate`, not queued: a cancel or kill resumes it
    // The flow gate that pauses it at its next resumption until it opens
    // (it sent to a node over its window); counted in worker::throttled.
    std::shared_ptr<flow_gate> gate;
    std::uint64_t next_alias = 1;
    bool trap = false;
    std::vector<std::string> names;  // registered names it holds (NM-1)
    pid starter;  // waiting in start() for this process to be ready (LT-6); empty once told
    std::uint64_t awaiting_ready = 0;  // serial of the child this process's start() waits for
    swap_ctl* swap = nullptr;          // hot swap requests, for a swappable process (HS)
    bool swap_point = false;           // a receive now is a swap point (HS-2)
    bool behaviour_stop = false;       // a behaviour handler asked its loop to end
    void* deadline_scopes = nullptr;   // the innermost open with_timeout scope (cancel_scope.cpp)
    std::vector<mutex_core*> held_locks;  // coroutine mutexes it holds (released at exit)
    exit_hook* exit_hooks = nullptr;      // run at exit (topic subscriptions), newest first
};

/// Deepest nesting of shielded() sections (fired_depth must fit a byte).
inline constexpr std::uint8_t max_shields = 254;

struct process {
    static void* operator new(std::size_t n) { return pool_alloc(n); }
    static void operator delete(void* p, std::size_t n) noexcept { pool_free(p, n); }

    std::atomic<std::uint32_t> refs{1};
    std::atomic<bool> exited_flag{false};
    pstate state = pstate::running;
    wait_kind waiting = wait_kind::none;
    bool queued = false;
    bool cancelled = false;
    bool linked = false;  // abnormal exit fails the parent (LK-1)
    bool daemon = false;
    bool resume_permit = false;
    bool cancel_sent = false;        // the parent has asked this child to stop
    bool teardown = false;           // stopping children one by one (LT-4)
    bool teardown_all = false;       // all children, or only the daemons
    bool wake_deferred = false;      // cancelled while waiting: wake after the children
    bool killed = false;             // kill: no shield holds it off (CX-4, LK-2)
    bool teardown_deferred = false;  // cancelled inside a shield: children wait for it
    bool kill_sent = false;          // the parent has asked this child to die (kill)
    bool wait_hooks = false;         // receives may report readiness or be swap points
    // A receive matched a message while suspended and has yet to take it:
    // wait_ctx still points at its receive_wait (whose link must stay valid).
    bool take_pending = false;
    // (No bitfields here: flags written by different workers must not share
    // a byte.)
    std::uint8_t shields = 0;  // open shielded() sections (CX-4), at most max_shields
    // With_timeout scopes whose deadline passed (CX-5): 1 + the largest shield
    // depth at which one of them was opened (0: none). Such a scope cancels
    // the code that runs at that depth or less, not code in a shield opened
    // inside it.
    std::uint8_t fired_depth = 0;

    std::uint64_t serial = 0;
    std::uint64_t node = 0;  // identity kept here: a handle may outlive its runtime
    std::uint32_t incarnation = 0;
    std::uint32_t slot = 0;
    worker* home = nullptr;
    std::coroutine_handle<> root;
    std::coroutine_handle<> resume_at;
    const result_ops* ops = nullptr;
    process* run_next = nullptr;

    // mailbox: singly linked, FIFO
    std::atomic<message*> mb_head{nullptr};
    std::atomic<message*>* mb_tail = &mb_head;
    std::size_t mb_size = 0;

    // the current wait
    void* wait_ctx = nullptr;
    timer_node timer;

    // the tree (parent's worker maintains the sibling links)
    process* parent = nullptr;
    process* first_child = nullptr;
    process* last_child = nullptr;
    process* prev_sib = nullptr;
    process* next_sib = nullptr;
    std::uint32_t live_children = 0;

    watcher* watchers = nullptr;
    exit_watch* active_watches = nullptr;
    std::uint64_t next_watch_id = 1;

    // exit
    exit_reason* pending = nullptr;  // why it is being cancelled / failed
    exit_reason* reason = nullptr;   // set at exit; null = normal
    void* result = nullptr;
    process_ext* ext = nullptr;

    process_ext& extension() {
        if (!ext) ext = new process_ext;
        return *ext;
    }
};

/// What every suspension point asks: killed; or cancelled and not shielded;
/// or inside a deadline scope that fired, and not in a shield opened inside it.
inline bool is_cancelled(const process* p) noexcept {
    return p->killed || (p->cancelled && p->shields == 0) || p->shields < p->fired_depth;
}

/// A cancelled process whose children are still being torn down waits for
/// them at its next suspension point instead of cleaning up at once (LT-4).
/// Marks the hold; the awaiter then suspends.
inline bool hold_for_teardown(process* p) noexcept {
    if (!p->teardown || !p->teardown_all || p->live_children == 0 || p->killed) return false;
    p->waiting = wait_kind::hold;
    p->wake_deferred = true;
    return true;
}

inline process* from_timer(timer_node* t) noexcept {
    return reinterpret_cast<process*>(reinterpret_cast<char*>(t) - offsetof(process, timer));
}

}  // namespace coronet::detail
