#pragma once
// Helpers the raw-CAF baselines share (caf_io_bench.cpp, caf_remote_bench.cpp).

#include <chrono>
#include <utility>

#include <caf/all.hpp>

namespace bench {

/// Nanoseconds between two steady_clock points.
inline double elapsed_ns(std::chrono::steady_clock::time_point t0,
                         std::chrono::steady_clock::time_point t1) {
    return std::chrono::duration<double, std::nano>(t1 - t0).count();
}

/// Sends an actor an exit when the run leaves its scope (also by an
/// exception), so that ~actor_system, which waits for every actor, returns.
struct exit_guard {
    caf::actor a;
    explicit exit_guard(caf::actor x) : a(std::move(x)) {}
    exit_guard(const exit_guard&) = delete;
    exit_guard& operator=(const exit_guard&) = delete;
    ~exit_guard() { caf::anon_send_exit(a, caf::exit_reason::user_shutdown); }
};

}  // namespace bench
