#pragma once
/// \file stop.hpp
/// Graceful stop requests that the target may refuse (SEMANTICS CX-7).

#include <cstdint>

#include "coronet/pid.hpp"
#include "coronet/task.hpp"
#include "coronet/time.hpp"

namespace coronet {

/// A request to stop, as the target receives it (a message in its mailbox,
/// so it composes with any other receive: add a `stop_request` handler to
/// `receive_any`). The target answers with accept() or refuse(); a request
/// left unanswered is refused when the target exits.
///
/// Unlike cancel (CX-1) and kill, a stop request changes nothing by itself:
/// accepting it only tells the requester yes; stopping (returning from the
/// body, finishing the work first) is up to the process.
///
/// **Thread safety:** a value type; answer from the receiving process.
/// **Suspends:** never.
struct stop_request {
    pid from;
    std::uint64_t id = 0;

    /// Tells the requester the request is accepted (its request_stop gives
    /// true). Answer once; later answers are ignored.
    void accept() const;
    /// Tells the requester the request is refused (request_stop gives false).
    void refuse() const;
};

/// Asks `target` to stop and waits for its answer: true when it accepted;
/// false when it refused, had exited (or exits) without accepting, or did
/// not answer within `timeout`. An answer that arrives after a timeout stays
/// in the mailbox as an internal message (typed handlers never match it; a
/// catch-all `any_message` handler sees it) until per-call aliases (RPC-1)
/// come with distribution.
///
/// **Thread safety:** inside a process only. **Suspends:** until the answer.
task<bool> request_stop(pid target, duration timeout = infinite);

/// True when a stop_request is waiting in the current process's mailbox.
/// Never suspends.
bool stop_requested();

}  // namespace coronet
