// The runtime: configuration, roots, threads, the virtual-clock driver,
// shutdown.

#include "coronet/runtime.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <algorithm>
#include <mutex>
#include <sstream>

#include "internal/blocking_pool.hpp"
#include "internal/core.hpp"
#include "internal/runtime_impl.hpp"
#include "internal/signals.hpp"

namespace coronet::detail {

namespace {
std::atomic<std::uint32_t> g_incarnation{0};

std::uint64_t fnv1a(std::string_view s) noexcept {
    std::uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
    return h;
}
}  // namespace

std::uint64_t node_id_of(std::string_view name) noexcept {
    return fnv1a(name);
}

runtime_impl::runtime_impl(runtime_config c)
    : cfg(std::move(c)),
      virtual_clock(cfg.clock == clock_kind::virtual_),
      node(fnv1a(cfg.node_name)),
      incarnation(g_incarnation.fetch_add(1) + 1),
      start(std::chrono::steady_clock::now()) {
    std::uint32_t n = cfg.workers ? cfg.workers : std::max(1u, std::thread::hardware_concurrency());
    n = std::min<std::uint32_t>(n, 255);
    cfg.workers = n;
    for (std::uint32_t i = 0; i < n; ++i) workers.push_back(std::make_unique<worker>(*this, i));
    const std::uint32_t bt = cfg.blocking_threads
                                 ? cfg.blocking_threads
                                 : std::max(4u, 2 * std::thread::hardware_concurrency());
    pools.push_back(std::make_shared<blocking_pool_impl>(
        this, "default", bt, std::max<std::size_t>(1, cfg.blocking_queue)));
    if (virtual_clock) {
        master_ep = ::epoll_create1(EPOLL_CLOEXEC);
        for (auto& w : workers) {
            epoll_event ev{};
            ev.events = EPOLLIN;
            ev.data.u32 = w->index;
            ::epoll_ctl(master_ep, EPOLL_CTL_ADD, w->epfd, &ev);
        }
    }
}

runtime_impl::~runtime_impl() {
    if (master_ep >= 0) ::close(master_ep);
}

void runtime_impl::dead_letter(const pid& to, message* m) {
    dead_letters.fetch_add(1, std::memory_order_relaxed);
    if (cfg.on_dead_letter) {
        try {
            cfg.on_dead_letter(to, m->type->name);
        } catch (...) {
        }
    }
    free_message(m);
}

void runtime_impl::count_drop(const pid& to, const message& m, std::string_view why) noexcept {
    dropped_replies.fetch_add(1, std::memory_order_relaxed);
    if (cfg.on_drop) {
        try {
            cfg.on_drop(to, m.type->name, why);
        } catch (...) {
        }
    }
}

void runtime_impl::dropped(const pid& to, message* m, std::string_view why) {
    count_drop(to, *m, why);
    free_message(m);
}

void runtime_impl::add_root(process* p) {
    retain(p);
    roots.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lk(m);
    root_set.insert(p);
}

std::vector<pid> runtime_impl::root_pids() {
    std::lock_guard lk(m);
    std::vector<pid> out;
    for (process* p : root_set) out.push_back(make_pid(p->slot, p->serial));
    return out;
}

void runtime_impl::root_exited(process* p) {
    const exit_reason* r = p->reason;
    std::vector<process*> others;
    {
        std::lock_guard lk(m);
        root_set.erase(p);
        if (r && !(p->ext && p->ext->isolated) &&
            (r->kind == exit_kind::error || r->kind == exit_kind::killed)) {
            // LK-4: an uncaught failure at the root tears the whole tree down.
            if (!root_failure)
                root_failure = r->error ? r->error : std::make_exception_ptr(exit_error(*r));
            if (!tearing_down) {
                tearing_down = true;
                for (process* o : root_set) {
                    retain(o);
                    others.push_back(o);
                }
            }
        }
    }
    for (process* o : others) {
        cancel_remote(o, exit_kind::shutdown, "root failure");
        release(o);
    }
    release(p);  // root_set's reference
    if (roots.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard lk(m);
        tearing_down = false;
        cv.notify_all();
    }
}

void runtime_impl::start_threads() {
    if (threads_started || virtual_clock) return;
    threads_started = true;
    for (auto& w : workers) {
        worker* wp = w.get();
        w->thread = std::thread([wp] { wp->thread_main(); });
    }
}

void runtime_impl::stop_threads() {
    if (!threads_started) return;
    stopping.store(true, std::memory_order_seq_cst);
    for (auto& w : workers) {
        w->sleeping.store(true);
        w->wake();
    }
    for (auto& w : workers)
        if (w->thread.joinable()) w->thread.join();
    threads_started = false;
}

template <class Done>
bool runtime_impl::drive(Done&& done) {
    for (;;) {
        std::uint64_t progress = 0;
        for (auto& w : workers) progress += w->step(4096);
        if (progress) continue;
        if (done()) return true;
        // Blocking jobs take no virtual time: wait for them (in real time)
        // before the clock moves, unless one runs longer than virtual_job_wait.
        if (jobs_outstanding.load(std::memory_order_acquire) > 0 &&
            wait_external(
                std::chrono::duration_cast<std::chrono::milliseconds>(cfg.virtual_job_wait)))
            continue;
        time_point next = time_point::max();
        for (auto& w : workers) next = std::min(next, w->next_deadline());
        if (next != time_point::max()) {
            if (next.count() > vnow.load(std::memory_order_relaxed))
                vnow.store(next.count(), std::memory_order_relaxed);
            continue;
        }
        std::uint32_t io = 0;
        for (auto& w : workers) io += w->io_waiters;
        if (io) {
            epoll_event ev[8];
            const auto patience =
                std::chrono::duration_cast<std::chrono::milliseconds>(cfg.virtual_job_wait);
            ::epoll_wait(master_ep, ev, 8,
                         jobs_outstanding.load() > 0 ? static_cast<int>(patience.count()) : -1);
            continue;
        }
        if (jobs_outstanding.load(std::memory_order_acquire) > 0) continue;  // waited above
        return false;
    }
}

}  // namespace coronet::detail

namespace coronet {

using detail::runtime_impl;

runtime::runtime(runtime_config cfg) : impl_(std::make_unique<runtime_impl>(std::move(cfg))) {}

runtime::~runtime() {
    shutdown();
}

void runtime::cancel(const pid& target, std::string_view why) {
    detail::cancel_impl(impl_.get(), target, exit_kind::cancelled, std::string(why).c_str());
}

bool runtime::register_name(std::string name, const pid& p) {
    return detail::register_name_impl(*impl_, std::move(name), p);
}
bool runtime::unregister_name(std::string_view name, const pid& holder) {
    return detail::unregister_name_if_impl(*impl_, name, holder);
}
std::optional<pid> runtime::whereis(std::string_view name) const {
    return detail::whereis_impl(*impl_, name);
}
std::vector<std::pair<std::string, pid>> runtime::registered_names() const {
    std::vector<std::pair<std::string, pid>> out;
    {
        const std::lock_guard lk(impl_->names_m);
        out.assign(impl_->names.begin(), impl_->names.end());
    }
    std::sort(out.begin(), out.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    return out;
}

void runtime::resume(const pid& target) {
    detail::resume_impl(impl_.get(), target);
}

void runtime::run() {
    auto& r = *impl_;
    if (r.virtual_clock) {
        const bool ok = r.drive([&] { return r.roots.load() == 0; });
        if (!ok && r.roots.load() != 0) {
            std::ostringstream os;
            os << "coronet: deadlock on the virtual clock; blocked root processes:";
            for (const pid& p : r.root_pids()) os << ' ' << to_string(p);
            throw deadlock_error(os.str());
        }
    } else {
        r.start_threads();
        std::unique_lock lk(r.m);
        r.cv.wait(lk, [&] { return r.roots.load() == 0; });
    }
    std::exception_ptr e;
    {
        std::lock_guard lk(r.m);
        e = std::exchange(r.root_failure, nullptr);
    }
    if (e) std::rethrow_exception(e);
}

std::uint64_t runtime::run_until_idle() {
    auto& r = *impl_;
    if (!r.virtual_clock) throw std::logic_error("coronet: run_until_idle needs the virtual clock");
    std::uint64_t before = 0;
    for (auto& w : r.workers) before += w->resumptions;
    r.drive([] { return false; });
    std::uint64_t after = 0;
    for (auto& w : r.workers) after += w->resumptions;
    return after - before;
}

namespace {

/// Virtual clock: runs until `done()` or the clock would pass `until` (timers
/// at exactly `until` fire); the clock ends at `until` unless done() first.
template <class Done>
void run_until(detail::runtime_impl& r, std::int64_t until, Done&& done) {
    for (;;) {
        if (done()) return;
        std::uint64_t progress = 0;
        for (auto& w : r.workers) progress += w->step(4096);
        if (progress) continue;
        if (r.jobs_outstanding.load(std::memory_order_acquire) > 0 &&
            r.wait_external(
                std::chrono::duration_cast<std::chrono::milliseconds>(r.cfg.virtual_job_wait)))
            continue;
        time_point next = time_point::max();
        for (auto& w : r.workers) next = std::min(next, w->next_deadline());
        if (next.count() > until || next == time_point::max()) {
            r.vnow.store(std::max(r.vnow.load(), until));
            return;
        }
        r.vnow.store(std::max(r.vnow.load(), next.count()));
    }
}

}  // namespace

void runtime::run_for(duration d) {
    auto& r = *impl_;
    if (!r.virtual_clock) throw std::logic_error("coronet: run_for needs the virtual clock");
    run_until(r, r.vnow.load() + d.count(), [] { return false; });
}

void runtime::shutdown() {
    auto& r = *impl_;
    if (r.shut_down) return;
    r.shut_down = true;
    for (const pid& p : r.root_pids())
        detail::cancel_impl(&r, p, exit_kind::shutdown, "runtime shutdown");
    if (r.virtual_clock) {
        // No timer beyond the shutdown timeout fires: what is still waiting
        // then is destroyed below.
        run_until(r, r.vnow.load() + r.cfg.shutdown_timeout.count(),
                  [&] { return r.roots.load() == 0; });
    } else if (r.threads_started) {
        std::unique_lock lk(r.m);
        r.cv.wait_for(lk, r.cfg.shutdown_timeout, [&] { return r.roots.load() == 0; });
    }
    // Blocking pools: queued jobs dropped, running ones asked to stop and
    // given a short grace; a thread stuck in a call is left behind.
    for (auto& pool : r.pools) pool->stop(std::chrono::milliseconds(100));
    r.stop_threads();
    r.stopping.store(true);
    // What is left is destroyed children first (deepest first, the last
    // spawned first among siblings, as LT-4 orders a teardown).
    std::vector<std::pair<std::size_t, detail::process*>> left;
    for (auto& w : r.workers)
        w->table.for_each([&](detail::process* p) {
            std::size_t depth = 0;
            for (auto* a = p->parent; a; a = a->parent) ++depth;
            left.emplace_back(depth, p);
        });
    std::sort(left.begin(), left.end(), [](const auto& a, const auto& b) {
        return a.first != b.first ? a.first > b.first : a.second->serial > b.second->serial;
    });
    for (auto& [depth, p] : left) p->home->destroy_frame(p);
    for (auto& w : r.workers) w->destroy_leftovers_rest();
    std::lock_guard lk(r.m);
    for (auto* p : r.root_set) detail::release(p);
    r.root_set.clear();
    r.roots.store(0);  // all destroyed: a run() waiting in another thread returns
    r.cv.notify_all();
}

time_point runtime::now() const {
    return impl_->now();
}
std::uint32_t runtime::workers() const noexcept {
    return static_cast<std::uint32_t>(impl_->workers.size());
}
std::uint64_t runtime::node_id() const noexcept {
    return impl_->node;
}
const std::string& runtime::node_name() const noexcept {
    return impl_->cfg.node_name;
}
bool runtime::virtual_clock() const noexcept {
    return impl_->virtual_clock;
}
std::uint32_t runtime::incarnation() const noexcept {
    return impl_->incarnation;
}
runtime_stats runtime::stats() const noexcept {
    std::uint64_t delivered = 0;
    for (const auto& w : impl_->workers) delivered += w->delivered.load(std::memory_order_relaxed);
    return {impl_->dead_letters.load(), impl_->spawned.load(), impl_->exited.load(),
            impl_->dropped_replies.load(), delivered};
}
std::uint64_t runtime::live_processes() const noexcept {
    return impl_->spawned.load() - impl_->exited.load();
}
std::exception_ptr runtime::failure() const {
    std::lock_guard lk(impl_->m);
    return impl_->root_failure;
}

}  // namespace coronet

namespace coronet {

blocking_pool runtime::default_pool() noexcept {
    return blocking_pool(impl_->pools.front().get());
}

blocking_pool runtime::add_pool(std::string name, std::uint32_t threads, std::size_t capacity) {
    if (threads == 0 || capacity == 0)
        throw std::invalid_argument("coronet::runtime::add_pool: threads and capacity must be > 0");
    impl_->pools.push_back(std::make_shared<detail::blocking_pool_impl>(
        impl_.get(), std::move(name), threads, capacity));
    return blocking_pool(impl_->pools.back().get());
}

}  // namespace coronet
