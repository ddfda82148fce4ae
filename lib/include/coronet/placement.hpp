#pragma once
/// \file placement.hpp
/// Where a spawned process lives (SEMANTICS PL-1), and the other spawn options.

#include <cstdint>

namespace coronet {

/// The home worker of a new process. A process runs only on its home worker.
///
/// **Thread safety:** a value type. **Suspends:** never.
struct placement {
    enum class kind : std::uint8_t { local, pool, pinned };
    kind where = kind::local;
    std::uint32_t worker = 0;  ///< for pinned

    /// The spawner's worker (worker 0 when spawned from outside the runtime).
    static constexpr placement local() noexcept { return {}; }
    /// The least loaded worker, by live process count.
    static constexpr placement pool() noexcept { return {kind::pool, 0}; }
    /// Worker k (taken modulo the number of workers).
    static constexpr placement pinned(std::uint32_t k) noexcept { return {kind::pinned, k}; }
};

/// Options of spawn.
///
/// **Thread safety:** a value type. **Suspends:** never.
struct spawn_options {
    placement where = placement::local();
    /// A daemon child is cancelled (reason shutdown) when its parent's body
    /// returns, instead of being waited for (LT-2).
    bool daemon = false;
    /// A root process (spawned from outside) whose failure is its own: it
    /// does not tear the node down (LK-4) and runtime::run() does not
    /// rethrow it. Its monitors and links still see the reason. Processes
    /// that other nodes spawn (spawn_on) are isolated roots.
    bool isolated = false;
};

}  // namespace coronet
