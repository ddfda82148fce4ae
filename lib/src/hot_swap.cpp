// Hot swap (SEMANTICS HS-1..6). A swappable process registers a swap_ctl
// with its runtime; swap() queues a request there (any thread), then wakes
// the process with sig_swap. The process takes requests only at a swap
// point: between two handlers (behaviours), or at any receive (swappable
// functions, which are unwound there with swap_unwind).

#include "coronet/hot_swap.hpp"

#include <algorithm>
#include <deque>

#include "coronet/monitor.hpp"
#include "coronet/self.hpp"
#include "internal/core.hpp"
#include "internal/signals.hpp"

namespace coronet::detail {

struct swap_request {
    pid requester;
    std::uint64_t id = 0;
    behaviour_ref version;                             // behaviour form
    std::function<std::any(const std::any&)> migrate;  // optional
    process_body body;                                 // function form
    bool taken = false;                                // guarded by swap_ctl::m
};

struct swap_ctl {
    explicit swap_ctl(bool b) : behaviour_form(b) {}
    const bool behaviour_form;
    std::atomic<bool> pending{false};
    bool closed = false;  // the process has exited; guarded by runtime_impl::swap_m
    std::mutex m;
    std::deque<std::shared_ptr<swap_request>> queue;  // guarded by m

    /// The process commits to the next swap (it is about to unwind or to
    /// apply it): from now on the request cannot be withdrawn. False when
    /// none is queued any more.
    bool claim() {
        std::lock_guard lk(m);
        if (queue.empty()) return false;
        queue.front()->taken = true;
        return true;
    }

    std::shared_ptr<swap_request> take() {
        std::lock_guard lk(m);
        if (queue.empty()) return nullptr;
        auto r = std::move(queue.front());
        queue.pop_front();
        r->taken = true;
        pending.store(!queue.empty(), std::memory_order_release);
        return r;
    }
};

std::shared_ptr<swap_ctl> new_swap_ctl(bool behaviour_form) {
    return std::make_shared<swap_ctl>(behaviour_form);
}

void publish_swappable(runtime_impl* rt_in, const pid& p, const std::shared_ptr<swap_ctl>& ctl) {
    runtime_impl* rt = rt_in ? rt_in : current_runtime();
    std::lock_guard lk(rt->swap_m);
    if (!ctl->closed) rt->swappable[p.serial] = ctl;
}

bool claim_swap(const process* p) {
    return p->ext->swap && p->ext->swap->pending.load(std::memory_order_acquire) &&
           p->ext->swap->claim();
}

void swap_signal(worker& w, message* m) {
    process* p = w.table.find(m->target_slot, m->target);
    if (!p || p->state != pstate::running || p->waiting != wait_kind::receive || !p->ext ||
        !p->ext->swap_point)
        return;                  // not at a swap point now: it looks at the flag at its next one
    if (!claim_swap(p)) return;  // withdrawn meanwhile
    static_cast<receive_wait*>(p->wait_ctx)->outcome = wait_outcome::swap;
    finish_wait(p);
}

}  // namespace coronet::detail

namespace coronet {

using namespace detail;

const char* to_string(swap_status s) noexcept {
    switch (s) {
        case swap_status::ok:
            return "ok";
        case swap_status::swap_failed:
            return "swap_failed";
        case swap_status::not_quiescent:
            return "not_quiescent";
        case swap_status::noproc:
            return "noproc";
        case swap_status::not_swappable:
            return "not_swappable";
    }
    return "?";
}

namespace {

struct swap_reply {
    std::uint64_t id;
    swap_result result;
};

/// The current process as a swappable one, for its whole life: published by
/// its spawner (publish_swappable) and here, withdrawn at its exit.
class swappable_registration {
  public:
    explicit swappable_registration(std::shared_ptr<swap_ctl> ctl)
        : p_(require_process("coronet: a swappable process")), ctl_(std::move(ctl)) {
        publish_swappable(&p_->home->rt, pid_of(p_), ctl_);
        p_->extension().swap = ctl_.get();
        p_->wait_hooks = true;
    }
    ~swappable_registration() {
        p_->ext->swap = nullptr;
        p_->ext->swap_point = false;
        runtime_impl& rt = p_->home->rt;
        std::lock_guard lk(rt.swap_m);
        ctl_->closed = true;
        auto it = rt.swappable.find(p_->serial);
        if (it != rt.swappable.end() && it->second == ctl_) rt.swappable.erase(it);
        // Requests nobody will take: their callers see the down (noproc).
    }
    swappable_registration(const swappable_registration&) = delete;
    swappable_registration& operator=(const swappable_registration&) = delete;

    process* proc() const noexcept { return p_; }
    swap_ctl& ctl() const noexcept { return *ctl_; }

  private:
    process* p_;
    std::shared_ptr<swap_ctl> ctl_;
};

/// Takes the next message of the mailbox, whatever its type (owned by the
/// caller). At a swap point, throws swap_unwind when a swap is pending.
struct take_any_awaiter {
    receive_wait w;
    take_any_awaiter() {
        w.match = [](void*, message&) noexcept { return true; };
        w.timeout = infinite;
    }
    bool await_ready() { return receive_ready(w); }
    void await_suspend(std::coroutine_handle<> h) { receive_suspend(w, h); }
    message* await_resume() { return receive_take(w); }
};

struct owned_message {
    message* m;
    ~owned_message() {
        if (m) free_message(m);
    }
};

void reply(const swap_request& r, swap_result res) {
    send(r.requester, swap_reply{r.id, std::move(res)});
}

}  // namespace

void stop_behaviour() {
    process* p = require_process("coronet::stop_behaviour");
    if (!p->ext || !p->ext->swap || !p->ext->swap->behaviour_form)
        throw std::logic_error("coronet::stop_behaviour: not inside a behaviour");
    p->ext->behaviour_stop = true;
}

task<void> detail::behaviour_main(std::shared_ptr<swap_ctl> ctl, behaviour_ref b, std::any arg,
                                  behaviour_options opts) {
    if (!b) throw std::invalid_argument("coronet::spawn_behaviour: an empty behaviour_ref");
    swappable_registration reg(std::move(ctl));
    process* p = reg.proc();
    std::any state = b->init(arg);
    arg.reset();  // it may hold code of the library the spawner came from
    for (;;) {
        // A quiescent point (HS-2): no handler runs.
        while (auto req = reg.ctl().take()) {
            swap_result res;
            try {
                std::any next =
                    req->migrate ? req->migrate(state) : req->version->migrate(state, *b);
                state = std::move(next);  // the old state goes while its code is still held
                behaviour_ref old = std::exchange(b, req->version);
                if (auto& hook = p->home->rt.cfg.on_swap) {
                    try {
                        hook(pid_of(p), b->name(), old->version(), b->version());
                    } catch (...) {
                    }
                }
            } catch (...) {
                res = {swap_status::swap_failed, describe(std::current_exception())};
            }
            const bool failed = !res;
            const std::string why = res.error;
            reply(*req, std::move(res));
            if (failed && opts.exit_on_swap_failure)
                exit_current(exit_reason{exit_kind::swap_failed, nullptr, why});
        }
        message* m = nullptr;
        p->ext->swap_point = true;
        try {
            m = co_await take_any_awaiter{};
        } catch (const swap_unwind&) {
        }
        p->ext->swap_point = false;
        if (!m) continue;  // a swap is pending
        owned_message own{m};
        const bool handled = co_await b->handle(state, any_message{*m});
        if (!handled) {
            p->home->rt.dead_letter(pid_of(p), std::exchange(own.m, nullptr));
        }
        if (p->ext->behaviour_stop) co_return;
    }
}

task<void> detail::swappable_main(std::shared_ptr<swap_ctl> ctl, process_body body) {
    if (!body) throw std::invalid_argument("coronet::spawn_swappable: an empty process_body");
    swappable_registration reg(std::move(ctl));
    for (;;) {
        bool swapped = false;
        reg.proc()->ext->swap_point = true;
        try {
            co_await body();
        } catch (const swap_unwind&) {
            swapped = true;  // its frame is gone; its awaited message is still queued
        }
        reg.proc()->ext->swap_point = false;
        if (!swapped) co_return;
        while (auto req = reg.ctl().take()) {
            body = std::move(req->body);
            reply(*req, swap_result{});
        }
    }
}

namespace {

task<swap_result> request_swap(pid target, std::shared_ptr<swap_request> req, bool behaviour_form,
                               duration swap_timeout) {
    process* me = require_process("coronet::swap");
    runtime_impl& rt = me->home->rt;
    std::shared_ptr<swap_ctl> ctl;
    if (rt.is_local(target)) {
        std::lock_guard lk(rt.swap_m);
        auto it = rt.swappable.find(target.serial);
        if (it != rt.swappable.end()) ctl = it->second;
    }
    if (!ctl)
        co_return swap_result{swap_status::not_swappable,
                              to_string(target) + " is not a running swappable process"};
    if (ctl->behaviour_form != behaviour_form)
        co_return swap_result{
            swap_status::not_swappable,
            behaviour_form ? "a swappable function: use swap_body" : "a behaviour: use swap"};
    library_wait lw("coronet::swap");
    auto s = self();
    const monitor_ref ref = monitor(target);
    req->requester = s.id();
    req->id = ref.id;
    {
        std::lock_guard lk(ctl->m);
        ctl->queue.push_back(req);
        ctl->pending.store(true, std::memory_order_release);
    }
    message* wake = make_signal<sig_swap>();
    wake->target = target.serial;
    wake->target_slot = target.slot;
    worker* home = rt.workers[target.worker()].get();
    if (rt.owns(home))
        home->dispatch(wake);
    else
        home->post(wake);

    std::optional<swap_result> res;
    auto on_reply = guard([&](const swap_reply& r) { return r.id == ref.id; },
                          [&](swap_reply r) { res = std::move(r.result); });
    auto on_down = guard([&](const down_msg& d) { return d.ref == ref; },
                         [&](const down_msg&) {
                             res = swap_result{swap_status::noproc, to_string(target) + " exited"};
                         });
    co_await s.receive_for(swap_timeout, on_reply, on_down);
    if (!res) {
        {
            std::lock_guard lk(ctl->m);
            if (!req->taken) {  // withdrawn: it never runs (HS-2)
                ctl->queue.erase(std::find(ctl->queue.begin(), ctl->queue.end(), req));
                ctl->pending.store(!ctl->queue.empty(), std::memory_order_release);
                res = swap_result{swap_status::not_quiescent,
                                  "no swap point within the swap timeout"};
            }
        }
        if (!res) co_await s.receive_any(on_reply, on_down);  // taken: its answer is coming
    }
    demonitor(ref, true);
    co_return std::move(*res);
}

}  // namespace

task<swap_result> swap(pid target, behaviour_ref next, duration swap_timeout) {
    return swap(target, std::move(next), nullptr, swap_timeout);
}

task<swap_result> swap(pid target, behaviour_ref next,
                       std::function<std::any(const std::any&)> migrate, duration swap_timeout) {
    if (!next) throw std::invalid_argument("coronet::swap: an empty behaviour_ref");
    auto req = std::make_shared<swap_request>();
    req->version = std::move(next);
    req->migrate = std::move(migrate);
    return request_swap(target, std::move(req), true, swap_timeout);
}

task<swap_result> swap_body(pid target, process_body next, duration swap_timeout) {
    if (!next) throw std::invalid_argument("coronet::swap_body: an empty process_body");
    auto req = std::make_shared<swap_request>();
    req->body = std::move(next);
    return request_swap(target, std::move(req), false, swap_timeout);
}

}  // namespace coronet
