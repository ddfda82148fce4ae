// call(): the per-call alias of the calling process (SEMANTICS RPC-1). The
// worker's deliver_user drops replies whose alias is not the active one.

#include "coronet/call.hpp"

#include <stdexcept>
#include <string>

#include "internal/core.hpp"
#include "internal/process.hpp"
#include "internal/runtime_impl.hpp"
#include "internal/worker.hpp"

namespace coronet {

const char* to_string(call_errc e) noexcept {
    switch (e) {
        case call_errc::timeout:
            return "timeout";
        case call_errc::noproc:
            return "noproc";
        case call_errc::noconnection:
            return "noconnection";
    }
    return "unknown";
}

call_error::call_error(call_errc code, const std::string& detail)
    : std::runtime_error(std::string("coronet::call: ") + to_string(code) + ": " + detail),
      code_(code) {}

namespace detail {

std::uint64_t begin_call() {
    process* me = require_process("coronet::call");
    process_ext& ext = me->extension();
    if (ext.call_alias != 0)
        throw std::logic_error(
            "coronet::call: this process is already in a call (make parallel calls from child "
            "processes)");
    ext.call_alias = ext.next_alias++;
    return ext.call_alias;
}

void end_call(std::uint64_t alias) noexcept {
    process* me = current_process();
    if (!me || !me->ext || me->ext->call_alias != alias) return;
    me->ext->call_alias = 0;
    if (me->state == pstate::exited) return;
    runtime_impl& rt = me->home->rt;
    const pid self = pid_of(me);
    remove_from_mailbox(me, [&](message& m) {
        if (!(m.flags & msg_reply) || m.type->reply_alias(m.data()) != alias) return false;
        rt.count_drop(self, m, "alias_inactive");
        return true;
    });
}

}  // namespace detail

}  // namespace coronet
