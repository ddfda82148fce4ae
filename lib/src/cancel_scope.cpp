// Cancel scopes of one process (CX-4, CX-5). A shield counts in the
// process's `shields`. Open deadline scopes form a chain (innermost first)
// in the process's extension; the fired ones set `fired_depth`. Every
// suspension point asks is_cancelled(), which combines them.

#include "coronet/cancel_scope.hpp"

#include "internal/core.hpp"

namespace coronet::detail {

namespace {

struct scope_state {
    timer_node timer;  // first member: the timer callback finds the state from it
    process* p;
    scope_kind kind;
    bool fired = false;
    std::uint16_t depth = 0;       // shields open when it was opened (deadline scopes)
    scope_state* outer = nullptr;  // the enclosing open deadline scope
    scope_state* inner = nullptr;  // the open deadline scope inside this one
    std::uint64_t child_mark = 0;  // the worker's spawn counter when it was opened
};

/// The spawn counter in a child's serial (see spawn_impl_ex): children of one
/// process are all spawned on its worker, so it orders them.
std::uint64_t spawn_count_of(const process* c) noexcept {
    return c->serial >> 16;
}

/// A fired deadline scope owns the children spawned inside it (Trio): they
/// are cancelled with it, last spawned first. Not while a shield opened
/// inside the scope protects the process (it owns them then).
void cancel_scope_children(scope_state* s) {
    process* p = s->p;
    if (p->shields > s->depth) return;
    for (process* c = p->last_child; c && spawn_count_of(c) > s->child_mark; c = c->prev_sib)
        if (!c->cancel_sent) {
            c->cancel_sent = true;
            cancel_remote(c, exit_kind::cancelled, "deadline of the scope that spawned it");
        }
}

/// fired_depth from the chain of open deadline scopes.
void recompute_fired_depth(process* p) {
    std::uint8_t d = 0;
    for (auto* s = static_cast<scope_state*>(p->ext->deadline_scopes); s; s = s->outer)
        if (s->fired && s->depth + 1 > d) d = static_cast<std::uint8_t>(s->depth + 1);
    p->fired_depth = d;
}

void scope_fired(timer_node* t) noexcept {
    auto* s = reinterpret_cast<scope_state*>(t);
    process* p = s->p;
    s->fired = true;
    if (s->kind == scope_kind::deadline) {
        recompute_fired_depth(p);
        cancel_scope_children(s);
        if (is_cancelled(p)) wake_cancelled(p);
    } else {
        --p->shields;  // the budget is spent: the process is killed (CX-4)
        kill_local(p, "shielded section exceeded its budget");
    }
}

}  // namespace

cancel_scope::cancel_scope(scope_kind kind, time_point deadline) {
    process* p = require_process(kind == scope_kind::deadline ? "with_timeout" : "shielded");
    if (kind == scope_kind::shield && p->shields == max_shields)
        throw std::logic_error("coronet::shielded: nested more than 254 deep");
    auto* s = new scope_state;
    s->p = p;
    s->kind = kind;
    s->timer.fire = &scope_fired;
    if (kind == scope_kind::shield) {
        ++p->shields;
    } else {
        auto& ext = p->extension();
        s->depth = p->shields;
        s->child_mark = p->home->spawn_counter;
        s->outer = static_cast<scope_state*>(ext.deadline_scopes);
        if (s->outer) s->outer->inner = s;
        ext.deadline_scopes = s;
    }
    if (deadline != time_point::max()) p->home->arm(&s->timer, deadline);
    state_ = s;
}

cancel_scope::~cancel_scope() {
    auto* s = static_cast<scope_state*>(state_);
    process* p = s->p;
    p->home->disarm(&s->timer);
    if (s->kind == scope_kind::deadline) {
        // Usually the innermost closes first, but a frame destroyed where it
        // is suspended frees an outer scope (a local) before the inner ones
        // (in its parameters): unlink from anywhere in the chain.
        if (s->inner)
            s->inner->outer = s->outer;
        else
            p->ext->deadline_scopes = s->outer;
        if (s->outer) s->outer->inner = s->inner;
        if (s->fired) recompute_fired_depth(p);
    } else if (!s->fired && --p->shields == 0 && p->teardown_deferred) {
        // The last shield closed on a cancelled process: its children go now (CX-4).
        p->teardown_deferred = false;
        if (p->live_children > 0 && p->state == pstate::running) start_teardown(p, true);
    }
    delete s;
}

bool cancel_scope::fired() const noexcept {
    return static_cast<scope_state*>(state_)->fired;
}

bool cancel_scope::cancelled_from_outside() const noexcept {
    return static_cast<scope_state*>(state_)->p->cancelled;
}

time_point deadline_from_now(duration d) {
    return deadline_after(now_impl(), d);
}

}  // namespace coronet::detail
