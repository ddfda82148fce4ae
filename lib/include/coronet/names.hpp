#pragma once
/// \file names.hpp
/// Registered names on this node (SEMANTICS NM-1). Cluster-wide names come
/// with the discovery module.

#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "coronet/detail/process_ops.hpp"
#include "coronet/pid.hpp"

namespace coronet {

/// Binds `name` to `p`. Names are unique: false when the name is taken (the
/// binding is unchanged), or when `p` is not a process of this node, or is
/// known to have exited. For a `p` on another worker the liveness check is
/// made there, just after: if `p` had already exited, the name is released
/// again at once (a whereis in between may still see it).
/// The name is released when its holder exits. Inside a process (use
/// runtime::register_name from outside). Never suspends.
bool register_name(std::string name, const pid& p);
/// Releases `name`; false when it was not bound.
bool unregister_name(std::string_view name);
/// The pid bound to `name`, if any.
std::optional<pid> whereis(std::string_view name);

namespace detail {
void send_named(runtime_impl* rt, std::string_view name, message* m, bool* found);
}

/// Sends to the process registered as `name`, resolved now. An unbound name
/// is a traced dead letter (runtime_config::on_dead_letter gets a null pid).
template <class Msg>
void send(std::string_view name, Msg&& msg) {
    detail::send_named(nullptr, name,
                       detail::make_message<std::decay_t<Msg>>(std::forward<Msg>(msg)), nullptr);
}

/// Like send(name, msg), but returns false (and drops the message, counted as
/// a dead letter) when no process is registered as `name`.
template <class Msg>
bool send_checked(std::string_view name, Msg&& msg) {
    bool found = false;
    detail::send_named(nullptr, name,
                       detail::make_message<std::decay_t<Msg>>(std::forward<Msg>(msg)), &found);
    return found;
}

}  // namespace coronet
