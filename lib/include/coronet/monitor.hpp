#pragma once
/// \file monitor.hpp
/// Monitors (SEMANTICS MO-1, MO-2, MO-4).

#include <cstdint>

#include "coronet/exit_reason.hpp"
#include "coronet/pid.hpp"

namespace coronet {

/// Identifies one monitor. Unique per node incarnation.
///
/// **Thread safety:** a value type. **Suspends:** never.
struct monitor_ref {
    pid owner;             ///< the monitoring process
    std::uint64_t id = 0;  ///< unique within the owner

    explicit operator bool() const noexcept { return id != 0; }
    friend bool operator==(const monitor_ref&, const monitor_ref&) = default;
};

/// Delivered once per monitor when the monitored process exits (or at once,
/// with reason `noproc`, when it did not exist). It comes after every message
/// the monitored process sent to the monitoring one (MO-4).
///
/// **Thread safety:** a value type. **Suspends:** never.
struct down_msg {
    monitor_ref ref;
    pid who;
    exit_reason reason;
};

/// Starts monitoring `target` from the current process: one-directional,
/// stackable (each call gives a new ref and, later, its own down_msg).
/// Inside a process only. Never suspends.
monitor_ref monitor(const pid& target);

/// Stops the monitor: after it returns no down_msg for `ref` will arrive;
/// with `flush`, one already in the mailbox is removed too.
void demonitor(const monitor_ref& ref, bool flush = false);

}  // namespace coronet
