// Links, exit signals, trap_exit and monitors (SEMANTICS LK-1..4, MO-1, MO-2,
// MO-4). Every interaction travels as a signal through the target's inbox (or
// is handled at once on the same worker), so that messages and signals
// between two processes keep their order.

#include <algorithm>
#include <stdexcept>

#include "coronet/link.hpp"
#include "coronet/monitor.hpp"
#include "coronet/runtime.hpp"
#include "internal/core.hpp"
#include "internal/signals.hpp"

namespace coronet::detail {

namespace {

const exit_reason normal_exit{};

}  // namespace

namespace {

/// A monitor signal for another node's process, handed to the router.
void forward_signal(remote_router& r, const pid& to, message* m) {
    if (is_signal<sig_monitor>(m)) {
        const auto& s = signal_data<sig_monitor>(m);
        r.monitor(to, s.watcher, s.id);
    } else if (is_signal<sig_demonitor>(m)) {
        const auto& s = signal_data<sig_demonitor>(m);
        r.demonitor(to, s.watcher, s.id);
    } else if (is_signal<sig_down>(m)) {
        const auto& s = signal_data<sig_down>(m);
        r.down(to, s.id, s.who, s.reason);
    } else if (is_signal<sig_link>(m)) {
        r.link(to, signal_data<sig_link>(m).from);
    } else if (is_signal<sig_unlink>(m)) {
        r.unlink(to, signal_data<sig_unlink>(m).from);
    } else if (is_signal<sig_exit_signal>(m)) {
        const auto& s = signal_data<sig_exit_signal>(m);
        r.exit(to, s.from, s.reason, s.via_link);
    }
}

}  // namespace

/// Routes a signal to the process `to` (any worker, from any thread).
void post_signal(runtime_impl& rt, const pid& to, message* m) {
    if (!rt.is_local(to)) {
        if (to.node != rt.node) {
            const runtime_impl::router_use use(rt);
            if (remote_router* r = use.get()) {
                if (tl_worker && &tl_worker->rt == &rt) tl_worker->remote_dirty = true;
                try {
                    forward_signal(*r, to, m);
                } catch (...) {  // (a router must not throw here; never lose the caller's exit)
                }
            } else if (is_signal<sig_monitor>(m)) {
                // No distribution (any more): the watcher still gets its one down.
                const auto& s = signal_data<sig_monitor>(m);
                post_signal(rt, s.watcher,
                            make_signal<sig_down>(to, s.id,
                                                  exit_reason{exit_kind::noconnection, nullptr,
                                                              "no connection to its node"}));
            } else if (is_signal<sig_link>(m)) {
                // The same for a link: the linker sees the peer lost.
                post_signal(
                    rt, signal_data<sig_link>(m).from,
                    make_signal<sig_exit_signal>(
                        to,
                        exit_reason{exit_kind::noconnection, nullptr, "no connection to its node"},
                        true));
            }
        }
        free_message(m);
        return;
    }
    m->target = to.serial;
    m->target_slot = to.slot;
    worker* home = rt.workers[to.worker()].get();
    if (rt.owns(home)) {
        home->dispatch(m);
    } else {
        home->post(m);
    }
}

namespace {

/// Puts a user message straight into `p`'s mailbox (on p's worker).
template <class Msg>
void deliver_to(process* p, Msg&& msg) {
    message* m = make_message<std::decay_t<Msg>>(std::forward<Msg>(msg));
    m->target = p->serial;
    m->target_slot = p->slot;
    p->home->deliver_user(m);
}

bool erase_pid(std::vector<pid>& v, const pid& x) {
    auto it = std::find(v.begin(), v.end(), x);
    if (it == v.end()) return false;
    v.erase(it);
    return true;
}

/// The process exits with `r` (LK-2): cancelled with `r` as its reason (a
/// draining one records it and stops its children).
void force_exit(process* p, const exit_reason& r) {
    if (p->state == pstate::exited) return;
    if (p->state == pstate::draining) {
        if (!p->reason || p->reason->is_normal()) {
            delete p->reason;
            p->reason = new exit_reason(r);
        }
        start_teardown(p, true);  // its children must go too, not be waited for
        return;
    }
    if (!p->pending ||
        !(p->pending->kind == exit_kind::error || p->pending->kind == exit_kind::killed)) {
        delete p->pending;
        p->pending = new exit_reason(r);
    }
    cancel_local(p, r.kind, r.detail.empty() ? to_string(r) : r.detail);
}

void on_exit_signal(process* p, const sig_exit_signal& s) {
    if (p->state == pstate::exited) return;
    if (s.via_link && (!p->ext || !erase_pid(p->ext->links, s.from))) return;  // unlinked
    const bool kill = !s.via_link && s.reason.kind == exit_kind::killed;
    if (kill) {
        kill_local(p, s.reason.detail.empty() ? "killed" : s.reason.detail);  // untrappable (LK-2)
    } else if (p->ext && p->ext->trap) {
        deliver_to(p, exit_msg{s.from, s.reason});
    } else if (s.reason.kind != exit_kind::normal) {
        force_exit(p, s.reason);
    }
}

process* current(const char* what) {
    return require_process(what);
}

}  // namespace

bool dispatch_link_signal(worker& w, message* m) {
    if (is_signal<sig_exit_signal>(m)) {
        if (process* p = w.table.find(m->target_slot, m->target))
            on_exit_signal(p, signal_data<sig_exit_signal>(m));
    } else if (is_signal<sig_link>(m)) {
        auto& s = signal_data<sig_link>(m);
        process* p = w.table.find(m->target_slot, m->target);
        if (p && p->state != pstate::exited) {
            auto& links = p->extension().links;
            if (std::find(links.begin(), links.end(), s.from) == links.end())
                links.push_back(s.from);
        } else {
            // Linking to a dead pid: as if it had just exited with noproc.
            post_signal(
                w.rt, s.from,
                make_signal<sig_exit_signal>(w.rt.make_pid(m->target_slot, m->target),
                                             exit_reason{exit_kind::noproc, nullptr, {}}, true));
        }
    } else if (is_signal<sig_unlink>(m)) {
        process* p = w.table.find(m->target_slot, m->target);
        if (p && p->ext) erase_pid(p->ext->links, signal_data<sig_unlink>(m).from);
    } else if (is_signal<sig_monitor>(m)) {
        auto& s = signal_data<sig_monitor>(m);
        process* p = w.table.find(m->target_slot, m->target);
        if (p && p->state != pstate::exited) {
            p->extension().monitored_by.push_back({s.watcher, s.id});
        } else {
            post_signal(w.rt, s.watcher,
                        make_signal<sig_down>(w.rt.make_pid(m->target_slot, m->target), s.id,
                                              exit_reason{exit_kind::noproc, nullptr, {}}));
        }
    } else if (is_signal<sig_demonitor>(m)) {
        auto& s = signal_data<sig_demonitor>(m);
        process* p = w.table.find(m->target_slot, m->target);
        if (p && p->ext) {
            auto& v = p->ext->monitored_by;
            v.erase(std::remove_if(
                        v.begin(), v.end(),
                        [&](const auto& e) { return e.id == s.id && e.watcher == s.watcher; }),
                    v.end());
        }
    } else if (is_signal<sig_down>(m)) {
        auto& s = signal_data<sig_down>(m);
        process* p = w.table.find(m->target_slot, m->target);
        if (!p || p->state == pstate::exited || !p->ext) return true;
        auto& mine = p->ext->monitors;
        auto it = std::find_if(mine.begin(), mine.end(),
                               [&](const auto& e) { return e.id == s.id && e.target == s.who; });
        if (it == mine.end()) return true;  // demonitored (MO-2), or not ours: dropped
        mine.erase(it);
        deliver_to(p, down_msg{monitor_ref{pid_of(p), s.id}, s.who, s.reason});
    } else {
        return false;
    }
    return true;
}

void notify_links_and_monitors(process* p) {
    runtime_impl& rt = p->home->rt;
    const exit_reason& r = p->reason ? *p->reason : normal_exit;
    const pid me = pid_of(p);
    for (const pid& l : p->ext->links)
        post_signal(rt, l, make_signal<sig_exit_signal>(me, r, true));
    for (const auto& e : p->ext->monitored_by)
        post_signal(rt, e.watcher, make_signal<sig_down>(me, e.id, r));
    // LT-7: the monitors it created go with it (the targets forget them).
    for (const auto& mine : p->ext->monitors)
        post_signal(rt, mine.target, make_signal<sig_demonitor>(me, mine.id));
    p->ext->links.clear();
    p->ext->monitored_by.clear();
    p->ext->monitors.clear();
}

bool trap_child_exit(process* parent, process* child) {
    if (!parent->ext || !parent->ext->trap || parent->state != pstate::running) return false;
    deliver_to(parent, exit_msg{pid_of(child), child->reason ? *child->reason : normal_exit});
    return true;
}

void link_at_spawn(process* spawner, process* child) {
    spawner->extension().links.push_back(pid_of(child));
    child->extension().links.push_back(pid_of(spawner));
}

std::uint64_t monitor_at_spawn(process* spawner, process* child) {
    auto& ext = spawner->extension();
    const std::uint64_t id = ext.next_monitor++;
    ext.monitors.push_back({id, pid_of(child)});
    child->extension().monitored_by.push_back({pid_of(spawner), id});
    return id;
}

}  // namespace coronet::detail

namespace coronet {

using namespace detail;

void link(const pid& other) {
    process* me = current("coronet::link");
    auto& links = me->extension().links;
    if (other == pid_of(me) || std::find(links.begin(), links.end(), other) != links.end()) return;
    links.push_back(other);
    if (other && other.node != me->home->rt.node) {  // another node's: through its router
        post_signal(me->home->rt, other, make_signal<sig_link>(pid_of(me)));
        return;
    }
    if (!me->home->rt.is_local(other)) {  // no such process here: noproc at once
        post_signal(
            me->home->rt, pid_of(me),
            make_signal<sig_exit_signal>(other, exit_reason{exit_kind::noproc, nullptr, {}}, true));
        return;
    }
    post_signal(me->home->rt, other, make_signal<sig_link>(pid_of(me)));
}

void unlink(const pid& other, bool flush) {
    process* me = current("coronet::unlink");
    if (!me->ext) return;
    if (erase_pid(me->ext->links, other))
        post_signal(me->home->rt, other, make_signal<sig_unlink>(pid_of(me)));
    if (flush)
        remove_from_mailbox(me, [&](message& m) {
            return holds<exit_msg>(m) && static_cast<exit_msg*>(m.data())->from == other;
        });
}

void trap_exit(bool on) {
    current("coronet::trap_exit")->extension().trap = on;
}

bool trapping_exits() {
    process* me = current("coronet::trapping_exits");
    return me->ext && me->ext->trap;
}

void exit(const pid& target, exit_reason reason) {
    process* me = current("coronet::exit");
    post_signal(me->home->rt, target,
                make_signal<sig_exit_signal>(pid_of(me), std::move(reason), false));
}

monitor_ref monitor(const pid& target) {
    process* me = current("coronet::monitor");
    auto& ext = me->extension();
    const std::uint64_t id = ext.next_monitor++;
    ext.monitors.push_back({id, target});
    runtime_impl& rt = me->home->rt;
    const bool remote = target.node != rt.node && target;  // (post_signal: router or noconnection)
    if (!remote && !rt.is_local(target))  // no such process here: noproc at once (MO-1)
        post_signal(me->home->rt, pid_of(me),
                    make_signal<sig_down>(target, id, exit_reason{exit_kind::noproc, nullptr, {}}));
    else
        post_signal(me->home->rt, target, make_signal<sig_monitor>(pid_of(me), id));
    return monitor_ref{pid_of(me), id};
}

void detail::deliver_remote_monitor(runtime& rt, const pid& target, const pid& watcher,
                                    std::uint64_t id) {
    runtime_impl& r = *rt.impl();
    if (r.is_local(target)) {
        post_signal(r, target, make_signal<sig_monitor>(watcher, id));
    } else {  // not a process of this node (any more): noproc at once
        post_signal(r, watcher,
                    make_signal<sig_down>(target, id, exit_reason{exit_kind::noproc, nullptr, {}}));
    }
}

void detail::deliver_remote_link(runtime& rt, const pid& target, const pid& from) {
    runtime_impl& r = *rt.impl();
    if (r.is_local(target)) {
        post_signal(r, target, make_signal<sig_link>(from));
    } else {  // not a process of this node (any more): noproc at once
        post_signal(r, from,
                    make_signal<sig_exit_signal>(
                        target, exit_reason{exit_kind::noproc, nullptr, {}}, true));
    }
}

void detail::deliver_remote_unlink(runtime& rt, const pid& target, const pid& from) {
    post_signal(*rt.impl(), target, make_signal<sig_unlink>(from));
}

void detail::deliver_remote_exit(runtime& rt, const pid& target, const pid& from,
                                 exit_reason reason, bool via_link) {
    post_signal(*rt.impl(), target,
                make_signal<sig_exit_signal>(from, std::move(reason), via_link));
}

void detail::deliver_remote_demonitor(runtime& rt, const pid& target, const pid& watcher,
                                      std::uint64_t id) {
    post_signal(*rt.impl(), target, make_signal<sig_demonitor>(watcher, id));
}

void detail::deliver_remote_down(runtime& rt, const pid& watcher, std::uint64_t id, const pid& who,
                                 exit_reason reason) {
    post_signal(*rt.impl(), watcher, make_signal<sig_down>(who, id, std::move(reason)));
}

void demonitor(const monitor_ref& ref, bool flush) {
    process* me = current("coronet::demonitor");
    if (ref.owner != pid_of(me))
        throw std::logic_error("coronet::demonitor: not this process's monitor");
    if (me->ext) {
        auto& mine = me->ext->monitors;
        auto it =
            std::find_if(mine.begin(), mine.end(), [&](const auto& e) { return e.id == ref.id; });
        if (it != mine.end()) {
            post_signal(me->home->rt, it->target, make_signal<sig_demonitor>(pid_of(me), ref.id));
            mine.erase(it);
        }
    }
    if (flush)
        remove_from_mailbox(me, [&](message& m) {
            return holds<down_msg>(m) && static_cast<down_msg*>(m.data())->ref == ref;
        });
}

}  // namespace coronet
