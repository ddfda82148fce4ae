#pragma once
// What the core offers the other modules (channels) to hang their own state
// on processes and runtimes. Internal: users never see these.

#include <memory>

namespace coronet::detail {

class runtime_impl;

/// Something to do when a process exits (channels: drop its topic
/// subscriptions). Lives in the module's own record.
///
/// **Thread safety:** added, removed and run on the owning process's worker
/// only. **Suspends:** never.
struct exit_hook {
    exit_hook* prev = nullptr;
    exit_hook* next = nullptr;
    void* owner = nullptr;                       ///< the process (set by add_exit_hook)
    void (*run)(exit_hook&) noexcept = nullptr;  ///< called once, at the owner's exit
};

/// The current process runs `h.run` when it exits (after its frame is
/// destroyed, before its mailbox is freed), unless `h` is removed first.
/// Throws std::logic_error outside a process.
void add_exit_hook(exit_hook& h);
/// Removes `h`; only from its owner, while it runs (false otherwise: then
/// the hook stays and runs at the exit).
bool remove_exit_hook(exit_hook& h) noexcept;

/// A module's state for one runtime (channels: its topic registry), made by
/// `make` on first use and destroyed with the runtime. `key` identifies the
/// module (the address of one of its objects). Any thread.
std::shared_ptr<void> runtime_extension(runtime_impl* rt, const void* key,
                                        std::shared_ptr<void> (*make)());

}  // namespace coronet::detail
