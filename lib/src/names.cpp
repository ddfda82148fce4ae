// The node's name registry (NM-1): one map per runtime, under a mutex (names
// are looked up far less often than messages are sent). A name is also
// recorded in its holder's extension record, which releases it at exit.

#include "coronet/names.hpp"

#include <algorithm>
#include <stdexcept>

#include "internal/core.hpp"
#include "internal/signals.hpp"

namespace coronet::detail {

namespace {

runtime_impl& rt_of(runtime_impl* rt, const char* what) {
    if (rt) return *rt;
    if (runtime_impl* r = current_runtime()) return *r;
    throw std::logic_error(std::string(what) + " outside a process needs the runtime's member");
}

}  // namespace

bool register_name_impl(runtime_impl& rt, std::string name, const pid& p) {
    if (!rt.is_local(p)) return false;
    worker* home = rt.workers[p.worker()].get();
    const bool owner_thread = rt.owns(home);
    process* holder = nullptr;
    if (owner_thread) {
        holder = home->table.find(p.slot, p.serial);
        if (!holder || holder->state != pstate::running) return false;
    }
    {
        std::lock_guard lk(rt.names_m);
        if (!rt.names.emplace(name, p).second) return false;
    }
    if (holder) {
        holder->extension().names.push_back(std::move(name));
    } else {
        // The holder lives on another worker: it records the name itself, or
        // releases it at once if it has exited meanwhile.
        message* m = make_signal<sig_name_owned>(std::move(name));
        m->target = p.serial;
        m->target_slot = p.slot;
        home->post(m);
    }
    return true;
}

bool unregister_name_impl(runtime_impl& rt, std::string_view name) {
    {
        std::lock_guard lk(rt.names_m);
        auto it = rt.names.find(std::string(name));
        if (it == rt.names.end()) return false;
        rt.names.erase(it);
    }
    // The caller's own record forgets it too (a holder on another worker
    // keeps a stale entry until it exits; release_names checks the pid).
    if (process* me = current_process(); me && me->ext) {
        auto& v = me->ext->names;
        v.erase(std::remove(v.begin(), v.end(), name), v.end());
    }
    return true;
}

bool unregister_name_if_impl(runtime_impl& rt, std::string_view name, const pid& holder) {
    // (the holder's record keeps the name until it exits; release_names
    // checks the pid, so a later holder of the name keeps it)
    std::lock_guard lk(rt.names_m);
    auto it = rt.names.find(std::string(name));
    if (it == rt.names.end() || it->second != holder) return false;
    rt.names.erase(it);
    return true;
}

std::optional<pid> whereis_impl(runtime_impl& rt, std::string_view name) {
    std::lock_guard lk(rt.names_m);
    auto it = rt.names.find(std::string(name));
    if (it == rt.names.end()) return std::nullopt;
    return it->second;
}

void release_names(process* p) {
    if (!p->ext || p->ext->names.empty()) return;
    runtime_impl& rt = p->home->rt;
    const pid me = pid_of(p);
    std::lock_guard lk(rt.names_m);
    for (const std::string& n : p->ext->names) {
        auto it = rt.names.find(n);
        if (it != rt.names.end() && it->second == me) rt.names.erase(it);
    }
    p->ext->names.clear();
}

void name_owned(worker& w, message* m) {
    auto& s = signal_data<sig_name_owned>(m);
    process* p = w.table.find(m->target_slot, m->target);
    if (p && p->state == pstate::running) {
        p->extension().names.push_back(std::move(s.name));
        return;
    }
    const pid gone = w.rt.make_pid(m->target_slot, m->target);
    std::lock_guard lk(w.rt.names_m);
    auto it = w.rt.names.find(s.name);
    if (it != w.rt.names.end() && it->second == gone) w.rt.names.erase(it);
}

void send_named(runtime_impl* rt_in, std::string_view name, message* m, bool* found) {
    runtime_impl* rt = rt_in ? rt_in : current_runtime();
    if (!rt) {
        free_message(m);
        throw std::logic_error("coronet::send(name) outside a process needs runtime::send");
    }
    std::optional<pid> to = whereis_impl(*rt, name);
    if (found) *found = to.has_value();
    if (!to) {
        rt->dead_letter(pid{}, m);
        return;
    }
    send_impl(rt, *to, m);
}

}  // namespace coronet::detail

namespace coronet {

bool register_name(std::string name, const pid& p) {
    detail::require_process("coronet::register_name");
    return detail::register_name_impl(*detail::current_runtime(), std::move(name), p);
}
bool unregister_name(std::string_view name) {
    return detail::unregister_name_impl(detail::rt_of(nullptr, "coronet::unregister_name"), name);
}
std::optional<pid> whereis(std::string_view name) {
    return detail::whereis_impl(detail::rt_of(nullptr, "coronet::whereis"), name);
}

}  // namespace coronet
