// Supervisors (SEMANTICS SV-1..8). A supervisor is an ordinary process that
// traps exits: its children's exits arrive as exit_msg (LK-1), requests as
// sup_call messages, and delayed restarts as the timeout of its receive.

#include "coronet/supervisor.hpp"

#include <algorithm>
#include <deque>
#include <list>
#include <random>
#include <set>

#include "coronet/link.hpp"
#include "coronet/monitor.hpp"
#include "coronet/names.hpp"
#include "coronet/self.hpp"
#include "internal/core.hpp"

namespace coronet {

namespace {

using namespace std::chrono_literals;

struct sup_call {
    enum class op : std::uint8_t { start, terminate, which };
    op what;
    pid from;
    std::uint64_t id;
    std::optional<child_spec> spec;
    std::any extra;
    std::string child_id;
};

struct sup_reply {
    std::uint64_t id;
    std::string error;
    pid started;
    std::vector<child_info> children;
};

struct kid {
    child_spec spec;
    pid id;
    std::any extra;
    int restarts = 0;
    int consecutive = 0;  // restarts in a row, for backoff
    time_point started_at{};
    std::optional<time_point> due;  // waiting to be (re)started
};

class supervisor_run {
  public:
    supervisor_run(supervisor_flags f, std::vector<child_spec> specs)
        : f_(std::move(f)), rng_(f_.seed) {
        validate(specs);
        if (f_.how == strategy::simple_one_for_one) {
            template_ = std::move(specs.front());
        } else {
            for (auto& s : specs) kids_.push_back(kid{std::move(s), {}, {}, 0, 0, {}, {}});
        }
    }

    task<void> run() {
        auto s = self();
        {
            detail::library_wait own_start("coronet::supervise");  // ready() says when
            for (auto it = kids_.begin(); it != kids_.end(); ++it) {
                std::string err;
                const bool started = co_await start_kid(*it, err);
                if (started) continue;
                for (auto r = std::make_reverse_iterator(it); r != kids_.rend(); ++r)
                    co_await terminate(*r);
                throw start_error(it->spec.id, err);
            }
        }
        ready();
        std::optional<exit_msg> em;
        std::optional<sup_call> call;
        for (;;) {
            em.reset();
            call.reset();
            co_await s.receive_for(
                until_next_due(), [&](exit_msg m) { em = std::move(m); },
                [&](sup_call c) { call = std::move(c); });
            if (em) co_await on_exit(*em);
            if (call) co_await on_call(*call);
            co_await start_due();
        }
    }

  private:
    static void validate(const std::vector<child_spec>& specs);

    shutdown_policy policy_of(const kid& k) const {
        if (k.spec.shutdown) return *k.spec.shutdown;
        return k.spec.type == child_type::supervisor ? shutdown_policy::infinity()
                                                     : shutdown_policy::timeout(5s);
    }

    duration until_next_due() const {
        std::optional<time_point> first;
        for (const auto& k : kids_)
            if (k.due && (!first || *k.due < *first)) first = k.due;
        if (!first) return infinite;
        return std::max(duration::zero(), *first - self().now());
    }

    /// Starts one child; false (and `err`) when its factory or start failed.
    task<bool> start_kid(kid& k, std::string& err) {
        k.due.reset();
        pid p;
        try {
            p = co_await k.spec.start(spawn_options{k.spec.where, false}, k.extra);
        } catch (const cancelled_error&) {
            throw;
        } catch (...) {
            err = detail::describe(std::current_exception());
        }
        if (!p) co_return false;
        if (!k.spec.name.empty() && !register_name(k.spec.name, p)) {
            err = p.node != self().id().node
                      ? "name '" + k.spec.name +
                            "': a child on another node is named by its factory "
                            "(discovery::remote_spec::name), not by child_spec::name"
                      : "name '" + k.spec.name + "' is already registered";
            coronet::exit(p, exit_reason{exit_kind::killed, nullptr, err});
            co_await self().receive_any(
                guard([p](const exit_msg& m) { return m.from == p; }, [](const exit_msg&) {}));
            co_return false;
        }
        k.id = p;
        k.started_at = self().now();
        if (f_.how == strategy::simple_one_for_one) k.spec.id = to_string(p);
        co_return true;
    }

    /// Terminates one child per its shutdown policy and waits for its exit.
    task<void> terminate(kid& k) {
        k.due.reset();
        if (!k.id) co_return;
        const pid who = std::exchange(k.id, pid{});
        auto s = self();
        auto from_it = [who](const exit_msg& m) { return m.from == who; };
        auto ignore = [](const exit_msg&) {};
        const shutdown_policy sp = policy_of(k);
        if (sp.how == shutdown_policy::kind::brutal_kill) {
            coronet::exit(who, exit_reason{exit_kind::killed, nullptr, "brutal_kill"});
        } else {
            coronet::exit(who, exit_reason{exit_kind::shutdown, nullptr, "supervisor"});
            if (sp.how == shutdown_policy::kind::timeout) {
                const bool gone = co_await s.receive_for(sp.after, guard(from_it, ignore));
                if (gone) co_return;
                coronet::exit(who, exit_reason{exit_kind::killed, nullptr, "shutdown timeout"});
            }
        }
        co_await s.receive_any(guard(from_it, ignore));
    }

    task<void> shutdown_all() {
        for (auto r = kids_.rbegin(); r != kids_.rend(); ++r) co_await terminate(*r);
    }

    /// SV-5: true while the restarts within `period` stay within `intensity`.
    bool note_decision() {
        const time_point now = self().now();
        while (!decisions_.empty() && decisions_.front() <= now - f_.period) decisions_.pop_front();
        decisions_.push_back(now);
        return static_cast<long long>(decisions_.size()) <= f_.intensity;
    }

    /// SV-6: the delay before the next restart of `k`.
    duration backoff_delay(kid& k) {
        if (!f_.backoff) return duration::zero();
        const backoff_policy& b = *f_.backoff;
        duration d = b.base;
        for (int i = 0; i < k.consecutive && d < b.max; ++i) d *= 2;
        d = std::min(d, b.max);
        if (b.jitter > duration::zero()) {
            std::uniform_int_distribution<duration::rep> draw(-b.jitter.count(), b.jitter.count());
            d += duration(draw(rng_));
        }
        ++k.consecutive;
        return std::max(d, duration::zero());
    }

    [[noreturn]] void give_up_now(std::string why) {
        detail::exit_current(exit_reason{exit_kind::shutdown, nullptr, std::move(why)});
    }

    bool significant_left() const {
        return std::any_of(kids_.begin(), kids_.end(),
                           [](const kid& k) { return k.spec.significant && (k.id || k.due); });
    }

    task<void> on_exit(const exit_msg& m) {
        auto it =
            std::find_if(kids_.begin(), kids_.end(), [&](const kid& k) { return k.id == m.from; });
        if (it == kids_.end()) {
            // Not a child: its parent (or a linked process) tells it to stop.
            if (m.reason.kind == exit_kind::normal) co_return;
            co_await shutdown_all();
            detail::exit_current(m.reason);
        }
        kid& k = *it;
        k.id = {};
        const time_point now = self().now();
        if (now - k.started_at >= f_.period) k.consecutive = 0;
        const bool restart = k.spec.restart == restart_type::permanent ||
                             (k.spec.restart == restart_type::transient && !m.reason.is_normal());
        if (!restart) {
            const bool significant = k.spec.significant;
            if (k.spec.restart == restart_type::temporary || f_.how == strategy::simple_one_for_one)
                kids_.erase(it);
            const bool stop =
                significant &&
                (f_.shutdown_when == auto_shutdown::any_significant ||
                 (f_.shutdown_when == auto_shutdown::all_significant && !significant_left()));
            if (stop) {
                co_await shutdown_all();
                give_up_now("auto_shutdown: significant child exited");
            }
            co_return;
        }
        if (!note_decision()) {
            co_await shutdown_all();
            give_up_now("reached maximum restart intensity");
        }
        // The group to restart: it alone, everything, or it and the later ones.
        auto first = it;
        auto last = std::next(it);
        if (f_.how == strategy::one_for_all) {
            first = kids_.begin();
            last = kids_.end();
        } else if (f_.how == strategy::rest_for_one) {
            last = kids_.end();
        }
        for (auto r = std::make_reverse_iterator(last); r != std::make_reverse_iterator(first); ++r)
            if (r->id) co_await terminate(*r);
        const duration delay = backoff_delay(k);
        for (auto g = first; g != last;) {
            if (g != it && g->spec.restart == restart_type::temporary) {
                g = kids_.erase(g);  // terminated with the group, never restarted
                continue;
            }
            g->due = now + delay;
            ++g->restarts;
            ++g;
        }
    }

    /// Starts the children whose restart is due, in start order. A failed
    /// restart counts as another restart decision and is retried.
    task<void> start_due() {
        const time_point now = self().now();
        for (auto& k : kids_) {
            if (!k.due || *k.due > now) continue;
            std::string err;
            const bool started = co_await start_kid(k, err);
            if (started) continue;
            if (!note_decision()) {
                co_await shutdown_all();
                give_up_now("reached maximum restart intensity (restart of '" + k.spec.id +
                            "' failed: " + err + ")");
            }
            k.due = self().now() + backoff_delay(k);
        }
    }

    task<void> on_call(sup_call& c) {
        sup_reply r{c.id, {}, {}, {}};
        switch (c.what) {
            case sup_call::op::start:
                co_await add_child(c, r);
                break;
            case sup_call::op::terminate: {
                auto it = std::find_if(kids_.begin(), kids_.end(),
                                       [&](const kid& k) { return k.spec.id == c.child_id; });
                if (it == kids_.end()) {
                    r.error = "no child '" + c.child_id + "'";
                } else {
                    co_await terminate(*it);
                    kids_.erase(it);
                }
                break;
            }
            case sup_call::op::which:
                for (const auto& k : kids_) r.children.push_back({k.spec.id, k.id, k.restarts});
                break;
        }
        send(c.from, std::move(r));
    }

    task<void> add_child(sup_call& c, sup_reply& r) {
        const bool simple = f_.how == strategy::simple_one_for_one;
        if (simple == c.spec.has_value()) {
            r.error = simple ? "simple_one_for_one: start_child takes the template's argument"
                             : "start_child needs a child_spec";
            co_return;
        }
        if (!simple) {
            if (auto err = check_spec(*c.spec); !err.empty()) {
                r.error = err;
                co_return;
            }
            for (const auto& k : kids_)
                if (k.spec.id == c.spec->id) {
                    r.error = "duplicate child id '" + c.spec->id + "'";
                    co_return;
                }
        }
        kids_.push_back(
            kid{simple ? template_ : std::move(*c.spec), {}, std::move(c.extra), 0, 0, {}, {}});
        std::string err;
        const bool started = co_await start_kid(kids_.back(), err);
        if (!started) {
            kids_.pop_back();
            r.error = "child failed to start: " + err;
            co_return;
        }
        r.started = kids_.back().id;
    }

    static std::string check_spec(const child_spec& s) {
        if (s.id.empty()) return "a child spec needs an id";
        if (!s.start) return "child '" + s.id + "' has no start factory";
        if (s.significant && s.restart == restart_type::permanent)
            return "child '" + s.id + "' is significant and permanent";
        return {};
    }

    supervisor_flags f_;
    std::list<kid> kids_;
    child_spec template_;
    std::deque<time_point> decisions_;
    std::mt19937_64 rng_;
};

void supervisor_run::validate(const std::vector<child_spec>& specs) {
    std::set<std::string> ids;
    for (const auto& s : specs) {
        if (auto err = check_spec(s); !err.empty())
            throw std::invalid_argument("supervise: " + err);
        if (!ids.insert(s.id).second)
            throw std::invalid_argument("supervise: duplicate child id '" + s.id + "'");
    }
}

task<sup_reply> call_supervisor(pid sup, sup_call c) {
    detail::library_wait lw("coronet supervisor call");
    auto s = self();
    const monitor_ref ref = monitor(sup);
    c.from = s.id();
    c.id = ref.id;
    send(sup, std::move(c));
    std::optional<sup_reply> reply;
    co_await s.receive_any(
        guard([&](const sup_reply& r) { return r.id == ref.id; },
              [&](sup_reply r) { reply = std::move(r); }),
        guard([&](const down_msg& d) { return d.ref == ref; }, [](const down_msg&) {}));
    demonitor(ref, true);
    if (!reply) throw supervisor_error("supervisor " + to_string(sup) + " is not running");
    if (!reply->error.empty()) throw supervisor_error(reply->error);
    co_return std::move(*reply);
}

}  // namespace

task<void> supervise(supervisor_flags flags, std::vector<child_spec> children) {
    if (flags.intensity < 0) throw std::invalid_argument("supervise: intensity < 0");
    if (flags.period <= duration::zero()) throw std::invalid_argument("supervise: period <= 0");
    if (flags.how == strategy::simple_one_for_one && children.size() != 1)
        throw std::invalid_argument("supervise: simple_one_for_one needs exactly one template");
    trap_exit(true);
    supervisor_run run(std::move(flags), std::move(children));
    co_await run.run();
}

namespace detail {
task<pid> start_child_impl(pid sup, std::optional<child_spec> spec, std::any extra) {
    sup_call c{sup_call::op::start, {}, 0, std::move(spec), std::move(extra), {}};
    auto r = co_await call_supervisor(sup, std::move(c));
    co_return r.started;
}
}  // namespace detail

task<void> terminate_child(pid sup, std::string id) {
    // (A named call, not a temporary in the co_await: GCC 12 bit-copies an
    // aggregate temporary passed by value to a coroutine, breaking its strings.)
    sup_call c{sup_call::op::terminate, {}, 0, {}, {}, std::move(id)};
    co_await call_supervisor(sup, std::move(c));
}

task<std::vector<child_info>> which_children(pid sup) {
    sup_call c{sup_call::op::which, {}, 0, {}, {}, {}};
    auto r = co_await call_supervisor(sup, std::move(c));
    co_return std::move(r.children);
}

}  // namespace coronet
