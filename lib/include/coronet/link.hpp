#pragma once
/// \file link.hpp
/// Links, exit signals and trap_exit (SEMANTICS LK-2..LK-4).

#include "coronet/exit_reason.hpp"
#include "coronet/pid.hpp"

namespace coronet {

/// What a process that traps exits receives when a linked process exits, or
/// when someone sends it an exit signal (`coronet::exit`).
///
/// **Thread safety:** a value type. **Suspends:** never.
struct exit_msg {
    pid from;
    exit_reason reason;
};

/// Links the current process with `other`, both ways; idempotent per pair.
/// When one of them exits with reason R, the other: ignores it if R is
/// `normal` and it does not trap exits; receives an exit_msg if it traps
/// exits; exits with R otherwise. Linking to a pid that does not exist
/// behaves as if it had just exited with reason `noproc`.
///
/// Inside a process only (std::logic_error otherwise). Never suspends.
void link(const pid& other);

/// Removes the link with `other`: after it returns, the link has no effect.
/// An exit_msg from `other` already in the mailbox stays there unless `flush`.
void unlink(const pid& other, bool flush = false);

/// Turns trapping of exits on or off for the current process.
void trap_exit(bool on);
/// True when the current process traps exits.
bool trapping_exits();

/// Sends an exit signal with `reason` to `target`, as if a linked process
/// had exited with it (no link needed). Reason `killed` cannot be trapped:
/// the target exits with `killed` (its frame unwinds, every await throws).
/// A `normal` signal is ignored by a process that does not trap exits.
///
/// From inside a process. Never suspends.
void exit(const pid& target, exit_reason reason);

}  // namespace coronet
