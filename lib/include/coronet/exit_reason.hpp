#pragma once
/// \file exit_reason.hpp
/// Why a process exited, and the exceptions that carry it.

#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>

namespace coronet {

/// The kinds of exit reason of SEMANTICS.md.
enum class exit_kind : std::uint8_t {
    normal,        ///< the body returned
    shutdown,      ///< stopped by its parent, a supervisor or the runtime
    cancelled,     ///< cancelled; `detail` says why
    error,         ///< an exception escaped the body; `error` holds it
    killed,        ///< killed without cleanup awaits
    noproc,        ///< the process did not exist
    noconnection,  ///< its node was lost
    swap_failed    ///< a hot swap failed under exit_on_swap_failure
};

/// The name of a kind ("normal", "error", ...).
const char* to_string(exit_kind k) noexcept;

/// An exit reason: a kind plus, for `error`, the exception, and a free text.
///
/// **Thread safety:** a value type. **Suspends:** never.
struct exit_reason {
    exit_kind kind = exit_kind::normal;
    std::exception_ptr error;  ///< set for exit_kind::error
    std::string detail;        ///< why (cancel reason, shutdown term, ...)

    /// normal and shutdown are the clean exits; everything else is abnormal.
    bool is_normal() const noexcept {
        return kind == exit_kind::normal || kind == exit_kind::shutdown;
    }
};

/// "error: <what()>", "cancelled: <detail>", "normal", ...
std::string to_string(const exit_reason& r);

/// Thrown at a suspension point of a cancelled process (CX-2: level-triggered,
/// every later suspension point throws again until the process exits).
class cancelled_error : public std::runtime_error {
  public:
    explicit cancelled_error(const std::string& why) : std::runtime_error("cancelled: " + why) {}
};

/// Thrown by `join` (or `co_await` on a process handle) when the process
/// exited for a reason that is not an exception of its own (cancelled,
/// killed, shutdown, noproc, ...). An `error` exit rethrows the original
/// exception instead.
class exit_error : public std::runtime_error {
  public:
    explicit exit_error(exit_reason r)
        : std::runtime_error("process exited: " + to_string(r)), reason_(std::move(r)) {}
    const exit_reason& reason() const noexcept { return reason_; }

  private:
    exit_reason reason_;
};

/// Thrown by `runtime::run()` on the virtual clock when processes are blocked
/// and nothing (no timer, no I/O, no other thread) can ever wake them.
class deadlock_error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

}  // namespace coronet
