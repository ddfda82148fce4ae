// Exit hooks and per-runtime module state (detail/module_hooks.hpp).

#include "coronet/detail/module_hooks.hpp"

#include "internal/core.hpp"

namespace coronet::detail {

void add_exit_hook(exit_hook& h) {
    process* p = require_process("coronet: a process-owned resource");
    auto& ext = p->extension();
    h.owner = p;
    h.prev = nullptr;
    h.next = ext.exit_hooks;
    if (h.next) h.next->prev = &h;
    ext.exit_hooks = &h;
}

bool remove_exit_hook(exit_hook& h) noexcept {
    process* p = current_process();
    if (!p || p != h.owner || p->state == pstate::exited) return false;
    if (h.prev)
        h.prev->next = h.next;
    else
        p->ext->exit_hooks = h.next;
    if (h.next) h.next->prev = h.prev;
    h.prev = h.next = nullptr;
    h.owner = nullptr;
    return true;
}

void run_exit_hooks(process* p) noexcept {
    while (exit_hook* h = p->ext->exit_hooks) {
        p->ext->exit_hooks = h->next;
        if (h->next) h->next->prev = nullptr;
        h->prev = h->next = nullptr;
        h->owner = nullptr;
        h->run(*h);  // may free the record that holds h
    }
}

std::shared_ptr<void> runtime_extension(runtime_impl* rt, const void* key,
                                        std::shared_ptr<void> (*make)()) {
    std::lock_guard lk(rt->modules_m);
    for (auto& [k, v] : rt->modules)
        if (k == key) return v;
    auto v = make();
    rt->modules.emplace_back(key, v);
    return v;
}

}  // namespace coronet::detail
