#pragma once
// The runtime's shared state.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "coronet/detail/remote_route.hpp"
#include "coronet/runtime.hpp"
#include "internal/worker.hpp"

namespace coronet::detail {

struct swap_ctl;
struct blocking_pool_impl;

class runtime_impl {
  public:
    explicit runtime_impl(runtime_config c);
    ~runtime_impl();

    time_point now() const noexcept {
        if (virtual_clock) return time_point{vnow.load(std::memory_order_relaxed)};
        return std::chrono::duration_cast<time_point>(std::chrono::steady_clock::now() - start);
    }
    bool is_local(const pid& p) const noexcept {
        return p.node == node && p.incarnation == incarnation && p.worker() < workers.size();
    }
    pid make_pid(std::uint32_t slot, std::uint64_t serial) const noexcept {
        return pid{node, incarnation, slot, serial};
    }
    void dead_letter(const pid& to, message* m);
    /// A message dropped on arrival for `why` (a late call reply:
    /// "alias_inactive"): counted, traced (on_drop), freed.
    void dropped(const pid& to, message* m, std::string_view why);
    /// The same without freeing `m`.
    void count_drop(const pid& to, const message& m, std::string_view why) noexcept;
    /// True when the calling thread may touch `home` directly: it runs that
    /// worker, or it drives every worker (virtual clock, outside the loop).
    bool owns(const worker* home) const noexcept {
        return home == tl_worker || (!tl_worker && virtual_clock);
    }

    // roots
    void add_root(process* p);
    void root_exited(process* p);

    // driving
    void start_threads();
    void stop_threads();
    /// Virtual clock: steps every worker until `done()` or nothing can
    /// happen; returns false in the latter case.
    template <class Done>
    bool drive(Done&& done);
    std::vector<pid> root_pids();

    runtime_config cfg;
    code_registry code;  // before the workers: outlives every process
    const bool virtual_clock;
    std::uint64_t node;
    std::uint32_t incarnation;
    std::vector<std::unique_ptr<worker>> workers;
    std::chrono::steady_clock::time_point start;
    std::atomic<std::int64_t> vnow{0};
    std::atomic<std::uint64_t> outside_counter{0};
    std::atomic<std::uint64_t> dead_letters{0};
    std::atomic<std::uint64_t> dropped_replies{0};
    std::atomic<std::uint64_t> spawned{0};
    std::atomic<std::uint64_t> exited{0};
    std::atomic<std::int64_t> roots{0};
    std::atomic<bool> stopping{false};
    std::atomic<remote_router*> router{nullptr};  ///< other nodes' pids (remote_route.hpp)
    std::atomic<std::uint32_t> router_calls{0};   ///< calls into `router` in progress

    /// The router for one call (null if none), kept installed until the
    /// object goes: set_remote_router(nullptr) waits for every such call.
    class router_use {
      public:
        explicit router_use(runtime_impl& rt) noexcept : rt_(rt) {
            rt_.router_calls.fetch_add(1, std::memory_order_seq_cst);
            r_ = rt_.router.load(std::memory_order_seq_cst);
        }
        ~router_use() { rt_.router_calls.fetch_sub(1, std::memory_order_release); }
        router_use(const router_use&) = delete;
        router_use& operator=(const router_use&) = delete;
        remote_router* get() const noexcept { return r_; }

      private:
        runtime_impl& rt_;
        remote_router* r_ = nullptr;
    };
    bool threads_started = false;
    bool shut_down = false;
    int master_ep = -1;

    // blocking pools (blocking.cpp); the default one first
    std::vector<std::shared_ptr<blocking_pool_impl>> pools;
    std::atomic<std::int64_t> jobs_outstanding{0};
    std::atomic<std::uint64_t> next_wait_id{0};
    /// A pool thread posted to a worker: wakes a virtual-clock driver that
    /// waits for blocking jobs.
    void external_event() {
        if (!virtual_clock) return;  // only a virtual-clock driver waits for it
        {
            std::lock_guard lk(ext_m);
            ++ext_events;
        }
        ext_cv.notify_all();
    }
    /// Waits up to `d` of real time for an external event; true if one came.
    bool wait_external(std::chrono::milliseconds d) {
        std::unique_lock lk(ext_m);
        const bool got = ext_cv.wait_for(lk, d, [&] { return ext_events > 0; });
        ext_events = 0;
        return got;
    }
    std::mutex ext_m;
    std::condition_variable ext_cv;
    std::uint64_t ext_events = 0;  // guarded by ext_m

    std::mutex swap_m;
    std::unordered_map<std::uint64_t, std::shared_ptr<swap_ctl>> swappable;  // by serial; swap_m

    // other modules' per-runtime state (module_hooks.hpp), destroyed first
    std::mutex modules_m;
    std::vector<std::pair<const void*, std::shared_ptr<void>>> modules;  // guarded by modules_m

    std::mutex names_m;
    std::unordered_map<std::string, pid> names;  // guarded by names_m

    std::mutex m;
    std::condition_variable cv;
    std::unordered_set<process*> root_set;  // guarded by m; retained
    std::exception_ptr root_failure;        // guarded by m
    bool tearing_down = false;              // guarded by m
};

}  // namespace coronet::detail
