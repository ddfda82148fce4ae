// coronet side of the cluster rows (coronet::discovery):
//
// locate: three nodes in this program (alpha, beta, gamma: runtimes of one
// worker each, each a coronet::net::node), alpha connected to beta and
// gamma, alpha's cluster following them. A process on alpha calls
// cluster::locate for a name registered on beta (the first member asked:
// one round trip), one registered on gamma (the second: beta answers no,
// then gamma yes: two round trips) and one registered nowhere (both
// answer no), interleaved, each call timed on its own.
//
// cluster_join: four nodes (seed, alpha, beta, gamma). The seed's cluster
// starts first; then, timed, alpha's, beta's and gamma's, each knowing only
// the seed's address (cluster_options::seeds), and gossip does the rest:
// each node connects to the nodes it heard of once per status_period
// (bench::cluster_join_period, 20 ms). Done when every node's cluster has
// had node_up for its three peers. `coronet-explicit` makes the same mesh
// with node::connect calls and no cluster (what caf_bench's baseline does
// with CAF's middleman), to separate the connection cost from the period.
//
// Nodes are made and destroyed on this thread (CAF 0.17's ~actor_system
// hangs on another one); clusters go before their nodes, nodes before their
// runtimes. caf_bench's caf_cluster_bench.cpp does the same work with CAF.

#include "coronet_cluster_bench.hpp"

#include <algorithm>
#include <chrono>
#include <exception>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <system_error>
#include <thread>
#include <vector>
#include <coronet/coronet.hpp>
#include <coronet/discovery/cluster.hpp>
#include <coronet/net/node.hpp>

#include "bench_report.hpp"

namespace {

using coronet::task;
namespace net = coronet::net;
namespace discovery = coronet::discovery;
using bench_clock = std::chrono::steady_clock;

double elapsed_ns(bench_clock::time_point t0, bench_clock::time_point t1) {
    return std::chrono::duration<double, std::nano>(t1 - t0).count();
}

coronet::runtime_config one_worker(const char* node_name) {
    coronet::runtime_config c;
    c.workers = 1;
    c.node_name = node_name;
    return c;
}

/// Runs a runtime on a thread of its own until it has no process left;
/// join() rethrows what run() threw.
class runner {
  public:
    explicit runner(coronet::runtime& rt)
        : thread_([this, &rt] {
              try {
                  rt.run();
              } catch (...) {
                  failure_ = std::current_exception();
              }
          }) {}
    runner(const runner&) = delete;
    runner& operator=(const runner&) = delete;
    ~runner() {
        if (thread_.joinable()) thread_.join();
    }
    void join() {
        if (thread_.joinable()) thread_.join();
        if (failure_) std::rethrow_exception(std::exchange(failure_, nullptr));
    }

  private:
    std::exception_ptr failure_;
    std::thread thread_;
};

/// Calls a function when the scope ends (also by an exception).
struct at_exit {
    std::function<void()> fn;
    ~at_exit() { fn(); }
};

/// `from` connected to `to`, or throws.
void connect(net::node& from, const net::node& to, const char* row) {
    const auto r = from.connect("127.0.0.1", to.port());
    if (!r)
        throw std::system_error(r.error(),
                                std::string(row) + ": " + from.name() + " connect to " + to.name());
}

// -- locate -------------------------------------------------------------------

/// Waits until cancelled (a process to find).
task<void> sleeper() {
    (void)co_await coronet::self().receive<int>();
}

/// On alpha: `warmup` untimed rounds, then `n` timed ones; a round locates
/// each of `names` once and checks the answer against `expected`. Adds
/// each kind's time to `ns[k]`.
task<void> locator(discovery::cluster* cl, std::vector<std::string> names,
                   std::vector<std::optional<coronet::pid>> expected, int warmup, int n,
                   double* ns) {
    for (int i = 0; i < warmup + n; ++i) {
        for (std::size_t k = 0; k < names.size(); ++k) {
            const auto t0 = bench_clock::now();
            const std::optional<coronet::pid> p =
                co_await cl->locate(names[k], bench::cluster_timeout);
            const auto t1 = bench_clock::now();
            if (p != expected[k]) throw std::runtime_error("locate: wrong answer for " + names[k]);
            if (i >= warmup) ns[k] += elapsed_ns(t0, t1);
        }
    }
}

void locate_row(const bench::cluster_sizes& sz) {
    coronet::runtime a{one_worker("alpha")};
    coronet::runtime b{one_worker("beta")};
    coronet::runtime c{one_worker("gamma")};
    const auto na = net::node::start(a);
    const auto nb = net::node::start(b);
    const auto nc = net::node::start(c);
    connect(*na, *nb, "locate");
    connect(*na, *nc, "locate");
    const auto cl = discovery::cluster::start(*na);  // (before its node goes)
    if (cl->members() != std::vector<std::string>{"alpha", "beta", "gamma"})
        throw std::runtime_error("locate: alpha's cluster is not alpha, beta, gamma");
    const auto on_b = b.spawn(sleeper);
    const auto on_c = c.spawn(sleeper);
    if (!b.register_name(bench::locate_on_beta, on_b.id()) ||
        !c.register_name(bench::locate_on_gamma, on_c.id()))
        throw std::runtime_error("locate: cannot register the names");
    const std::vector<std::string> names{bench::locate_on_beta, bench::locate_on_gamma,
                                         bench::locate_missing};
    const std::vector<std::optional<coronet::pid>> expected{on_b.id(), on_c.id(), std::nullopt};
    double ns[3] = {};
    a.spawn(locator, cl.get(), names, expected, sz.warmup, sz.locates, &ns[0]);
    runner rb(b);
    runner rc(c);
    {
        const at_exit stop_sleepers{[&] {
            b.cancel(on_b.id(), "done");
            c.cancel(on_c.id(), "done");
        }};
        a.run();
    }
    rb.join();
    rc.join();
    const double us = 1e-3 / sz.locates;
    bench::report("locate", "coronet", "us_per_locate_first_member", ns[0] * us, 1);
    bench::report("locate", "coronet", "us_per_locate_second_member", ns[1] * us, 1);
    bench::report("locate", "coronet", "us_per_locate_missing", ns[2] * us, 1);
}

// -- cluster_join -------------------------------------------------------------

/// Subscribed to a cluster: waits for node_up from `n` distinct nodes and
/// takes the time when it has the last.
task<void> mesh_watch(std::size_t n, bench_clock::time_point* done) {
    std::vector<std::string> seen;
    while (seen.size() < n) {
        const std::optional<discovery::node_up> up =
            co_await coronet::self().receive<discovery::node_up>(bench::cluster_timeout);
        if (!up) throw std::runtime_error("cluster_join: no full mesh within 10 s");
        if (std::find(seen.begin(), seen.end(), up->node) == seen.end()) seen.push_back(up->node);
    }
    *done = bench_clock::now();
}

/// The four nodes of one join; the nodes go before their runtimes.
struct four_nodes {
    static constexpr const char* names[4] = {"seed", "alpha", "beta", "gamma"};
    std::unique_ptr<coronet::runtime> rt[4];
    std::unique_ptr<net::node> node[4];
    four_nodes() {
        for (int i = 0; i < 4; ++i)
            rt[i] = std::make_unique<coronet::runtime>(one_worker(names[i]));
        for (int i = 0; i < 4; ++i) node[i] = net::node::start(*rt[i]);
    }
    ~four_nodes() {
        for (auto& n : node) n.reset();
    }
};

/// One join through the seed with gossip; its time in ms.
double join_by_gossip() {
    four_nodes f;
    discovery::cluster_options o;
    o.status_period = bench::cluster_join_period;
    std::unique_ptr<discovery::cluster> cl[4];
    const at_exit clusters_first{[&] {
        for (auto& c : cl) c.reset();
    }};
    bench_clock::time_point done[4];
    coronet::pid watcher[4];
    for (int i = 0; i < 4; ++i)
        watcher[i] = f.rt[i]->spawn(mesh_watch, std::size_t{3}, &done[i]).id();
    cl[0] = discovery::cluster::start(*f.node[0], o);
    cl[0]->subscribe(watcher[0]);
    std::vector<std::unique_ptr<runner>> running;
    for (auto& rt : f.rt) running.push_back(std::make_unique<runner>(*rt));
    o.seeds = {f.node[0]->address()};
    const auto t0 = bench_clock::now();
    for (int i = 1; i < 4; ++i) {
        cl[i] = discovery::cluster::start(*f.node[i], o);  // (blocking: joins the seed)
        cl[i]->subscribe(watcher[i]);
    }
    for (auto& r : running) r->join();
    for (int i = 0; i < 4; ++i) cl[i]->unsubscribe(watcher[i]);
    return elapsed_ns(t0, *std::max_element(std::begin(done), std::end(done))) * 1e-6;
}

/// One join made explicitly (no cluster): alpha, beta and gamma connect to
/// the seed one after the other, then, each on a thread of its own, beta
/// to alpha and gamma to alpha and beta. Its time in ms.
double join_explicitly() {
    four_nodes f;
    const auto t0 = bench_clock::now();
    for (int i = 1; i < 4; ++i) connect(*f.node[i], *f.node[0], "cluster_join");
    std::exception_ptr failure[4];
    std::vector<std::thread> threads;
    for (int i = 2; i < 4; ++i)
        threads.emplace_back([&f, &failure, i] {
            try {
                for (int j = 1; j < i; ++j) connect(*f.node[i], *f.node[j], "cluster_join");
            } catch (...) {
                failure[i] = std::current_exception();
            }
        });
    for (auto& t : threads) t.join();
    const auto t1 = bench_clock::now();
    for (auto& e : failure)
        if (e) std::rethrow_exception(e);
    // (Untimed check: the accepting side may take the hello a moment after
    // connect returned on the other.)
    const auto until = t1 + bench::cluster_timeout;
    for (auto& n : f.node)
        while (n->peers().size() != 3) {
            if (bench_clock::now() > until)
                throw std::runtime_error("cluster_join: " + n->name() + " has not 3 peers");
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
    return elapsed_ns(t0, t1) * 1e-6;
}

void cluster_join_row(const bench::cluster_sizes& sz) {
    double gossip = 0, explicit_ms = 0;
    for (int i = 0; i < sz.joins; ++i) gossip += join_by_gossip();
    for (int i = 0; i < sz.joins; ++i) explicit_ms += join_explicitly();
    bench::report("cluster_join", "coronet", "ms_to_full_mesh", gossip / sz.joins, 1);
    bench::report("cluster_join", "coronet-explicit", "ms_to_full_mesh", explicit_ms / sz.joins, 1);
    bench::report("cluster_join", "coronet", "status_period_ms",
                  std::chrono::duration<double, std::milli>(bench::cluster_join_period).count(), 0);
}

}  // namespace

namespace bench {

bool is_coronet_cluster_row(const std::string& name) {
    return is_row_of(name, cluster_rows);
}

void run_coronet_cluster(const std::string& name, const cluster_sizes& sz) {
    if (name == "locate")
        locate_row(sz);
    else if (name == "cluster_join")
        cluster_join_row(sz);
}

}  // namespace bench
