#pragma once
/// \file pid.hpp
/// Process identifiers.

#include <compare>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

namespace coronet {

/// Identifies a process: (node, incarnation, serial). Never reused (LT-8).
///
/// The serial encodes the home worker in its low 8 bits, and `slot` is a
/// routing hint (the process's index on that worker), so a pid routes with
/// no table lookup. `slot` is not part of the identity: equality, order and
/// hashing use (node, incarnation, serial) only. A default-constructed pid is
/// the null pid, which names no process; a send to it is a dead letter.
///
/// **Thread safety:** a value type; copy it anywhere. **Suspends:** never.
struct pid {
    std::uint64_t node = 0;         ///< the node's id (from its name)
    std::uint32_t incarnation = 0;  ///< the runtime instance on that node
    std::uint32_t slot = 0;         ///< routing hint on the home worker (not identity)
    std::uint64_t serial = 0;       ///< unique per node incarnation, never 0 for a real process

    /// True when this is not the null pid.
    explicit operator bool() const noexcept { return serial != 0; }
    /// The worker the process lives on (only meaningful on its own node).
    std::uint32_t worker() const noexcept { return static_cast<std::uint32_t>(serial & 0xffu); }

    friend bool operator==(const pid& a, const pid& b) noexcept {
        return a.serial == b.serial && a.node == b.node && a.incarnation == b.incarnation;
    }
    friend std::strong_ordering operator<=>(const pid& a, const pid& b) noexcept {
        if (auto c = a.node <=> b.node; c != 0) return c;
        if (auto c = a.incarnation <=> b.incarnation; c != 0) return c;
        return a.serial <=> b.serial;
    }
};

/// "<node:incarnation.serial>", for logs and traces.
std::string to_string(const pid& p);

}  // namespace coronet

template <>
struct std::hash<coronet::pid> {
    std::size_t operator()(const coronet::pid& p) const noexcept {
        return static_cast<std::size_t>((p.serial * 0x9E3779B97F4A7C15ull) ^ p.node ^
                                        (std::uint64_t{p.incarnation} << 32));
    }
};
