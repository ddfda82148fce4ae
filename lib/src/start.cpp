// start() and ready(): the ready handshake (SEMANTICS LT-6). The child
// reports to its starter with sig_ready; on the starter's worker it becomes a
// ready_msg in the mailbox only while start() still waits for that child.
// start() waits for that message or the child's down_msg.

#include "coronet/start.hpp"

#include "coronet/link.hpp"
#include "coronet/monitor.hpp"
#include "coronet/self.hpp"
#include "internal/core.hpp"
#include "internal/signals.hpp"

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
    runtime_impl& rt = p->home->rt;
    if (!rt.is_local(starter)) return;
    message* m = make_signal<sig_ready>(pid_of(p), std::move(value));
    m->target = starter.serial;
    m->target_slot = starter.slot;
    worker* home = rt.workers[starter.worker()].get();
    if (rt.owns(home))
        home->dispatch(m);
    else
        home->post(m);
}

void ready_signal(worker& w, message* m) {
    process* p = w.table.find(m->target_slot, m->target);
    auto& s = signal_data<sig_ready>(m);
    if (!p || p->state != pstate::running || !p->ext || p->ext->awaiting_ready != s.from.serial)
        return;  // nobody waits for it any more
    message* r = make_message<ready_msg>(ready_msg{s.from, std::move(s.value)});
    r->target = p->serial;
    r->target_slot = p->slot;
    w.deliver_user(r);
}

void ready_impl(std::any value) {
    process* p = require_process("coronet::ready");
    if (p->ext && p->ext->starter) report_ready(p, std::move(value));
}

task<std::any> await_started(process* child) {
    process* me = require_process("coronet::start");
    if (child->parent != me)
        throw std::logic_error(
            "coronet::start: await it in the process that called it (not as an operand of "
            "when_all / when_any, which run in processes of their own)");
    const pid c = pid_of(child);
    const monitor_ref ref = monitor(c);
    // Whatever way this ends: nothing of the handshake stays in the mailbox,
    // and a child still running is an ordinary linked child (LK-1).
    struct handshake {
        process* me;
        process* child;
        monitor_ref ref;
        ~handshake() {
            me->ext->awaiting_ready = 0;
            demonitor(ref, true);
            const pid c = pid_of(child);
            remove_from_mailbox(me, [&](message& m) {
                return holds<ready_msg>(m) && static_cast<ready_msg*>(m.data())->from == c;
            });
            // Safe: `linked` is read only on this (the parent's) worker, by
            // child_exited_step, which runs after this for an exit to come.
            if (!has_exited(child)) child->linked = true;
            release(child);
        }
    };
    retain(child);
    handshake hs{me, child, ref};
    library_wait lw("coronet::start");
    me->ext->awaiting_ready = c.serial;

    std::any value;
    bool is_ready = false;
    co_await self().receive_any(
        guard([&](const ready_msg& r) { return r.from == c; },
              [&](ready_msg r) {
                  value = std::move(r.value);
                  is_ready = true;
              }),
        guard([&](const down_msg& d) { return d.ref == ref; }, [](const down_msg&) {}));
    if (!has_exited(child)) co_return value;
    // It exited (before or right after it was ready) and is not tree-linked:
    // do here what LK-1 would have done.
    const exit_reason& r = reason_of(child);
    if (!is_ready && r.kind != exit_kind::normal) rethrow_if_failed(child);  // reaped, not linked
    if (trapping_exits()) {
        send(pid_of(me), exit_msg{c, r});
    } else if (r.kind == exit_kind::error || r.kind == exit_kind::killed) {
        rethrow_if_failed(child);
    }
    co_return value;
}

}  // namespace coronet::detail
