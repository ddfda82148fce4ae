// CAF 0.17 baselines of coronet_bench's cluster rows, with CAF's own
// facilities: actor systems in this program, each with its middleman
// listening on 127.0.0.1 (`middleman().open(0)`), joined by
// `middleman().connect`.
//
// locate: three systems (alpha, beta, gamma); alpha connected to beta and
// gamma. An actor is registered by atom on beta (`registry().put`) and one
// on gamma; this thread, a plain one, locates a name as coronet's
// cluster::locate does: alpha's own registry first, then
// `middleman().remote_lookup(atom, node)` on beta, then on gamma, one after
// the other (remote_lookup blocks: a scoped_actor of its own sends the
// request to the BASP broker, which forwards it to that node's config
// server, and waits for the answer). The same three names and the same
// interleaving as coronet's side, each call timed on its own.
//
// cluster_join: four systems (seed, alpha, beta, gamma), all listening
// before the clock starts. CAF has no gossip and no membership: what
// coronet's cluster automates is done explicitly. alpha, beta and gamma
// connect to the seed one after the other (as coronet's cluster::start
// calls do), then beta connects to alpha and gamma to alpha and beta, each
// on a thread of its own (coronet's nodes connect from their own threads
// too). Timed until the last connect returned. This knows every address
// in advance and waits for no period: it is the connection work only.
//
// Configurations, the same on every system: caf-1t / caf-2t (CAF's
// defaults with one / two scheduler threads), caf-tuned (sharing
// scheduler, middleman.workers = 0, two threads), as in the remote_* rows.

#include "caf_cluster_bench.hpp"

#include <chrono>
#include <cstdint>
#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <caf/all.hpp>
#include <caf/io/all.hpp>

#include "bench_report.hpp"
#include "caf_bench_util.hpp"

namespace {

using bench::elapsed_ns;
using bench::exit_guard;
using bench_clock = std::chrono::steady_clock;

caf::actor_system_config& configure(caf::actor_system_config& cfg, const std::string& impl) {
    cfg.load<caf::io::middleman>();
    cfg.set("scheduler.max-threads", std::size_t{impl == "caf-1t" ? 1u : 2u});
    if (impl == "caf-tuned") {
        cfg.set("scheduler.policy", caf::atom("sharing"));
        cfg.set("middleman.workers", std::size_t{0});
    }
    return cfg;
}

/// An actor system with its middleman, listening on 127.0.0.1 (a port of
/// its own, no actor published).
struct caf_node {
    caf::actor_system_config cfg;
    caf::actor_system sys;
    std::uint16_t port = 0;
    caf_node(const std::string& impl, const char* row) : sys{configure(cfg, impl)} {
        const auto p = sys.middleman().open(0, "127.0.0.1");
        if (!p) throw std::runtime_error(std::string(row) + ": open: " + sys.render(p.error()));
        port = *p;
    }
    caf_node(const caf_node&) = delete;
    caf_node& operator=(const caf_node&) = delete;

    /// Connects this system to `to`; its node id, or throws.
    caf::node_id connect(const caf_node& to, const char* row) {
        auto n = sys.middleman().connect("127.0.0.1", to.port);
        if (!n) throw std::runtime_error(std::string(row) + ": connect: " + sys.render(n.error()));
        return *n;
    }
};

// -- locate -------------------------------------------------------------------

/// An actor to find: it never gets a message.
caf::behavior idle_actor(caf::event_based_actor*) {
    return {[](int) {}};
}

/// Registers `a` as `name` in `sys` until the scope ends.
struct registered {
    caf::actor_system& sys;
    caf::atom_value name;
    registered(caf::actor_system& s, caf::atom_value n, const caf::actor& a) : sys(s), name(n) {
        sys.registry().put(name, a);
    }
    registered(const registered&) = delete;
    registered& operator=(const registered&) = delete;
    ~registered() { sys.registry().erase(name); }
};

/// As coronet's cluster::locate: this system's registry, then each member
/// in turn, until one has the name.
caf::strong_actor_ptr locate(caf::actor_system& here, caf::atom_value name,
                             const std::vector<caf::node_id>& members) {
    if (auto p = here.registry().get(name)) return p;
    for (const caf::node_id& n : members)
        if (auto p = here.middleman().remote_lookup(name, n)) return p;
    return nullptr;
}

/// Whether `p` is `expected` (its proxy on another node), or both are none.
bool same_actor(const caf::strong_actor_ptr& p, const caf::actor* expected) {
    if (!expected) return p == nullptr;
    return p != nullptr && p->id() == expected->id() && p->node() == expected->node();
}

void locate_row(const std::string& impl, const bench::cluster_sizes& sz) {
    caf_node alpha(impl, "locate");
    caf_node beta(impl, "locate");
    caf_node gamma(impl, "locate");
    const exit_guard on_b{beta.sys.spawn(idle_actor)};
    const exit_guard on_c{gamma.sys.spawn(idle_actor)};
    const registered reg_b(beta.sys, caf::atom_from_string(bench::locate_on_beta), on_b.a);
    const registered reg_c(gamma.sys, caf::atom_from_string(bench::locate_on_gamma), on_c.a);
    const std::vector<caf::node_id> members{alpha.connect(beta, "locate"),
                                            alpha.connect(gamma, "locate")};
    const caf::atom_value names[3] = {caf::atom_from_string(bench::locate_on_beta),
                                      caf::atom_from_string(bench::locate_on_gamma),
                                      caf::atom_from_string(bench::locate_missing)};
    const caf::actor* expected[3] = {&on_b.a, &on_c.a, nullptr};
    double ns[3] = {};
    for (int i = 0; i < sz.warmup + sz.locates; ++i) {
        for (int k = 0; k < 3; ++k) {
            const auto t0 = bench_clock::now();
            const caf::strong_actor_ptr p = locate(alpha.sys, names[k], members);
            const auto t1 = bench_clock::now();
            if (!same_actor(p, expected[k]))
                throw std::runtime_error("locate: wrong answer (CAF) for " + to_string(names[k]));
            if (i >= sz.warmup) ns[k] += elapsed_ns(t0, t1);
        }
    }
    const double us = 1e-3 / sz.locates;
    bench::report("locate", impl, "us_per_locate_first_member", ns[0] * us, 1);
    bench::report("locate", impl, "us_per_locate_second_member", ns[1] * us, 1);
    bench::report("locate", impl, "us_per_locate_missing", ns[2] * us, 1);
}

// -- cluster_join -------------------------------------------------------------

/// One join: the time in ms until the last connect of the mesh returned.
double join_explicitly(const std::string& impl) {
    std::unique_ptr<caf_node> n[4];
    for (auto& x : n) x = std::make_unique<caf_node>(impl, "cluster_join");
    const auto t0 = bench_clock::now();
    for (int i = 1; i < 4; ++i) n[i]->connect(*n[0], "cluster_join");
    std::exception_ptr failure[4];
    std::vector<std::thread> threads;
    for (int i = 2; i < 4; ++i)
        threads.emplace_back([&n, &failure, i] {
            try {
                for (int j = 1; j < i; ++j) n[i]->connect(*n[j], "cluster_join");
            } catch (...) {
                failure[i] = std::current_exception();
            }
        });
    for (auto& t : threads) t.join();
    const auto t1 = bench_clock::now();
    for (auto& e : failure)
        if (e) std::rethrow_exception(e);
    for (int i = 3; i >= 0; --i) n[i].reset();  // (the last made first, on this thread)
    return elapsed_ns(t0, t1) * 1e-6;
}

void cluster_join_row(const std::string& impl, const bench::cluster_sizes& sz) {
    double ms = 0;
    for (int i = 0; i < sz.joins; ++i) ms += join_explicitly(impl);
    bench::report("cluster_join", impl, "ms_to_full_mesh", ms / sz.joins, 1);
}

}  // namespace

namespace bench {

bool is_caf_cluster_row(const std::string& name) {
    return is_row_of(name, cluster_rows);
}

void run_caf_cluster(const std::string& name, const cluster_sizes& sz) {
    for (const std::string impl : {"caf-1t", "caf-2t", "caf-tuned"}) {
        if (name == "locate")
            locate_row(impl, sz);
        else if (name == "cluster_join")
            cluster_join_row(impl, sz);
    }
}

}  // namespace bench
