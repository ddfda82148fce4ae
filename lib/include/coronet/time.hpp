#pragma once
/// \file time.hpp
/// Durations and time points of the runtime clock.

#include <chrono>
#include <cstdint>

namespace coronet {

/// Every duration in coronet is a count of nanoseconds (virtual or real).
using duration = std::chrono::nanoseconds;

/// A point on the runtime clock: nanoseconds since the runtime started.
/// On the virtual clock it starts at 0 and only moves when nothing is runnable.
using time_point = std::chrono::nanoseconds;

/// Which clock a runtime reads.
enum class clock_kind : std::uint8_t {
    real,     ///< std::chrono::steady_clock; one OS thread per worker
    virtual_  ///< a virtual clock that jumps to the next timer; all workers
              ///< are driven by the thread that calls run() (deterministic)
};

/// "No timeout": wait for ever.
inline constexpr duration infinite = duration::max();

}  // namespace coronet
