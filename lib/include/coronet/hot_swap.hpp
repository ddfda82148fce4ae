#pragma once
/// \file hot_swap.hpp
/// Running swappable processes and swapping their code while they run
/// (SEMANTICS HS-1..6), in both forms: behaviours (state + handlers, swapped
/// between two handlers, with migration) and asyncoro's swappable functions
/// (the coroutine function replaced at its next receive).

#include <any>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <utility>

#include "coronet/code_registry.hpp"
#include "coronet/pid.hpp"
#include "coronet/runtime.hpp"
#include "coronet/task.hpp"
#include "coronet/time.hpp"

namespace coronet {

/// How a swap ended.
enum class swap_status : std::uint8_t {
    ok,             ///< the new code runs
    swap_failed,    ///< migrate threw; the old version goes on (HS-4)
    not_quiescent,  ///< no swap point within the swap timeout (HS-2)
    noproc,         ///< the process exited before the swap
    not_swappable   ///< no running process of that form with that pid
};
const char* to_string(swap_status s) noexcept;

/// The answer of swap / swap_body.
///
/// **Thread safety:** a value type. **Suspends:** never.
struct swap_result {
    swap_status status = swap_status::ok;
    std::string error;  ///< what went wrong, for everything but ok
    explicit operator bool() const noexcept { return status == swap_status::ok; }
};

/// Thrown out of a receive at a swap point of a swappable function, to
/// unwind its frame before the new function starts. Do not swallow it: a
/// `catch (...)` around a receive must rethrow. (Not a std::exception, so
/// `catch (const std::exception&)` lets it through.)
struct swap_unwind {};

/// Options of a behaviour process.
///
/// **Thread safety:** a value type. **Suspends:** never.
struct behaviour_options {
    /// A failed migration makes the process exit with reason swap_failed
    /// (OTP-like) instead of going on with the old version (HS-4).
    bool exit_on_swap_failure = false;
};

/// The code of a swappable function process: makes the coroutine to run.
using process_body = std::function<task<void>()>;

/// A process_body that calls `fn(args...)` (arguments copied).
template <class Fn, class... Args>
process_body bind_body(Fn fn, Args... args) {
    return [fn, args...]() -> task<void> { return std::invoke(fn, args...); };
}

namespace detail {
struct swap_ctl;
std::shared_ptr<swap_ctl> new_swap_ctl(bool behaviour_form);
/// Makes the process findable by swap() (idempotent; a no-op once it exited).
void publish_swappable(runtime_impl* rt, const pid& p, const std::shared_ptr<swap_ctl>& ctl);
task<void> behaviour_main(std::shared_ptr<swap_ctl> ctl, behaviour_ref b, std::any arg,
                          behaviour_options opts);
task<void> swappable_main(std::shared_ptr<swap_ctl> ctl, process_body body);

template <class Spawn>
handle<void> spawn_swappable_with(bool behaviour_form, runtime_impl* rt, Spawn&& spawn) {
    auto ctl = new_swap_ctl(behaviour_form);
    handle<void> h = spawn(ctl);
    publish_swappable(rt, h.id(), ctl);
    return h;
}
}  // namespace detail

/// Spawns a behaviour process, a child of the current process (or, with a
/// runtime, a root process): it makes its state with `b->init(arg)`, then
/// takes one message at a time and runs the current version's handler; swap
/// requests are applied between two handlers (HS-2). A message no handler
/// takes is dropped as a dead letter (counted; runtime_config::on_dead_letter
/// sees it with this process's pid). The process ends when a handler calls
/// stop_behaviour() or throws, or when it is cancelled. It can be swapped
/// as soon as this returns.
///
/// **Thread safety:** the first form inside a process only; the runtime form
/// from the thread that drives the runtime or any thread on the real clock.
/// **Suspends:** never.
inline handle<void> spawn_behaviour(behaviour_ref b, std::any arg = {}, behaviour_options opts = {},
                                    spawn_options so = {}) {
    return detail::spawn_swappable_with(true, nullptr, [&](auto ctl) {
        return detail::spawn_fn(nullptr, so, &detail::behaviour_main, std::move(ctl), std::move(b),
                                std::move(arg), opts);
    });
}
inline handle<void> spawn_behaviour(runtime& rt, behaviour_ref b, std::any arg = {},
                                    behaviour_options opts = {}, spawn_options so = {}) {
    return detail::spawn_swappable_with(true, rt.impl(), [&](auto ctl) {
        return detail::spawn_fn(rt.impl(), so, &detail::behaviour_main, std::move(ctl),
                                std::move(b), std::move(arg), opts);
    });
}

/// From inside a behaviour's handler: end the loop after this handler.
void stop_behaviour();

/// Replaces the version a behaviour process runs (HS-1): at its next point
/// between two handlers, `next->migrate(old_state, old_version)` (or
/// `migrate(old_state)` when given) makes the new state, and the next message
/// is handled by `next`. The pid, names, links, monitors, children and the
/// mailbox (in order) are kept; there is no exit_msg, down_msg or restart
/// (HS-5). If the process is inside a handler for longer than
/// `swap_timeout`, the swap is withdrawn: not_quiescent.
///
/// **Thread safety:** inside a process only. **Suspends:** until the target
/// answers or the timeout.
task<swap_result> swap(pid target, behaviour_ref next,
                       duration swap_timeout = std::chrono::seconds(5));
task<swap_result> swap(pid target, behaviour_ref next,
                       std::function<std::any(const std::any& old_state)> migrate,
                       duration swap_timeout = std::chrono::seconds(5));

/// Spawns a swappable function process (asyncoro's hot_swappable), a child
/// of the current process (or, with a runtime, a root): runs `body()`; when
/// swap_body asks, the running function is unwound at its next receive
/// (its RAII destructors run; the message it waited for stays in the
/// mailbox) and the new function starts from its beginning in the same
/// process. Every receive of the function is a swap point; a message a
/// receive had already matched is still returned first. Thread safety and
/// suspension as spawn_behaviour.
inline handle<void> spawn_swappable(process_body body, spawn_options so = {}) {
    return detail::spawn_swappable_with(false, nullptr, [&](auto ctl) {
        return detail::spawn_fn(nullptr, so, &detail::swappable_main, std::move(ctl),
                                std::move(body));
    });
}
inline handle<void> spawn_swappable(runtime& rt, process_body body, spawn_options so = {}) {
    return detail::spawn_swappable_with(false, rt.impl(), [&](auto ctl) {
        return detail::spawn_fn(rt.impl(), so, &detail::swappable_main, std::move(ctl),
                                std::move(body));
    });
}

/// Replaces the function of a spawn_swappable process at its next receive.
/// **Suspends** until done or `swap_timeout` (not_quiescent); inside a
/// process only.
task<swap_result> swap_body(pid target, process_body next,
                            duration swap_timeout = std::chrono::seconds(5));

}  // namespace coronet
