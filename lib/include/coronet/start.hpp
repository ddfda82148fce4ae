#pragma once
/// \file start.hpp
/// start(): spawn a child and wait until it is ready (SEMANTICS LT-6).

#include <any>
#include <stdexcept>
#include <utility>

#include "coronet/handle.hpp"
#include "coronet/spawn.hpp"
#include "coronet/task.hpp"

namespace coronet {

namespace detail {
/// Waits (in the calling process) until `child`, spawned with the start
/// handshake, is ready; returns the value it passed to ready(v) (empty if
/// none). Rethrows the child's error when it failed before becoming ready.
task<std::any> await_started(process* child);
void ready_impl(std::any value);

template <class Fn, class... Args>
auto spawn_for_start(const spawn_options& opts, Fn&& fn, Args&&... args) {
    using task_t = spawn_task_t<Fn, Args...>;
    static_assert(is_task<task_t>::value, "a process function must return coronet::task<T>");
    using T = typename task_t::value_type;
    auto h = std::invoke(fn, std::forward<Args>(args)...).release();
    return handle<T>{
        spawn_impl_ex(nullptr, h, &result_ops_of<T>, opts, true, false, nullptr, true)};
}

template <class T>
task<handle<T>> finish_start(handle<T> h) {
    co_await await_started(h.get());
    co_return h;
}

template <class V, class T>
task<std::pair<handle<T>, V>> finish_start_value(handle<T> h) {
    std::any v = co_await await_started(h.get());
    if (!v.has_value())
        throw std::logic_error("coronet::start_value: the child became ready without a value");
    V* typed = std::any_cast<V>(&v);
    if (!typed) throw std::logic_error("coronet::start_value: ready(v) gave another type");
    co_return std::pair<handle<T>, V>{std::move(h), std::move(*typed)};
}
}  // namespace detail

/// Spawns `fn(args...)` as a child of the current process (like
/// self().spawn_opt) and returns its handle once the child is *ready*: it
/// called `ready()` or suspended on its first receive, or it already
/// returned normally (LT-6).
///
/// If the child fails before it is ready, `start` throws the child's error
/// (its exception, or exit_error) and the child is reaped; the failure does
/// not also cancel the caller through the tree link (LK-1). From readiness
/// on, the child is an ordinary linked child. A caller cancelled while it
/// waits throws cancelled_error; the child is torn down with the caller.
///
/// The spawn happens when `start` is called; the returned task only waits,
/// and must be awaited by the process that called `start` (as an operand
/// of when_all / when_any it throws std::logic_error). If that wait ends by
/// an exception (a with_timeout, a cancel), the child stays, as an ordinary
/// linked child.
///
/// **Thread safety:** inside a process only. **Suspends:** until ready.
template <class Fn, class... Args>
auto start(Fn&& fn, Args&&... args) {
    return detail::finish_start(detail::spawn_for_start(spawn_options{}, std::forward<Fn>(fn),
                                                        std::forward<Args>(args)...));
}
/// start() with spawn options (placement, daemon).
template <class Fn, class... Args>
auto start_opt(const spawn_options& o, Fn&& fn, Args&&... args) {
    return detail::finish_start(
        detail::spawn_for_start(o, std::forward<Fn>(fn), std::forward<Args>(args)...));
}
/// start() for a child that reports a value with `ready(V)`: gives the handle
/// and that value. Throws std::logic_error if the child became ready without
/// a value of type V.
template <class V, class Fn, class... Args>
auto start_value(Fn&& fn, Args&&... args) {
    return detail::finish_start_value<V>(detail::spawn_for_start(
        spawn_options{}, std::forward<Fn>(fn), std::forward<Args>(args)...));
}

/// Tells the process that started this one (with `start`) that it is ready.
/// A no-op when nobody waits (plain spawn, or ready already reported).
/// Never suspends.
inline void ready() {
    detail::ready_impl(std::any{});
}
/// ready() with a value for `start_value<V>`.
template <class V>
void ready(V&& value) {
    detail::ready_impl(std::any(std::forward<V>(value)));
}

}  // namespace coronet
