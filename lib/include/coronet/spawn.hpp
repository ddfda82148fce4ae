#pragma once
/// \file spawn.hpp
/// Turning a coroutine function into a process (used by runtime and self).

#include <functional>
#include <type_traits>
#include <utility>

#include "coronet/detail/process_ops.hpp"
#include "coronet/handle.hpp"
#include "coronet/task.hpp"

namespace coronet::detail {

template <class Fn, class... Args>
using spawn_task_t = std::invoke_result_t<Fn&, Args...>;

/// Spawns `t` as a process on `rt` (null: the calling thread's runtime).
/// `linked`: an abnormal exit cancels the parent with the same reason (LK-1).
template <class T>
handle<T> spawn_task(runtime_impl* rt, task<T>&& t, const spawn_options& opts, bool linked) {
    auto h = t.release();
    return handle<T>{spawn_impl(rt, h, &result_ops_of<T>, opts, linked)};
}

/// Calls fn(args...) to create the process's root task. The arguments are
/// copied (decayed) into the coroutine frame by the call; see the README's
/// pitfalls: no references and no capturing lambdas as process functions.
template <class Fn, class... Args>
auto spawn_fn(runtime_impl* rt, const spawn_options& opts, Fn&& fn, Args&&... args) {
    using task_t = spawn_task_t<Fn, Args...>;
    static_assert(is_task<task_t>::value, "a process function must return coronet::task<T>");
    return spawn_task(rt, std::invoke(fn, std::forward<Args>(args)...), opts, true);
}

/// spawn_fn for spawn_link / spawn_monitor: the link (both ways) or the
/// monitor exists before the child can run. A spawn_link child is not also
/// linked through the tree (one exit signal, not two).
template <class Fn, class... Args>
auto spawn_fn_ex(bool link, std::uint64_t* monitor_id, Fn&& fn, Args&&... args) {
    using task_t = spawn_task_t<Fn, Args...>;
    static_assert(is_task<task_t>::value, "a process function must return coronet::task<T>");
    using T = typename task_t::value_type;
    auto h = std::invoke(fn, std::forward<Args>(args)...).release();
    return handle<T>{
        spawn_impl_ex(nullptr, h, &result_ops_of<T>, spawn_options{}, !link, link, monitor_id)};
}

}  // namespace coronet::detail
