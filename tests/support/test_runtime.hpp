#pragma once
// Test helpers: runtimes on the virtual clock, and a log processes append to.

#include <chrono>
#include <string>
#include <vector>
#include <coronet/runtime.hpp>

namespace coronet::test {

using namespace std::chrono_literals;

/// A runtime on the virtual clock (deterministic, driven by the test thread).
inline runtime_config virtual_config(std::uint32_t workers = 1) {
    runtime_config c;
    c.workers = workers;
    c.clock = clock_kind::virtual_;
    return c;
}

/// A runtime on the real clock (for [threads] tests).
inline runtime_config real_config(std::uint32_t workers = 2) {
    runtime_config c;
    c.workers = workers;
    c.clock = clock_kind::real;
    return c;
}

/// Milliseconds of a time point, for readable assertions.
inline long long ms(time_point t) {
    return std::chrono::duration_cast<std::chrono::milliseconds>(t).count();
}

/// Counts live instances, to prove destructors ran.
struct counted {
    static inline int live = 0;
    counted() { ++live; }
    counted(const counted&) { ++live; }
    ~counted() { --live; }
};

}  // namespace coronet::test
