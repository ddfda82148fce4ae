// request_stop (SEMANTICS CX-7): a request message, a reply message, and a
// monitor so that a target that exits without answering gives false.

#include "coronet/stop.hpp"

#include "coronet/monitor.hpp"
#include "coronet/self.hpp"
#include "internal/core.hpp"

namespace coronet {

namespace {

/// The target's answer, in the requester's mailbox until request_stop takes it.
struct stop_reply {
    std::uint64_t id;
    bool accepted;
};

void answer(const stop_request& r, bool yes) {
    send(r.from, stop_reply{r.id, yes});
}

}  // namespace

void stop_request::accept() const {
    answer(*this, true);
}
void stop_request::refuse() const {
    answer(*this, false);
}

task<bool> request_stop(pid target, duration timeout) {
    detail::library_wait lw("coronet::request_stop");
    auto s = self();
    const monitor_ref ref = monitor(target);
    // The monitor id is unique in this process: it names the request too.
    send(target, stop_request{s.id(), ref.id});
    std::optional<bool> answer;
    co_await s.receive_for(timeout,
                           guard([&](const stop_reply& r) { return r.id == ref.id; },
                                 [&](const stop_reply& r) { answer = r.accepted; }),
                           guard([&](const down_msg& d) { return d.ref == ref; },
                                 [&](const down_msg&) { answer = false; }));
    demonitor(ref, true);
    // A reply that raced with the timeout or the down is dropped, not left behind.
    const std::uint64_t id = ref.id;
    detail::remove_from_mailbox(detail::current_process(), [id](detail::message& m) {
        return detail::holds<stop_reply>(m) && static_cast<stop_reply*>(m.data())->id == id;
    });
    co_return answer.value_or(false);
}

bool stop_requested() {
    bool found = false;
    detail::process* p = detail::require_process("coronet::stop_requested");
    for (detail::message* m = p->mb_head.load(std::memory_order_relaxed); m && !found;
         m = m->next.load(std::memory_order_relaxed))
        found = detail::holds<stop_request>(*m);
    return found;
}

}  // namespace coronet
