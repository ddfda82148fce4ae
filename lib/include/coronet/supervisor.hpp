#pragma once
/// \file supervisor.hpp
/// Supervisors (SEMANTICS SV-1..8): processes that start, watch and restart
/// children according to a strategy, OTP style.

#include <any>
#include <cstdint>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "coronet/exit_reason.hpp"
#include "coronet/pid.hpp"
#include "coronet/placement.hpp"
#include "coronet/start.hpp"
#include "coronet/task.hpp"
#include "coronet/time.hpp"

namespace coronet {

/// Which children a child's exit restarts (SV-4).
enum class strategy : std::uint8_t {
    one_for_one,        ///< only that child
    one_for_all,        ///< all children: the others are terminated first
    rest_for_one,       ///< that child and the ones started after it
    simple_one_for_one  ///< one_for_one over dynamic children of one template
};

/// When a child is restarted (SV-4).
enum class restart_type : std::uint8_t {
    permanent,  ///< always
    transient,  ///< only after an abnormal exit (not normal / shutdown)
    temporary   ///< never; its spec is removed at its exit
};

/// A child that is itself a supervisor gets infinity as default shutdown.
enum class child_type : std::uint8_t { worker, supervisor };

/// When the supervisor stops by itself because significant children exited
/// (SV-8).
enum class auto_shutdown : std::uint8_t { never, any_significant, all_significant };

/// How a child is terminated (SV-2): `brutal_kill` kills at once; `timeout`
/// asks it to shut down (exit signal `shutdown`) and kills it if it has not
/// exited after `after`; `infinity` asks and waits.
///
/// **Thread safety:** a value type. **Suspends:** never.
struct shutdown_policy {
    enum class kind : std::uint8_t { brutal_kill, timeout, infinity };
    kind how = kind::timeout;
    duration after = std::chrono::seconds(5);

    static shutdown_policy brutal_kill() noexcept { return {kind::brutal_kill, {}}; }
    static shutdown_policy timeout(duration d) noexcept { return {kind::timeout, d}; }
    static shutdown_policy infinity() noexcept { return {kind::infinity, {}}; }
};

/// Restart delays (SV-6): the k-th consecutive restart of a child (k = 0, 1,
/// ...) waits `min(max, base * 2^k)` plus a uniform draw in
/// [-jitter, +jitter] from the supervisor's seeded generator. A child that
/// stayed up for at least the supervisor's `period` starts again at k = 0.
///
/// **Thread safety:** a value type. **Suspends:** never.
struct backoff_policy {
    duration base = std::chrono::milliseconds(100);
    duration max = std::chrono::seconds(1);
    duration jitter{};
};

/// How to (re)start one child: spawns it as a child of the calling (the
/// supervisor's) process with the start() handshake and gives its pid. The
/// `std::any` is the extra argument of start_child for simple_one_for_one
/// templates (empty otherwise).
using child_factory = std::function<task<pid>(const spawn_options&, const std::any&)>;

/// One child of a supervisor (SV-2). Make it with `child(...)`,
/// `child_template<E>(...)` or `supervisor_child(...)` and adjust the fields.
///
/// **Thread safety:** a value type. **Suspends:** never.
struct child_spec {
    std::string id;  ///< unique within the supervisor
    child_factory start;
    restart_type restart = restart_type::permanent;
    /// Default: timeout(5 s) for workers, infinity for supervisors.
    std::optional<shutdown_policy> shutdown;
    child_type type = child_type::worker;
    bool significant = false;              ///< for auto_shutdown; not with permanent
    std::string name;                      ///< registered for the child, re-bound on restart
    placement where = placement::local();  ///< SV-9 will add remote placements
};

/// A supervisor's configuration (SV-1).
///
/// **Thread safety:** a value type. **Suspends:** never.
struct supervisor_flags {
    strategy how = strategy::one_for_one;
    int intensity = 1;  ///< more restarts than this within `period` gives up
    duration period = std::chrono::seconds(5);
    std::optional<backoff_policy> backoff;  ///< off by default (OTP)
    auto_shutdown shutdown_when = auto_shutdown::never;
    std::uint64_t seed = 1;  ///< for backoff jitter
};

/// Thrown by a supervisor (its exit reason, and what start() rethrows) when
/// child `id` failed to start during the supervisor's own start (SV-3).
class start_error : public std::runtime_error {
  public:
    start_error(std::string id, std::string why)
        : std::runtime_error("child '" + id + "' failed to start: " + why), id_(std::move(id)) {}
    const std::string& id() const noexcept { return id_; }

  private:
    std::string id_;
};

/// Thrown by start_child / terminate_child / which_children when the
/// supervisor refuses the request or is not running.
class supervisor_error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// The body of a supervisor process. Spawn it (or, better, `start` it, so
/// that start errors reach you):
///
///     auto sup = co_await coronet::start(coronet::supervise, flags, specs);
///
/// It traps exits, starts the children in spec order (each with start(),
/// LT-6), reports ready, then restarts exited children per the restart
/// types, strategy, intensity and backoff. Giving up (SV-5) or an
/// auto_shutdown (SV-8) terminates the children in reverse start order and
/// exits with reason `shutdown`; so does an exit signal from a process
/// that is not one of its children (its parent, a linked process), with that
/// signal's reason. A cancelled supervisor's children are torn down by the
/// runtime in reverse spawn order (LT-4) without their shutdown policies.
///
/// Throws std::invalid_argument for an invalid configuration (duplicate or
/// empty ids, a missing factory, a significant permanent child,
/// simple_one_for_one without exactly one template, intensity < 0).
task<void> supervise(supervisor_flags flags, std::vector<child_spec> children);

namespace detail {
template <class T>
task<pid> started_pid(task<handle<T>> t) {
    auto h = co_await std::move(t);
    co_return h.id();
}
task<pid> start_child_impl(pid sup, std::optional<child_spec> spec, std::any extra);
}  // namespace detail

/// A child spec that starts `fn(args...)` (arguments copied into the spec,
/// and into each new process).
template <class Fn, class... Args>
child_spec child(std::string id, Fn fn, Args... args) {
    child_spec s;
    s.id = std::move(id);
    s.start = [fn, args...](const spawn_options& o, const std::any&) {
        return detail::started_pid(start_opt(o, fn, args...));
    };
    return s;
}

/// The template of a simple_one_for_one supervisor: each start_child(sup, e)
/// starts `fn(e)` with an `E e`.
template <class E, class Fn>
child_spec child_template(std::string id, Fn fn) {
    child_spec s;
    s.id = std::move(id);
    s.start = [fn](const spawn_options& o, const std::any& extra) {
        const E* e = std::any_cast<E>(&extra);
        if (!e) throw std::invalid_argument("start_child: the argument has the wrong type");
        return detail::started_pid(start_opt(o, fn, *e));
    };
    return s;
}

/// A nested supervisor as a child (type supervisor, shutdown infinity).
inline child_spec supervisor_child(std::string id, supervisor_flags flags,
                                   std::vector<child_spec> children) {
    child_spec s = child(std::move(id), supervise, std::move(flags), std::move(children));
    s.type = child_type::supervisor;
    return s;
}

/// Adds and starts a child (not for simple_one_for_one); gives its pid.
/// Throws supervisor_error (duplicate id, the start failed, no supervisor).
/// **Suspends** until the supervisor answers; inside a process only.
inline task<pid> start_child(pid sup, child_spec spec) {
    return detail::start_child_impl(sup, std::move(spec), {});
}
/// simple_one_for_one: starts one more child of the template with `extra`.
template <class E>
task<pid> start_child(pid sup, E extra) {
    return detail::start_child_impl(sup, std::nullopt, std::any(std::move(extra)));
}

/// Terminates a child (honouring its shutdown policy) and removes its spec;
/// `id` is the spec id, or for simple_one_for_one the child's pid as text
/// (to_string(pid)). Throws supervisor_error for an unknown id.
/// **Suspends** until done; inside a process only.
task<void> terminate_child(pid sup, std::string id);

/// A child as which_children reports it.
struct child_info {
    std::string id;
    pid process;  ///< empty while it waits for a delayed restart or is stopped
    int restarts = 0;
};
/// The children in start order. **Suspends**; inside a process only.
task<std::vector<child_info>> which_children(pid sup);

}  // namespace coronet
