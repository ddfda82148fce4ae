#pragma once
/// \file fwd.hpp
/// Forward declarations of coronet::core.

namespace coronet {
template <class T>
class task;
template <class T>
class handle;
template <class T>
class outcome;
class runtime;
class self_ref;
class any_message;
struct pid;
struct exit_reason;
struct runtime_config;
struct spawn_options;
struct placement;
}  // namespace coronet
