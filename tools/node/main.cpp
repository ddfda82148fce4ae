// coronet-node: runs a node of a coronet cluster until SIGINT or SIGTERM.
//
//   coronet-node --name alpha --listen 127.0.0.1:4370 --seed 127.0.0.1:4371
//                --load ./libmy_plugin.so   (one command line)
//
// Prints "coronet-node: listening on HOST:PORT as NAME" on standard output
// once it listens (and flushes it), logs to standard error. Exit codes: 0
// after a clean stop, 1 when it cannot start (address in use, a library
// that does not load, TLS files that do not check out), 2 for bad options.

#include <pthread.h>
#include <signal.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <coronet/discovery/cluster.hpp>
#include <coronet/net/node.hpp>
#include <coronet/runtime.hpp>

#include "../common/ctl_protocol.hpp"
#include "../common/liveness.hpp"
#include "../common/log.hpp"
#include "config.hpp"
#include "node_host.hpp"

namespace {

using namespace coronet;
using namespace coronet::tools;

/// How long a stop may take, from the signal to the end of main, before
/// the node gives up and exits with 1 (a plugin's root process that
/// ignores cancellation, a node that cannot close its connections).
constexpr auto stop_grace = std::chrono::seconds(15);

// ---------------------------------------------------------------- discovery

/// THE place where the discovery settings reach the cluster: multicast
/// (or broadcast) announcements to `multicast` from `discovery_interface`
/// (discovery/announcer.hpp; 127.0.0.1, this host only, when not given),
/// signed with the cluster secret (validated in config.cpp).
void apply_discovery(const node_config& c, discovery::cluster_options& o) {
    if (!c.multicast) return;
    discovery::multicast_options m;
    m.group = c.multicast->group;
    m.port = c.multicast->port;
    if (!c.discovery_interface.empty()) m.interface = c.discovery_interface;
    m.secret = c.secret;
    log_info("multicast discovery on " + m.group + ":" + std::to_string(m.port) + " from " +
             m.interface);
    o.multicast = std::move(m);
}

// ---------------------------------------------------------------- ctl info

net::node_options node_options_of(const node_config& c) {
    net::node_options o;
    o.listen_host = c.listen_host;
    o.port = c.port;
    o.cluster = c.cluster;
    o.advertise_host = c.advertise_host;
    o.allow_plaintext = c.allow_plaintext;
    o.secret = c.secret;  // (nodes without it are refused: connect and hello)
    if (!c.cert_file.empty())
        o.tls = net::node_tls{c.cert_file, c.key_file, c.key_passphrase, c.ca_file};
    set_liveness(o, c.heartbeat);
    return o;
}

/// The answer to coronet.ctl.info (on CAF's thread: snapshots only).
std::string info_of(const node_config& c, runtime& rt, net::node& n, discovery::cluster& cl,
                    const node_host& host) {
    node_info i;
    i.name = n.name();
    i.address = n.address();
    i.cluster = c.cluster;
    std::map<std::string, std::string> addresses;
    for (auto& [name, address] : n.heard_of()) addresses[name] = address;
    for (const std::string& m : cl.members())  // (coronet-ctl's node is hidden: not a member)
        i.members.emplace_back(m, m == i.name ? i.address : addresses[m]);
    for (const auto& [name, p] : rt.registered_names()) i.names.emplace_back(name, to_string(p));
    i.processes = rt.live_processes();
    i.functions = host.functions();
    i.libraries = host.libraries();
    i.status = cl.status();
    std::string out;
    wire_writer w(out);
    wire_write(w, i);
    return out;
}

// ---------------------------------------------------------------- signals

/// Waits for SIGINT / SIGTERM (blocked in every thread) and asks the host
/// to stop; a second signal, or a stop that takes longer than stop_grace,
/// ends the program at once with 1. `finish` ends the watch.
class signal_watch {
  public:
    explicit signal_watch(node_host& host) : thread_([this, &host] { watch(host); }) {}
    ~signal_watch() { finish(); }
    signal_watch(const signal_watch&) = delete;
    signal_watch& operator=(const signal_watch&) = delete;

    static void block_signals() {
        const sigset_t s = signals();
        ::pthread_sigmask(SIG_BLOCK, &s, nullptr);
    }
    void finish() {
        if (!thread_.joinable()) return;
        finished_.store(true);
        ::pthread_kill(thread_.native_handle(), SIGTERM);  // (wakes its sigwait)
        thread_.join();
    }

  private:
    static sigset_t signals() {
        sigset_t s;
        ::sigemptyset(&s);
        ::sigaddset(&s, SIGINT);
        ::sigaddset(&s, SIGTERM);
        return s;
    }
    void watch(node_host& host) {
        const sigset_t s = signals();
        int sig = 0;
        if (::sigwait(&s, &sig) != 0 || finished_.load()) return;
        log_info(std::string("got ") + (sig == SIGINT ? "SIGINT" : "SIGTERM") + ": stopping");
        host.request_stop();
        timespec grace{std::chrono::seconds(stop_grace).count(), 0};
        const int again = ::sigtimedwait(&s, nullptr, &grace);
        if (finished_.load()) return;
        log_error(again > 0 ? "a second signal: exiting now"
                            : "the node did not stop within " + std::to_string(stop_grace.count()) +
                                  " s: exiting now");
        std::_Exit(1);
    }

    std::atomic<bool> finished_{false};
    std::thread thread_;
};

// ---------------------------------------------------------------- the node

int run_node(const node_config& c) {
    runtime_config rc;
    rc.node_name = c.name;
    rc.workers = c.workers;
    runtime rt(rc);
    // Destroyed in reverse: the cluster before the node, the node (whose
    // spawners point into the host) before the host; all on this thread.
    std::unique_ptr<node_host> host;
    std::unique_ptr<net::node> n;
    std::unique_ptr<discovery::cluster> cl;
    try {
        n = net::node::start(rt, node_options_of(c));
    } catch (const std::exception& e) {
        log_error("cannot listen on " + c.listen_host + ":" + std::to_string(c.port) + ": " +
                  e.what());
        return 1;
    }
    host = std::make_unique<node_host>(rt, *n);
    discovery::cluster_options co;
    co.status_period = c.status_period;
    co.seeds = c.seeds;
    apply_discovery(c, co);
    cl = discovery::cluster::start(*n, co);  // (connects to the seeds: blocking, on main)
    host->set_cluster(cl.get());
    for (const std::string& lib : c.libraries) {
        try {
            host->load(lib);
        } catch (const std::exception& e) {
            log_error(e.what());
            host->request_stop();
            cl.reset();
            n.reset();
            return 1;
        }
    }
    n->add_service(info_service, [&c, &rt, np = n.get(), clp = cl.get(), hp = host.get()](
                                     std::string_view) { return info_of(c, rt, *np, *clp, *hp); });
    const auto members = cl->members();
    const net::node_options used = node_options_of(c);
    log_info("listening on " + n->address() + " in cluster \"" + c.cluster + "\"" +
             (used.tls ? " with TLS" : "") + ", heartbeat " +
             std::to_string(
                 std::chrono::duration_cast<std::chrono::milliseconds>(used.heartbeat).count()) +
             " ms, " + std::to_string(members.size() - 1) + " members joined");
    std::printf("coronet-node: listening on %s as %s\n", n->address().c_str(), c.name.c_str());
    std::fflush(stdout);

    int code = 0;
    signal_watch signals(*host);
    try {
        rt.run();  // (until the keeper and what it cancelled have ended)
    } catch (const std::exception& e) {
        log_error(std::string("the node failed: ") + e.what());
        code = 1;
    }
    n->add_service(info_service, nullptr);
    cl.reset();
    n.reset();         // (a hang in here still meets the watch's time limit)
    signals.finish();  // (before the host goes: a late signal must not reach a freed host)
    host.reset();
    log_info("stopped");
    return code;
}

}  // namespace

int main(int argc, char** argv) {
    node_config c;
    try {
        c = parse_node_command_line(argc, argv);
    } catch (const config_error& e) {
        std::fprintf(stderr, "coronet-node: %s\n(coronet-node --help lists the options)\n",
                     e.what());
        return 2;
    }
    if (c.help) {
        std::fputs(node_usage().c_str(), stdout);
        return 0;
    }
    set_log_level(c.level);
    set_log_tag(c.name);
    // Before any thread starts: the runtime's, CAF's and the blocking pool's
    // threads inherit the mask, and only the watch takes the signals.
    signal_watch::block_signals();
    ::signal(SIGPIPE, SIG_IGN);
    try {
        return run_node(c);
    } catch (const std::exception& e) {
        log_error(e.what());
        return 1;
    }
}
