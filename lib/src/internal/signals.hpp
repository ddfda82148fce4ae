#pragma once
// System messages between workers. They travel through the same inbox as
// user messages, so per-pair order of messages and signals holds (MO-4).
// Pointers in them are retained by the sender and released by the handler.

#include <any>
#include <string>

#include "coronet/detail/message_node.hpp"
#include "coronet/exit_reason.hpp"
#include "coronet/pid.hpp"

namespace coronet::detail {

struct process;

struct sig_adopt {  // a process spawned onto this worker from elsewhere
    process* p;
};
struct sig_cancel {  // target: m->target
    exit_kind kind;
    std::string why;
};
struct sig_resume {};      // target: m->target
struct sig_unthrottle {};  // target: m->target; its flow gate opened
struct sig_watch {         // register `who` as a watcher of `target` (on this worker)
    process* target;
    process* who;
    std::uint64_t watch_id;
    std::uint32_t index;
};
struct sig_unwatch {     // drop `who`'s watcher entries of watch `watch_id` on `target`
    process* target;     // retained
    const process* who;  // compared only
    std::uint64_t watch_id;
};
struct sig_exit_notice {  // `who` (on this worker): member `index` of watch `watch_id` exited
    process* who;
    std::uint64_t watch_id;
    std::uint32_t index;
};
struct sig_child_exited {  // `parent` (on this worker): `child` exited
    process* parent;
    process* child;
};

// Links and monitors (links.cpp). Target: m->target / m->target_slot.
struct sig_link {
    pid from;
};
struct sig_unlink {
    pid from;
};
struct sig_exit_signal {
    pid from;
    exit_reason reason;
    bool via_link;  // false: coronet::exit(pid, reason)
};
struct sig_monitor {
    pid watcher;
    std::uint64_t id;
};
struct sig_demonitor {
    pid watcher;
    std::uint64_t id;
};
struct sig_down {  // to the watcher
    pid who;
    std::uint64_t id;
    exit_reason reason;
};

struct sig_swap {};
struct blocking_pool_impl;
class sync_base;
struct sig_sync {  // target: a process waiting for `prim` (sync.cpp)
    sync_base* prim;
    std::uint64_t wait_id;
    std::uint32_t want;
};
struct sig_ext_wake {  // target: a process in an ext_wait that was completed
    std::uint64_t wait_id;
};
struct sig_job_done {  // target: the process that waits for the job (blocking.cpp)
    std::uint64_t wait_id;
};
struct sig_job_space {  // target: a process waiting for room in `pool`'s queue
    blocking_pool_impl* pool;
    std::uint64_t wait_id;
};
struct sig_ready {  // target: the starter; `from` is ready (start.cpp)
    pid from;
    std::any value;
};  // target: m->target; a swap request is queued (hot_swap.cpp)

struct sig_name_owned {  // target: the holder of a name registered from elsewhere
    std::string name;
};

template <class S, class... A>
message* make_signal(A&&... a) {
    return make_message<S, msg_kind::signal>(S{std::forward<A>(a)...});
}
template <class S>
bool is_signal(const message* m) noexcept {
    return m->type == &msg_type_of<S, msg_kind::signal>;
}
template <class S>
S& signal_data(message* m) noexcept {
    return *static_cast<S*>(m->data());
}

}  // namespace coronet::detail
