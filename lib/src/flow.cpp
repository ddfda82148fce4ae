// Back pressure towards other nodes (detail/remote_route.hpp's flow_gate),
// and what a router needs to know about the calling worker.

#include <mutex>
#include <utility>
#include <vector>

#include "coronet/detail/remote_route.hpp"
#include "coronet/runtime.hpp"
#include "internal/core.hpp"
#include "internal/process.hpp"
#include "internal/runtime_impl.hpp"
#include "internal/signals.hpp"
#include "internal/worker.hpp"

namespace coronet::detail {

struct gate_access {
    static std::mutex& m(flow_gate& g) noexcept { return g.m_; }
    static std::vector<pid>& paused(flow_gate& g) noexcept { return g.paused_; }
};

void flow_gate::open(runtime& rt) {
    std::vector<pid> ps;
    {
        const std::lock_guard lock(m_);
        closed_.store(false, std::memory_order_release);
        ps.swap(paused_);
    }
    for (const pid& p : ps) post_signal(*rt.impl(), p, make_signal<sig_unthrottle>());
}

void throttle_current(const std::shared_ptr<flow_gate>& gate) noexcept {
    process* p = current_process();
    if (!p) return;
    try {
        auto& mine = p->extension().gate;
        if (!mine) ++p->home->throttled;
        mine = gate;
    } catch (...) {  // (out of memory: this sender is not paused)
    }
}

int current_worker_index(const runtime& rt) noexcept {
    return tl_worker && &tl_worker->rt == rt.impl() ? static_cast<int>(tl_worker->index) : -1;
}

std::uint32_t worker_count(const runtime& rt) noexcept {
    return static_cast<std::uint32_t>(rt.impl()->workers.size());
}

bool worker::pause_throttled(process* p) {
    std::shared_ptr<flow_gate>& gate = p->ext->gate;
    try {
        const std::lock_guard lock(gate_access::m(*gate));
        if (gate->closed()) {
            gate_access::paused(*gate).push_back(pid_of(p));
            p->ext->paused = true;
            return true;  // (the gate stays: sig_unthrottle makes it runnable)
        }
    } catch (...) {  // (out of memory: not paused)
    }
    drop_gate(p);
    return false;
}

void worker::drop_gate(process* p) noexcept {
    if (!p->ext || !p->ext->gate) return;
    p->ext->gate.reset();
    p->ext->paused = false;
    --throttled;
}

void worker::flush_remote() {
    remote_dirty = false;
    const runtime_impl::router_use use(rt);
    if (remote_router* r = use.get()) {
        try {
            r->flush(index);
        } catch (...) {  // (a router must not throw here)
        }
    }
}

}  // namespace coronet::detail
