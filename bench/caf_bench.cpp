// caf_bench — the raw CAF 0.17 baseline for coronet's benchmarks.
//
// Runs the same workloads as bench/coronet_bench.cpp with plain CAF
// event-based actors, once with the CAF scheduler limited to one worker thread
// (impl "caf-1t") and once with two ("caf-2t"). Each result is one line:
//
//   RESULT <bench> <impl> <metric> <value>
//
// Usage: caf_bench [--quick] [--repeat N] [--only pingpong|counting|counting_yield|ring|spawn|
//                                                 monitor_down|link_chain|blocking_rt|fanout|
//                                                 chan_pingpong|chan_throughput_1x1|
//                                                 chan_throughput_NxN|tcp_echo_rt|
//                                                 tcp_throughput|tcp_accepts|
//                                                 tls_echo_rt|tls_throughput|
//                                                 tls_handshakes|remote_pingpong|
//                                                 remote_pingpong_tls|remote_throughput|
//                                                 remote_throughput_tls|locate|
//                                                 cluster_join]
//   --quick  divides every workload size by 10 (smoke test).
//
// The tcp rows are CAF brokers (caf_io_bench.cpp), run in three
// configurations: caf-1t, caf-2t and caf-tuned; so are the distribution rows
// (remote_*: BASP between two actor systems of this program, plain and
// over caf::openssl, caf_remote_bench.cpp) and the cluster rows (locate:
// middleman::remote_lookup across three systems; cluster_join: four systems
// connected to a full mesh explicitly; caf_cluster_bench.cpp). coronet_bench's file_read
// has no CAF baseline (CAF 0.17 has no file I/O of its own), nor have its
// tls_* rows: CAF 0.17's brokers have no TLS (caf::openssl only secures the
// middleman's actor-to-actor connections, which brokers never see). For
// those `--only` is accepted and prints nothing.
//
// blocking_rt also prints a second baseline without CAF, impl "std-async":
// std::async(std::launch::async, fn).get() for each call. fanout also prints
// a second CAF baseline, impls "caf-group-1t" / "caf-group-2t": a CAF local
// group instead of a loop of sends.
//
// Only the measured part is timed: a fresh actor_system is built before and
// destroyed after each run (its destructor waits until every actor is gone).

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <caf/all.hpp>

#include <malloc.h>
#include "bench_report.hpp"
#include "caf_cluster_bench.hpp"
#include "caf_io_bench.hpp"
#include "caf_remote_bench.hpp"

namespace {

using start_atom = caf::atom_constant<caf::atom("start")>;
using done_atom = caf::atom_constant<caf::atom("done")>;
using stop_atom = caf::atom_constant<caf::atom("stop")>;
using ready_atom = caf::atom_constant<caf::atom("ready")>;
using credit_atom = caf::atom_constant<caf::atom("credit")>;

using bench_clock = std::chrono::steady_clock;

/// Workload sizes; `--quick` divides each by 10.
struct sizes {
    int pingpong_round_trips = 1'000'000;
    int counting_messages = 5'000'000;
    int ring_actors = 1000;
    int ring_hops = 1'000'000;
    int spawn_actors = 1'000'000;
    int monitor_targets = 10'000;
    int monitors_per_target = 100;
    int chain_length = 1000;
    int chains = 100;
    int blocking_round_trips = 100'000;
    int fanout_subscribers = 10'000;
    int fanout_messages = 100;
    int chan_round_trips = 1'000'000;
    int chan_messages = 5'000'000;  ///< both chan_throughput rows; NxN: split over 4 producers
    bench::io_sizes io;             ///< the tcp rows (shared with coronet_bench)
    bench::remote_sizes remote;     ///< the distribution rows (shared with coronet_bench)
    bench::cluster_sizes cluster;   ///< the cluster rows (shared with coronet_bench)
};

/// The chan_throughput rows' credit window per producer (coronet's channel
/// capacity).
constexpr int chan_window = 1024;

double elapsed_ns(bench_clock::time_point t0, bench_clock::time_point t1) {
    return std::chrono::duration<double, std::nano>(t1 - t0).count();
}

using bench::report;

/// Resident set size of this process in bytes (VmRSS of /proc/self/status).
long long rss_bytes() {
    std::ifstream in{"/proc/self/status"};
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("VmRSS:", 0) == 0) return std::stoll(line.substr(6)) * 1024;
    return 0;
}

/// Blocks the scoped actor until a `done` message arrives.
void await_done(caf::scoped_actor& self) {
    self->receive([](done_atom) {});
}

// -- pingpong ----------------------------------------------------------------

caf::behavior ponger(caf::event_based_actor*) {
    // The returned value goes back to the sender as an ordinary message.
    return {[](int x) { return x; }};
}

caf::behavior pinger(caf::event_based_actor* self, caf::actor peer, int round_trips,
                     caf::actor done_to) {
    return {
        [=](start_atom) { self->send(peer, 1); },
        [=](int x) {
            if (x < round_trips) {
                self->send(peer, x + 1);
                return;
            }
            self->send(done_to, done_atom::value);
            self->quit();
        },
    };
}

/// Also the baseline of chan_pingpong (`bench`): a round trip of an int
/// between two actors is what coronet's two processes do over two channels.
void run_pingpong(caf::actor_system& sys, const char* bench, const std::string& impl, int n) {
    caf::scoped_actor self{sys};
    auto pong = sys.spawn(ponger);
    auto ping = sys.spawn(pinger, pong, n, caf::actor{self});
    auto t0 = bench_clock::now();
    self->send(ping, start_atom::value);
    await_done(self);
    auto t1 = bench_clock::now();
    caf::anon_send_exit(pong, caf::exit_reason::user_shutdown);
    report(bench, impl, "ns_per_rt", elapsed_ns(t0, t1) / n, 1);
}

// -- counting ----------------------------------------------------------------

struct consumer_state {
    int count = 0;
};

caf::behavior consumer(caf::stateful_actor<consumer_state>* self, int n, caf::actor done_to) {
    return {[=](int) {
        if (++self->state.count == n) self->send(done_to, done_atom::value);
    }};
}

caf::behavior producer(caf::event_based_actor* self, caf::actor sink, int n) {
    return {[=](start_atom) {
        for (int i = 0; i < n; ++i) self->send(sink, i);
        self->quit();
    }};
}

/// The cooperative producer: sends `batch` messages, then gives the consumer
/// a turn by sending itself the next start (CAF's way to yield mid-work).
/// coronet_bench's counting_yield producer does `co_await yield()` instead.
constexpr int yield_batch = 256;

caf::behavior yielding_producer(caf::event_based_actor* self, caf::actor sink, int n) {
    return {[=](start_atom, int from) {
        const int to = std::min(n, from + yield_batch);
        for (int i = from; i < to; ++i) self->send(sink, i);
        if (to < n)
            self->send(self, start_atom::value, to);
        else
            self->quit();
    }};
}

void run_counting(caf::actor_system& sys, const std::string& impl, int n, bool yielding) {
    caf::scoped_actor self{sys};
    auto sink = sys.spawn(consumer, n, caf::actor{self});
    auto source = yielding ? sys.spawn(yielding_producer, sink, n) : sys.spawn(producer, sink, n);
    auto t0 = bench_clock::now();
    if (yielding)
        self->send(source, start_atom::value, 0);
    else
        self->send(source, start_atom::value);
    await_done(self);
    auto t1 = bench_clock::now();
    caf::anon_send_exit(sink, caf::exit_reason::user_shutdown);
    report(yielding ? "counting_yield" : "counting", impl, "msgs_per_s",
           n / (elapsed_ns(t0, t1) * 1e-9), 0);
}

// -- ring --------------------------------------------------------------------

struct ring_node_state {
    caf::actor next;
};

/// Receives its successor first, then forwards the token (hops still to go)
/// until it reaches zero.
caf::behavior ring_node(caf::stateful_actor<ring_node_state>* self, caf::actor done_to) {
    return {
        [=](caf::actor& next) { self->state.next = std::move(next); },
        [=](int hops_left) {
            if (hops_left == 0)
                self->send(done_to, done_atom::value);
            else
                self->send(self->state.next, hops_left - 1);
        },
    };
}

void run_ring(caf::actor_system& sys, const std::string& impl, int actors, int hops) {
    caf::scoped_actor self{sys};
    std::vector<caf::actor> ring;
    ring.reserve(actors);
    for (int i = 0; i < actors; ++i) ring.push_back(sys.spawn(ring_node, caf::actor{self}));
    for (int i = 0; i < actors; ++i) self->send(ring[i], ring[(i + 1) % actors]);
    auto t0 = bench_clock::now();
    self->send(ring[0], hops);
    await_done(self);
    auto t1 = bench_clock::now();
    // The ring is a reference cycle: it only ends by explicit exit.
    for (auto& node : ring) caf::anon_send_exit(node, caf::exit_reason::user_shutdown);
    report("ring", impl, "ns_per_hop", elapsed_ns(t0, t1) / hops, 1);
}

// -- spawn -------------------------------------------------------------------

caf::behavior idle_actor(caf::event_based_actor* self, std::atomic<int>* ready) {
    ready->fetch_add(1, std::memory_order_release);
    return {[=](stop_atom) { self->quit(); }};
}

/// Times spawning `n` actors until every one has run its initialisation and
/// waits for a message, and measures the RSS they add.
void run_spawn(caf::actor_system& sys, const std::string& impl, int n) {
    std::atomic<int> ready{0};
    // Touch the handle storage before the baseline so it is not counted.
    std::vector<caf::actor> actors(n);
    std::memset(static_cast<void*>(actors.data()), 0, n * sizeof(caf::actor));
    // Hand memory freed by earlier runs back to the kernel, or the new actors
    // would reuse it without raising RSS.
    malloc_trim(0);
    auto rss0 = rss_bytes();
    auto t0 = bench_clock::now();
    for (int i = 0; i < n; ++i) actors[i] = sys.spawn(idle_actor, &ready);
    while (ready.load(std::memory_order_acquire) < n) std::this_thread::yield();
    auto t1 = bench_clock::now();
    auto rss1 = rss_bytes();
    for (auto& a : actors) caf::anon_send(a, stop_atom::value);
    actors.clear();
    report("spawn", impl, "ns_per_spawn", elapsed_ns(t0, t1) / n, 1);
    report("spawn", impl, "bytes_per_proc", double(rss1 - rss0) / n, 0);
}

// -- monitor_down ------------------------------------------------------------

struct watcher_state {
    std::vector<caf::actor> targets;
    std::size_t next = 0;  ///< the target of the current round
    int downs = 0;         ///< downs received in the current round
    bench_clock::time_point t0;
};

/// One round: monitors the current target `per_target` times, then stops it.
void monitor_round(caf::stateful_actor<watcher_state>* self, int per_target) {
    const auto& target = self->state.targets[self->state.next];
    for (int i = 0; i < per_target; ++i) self->monitor(target);
    self->send(target, stop_atom::value);
}

/// The counterpart of coronet_bench's monitor_driver: a round per target,
/// the next round once all downs of the current one have arrived.
caf::behavior monitor_watcher(caf::stateful_actor<watcher_state>* self,
                              std::vector<caf::actor> targets, int per_target, double* out,
                              caf::actor done_to) {
    self->state.targets = std::move(targets);
    self->set_down_handler([=](caf::down_msg&) {
        auto& st = self->state;
        if (++st.downs < per_target) return;
        st.downs = 0;
        if (++st.next < st.targets.size()) {
            monitor_round(self, per_target);
            return;
        }
        *out = elapsed_ns(st.t0, bench_clock::now()) / (double(st.targets.size()) * per_target);
        st.targets.clear();
        self->send(done_to, done_atom::value);
        self->quit();
    });
    return {[=](start_atom) {
        self->state.t0 = bench_clock::now();
        monitor_round(self, per_target);
    }};
}

/// Spawns the targets (idle actors) and waits until each has started before
/// the watcher starts the clock, so spawning is not counted.
void run_monitor_down(caf::actor_system& sys, const std::string& impl, int targets,
                      int per_target) {
    caf::scoped_actor self{sys};
    std::atomic<int> ready{0};
    std::vector<caf::actor> ts;
    ts.reserve(targets);
    for (int i = 0; i < targets; ++i) ts.push_back(sys.spawn(idle_actor, &ready));
    while (ready.load(std::memory_order_acquire) < targets) std::this_thread::yield();
    double ns = 0;
    auto watcher = sys.spawn(monitor_watcher, std::move(ts), per_target, &ns, caf::actor{self});
    self->send(watcher, start_atom::value);
    await_done(self);
    report("monitor_down", impl, "ns_per_down", ns, 1);
}

// -- link_chain --------------------------------------------------------------

/// One link of the chain: linked to its predecessor, no exit handler of its
/// own, so a non-normal exit_msg makes it quit with that reason.
caf::behavior chain_node(caf::event_based_actor* self, caf::actor prev, caf::actor driver) {
    if (prev) self->link_to(prev);
    self->send(driver, ready_atom::value);
    return {[](stop_atom) {}};
}

struct chain_state {
    std::vector<caf::actor> nodes;
    int ready = 0;
    int chains_done = 0;
    bench_clock::time_point t0;
    double total_ns = 0;
};

/// Spawns the nodes of one chain; each links to its predecessor (at once:
/// link_to is synchronous in CAF) and then reports ready.
void build_chain(caf::stateful_actor<chain_state>* self, int length) {
    auto& st = self->state;
    st.ready = 0;
    st.nodes.reserve(length);
    caf::actor prev;
    for (int i = 0; i < length; ++i) {
        prev = self->spawn(chain_node, prev, caf::actor_cast<caf::actor>(self));
        st.nodes.push_back(prev);
    }
}

/// The counterpart of coronet_bench's chain_driver: builds a chain (not
/// timed), monitors its last node, and times from the error exit to the first
/// node until the last node's down.
caf::behavior chain_driver(caf::stateful_actor<chain_state>* self, int length, int chains,
                           double* out, caf::actor done_to) {
    self->set_down_handler([=](caf::down_msg&) {
        auto& st = self->state;
        st.total_ns += elapsed_ns(st.t0, bench_clock::now());
        st.nodes.clear();
        if (++st.chains_done < chains) {
            build_chain(self, length);
            return;
        }
        *out = st.total_ns / (double(chains) * length);
        self->send(done_to, done_atom::value);
        self->quit();
    });
    return {
        [=](start_atom) { build_chain(self, length); },
        [=](ready_atom) {
            auto& st = self->state;
            if (++st.ready < length) return;
            self->monitor(st.nodes.back());
            st.t0 = bench_clock::now();
            self->send_exit(st.nodes.front(), caf::make_error(caf::sec::runtime_error));
        },
    };
}

void run_link_chain(caf::actor_system& sys, const std::string& impl, int length, int chains) {
    caf::scoped_actor self{sys};
    double ns = 0;
    auto driver = sys.spawn(chain_driver, length, chains, &ns, caf::actor{self});
    self->send(driver, start_atom::value);
    await_done(self);
    report("link_chain", impl, "ns_per_hop", ns, 1);
}

// -- blocking_rt -------------------------------------------------------------

/// The trivial blocking call: the round trip is all that is measured.
int add_one(int x) {
    return x + 1;
}

/// Runs on its own thread (spawned `detached`), as coronet's blocking pool
/// runs the call on a thread of its own; replies with the call's value.
caf::behavior blocking_worker(caf::event_based_actor*) {
    return {[](int x) { return add_one(x); }};
}

struct requester_state {
    int next = 0;
    long sum = 0;
    bench_clock::time_point t0;
};

/// What a blocking_rt run measured; the sum of the replies is checked on the
/// driver thread (an exception inside a handler would only end the actor).
struct blocking_outcome {
    double ns = 0;
    long sum = 0;
};

/// The counterpart of coronet_bench's blocking_driver: an event-based actor
/// on the scheduler sends the detached worker one request, waits for its
/// response (request(...).then), and only then sends the next one.
void request_next(caf::stateful_actor<requester_state>* self, caf::actor worker, int n,
                  blocking_outcome* out, caf::actor done_to) {
    auto& st = self->state;
    if (st.next == n) {
        *out = {elapsed_ns(st.t0, bench_clock::now()) / n, st.sum};
        self->send(done_to, done_atom::value);
        self->quit();
        return;
    }
    self->request(worker, caf::infinite, st.next++).then([=](int r) {
        self->state.sum += r;
        request_next(self, worker, n, out, done_to);
    });
}

/// One untimed request first (as coronet's first job starts the pool).
caf::behavior blocking_requester(caf::stateful_actor<requester_state>* self, caf::actor worker,
                                 int n, blocking_outcome* out, caf::actor done_to) {
    return {[=](start_atom) {
        self->request(worker, caf::infinite, -1).then([=](int) {
            self->state.t0 = bench_clock::now();
            request_next(self, worker, n, out, done_to);
        });
    }};
}

void run_blocking_rt(caf::actor_system& sys, const std::string& impl, int n) {
    caf::scoped_actor self{sys};
    auto worker = sys.spawn<caf::detached>(blocking_worker);
    blocking_outcome out;
    auto requester = sys.spawn(blocking_requester, worker, n, &out, caf::actor{self});
    self->send(requester, start_atom::value);
    await_done(self);
    caf::anon_send_exit(worker, caf::exit_reason::user_shutdown);
    if (out.sum != long(n) * (n + 1) / 2) throw std::runtime_error("blocking_rt: wrong results");
    report("blocking_rt", impl, "ns_per_rt", out.ns, 1);
}

/// The same round trips without CAF: a thread started by std::async for each
/// call, joined by get(). Printed as impl "std-async".
void run_std_async(int n) {
    long sum = std::async(std::launch::async, add_one, -1).get();
    auto t0 = bench_clock::now();
    for (int i = 0; i < n; ++i) sum += std::async(std::launch::async, add_one, i).get();
    auto t1 = bench_clock::now();
    if (sum != long(n) * (n + 1) / 2) throw std::runtime_error("blocking_rt: wrong results");
    report("blocking_rt", "std-async", "ns_per_rt", elapsed_ns(t0, t1) / n, 1);
}

// -- fanout ------------------------------------------------------------------

/// Shared by the fanout actors of one run (outlives them: the run waits for
/// done, and the system's destructor for their exit).
struct fanout_shared {
    std::atomic<int> ready{0};
    std::atomic<int> left{0};  ///< subscribers still missing a message
    std::atomic<int> out_of_order{0};
    bench_clock::time_point t0, t1;
    caf::actor done_to;
};

struct fanout_sub_state {
    int next = 0;  ///< the message expected next
};

/// One subscriber: joins `grp` (the group variant; an invalid group is
/// ignored), counts itself ready, receives `msgs` ints and checks their
/// order. The last one to have all of them takes the time. It then stays,
/// untimed, until stopped (as coronet's subscribers wait for the close).
caf::behavior fanout_sub(caf::stateful_actor<fanout_sub_state>* self, int msgs, fanout_shared* sh,
                         caf::group grp) {
    self->join(grp);
    sh->ready.fetch_add(1, std::memory_order_release);
    return {
        [=](int v) {
            if (v != self->state.next++) sh->out_of_order.fetch_add(1, std::memory_order_relaxed);
            if (self->state.next != msgs) return;
            if (sh->left.fetch_sub(1, std::memory_order_acq_rel) == 1) {
                sh->t1 = bench_clock::now();
                self->send(sh->done_to, done_atom::value);
            }
        },
        [=](stop_atom) { self->quit(); },
    };
}

/// The counterpart of coronet's publisher: `msgs` messages, each to every
/// subscriber, either by one send per subscriber (`subs`) or by one send to
/// the group `grp` (CAF's pub-sub).
caf::behavior fanout_publisher(caf::event_based_actor* self, std::vector<caf::actor> subs,
                               caf::group grp, int msgs, fanout_shared* sh) {
    return {[=](start_atom) {
        sh->t0 = bench_clock::now();
        for (int m = 0; m < msgs; ++m) {
            if (grp)
                self->send(grp, m);
            else
                for (const auto& s : subs) self->send(s, m);
        }
        self->quit();
    }};
}

/// Spawns the subscribers and waits until each has started (and joined the
/// group) before the publisher starts the clock.
void run_fanout(caf::actor_system& sys, const std::string& impl, int subs, int msgs,
                bool use_group) {
    caf::scoped_actor self{sys};
    fanout_shared sh;
    sh.left = subs;
    sh.done_to = caf::actor{self};
    caf::group grp = use_group ? sys.groups().get_local("fanout") : caf::group{};
    std::vector<caf::actor> actors;
    actors.reserve(subs);
    for (int i = 0; i < subs; ++i) actors.push_back(sys.spawn(fanout_sub, msgs, &sh, grp));
    while (sh.ready.load(std::memory_order_acquire) < subs) std::this_thread::yield();
    auto publisher =
        sys.spawn(fanout_publisher, use_group ? std::vector<caf::actor>{} : actors, grp, msgs, &sh);
    self->send(publisher, start_atom::value);
    await_done(self);
    for (auto& a : actors) caf::anon_send(a, stop_atom::value);
    if (sh.out_of_order.load() != 0) throw std::runtime_error("fanout: a message out of order");
    report("fanout", impl, "deliveries_per_s",
           double(subs) * msgs / (elapsed_ns(sh.t0, sh.t1) * 1e-9), 0);
}

// -- chan_throughput ---------------------------------------------------------
//
// coronet sends the ints through one channel of 1024 slots: a producer waits
// while it is full (back pressure), any consumer takes any value. CAF 0.17
// has no bounded mailbox, so the same work with actors is credit-based flow
// control: a producer sends its ints round-robin to the consumer actors and
// holds at most chan_window unacknowledged ones (its share of the buffer);
// a consumer gives each producer credit back every `ack_every` ints it got
// from it (a quarter of the window per consumer, so credit comes back while
// the rest is in flight). The credit messages (1 per 256 ints with one
// consumer, 1 per 64 with four) are the price of CAF's back pressure. With
// four producers up to 4 x 1024 ints are in flight, against 1024 in
// coronet's channel. `counting` is the same 1x1 transfer without any back
// pressure.

struct tp_shared {
    std::atomic<int> left{0};  ///< consumers still missing an int
    bench_clock::time_point t1;
    caf::actor done_to;
};

struct tp_producer_state {
    std::vector<caf::actor> sinks;
    std::size_t next = 0;  ///< the sink of the next int
    int sent = 0;
    int credit = chan_window;
};

/// Sends while it has credit; quits once all `n` are sent.
void tp_pump(caf::stateful_actor<tp_producer_state>* self, int n) {
    auto& st = self->state;
    while (st.credit > 0 && st.sent < n) {
        self->send(st.sinks[st.next], st.sent);
        if (++st.next == st.sinks.size()) st.next = 0;
        ++st.sent;
        --st.credit;
    }
    if (st.sent == n) self->quit();
}

caf::behavior tp_producer(caf::stateful_actor<tp_producer_state>* self,
                          std::vector<caf::actor> sinks, int n) {
    self->state.sinks = std::move(sinks);
    return {
        [=](start_atom) { tp_pump(self, n); },
        [=](credit_atom, int c) {
            self->state.credit += c;
            tp_pump(self, n);
        },
    };
}

struct tp_consumer_state {
    int got = 0;
    std::vector<std::pair<caf::strong_actor_ptr, int>> unacked;  ///< per producer
};

/// Counts the ints, acknowledges them per producer; the last consumer to
/// have its `expected` ints takes the time. Quits then (coronet's consumers
/// end when the drained channel is closed).
caf::behavior tp_consumer(caf::stateful_actor<tp_consumer_state>* self, int expected, int ack_every,
                          tp_shared* sh) {
    return {[=](int) {
        auto& st = self->state;
        const auto& from = self->current_sender();
        auto it = std::find_if(st.unacked.begin(), st.unacked.end(),
                               [&](const auto& e) { return e.first == from; });
        if (it == st.unacked.end()) it = st.unacked.emplace(st.unacked.end(), from, 0);
        if (++it->second == ack_every) {
            it->second = 0;
            self->send(caf::actor_cast<caf::actor>(from), credit_atom::value, ack_every);
        }
        if (++st.got < expected) return;
        if (sh->left.fetch_sub(1, std::memory_order_acq_rel) == 1) {
            sh->t1 = bench_clock::now();
            self->send(sh->done_to, done_atom::value);
        }
        self->quit();
    }};
}

/// `pairs` producers send `n` ints in all to `pairs` consumers. Timed from
/// the start message to the producers until the last consumer has its share.
void run_chan_throughput(caf::actor_system& sys, const char* bench, const std::string& impl,
                         int pairs, int n) {
    caf::scoped_actor self{sys};
    tp_shared sh;
    sh.left = pairs;
    sh.done_to = caf::actor{self};
    const int per_producer = n / pairs;
    const int ack_every = chan_window / (4 * pairs);
    std::vector<caf::actor> consumers;
    for (int c = 0; c < pairs; ++c) {
        // What the round-robin of every producer sends to consumer c.
        const int expected = pairs * ((per_producer - c + pairs - 1) / pairs);
        consumers.push_back(sys.spawn(tp_consumer, expected, ack_every, &sh));
    }
    std::vector<caf::actor> producers;
    for (int p = 0; p < pairs; ++p)
        producers.push_back(sys.spawn(tp_producer, consumers, per_producer));
    auto t0 = bench_clock::now();
    for (auto& p : producers) self->send(p, start_atom::value);
    await_done(self);
    report(bench, impl, "msgs_per_s", double(per_producer) * pairs / (elapsed_ns(t0, sh.t1) * 1e-9),
           0);
}

// -- driver ------------------------------------------------------------------

/// Builds an actor system with `threads` scheduler workers, runs `body` in it
/// and destroys it, which waits until all actors have terminated.
void with_system(std::size_t threads, const std::function<void(caf::actor_system&)>& body) {
    caf::actor_system_config cfg;
    cfg.set("scheduler.max-threads", threads);
    caf::actor_system sys{cfg};
    body(sys);
}

constexpr const char* bench_names[] = {
    "pingpong", "counting", "counting_yield", "ring", "spawn", "monitor_down", "link_chain",
    "blocking_rt", "fanout", "chan_pingpong", "chan_throughput_1x1", "chan_throughput_NxN",
    "tcp_echo_rt", "tcp_throughput", "tcp_accepts",
    // the distribution rows:
    "remote_pingpong", "remote_pingpong_tls", "remote_throughput", "remote_throughput_tls",
    // the cluster rows:
    "locate", "cluster_join"};

/// coronet_bench rows that CAF 0.17 cannot do with brokers: no TLS there.
constexpr const char* rows_without_caf[] = {"tls_echo_rt", "tls_throughput", "tls_handshakes"};

void run_bench(const std::string& name, caf::actor_system& sys, const std::string& impl,
               const sizes& sz) {
    if (name == "pingpong")
        run_pingpong(sys, "pingpong", impl, sz.pingpong_round_trips);
    else if (name == "counting")
        run_counting(sys, impl, sz.counting_messages, false);
    else if (name == "counting_yield")
        run_counting(sys, impl, sz.counting_messages, true);
    else if (name == "ring")
        run_ring(sys, impl, sz.ring_actors, sz.ring_hops);
    else if (name == "spawn")
        run_spawn(sys, impl, sz.spawn_actors);
    else if (name == "monitor_down")
        run_monitor_down(sys, impl, sz.monitor_targets, sz.monitors_per_target);
    else if (name == "link_chain")
        run_link_chain(sys, impl, sz.chain_length, sz.chains);
    else if (name == "blocking_rt")
        run_blocking_rt(sys, impl, sz.blocking_round_trips);
    else if (name == "fanout")
        run_fanout(sys, impl, sz.fanout_subscribers, sz.fanout_messages, false);
    else if (name == "chan_pingpong")
        run_pingpong(sys, "chan_pingpong", impl, sz.chan_round_trips);
    else if (name == "chan_throughput_1x1")
        run_chan_throughput(sys, "chan_throughput_1x1", impl, 1, sz.chan_messages);
    else if (name == "chan_throughput_NxN")
        run_chan_throughput(sys, "chan_throughput_NxN", impl, 4, sz.chan_messages);
}

int usage(const char* argv0) {
    std::fprintf(stderr,
                 "usage: %s [--quick] [--repeat N] [--only "
                 "pingpong|counting|counting_yield|ring|spawn|monitor_down|link_chain|"
                 "blocking_rt|fanout|chan_pingpong|chan_throughput_1x1|chan_throughput_NxN|"
                 "tcp_echo_rt|tcp_throughput|tcp_accepts|tls_echo_rt|tls_throughput|"
                 "tls_handshakes|remote_pingpong|remote_pingpong_tls|remote_throughput|"
                 "remote_throughput_tls|locate|cluster_join]\n",
                 argv0);
    return 2;
}

}  // namespace

int main(int argc, char** argv) {
    bool quick = false;
    int repeat = 3;
    std::string only;
    for (int i = 1; i < argc; ++i) {
        std::string arg = argv[i];
        if (bench::parse_repeat(argc, argv, i, repeat)) continue;
        if (arg == "--quick")
            quick = true;
        else if (arg == "--only" && i + 1 < argc)
            only = argv[++i];
        else
            return usage(argv[0]);
    }
    sizes sz;
    if (quick) {
        sz.pingpong_round_trips /= 10;
        sz.counting_messages /= 10;
        sz.ring_hops /= 10;
        sz.spawn_actors /= 10;
        sz.monitor_targets /= 10;
        sz.chains /= 10;
        sz.blocking_round_trips /= 10;
        sz.fanout_subscribers /= 10;
        sz.chan_round_trips /= 10;
        sz.chan_messages /= 10;
        sz.io.quick();
        sz.remote.quick();
        sz.cluster.quick();
    }
    bool matched = false;
    for (const std::string name : rows_without_caf)
        if (only == name) {
            std::fprintf(stderr, "%s: no CAF baseline (CAF 0.17 brokers have no TLS)\n",
                         name.c_str());
            matched = true;
        }
    for (int r = 0; r < repeat; ++r) {
        for (const std::string name : bench_names) {
            if (!only.empty() && only != name) continue;
            matched = true;
            if (bench::is_caf_io_row(name)) {
                bench::run_caf_io(name, sz.io);  // systems with the middleman
                continue;
            }
            if (bench::is_caf_remote_row(name)) {
                bench::run_caf_remote(name, sz.remote);  // two systems with the middleman
                continue;
            }
            if (bench::is_caf_cluster_row(name)) {
                bench::run_caf_cluster(name, sz.cluster);  // three or four systems
                continue;
            }
            for (std::size_t threads : {1, 2}) {
                auto impl = "caf-" + std::to_string(threads) + "t";
                with_system(threads, [&](caf::actor_system& s) { run_bench(name, s, impl, sz); });
            }
            if (name == "blocking_rt") run_std_async(sz.blocking_round_trips);
            if (name == "fanout")
                for (std::size_t threads : {1, 2}) {
                    auto impl = "caf-group-" + std::to_string(threads) + "t";
                    with_system(threads, [&](caf::actor_system& s) {
                        run_fanout(s, impl, sz.fanout_subscribers, sz.fanout_messages, true);
                    });
                }
        }
    }
    bench::print_results();
    return matched ? 0 : usage(argv[0]);
}
