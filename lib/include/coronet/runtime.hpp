#pragma once
/// \file runtime.hpp
/// The runtime: workers, clock, spawning from outside, run and shutdown.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "coronet/blocking.hpp"
#include "coronet/code_registry.hpp"
#include "coronet/detail/process_ops.hpp"
#include "coronet/handle.hpp"
#include "coronet/names.hpp"
#include "coronet/pid.hpp"
#include "coronet/spawn.hpp"
#include "coronet/time.hpp"

namespace coronet {

/// Runtime configuration.
///
/// **Thread safety:** a value type, copied into the runtime at construction.
/// **Suspends:** never.
struct runtime_config {
    /// Number of workers (OS threads on the real clock). 0 = one per core.
    std::uint32_t workers = 0;
    /// Real clock with one thread per worker, or the virtual clock driven
    /// by the thread that calls run() (deterministic; tests use it).
    clock_kind clock = clock_kind::real;
    /// This node's name; the pid's node id is derived from it.
    std::string node_name = "local";
    /// Real clock: how long an idle worker polls its inbox before it sleeps
    /// in epoll (cross-worker latency against CPU burnt while idle).
    duration idle_spin = std::chrono::microseconds(50);
    /// How long shutdown() lets processes clean up before it destroys them;
    /// also how long a cancelled process waits for its blocking job (CX-8).
    duration shutdown_timeout = std::chrono::seconds(5);
    /// Threads of the default blocking pool (run_blocking); 0 = twice the
    /// cores, at least 4. They start with the first job.
    std::uint32_t blocking_threads = 0;
    /// Jobs that may wait in the default pool's queue before run_blocking
    /// waits for room (back pressure).
    std::size_t blocking_queue = 1024;
    /// Virtual clock only: a blocking job takes no virtual time; the driver
    /// waits for it this long in real time before it lets the clock move to
    /// the next timer (so that a job stuck on purpose cannot hold the clock
    /// back). With no timer at all, run() keeps waiting for the job.
    duration virtual_job_wait = std::chrono::milliseconds(200);
    /// Called on the worker thread for each dead letter (a message to a pid
    /// that does not exist), after it is counted. Must not block or throw.
    std::function<void(const pid& to, std::string_view type)> on_dead_letter{};
    /// Called on the worker thread for each message dropped on arrival at a
    /// live process, after it is counted: `why` is "alias_inactive" for a
    /// call reply that came after its call ended (SEMANTICS RPC-1). Must not
    /// block or throw.
    std::function<void(const pid& to, std::string_view type, std::string_view why)> on_drop{};
    /// Called on the worker thread after each hot swap of a behaviour process
    /// (the trace event of HS-5): its pid, the behaviour's name, the old and
    /// the new version. Must not block or throw.
    std::function<void(const pid& who, std::string_view name, int from, int to)> on_swap{};
};

/// Counters a runtime keeps (read at any time; values are approximate
/// while workers run).
///
/// **Thread safety:** a value type (a snapshot). **Suspends:** never.
struct runtime_stats {
    std::uint64_t dead_letters = 0;
    std::uint64_t spawned = 0;
    std::uint64_t exited = 0;
    std::uint64_t dropped_replies = 0;  ///< late call replies (RPC-1)
    std::uint64_t delivered = 0;        ///< messages put into mailboxes
};

/// A coronet node: N workers, each with its own run queue, timers and epoll
/// reactor. Processes spawned from outside (`runtime::spawn`) are the
/// node's root processes; `run()` returns when all of them have exited.
///
/// **Thread safety:** `spawn`, `send`, `cancel`, `resume`, `stats` and
/// `now` may be called from any thread, also while `run()` runs on the real
/// clock. On the virtual clock everything, including spawn and send, must
/// come from the thread that drives the runtime. `run`, `run_until_idle`,
/// `run_for` and `shutdown` are called from one outside thread, never from a
/// process. **Suspends:** nothing here suspends; `run*` block the caller.
class runtime {
  public:
    explicit runtime(runtime_config cfg = {});
    runtime(const runtime&) = delete;
    runtime& operator=(const runtime&) = delete;
    /// Calls shutdown().
    ~runtime();

    /// Spawns a root process running fn(args...). See the README pitfalls:
    /// arguments are copied into the frame; no capturing lambdas.
    template <class Fn, class... Args>
    auto spawn(Fn&& fn, Args&&... args) {
        return detail::spawn_fn(impl_.get(), spawn_options{}, std::forward<Fn>(fn),
                                std::forward<Args>(args)...);
    }
    /// spawn with options (placement).
    template <class Fn, class... Args>
    auto spawn_opt(const spawn_options& o, Fn&& fn, Args&&... args) {
        return detail::spawn_fn(impl_.get(), o, std::forward<Fn>(fn), std::forward<Args>(args)...);
    }

    /// Sends from outside the runtime (any thread).
    template <class Msg>
    void send(const pid& to, Msg&& msg) {
        detail::send_impl(impl_.get(), to,
                          detail::make_message<std::decay_t<Msg>>(std::forward<Msg>(msg)));
    }
    /// Registers `name` for `p` from outside (see coronet::register_name).
    bool register_name(std::string name, const pid& p);
    /// Releases `name` if it is bound to `holder` (checked and released in
    /// one step); false otherwise. Any thread.
    bool unregister_name(std::string_view name, const pid& holder);
    /// The pid registered as `name`, if any (any thread).
    std::optional<pid> whereis(std::string_view name) const;
    /// Every registered name of this node with its holder, sorted by name
    /// (any thread; a snapshot).
    std::vector<std::pair<std::string, pid>> registered_names() const;
    /// Sends to the process registered as `name` (dead letter if none).
    template <class Msg>
    void send(std::string_view name, Msg&& msg) {
        detail::send_named(impl_.get(), name,
                           detail::make_message<std::decay_t<Msg>>(std::forward<Msg>(msg)),
                           nullptr);
    }
    /// Requests cancellation of a process (CX-1).
    void cancel(const pid& target, std::string_view why = "cancelled");
    /// Wakes a process from self().suspend().
    void resume(const pid& target);

    /// Runs until every root process has exited, then rethrows the first
    /// root failure (LK-4: the failure has already torn the tree down). On
    /// the virtual clock, throws deadlock_error when root processes are
    /// blocked and nothing can wake them.
    void run();
    /// Virtual clock only: runs, jumping the clock from timer to timer, until
    /// nothing is runnable and no timer is pending. Returns the number of
    /// process resumptions. Does not rethrow root failures (see failure()).
    std::uint64_t run_until_idle();
    /// Virtual clock only: runs until the clock reaches now() + d (timers at
    /// exactly that time fire) or nothing can happen any more.
    void run_for(duration d);
    /// Cancels every process (reason shutdown), gives them shutdown_timeout
    /// to finish, destroys what is left, and stops the workers. Idempotent.
    void shutdown();

    /// The runtime clock.
    time_point now() const;
    /// Number of workers.
    std::uint32_t workers() const noexcept;
    /// This node's id (hash of node_name) and incarnation.
    std::uint64_t node_id() const noexcept;
    std::uint32_t incarnation() const noexcept;
    /// runtime_config::node_name.
    const std::string& node_name() const noexcept;
    /// True for runtime_config::clock == clock_kind::virtual_.
    bool virtual_clock() const noexcept;
    /// Counters.
    runtime_stats stats() const noexcept;
    /// Number of processes alive (spawned and not exited).
    std::uint64_t live_processes() const noexcept;
    /// The first root failure not yet rethrown by run(), if any.
    std::exception_ptr failure() const;

    /// The behaviour versions this runtime knows (hot swap, HS-6).
    code_registry& code() noexcept;

    /// The default pool of run_blocking.
    blocking_pool default_pool() noexcept;
    /// Adds a pool (threads >= 1, a queue of `capacity` waiting jobs); it
    /// lives as long as the runtime. From the thread that owns the runtime,
    /// before or between runs (not while processes may use the pool list).
    blocking_pool add_pool(std::string name, std::uint32_t threads, std::size_t capacity);

    detail::runtime_impl* impl() const noexcept { return impl_.get(); }

  private:
    std::unique_ptr<detail::runtime_impl> impl_;
};

}  // namespace coronet
