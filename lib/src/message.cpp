// Message node allocation (per-thread free lists) and the to_string helpers.

#include <sstream>

#include "coronet/detail/message_node.hpp"
#include "coronet/detail/pool.hpp"
#include "coronet/exit_reason.hpp"
#include "coronet/pid.hpp"
#include "internal/core.hpp"

namespace coronet::detail {

message* alloc_message() {
    return ::new (pool_alloc(sizeof(message))) message;
}

hooked_message* alloc_hooked_message(message_hook* hook, void* tag) {
    auto* m = ::new (pool_alloc(sizeof(hooked_message))) hooked_message;
    m->flags = msg_hooked;
    m->hook = hook;
    m->tag = tag;
    return m;
}

void free_message(message* m) noexcept {
    if (m->flags & msg_hooked) [[unlikely]] {
        auto* h = static_cast<hooked_message*>(m);
        h->hook->freed(*h);
        if (m->type) m->type->destroy(m->data());
        h->~hooked_message();
        pool_free(h, sizeof(hooked_message));
        return;
    }
    if (m->type) m->type->destroy(m->data());
    m->~message();
    pool_free(m, sizeof(message));
}

}  // namespace coronet::detail

namespace coronet {

std::string to_string(const pid& p) {
    std::ostringstream os;
    os << '<' << std::hex << (p.node & 0xffffu) << std::dec << ':' << p.incarnation << '.'
       << (p.serial >> 16) << '.' << ((p.serial >> 8) & 0xffu) << '.' << (p.serial & 0xffu) << '>';
    return os.str();
}

const char* to_string(exit_kind k) noexcept {
    switch (k) {
        case exit_kind::normal:
            return "normal";
        case exit_kind::shutdown:
            return "shutdown";
        case exit_kind::cancelled:
            return "cancelled";
        case exit_kind::error:
            return "error";
        case exit_kind::killed:
            return "killed";
        case exit_kind::noproc:
            return "noproc";
        case exit_kind::noconnection:
            return "noconnection";
        case exit_kind::swap_failed:
            return "swap_failed";
    }
    return "?";
}

std::string detail::describe(const std::exception_ptr& e) {
    try {
        std::rethrow_exception(e);
    } catch (const std::exception& x) {
        return x.what();
    } catch (...) {
        return "unknown exception";
    }
}

std::string to_string(const exit_reason& r) {
    std::string s = to_string(r.kind);
    if (r.kind == exit_kind::error && r.error) {
        s += ": ";
        s += detail::describe(r.error);
    } else if (!r.detail.empty()) {
        s += ": ";
        s += r.detail;
    }
    return s;
}

}  // namespace coronet
