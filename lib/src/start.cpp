// start() and ready(): the ready handshake (SEMANTICS LT-6). The child tells
// its starter with an internal message; the starter waits for that message
// or for the child's down_msg, whichever comes first.

#include "coronet/start.hpp"

#include "coronet/monitor.hpp"
#include "coronet/self.hpp"
#include "internal/core.hpp"

namespace coronet::detail {

namespace {

/// The readiness report, in the starter's mailbox until start() takes it.
struct ready_msg {
    pid from;
    std::any value;
};

}  // namespace

void report_ready(process* p, std::any value) {
    const pid starter = std::exchange(p->ext->starter, pid{});
    send_impl(nullptr, starter, make_message<ready_msg>(ready_msg{pid_of(p), std::move(value)}));
}

void ready_impl(std::any value) {
    process* p = require_process("coronet::ready");
    if (p->ext && p->ext->starter) report_ready(p, std::move(value));
}

task<std::any> await_started(process* child) {
    retain(child);
    struct holder {
        process* p;
        ~holder() { release(p); }
    } keep{child};
    // This wait is not the caller's own first receive (LT-6 for the caller).
    process* me = require_process("coronet::start");
    struct stash {
        process* p;
        pid saved;
        ~stash() {
            if (saved) p->extension().starter = saved;
        }
    } hide{me, me->ext ? std::exchange(me->ext->starter, pid{}) : pid{}};
    const pid c = pid_of(child);
    const monitor_ref ref = monitor(c);
    std::any value;
    bool is_ready = false;
    co_await self().receive_any(
        guard([&](const ready_msg& r) { return r.from == c; },
              [&](ready_msg r) {
                  value = std::move(r.value);
                  is_ready = true;
              }),
        guard([&](const down_msg& d) { return d.ref == ref; }, [](const down_msg&) {}));
    demonitor(ref, true);
    if (!is_ready) {
        // It exited before it was ready: not tree-linked, so its failure
        // reaches the caller only here. (A normal return counts as ready.)
        rethrow_if_failed(child);
        co_return value;
    }
    if (!has_exited(child)) {
        // From now on an ordinary linked child (LK-1). Safe: the field is read
        // only on this (the parent's) worker, by child_exited_step, which runs
        // after this for an exit that has not happened yet.
        child->linked = true;
        co_return value;
    }
    // Ready, then exited before we looked: do here what LK-1 would have done.
    const exit_reason& r = reason_of(child);
    if (trapping_exits()) {
        send(pid_of(current_process()), exit_msg{c, r});
    } else if (r.kind == exit_kind::error || r.kind == exit_kind::killed) {
        rethrow_if_failed(child);
    }
    co_return value;
}

}  // namespace coronet::detail
