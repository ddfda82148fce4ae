#pragma once
// The non-template core behind the process templates (spawn, join, receive,
// send, sleep). Implemented in lib/src; the templates only type-erase.

#include <atomic>
#include <coroutine>
#include <cstdint>
#include <exception>
#include <optional>

#include "coronet/detail/message_node.hpp"
#include "coronet/exit_reason.hpp"
#include "coronet/pid.hpp"
#include "coronet/placement.hpp"
#include "coronet/task.hpp"
#include "coronet/time.hpp"

namespace coronet {
class runtime;
}

namespace coronet::detail {

struct process;
class runtime_impl;

/// How to move a finished root task's value out of its frame, type-erased.
struct result_ops {
    /// Returns a heap copy of the value (nullptr for void), or sets `err`.
    void* (*take)(void* frame, std::exception_ptr& err);
    void (*destroy)(void* value) noexcept;
};

template <class T>
void* take_result(void* frame, std::exception_ptr& err) {
    auto h = std::coroutine_handle<task_promise<T>>::from_address(frame);
    auto& p = h.promise();
    if (auto e = p.exception()) {
        err = e;
        return nullptr;
    }
    if constexpr (std::is_void_v<T>) {
        return nullptr;
    } else {
        return new T(std::move(std::get<1>(p.result)));
    }
}

template <class T>
void destroy_result(void* v) noexcept {
    if constexpr (!std::is_void_v<T>) delete static_cast<T*>(v);
}

template <class T>
inline constexpr result_ops result_ops_of{&take_result<T>, &destroy_result<T>};

// --- process lifetime (refcounted; any thread) ---
void retain(process* p) noexcept;
void release(process* p) noexcept;
pid pid_of(const process* p) noexcept;
/// True once the process has exited (acquire: its result is then visible).
bool has_exited(const process* p) noexcept;
/// Valid when has_exited(): the exit reason and the value (or nullptr).
const exit_reason& reason_of(const process* p) noexcept;
void* result_of(const process* p) noexcept;
/// Rethrows the process's failure: the exception of an `error` exit, or
/// exit_error for the other abnormal reasons. Returns for normal exits.
void rethrow_if_failed(const process* p);

// --- spawning ---
/// Spawns a root task as a process. `parent` null means the current
/// process when called inside one, the node root otherwise. Returns a
/// retained process.
process* spawn_impl(runtime_impl* rt, std::coroutine_handle<> root, const result_ops* ops,
                    const spawn_options& opts, bool linked);
/// spawn_impl, plus an atomic link with the spawner and/or a monitor by it
/// (its id written to *monitor_id), set up before the child can run.
/// `handshake`: the start() handshake (LT-6): the child reports readiness to
/// the spawner, and is not tree-linked (LK-1) until start() has seen it.
process* spawn_impl_ex(runtime_impl* rt, std::coroutine_handle<> root, const result_ops* ops,
                       const spawn_options& opts, bool linked, bool link_spawner,
                       std::uint64_t* monitor_id, bool handshake = false);
/// The runtime of the calling worker thread, or null outside the runtime.
runtime_impl* current_runtime() noexcept;
/// The process running on this thread, or null.
process* current_process() noexcept;
/// Like current_process(), but throws std::logic_error outside a process.
process* require_process(const char* what);
/// True when the current process is cancelled: its next await throws
/// cancelled_error (or holds for its children's teardown first).
bool current_cancelled() noexcept;

// --- sending (any thread; dead letter when the target is gone) ---
void send_impl(runtime_impl* rt, const pid& to, message* m);
/// send_impl, but always through the target worker's inbox, never delivered
/// inline: messages queued this way reach each worker in the order they were
/// queued (topics: every subscriber sees one order).
void send_queued(runtime_impl* rt, const pid& to, message* m);
bool cancel_impl(runtime_impl* rt, const pid& target, exit_kind kind, const char* why);
void resume_impl(runtime_impl* rt, const pid& target);

// --- waits of the current process ---
/// Outcomes of a wait.
enum class wait_outcome : std::uint8_t { pending, ready, timeout, cancelled, swap };

/// State of one receive; lives in the awaiter.
struct receive_wait {
    bool (*match)(void* ctx, message& m) noexcept = nullptr;
    void* ctx = nullptr;
    duration timeout = infinite;
    std::atomic<message*>* link = nullptr;  ///< the link that points at the match
    wait_outcome outcome = wait_outcome::pending;
};
/// Scans the mailbox; true when done without suspending (match, zero
/// timeout, or the process is cancelled).
bool receive_ready(receive_wait& w);
void receive_suspend(receive_wait& w, std::coroutine_handle<> h);
/// The matched message (unlinked, caller frees), or nullptr on timeout;
/// throws cancelled_error when cancellation won.
message* receive_take(receive_wait& w);

/// A timed or untimed park: sleep, suspend, yield.
struct park_wait {
    time_point deadline{};
    bool timed = false;
    std::uint8_t kind = 0;  // 0 sleep, 1 suspend, 2 yield
    wait_outcome outcome = wait_outcome::pending;
};
bool park_ready(park_wait& w);
void park_suspend(park_wait& w, std::coroutine_handle<> h);
/// For suspend: true when resumed, false on timeout. Throws when cancelled.
bool park_take(park_wait& w);

/// The awaiter of sleep, yield and suspend.
struct park_wait_awaiter {
    park_wait w;
    bool await_ready() { return park_ready(w); }
    void await_suspend(std::coroutine_handle<> h) { park_suspend(w, h); }
    bool await_resume() { return park_take(w); }
};

/// Waits for processes to exit. Used by join and by when_any / when_all.
/// Lives in the awaiting coroutine's frame; every member is retained.
class exit_watch {
  public:
    exit_watch() noexcept;
    exit_watch(const exit_watch&) = delete;
    exit_watch& operator=(const exit_watch&) = delete;
    ~exit_watch();

    /// Adds a process (retained by the watch); returns its index.
    std::uint32_t add(process* p);
    process* member(std::uint32_t i) const noexcept { return members_[i]; }
    std::uint32_t size() const noexcept { return count_; }
    bool exited(std::uint32_t i) const noexcept { return done_[i] != 0; }
    std::uint32_t exited_count() const noexcept { return exited_; }
    /// Lowest index that has exited, or size() if none.
    std::uint32_t first_exited() const noexcept;
    /// The k-th member to exit, in the order their exits were seen.
    std::uint32_t exit_order(std::uint32_t k) const noexcept { return order_[k]; }

    /// Called by the runtime on the watcher's worker.
    void mark_exited(std::uint32_t i) noexcept;
    bool satisfied() const noexcept { return exited_ >= need_; }
    /// The waiting process was cancelled (or killed): true when the wait
    /// should end (it is not shielded, or the process was killed).
    bool cancel_wait(bool killed) noexcept {
        if (shielded_ && !killed) return false;
        cancelled_ = true;
        return true;
    }

    struct awaiter {
        exit_watch* w;
        std::uint32_t need;
        bool shielded;
        bool await_ready();
        void await_suspend(std::coroutine_handle<> h);
        void await_resume();
    };
    /// Suspends until at least `need` members have exited. Unless shielded,
    /// throws cancelled_error when the waiting process is cancelled.
    awaiter wait(std::uint32_t need, bool shielded = false) noexcept {
        return awaiter{this, need, shielded};
    }

    exit_watch* next_active = nullptr;  ///< runtime bookkeeping
    std::uint64_t id = 0;
    process* owner = nullptr;

  private:
    void grow();
    process** members_ = nullptr;
    std::uint8_t* done_ = nullptr;
    std::uint32_t* order_ = nullptr;
    std::uint32_t count_ = 0;
    std::uint32_t cap_ = 0;
    std::uint32_t exited_ = 0;
    std::uint32_t need_ = 0;
    bool shielded_ = false;
    bool cancelled_ = false;
    friend struct awaiter;
};

/// A wait for readiness of a file descriptor on the worker's epoll.
struct io_wait {
    int fd = -1;
    std::uint32_t events = 0;   ///< EPOLLIN / EPOLLOUT bits wanted
    std::uint32_t revents = 0;  ///< what epoll reported
    duration timeout = infinite;
    wait_outcome outcome = wait_outcome::pending;
    int registered = -1;      ///< the fd in epoll: fd, or a dup when another process waits on fd
    std::uint64_t tag = 0;    ///< epoll's data for this wait (slot and a per-worker serial)
    bool persistent = false;  ///< armed on the worker's lasting registration of fd
};
bool io_wait_ready(io_wait& w);
void io_wait_suspend(io_wait& w, std::coroutine_handle<> h);
/// The ready events (0 on timeout); throws when cancelled.
std::uint32_t io_wait_take(io_wait& w);
/// Removes the current process's epoll registration (runtime internal).
void io_wait_end(process* p) noexcept;

time_point now_impl();

}  // namespace coronet::detail
