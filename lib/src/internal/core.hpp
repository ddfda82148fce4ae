#pragma once
// Process lifecycle operations shared by the runtime's translation units.
// All run on the process's home worker unless stated otherwise.

#include <any>
#include <optional>
#include <string>
#include <string_view>

#include "internal/process.hpp"
#include "internal/runtime_impl.hpp"
#include "internal/worker.hpp"

namespace coronet::detail {

/// Starts stopping all children, last spawned first (LT-4).
void start_teardown(process* p, bool all);
/// Throws the cancelled_error of a cancelled process (its reason).
[[noreturn]] void throw_cancelled(process* p);
/// Ends the current wait with "cancelled" (where the wait allows it).
void wake_cancelled(process* p) noexcept;
/// now + d, saturating at time_point::max() ("no deadline").
time_point deadline_after(time_point now, duration d) noexcept;
/// Ends the current wait and queues the process.
void finish_wait(process* p) noexcept;
/// Makes the transition to cancelled (CX-1); false if already cancelling or
/// exited. Spreads to the children, in reverse spawn order.
bool cancel_local(process* p, exit_kind kind, const std::string& why);
/// An untrappable kill (exit(pid, killed), a spent shield budget): no shield
/// holds it off, it escalates a process that is already cancelled, and a
/// draining process tears its children down at once.
void kill_local(process* p, const std::string& why);
/// Asks `p` (on any worker) to cancel, from the current thread.
void cancel_remote(process* p, exit_kind kind, const std::string& why);
/// A killed process with no children left, suspended or queued: exits with
/// reason killed by destroying its frame where it is suspended (LT-5).
void killed_exit(process* p);
/// The root task finished: take its result, then drain or finalize.
void body_done(process* p);
/// On the parent's worker: the child has exited (finalizes the parent if it
/// can now exit). child_exited_step does the same but only reports it.
void child_exited(process* parent, process* child);
bool child_exited_step(process* parent, process* child);
/// On the watcher's worker.
void exit_notice(process* who, std::uint64_t watch_id, std::uint32_t index) noexcept;
/// On the target's worker.
void add_watcher(process* target, process* who, std::uint64_t watch_id, std::uint32_t index);
/// On the target's worker: forgets the watcher entries of an abandoned watch.
void remove_watcher(process* target, const process* who, std::uint64_t watch_id) noexcept;
void resume_local(process* p) noexcept;
/// Sends a signal to `to` (links.cpp): its worker, or the remote router.
void post_signal(runtime_impl& rt, const pid& to, message* m);
/// Inserts a new process on its home worker (owner thread) and queues it.
void adopt(worker& w, process* p);
/// Timer callback of a process's wait timer.
void process_timer_fired(timer_node* t) noexcept;
/// I/O readiness for the process with this serial.
void io_ready_event(worker& w, std::uint64_t serial, std::uint32_t revents) noexcept;
/// Shutdown only: removes a child from its parent's list and drops the
/// list's reference, without any exit logic.
void detach_child(process* parent, process* child) noexcept;
/// links.cpp: handles a link/monitor signal on the target's worker; false
/// when `m` is not one.
bool dispatch_link_signal(worker& w, message* m);
/// links.cpp: at exit, tells linked and monitoring processes.
void notify_links_and_monitors(process* p);
/// links.cpp: true (and the exit_msg delivered) when a trapping parent takes
/// a linked child's exit as a message instead of failing (LK-1).
bool trap_child_exit(process* parent, process* child);
/// links.cpp: spawn_link / spawn_monitor set up before the child is published.
void link_at_spawn(process* spawner, process* child);
std::uint64_t monitor_at_spawn(process* spawner, process* child);
/// names.cpp
bool register_name_impl(runtime_impl& rt, std::string name, const pid& p);
bool unregister_name_impl(runtime_impl& rt, std::string_view name);
bool unregister_name_if_impl(runtime_impl& rt, std::string_view name, const pid& holder);
std::optional<pid> whereis_impl(runtime_impl& rt, std::string_view name);
void release_names(process* p);
void name_owned(worker& w, message* m);
/// start.cpp: tells the process waiting in start() that `p` is ready (LT-6).
void report_ready(process* p, std::any value);
/// start.cpp: on the starter's worker; a readiness report that start() no
/// longer waits for (it timed out, was cancelled) is dropped.
void ready_signal(worker& w, message* m);
/// hot_swap.cpp: true when a swap request waits for `p` (any thread may
/// have queued it) and `p` has now committed to it (it can no longer be
/// withdrawn by the requester's timeout).
bool claim_swap(const process* p);
/// hot_swap.cpp: wakes `p` from a receive that is a swap point (sig_swap).
void swap_signal(worker& w, message* m);
/// Ends the current process with reason `r` at once: marks it cancelled with
/// `r` as its reason (unless already cancelled) and throws cancelled_error,
/// which the caller lets escape the body.
[[noreturn]] void exit_current(const exit_reason& r);
/// message.cpp: the what() of an exception ("unknown exception" if none).
std::string describe(const std::exception_ptr& e);
/// A wait the library does for its own request (start, request_stop, a
/// supervisor call, swap): for its scope the current process's receives
/// are neither its first receive (LT-6) nor swap points (HS).
class library_wait {
  public:
    explicit library_wait(const char* what) : p_(require_process(what)) {
        if (!p_->ext) return;
        starter_ = std::exchange(p_->ext->starter, pid{});
        swap_point_ = std::exchange(p_->ext->swap_point, false);
    }
    library_wait(const library_wait&) = delete;
    library_wait& operator=(const library_wait&) = delete;
    ~library_wait() {
        if (!p_->ext) return;
        if (starter_) p_->ext->starter = starter_;
        p_->ext->swap_point = swap_point_;
    }

  private:
    process* p_;
    pid starter_;
    bool swap_point_ = false;
};

/// On p's worker: removes the messages of `p`'s mailbox that `pred` selects.
template <class Pred>
void remove_from_mailbox(process* p, Pred pred) {
    std::atomic<message*>* link = &p->mb_head;
    while (message* m = link->load(std::memory_order_relaxed)) {
        if (!pred(*m)) {
            link = &m->next;
            continue;
        }
        message* next = m->next.load(std::memory_order_relaxed);
        link->store(next, std::memory_order_relaxed);
        if (p->mb_tail == &m->next) p->mb_tail = link;
        --p->mb_size;
        free_message(m);
    }
}

/// sync.cpp: a lock/event/semaphore/condition grant for a process of this
/// worker; its waiter timed out or was cancelled; at exit, the mutexes it
/// still holds are released as abandoned.
void sync_signal(worker& w, message* m);
void sync_timeout(process* p) noexcept;
void sync_cancel(process* p) noexcept;
/// sync.cpp: a frame destroyed while it waits (shutdown) leaves the FIFO.
void sync_forget(process* p) noexcept;
void release_held_locks(process* p);
/// module_hooks.cpp: at exit, the process's exit hooks (newest first).
void run_exit_hooks(process* p) noexcept;
/// ext_wait.cpp: a channel wait's timeout, cancel, destroyed frame, wake-up.
void ext_timeout(process* p) noexcept;
void ext_cancel(process* p) noexcept;
void ext_forget(process* p) noexcept;
/// A cancelled waiter that must wait for its children's teardown (LT-4)
/// gives up its place in the queue: true, unless the wait was already
/// satisfied (then it completes, CX-6). sync.cpp / ext_wait.cpp.
bool ext_hold(process* p) noexcept;
bool sync_hold(process* p) noexcept;
void ext_signal(worker& w, message* m) noexcept;
void ext_wake(worker& w, std::uint32_t slot, std::uint64_t serial, std::uint64_t wait_id) noexcept;
/// Destroys a process's remaining mailbox.
void free_mailbox(process* p) noexcept;
/// Releases the refs a process holds on others (watchers, children).
void release_links(process* p) noexcept;

}  // namespace coronet::detail
