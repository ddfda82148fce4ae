// Cancel scopes of one process (CX-4, CX-5). A deadline scope that fires
// counts in the process's `fired_deadlines`; a shield counts in `shields`.
// Every suspension point asks is_cancelled(), which combines them.

#include "coronet/cancel_scope.hpp"

#include "internal/core.hpp"

namespace coronet::detail {

namespace {

struct scope_state {
    timer_node timer;  // first member: the timer callback finds the state from it
    process* p;
    scope_kind kind;
    bool fired = false;
};

void scope_fired(timer_node* t) noexcept {
    auto* s = reinterpret_cast<scope_state*>(t);
    process* p = s->p;
    s->fired = true;
    if (s->kind == scope_kind::deadline) {
        ++p->fired_deadlines;
        if (is_cancelled(p)) wake_cancelled(p);
    } else {
        --p->shields;  // the budget is spent: the process is killed (CX-4)
        kill_local(p, "shielded section exceeded its budget");
    }
}

}  // namespace

cancel_scope::cancel_scope(scope_kind kind, time_point deadline) {
    process* p = require_process(kind == scope_kind::deadline ? "with_timeout" : "shielded");
    auto* s = new scope_state;
    s->p = p;
    s->kind = kind;
    s->timer.fire = &scope_fired;
    if (kind == scope_kind::shield) ++p->shields;
    if (deadline != time_point::max()) p->home->arm(&s->timer, deadline);
    state_ = s;
}

cancel_scope::~cancel_scope() {
    auto* s = static_cast<scope_state*>(state_);
    process* p = s->p;
    p->home->disarm(&s->timer);
    if (s->kind == scope_kind::deadline && s->fired) --p->fired_deadlines;
    if (s->kind == scope_kind::shield && !s->fired) --p->shields;
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
