// coronet-ctl: asks the nodes of a coronet cluster what runs there, spawns
// functions on them and hot-swaps them.
//
//   coronet-ctl --node 127.0.0.1:4370 nodes
//   coronet-ctl status
//   coronet-ctl spawn alpha counter c1
//   coronet-ctl swap alpha counter /opt/plugins/libcounter_v2.so
//
// It runs a short-lived node of its own ("coronet-ctl-HOST-PID"), connects
// to --node, and talks to the nodes through their services
// (tools/common/ctl_protocol.hpp). Output: plain aligned columns, one line
// per item, sorted. Exit codes: 0 done, 1 failed (the reason on standard
// error), 2 bad usage.

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <thread>
#include <vector>
#include <coronet/blocking.hpp>
#include <coronet/call.hpp>
#include <coronet/net/node.hpp>
#include <coronet/receive.hpp>
#include <coronet/runtime.hpp>
#include <coronet/self.hpp>

#include "../common/ctl_protocol.hpp"
#include "../common/liveness.hpp"

namespace {

using namespace coronet;
using namespace coronet::tools;
using namespace std::chrono_literals;

/// Bad usage: the text says what.
struct usage_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

/// A command that failed: the text says why (exit code 1).
struct ctl_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

const char* const usage_text =
    "usage: coronet-ctl [options] COMMAND [ARGS...] [-- ARGS...]\n"
    "options (before or after the command; after \"--\" every word is an argument):\n"
    "  --node HOST:PORT    the node to connect to (default: $CORONET_NODE or 127.0.0.1:4370)\n"
    "  --cluster NAME      the cluster's name (default \"default\")\n"
    "  --timeout DURATION  for each request (default 5s)\n"
    "  --cert FILE --key FILE --ca FILE [--key-passphrase S]  mutual TLS, as the nodes\n"
    "  --secret S, --secret-file F  the cluster secret, when the nodes have one\n"
    "  --heartbeat DURATION  as the nodes' (default 100ms, 1s with TLS)\n"
    "commands:\n"
    "  nodes                         the members: NODE ADDRESS\n"
    "  status [NODE...]              their status (of all members by default)\n"
    "  names [NODE...]               registered names: NODE NAME PID\n"
    "  functions [NODE...]           spawnable functions: NODE FUNCTION KIND PROCESSES LIBRARY\n"
    "  spawn NODE FUNCTION [ARG...]  spawns FUNCTION(ARGS) on NODE, prints its pid\n"
    "  swap NODE FUNCTION LIBRARY    loads LIBRARY (a path on NODE's host) on NODE and swaps\n"
    "                                every running process of FUNCTION to its new version\n"
    "  call NODE NAME [TEXT]         calls the process registered as NAME on NODE with TEXT\n"
    "                                (a std::string) and prints its std::string reply\n";

struct ctl_options {
    std::string node;
    std::string cluster = "default";
    duration timeout = 5s;
    std::string cert, key, ca, passphrase;
    std::optional<std::chrono::milliseconds> heartbeat;  ///< nullopt: as the nodes' default
    std::string secret;                ///< the cluster secret, when the nodes have one
    std::vector<std::string> command;  ///< the command and its arguments
};

ctl_options parse(int argc, char** argv) {
    ctl_options o;
    const char* env = std::getenv("CORONET_NODE");
    o.node = env && *env ? env : "127.0.0.1:4370";
    // Options go before or after the command; after "--" every word is the
    // command's (a TEXT that starts with "--").
    bool options_end = false;
    for (int i = 1; i < argc; ++i) {
        const std::string key = argv[i];
        if (options_end || !key.starts_with("--")) {
            o.command.push_back(key);
            continue;
        }
        if (key == "--") {
            options_end = true;
            continue;
        }
        if (key == "--help") throw usage_error("");
        if (i + 1 >= argc) throw usage_error(key + " needs a value");
        const std::string v = argv[++i];
        if (key == "--node") {
            o.node = v;
        } else if (key == "--cluster") {
            o.cluster = v;
        } else if (key == "--timeout") {
            auto d = parse_duration(v);
            if (!d) throw usage_error("\"" + v + "\" is not a duration (250ms, 2s, 1m)");
            o.timeout = *d;
        } else if (key == "--cert") {
            o.cert = v;
        } else if (key == "--key") {
            o.key = v;
        } else if (key == "--ca") {
            o.ca = v;
        } else if (key == "--key-passphrase") {
            o.passphrase = v;
        } else if (key == "--heartbeat") {
            auto d = parse_duration(v);
            if (!d) throw usage_error("\"" + v + "\" is not a duration (250ms, 2s, 1m)");
            o.heartbeat = *d;
        } else if (key == "--secret") {
            o.secret = v;
        } else if (key == "--secret-file") {
            auto s = read_secret(v);
            if (!s) throw usage_error("cannot read the secret file \"" + v + "\"");
            o.secret = *s;
        } else {
            throw usage_error("unknown option " + key);
        }
    }
    if (o.command.empty()) throw usage_error("no command");
    const std::string& c = o.command[0];
    const std::size_t n = o.command.size() - 1;
    const bool ok = c == "nodes"       ? n == 0
                    : c == "status"    ? true
                    : c == "names"     ? true
                    : c == "functions" ? true
                    : c == "spawn"     ? n >= 2
                    : c == "swap"      ? n == 3
                    : c == "call"      ? n == 2 || n == 3
                                       : throw usage_error("unknown command \"" + c + "\"");
    if (!ok) throw usage_error("wrong number of arguments for " + c);
    if (!split_host_port(o.node)) throw usage_error("--node \"" + o.node + "\" is not HOST:PORT");
    if ((!o.cert.empty() + !o.key.empty() + !o.ca.empty()) % 3 != 0)
        throw usage_error("TLS needs all of --cert, --key and --ca");
    return o;
}

// ---------------------------------------------------------------- output

using table = std::vector<std::vector<std::string>>;

/// Prints rows in columns (two blanks between them; the last not padded).
void print_table(const table& rows) {
    std::vector<std::size_t> width;
    for (const auto& r : rows) {
        width.resize(std::max(width.size(), r.size()));
        for (std::size_t i = 0; i < r.size(); ++i) width[i] = std::max(width[i], r[i].size());
    }
    for (const auto& r : rows) {
        std::string line;
        for (std::size_t i = 0; i < r.size(); ++i) {
            line += r[i];
            if (i + 1 < r.size()) line.append(width[i] - r[i].size() + 2, ' ');
        }
        std::printf("%s\n", line.c_str());
    }
}

std::string fixed(double v, int decimals) {
    char b[64];
    std::snprintf(b, sizeof b, "%.*f", decimals, v);
    return b;
}

// ---------------------------------------------------------------- talking to nodes

struct ctl_context {
    net::node* node = nullptr;
    std::string entry;  ///< the name of the node we connected to
    ctl_options options;
    std::optional<node_info> entry_info;
};

task<node_info> info_of(ctl_context* c, std::string node) {
    // (Strings named, not temporaries inside the co_await: README pitfalls.)
    const std::string service = info_service;
    const std::string request;
    const std::string bytes = co_await c->node->ask(node, service, request, c->options.timeout);
    wire_reader r(bytes);
    node_info i;
    wire_read(r, i);
    co_return i;
}

/// Makes sure this node is connected to member `name` (by its address,
/// as the entry node knows it). Throws ctl_error.
task<void> reach(ctl_context* c, std::string name) {
    if (name == c->entry) co_return;
    const auto peers = c->node->peers();
    if (std::find(peers.begin(), peers.end(), name) != peers.end()) co_return;
    if (!c->entry_info) c->entry_info = co_await info_of(c, c->entry);
    std::string address;
    for (const auto& [m, a] : c->entry_info->members)
        if (m == name) address = a;
    if (address.empty()) throw ctl_error("no node " + name + " in " + c->entry + "'s cluster");
    const auto hp = split_host_port(address);
    if (!hp) throw ctl_error(name + "'s address \"" + address + "\" is not HOST:PORT");
    // connect blocks: not on a worker. And on a thread of its own that ends
    // before the node does: a blocking-pool thread that has connected, still
    // alive at ~node, was seen to hang ~actor_system (like FINDINGS §9).
    auto job = [n = c->node, h = &hp->first, port = hp->second] {
        std::optional<net::result<std::string>> r;
        std::thread t([&] { r.emplace(n->connect(*h, port)); });
        t.join();
        return std::move(*r);
    };
    const auto r = co_await run_blocking(job);
    if (!r)
        throw ctl_error("cannot connect to " + name + " at " + address + ": " +
                        r.error().message());
}

/// The members to report on: the arguments, or every member (by name).
task<std::vector<std::string>> targets(ctl_context* c) {
    std::vector<std::string> out(c->options.command.begin() + 1, c->options.command.end());
    if (out.empty()) {
        if (!c->entry_info) c->entry_info = co_await info_of(c, c->entry);
        for (const auto& [m, a] : c->entry_info->members) out.push_back(m);
    }
    std::sort(out.begin(), out.end());
    co_return out;
}

// ---------------------------------------------------------------- commands

task<int> cmd_nodes(ctl_context* c) {
    const node_info i = co_await info_of(c, c->entry);
    auto members = i.members;
    std::sort(members.begin(), members.end());
    table t{{"NODE", "ADDRESS"}};
    for (const auto& [m, a] : members) t.push_back({m, a.empty() ? "-" : a});
    print_table(t);
    co_return 0;
}

task<int> cmd_status(ctl_context* c) {
    const std::vector<std::string> nodes = co_await targets(c);
    table t{{"NODE", "PROCESSES", "CPU%", "RSS_MIB", "MSGS/S", "SPAWNS/S", "DEAD_LETTERS", "LOAD",
             "CORES"}};
    int code = 0;
    const std::string status_service = "coronet.status";  // (the cluster's)
    const std::string request;
    for (const std::string& n : nodes) {
        try {
            co_await reach(c, n);
            const std::string bytes =
                co_await c->node->ask(n, status_service, request, c->options.timeout);
            wire_reader r(bytes);
            discovery::node_status s;
            wire_read(r, s);
            t.push_back({n, std::to_string(s.processes), fixed(s.cpu_percent, 1),
                         fixed(static_cast<double>(s.rss_bytes) / (1 << 20), 1),
                         fixed(s.messages_per_s, 0), fixed(s.spawns_per_s, 0),
                         std::to_string(s.dead_letters), fixed(s.load_1min, 2),
                         std::to_string(s.cores)});
        } catch (const std::exception& e) {
            std::fprintf(stderr, "coronet-ctl: %s: %s\n", n.c_str(), e.what());
            code = 1;
        }
    }
    print_table(t);
    co_return code;
}

/// names and functions: one info per node.
task<int> cmd_listing(ctl_context* c, bool names) {
    const std::vector<std::string> nodes = co_await targets(c);
    table t;
    if (names)
        t.push_back({"NODE", "NAME", "PID"});
    else
        t.push_back({"NODE", "FUNCTION", "KIND", "PROCESSES", "LIBRARY"});
    int code = 0;
    for (const std::string& n : nodes) {
        try {
            co_await reach(c, n);
            const node_info i = co_await info_of(c, n);
            if (names) {
                for (const auto& [name, p] : i.names) t.push_back({n, name, p});
            } else {
                for (const function_info& f : i.functions)
                    t.push_back({n, f.name, f.swappable ? "swappable" : "plain",
                                 std::to_string(f.processes), f.library.empty() ? "-" : f.library});
            }
        } catch (const std::exception& e) {
            std::fprintf(stderr, "coronet-ctl: %s: %s\n", n.c_str(), e.what());
            code = 1;
        }
    }
    print_table(t);
    co_return code;
}

task<int> cmd_spawn(ctl_context* c) {
    const auto& cmd = c->options.command;
    const std::string node = cmd[1];
    const std::string function = cmd[2];
    const std::vector<std::string> args(cmd.begin() + 3, cmd.end());
    co_await reach(c, node);
    const pid p = co_await c->node->spawn_on(node, function, c->options.timeout, args);
    std::printf("spawned %s on %s: %s\n", function.c_str(), node.c_str(), to_string(p).c_str());
    co_return 0;
}

task<int> cmd_swap(ctl_context* c) {
    const auto& cmd = c->options.command;
    const std::string node = cmd[1];
    const std::string function = cmd[2];
    const std::string library = cmd[3];
    co_await reach(c, node);
    const pid me = self().id();
    const std::string swapper = swap_function;
    (void)co_await c->node->spawn_on(node, swapper, c->options.timeout, me, function, library);
    // The swap waits up to 5 s for each process's swap point.
    auto r = co_await self().receive<swap_report>(c->options.timeout + 60s);
    if (!r) throw ctl_error("no answer from " + node + " about the swap");
    if (!r->error.empty()) throw ctl_error("swap failed: " + r->error);
    std::printf("swapped %u of %u processes of %s on %s to %s\n", r->swapped, r->processes,
                function.c_str(), node.c_str(), library.c_str());
    for (const std::string& f : r->failures) std::printf("failed: %s\n", f.c_str());
    co_return r->failures.empty() ? 0 : 1;
}

task<int> cmd_call(ctl_context* c) {
    const auto& cmd = c->options.command;
    const std::string node = cmd[1];
    const std::string name = cmd[2];
    const std::string text = cmd.size() > 3 ? cmd[3] : std::string();
    co_await reach(c, node);
    const auto p = co_await c->node->whereis(node, name, c->options.timeout);
    if (!p) throw ctl_error("no process registered as " + name + " on " + node);
    const std::string reply = co_await call<std::string>(*p, text, c->options.timeout);
    std::printf("%s\n", reply.c_str());
    co_return 0;
}

task<int> run_command(ctl_context* c) {
    const std::string& cmd = c->options.command[0];
    int code = 1;
    try {
        if (cmd == "nodes") code = co_await cmd_nodes(c);
        if (cmd == "status") code = co_await cmd_status(c);
        if (cmd == "names") code = co_await cmd_listing(c, true);
        if (cmd == "functions") code = co_await cmd_listing(c, false);
        if (cmd == "spawn") code = co_await cmd_spawn(c);
        if (cmd == "swap") code = co_await cmd_swap(c);
        if (cmd == "call") code = co_await cmd_call(c);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "coronet-ctl: %s\n", e.what());
        code = 1;
    }
    co_return code;
}

std::string own_name() {
    char host[256] = {};
    if (::gethostname(host, sizeof host - 1) != 0) host[0] = 0;
    return std::string(ctl_name_prefix) + (host[0] ? std::string(host) + "-" : "") +
           std::to_string(::getpid());
}

int run(const ctl_options& o) {
    runtime_config rc;
    rc.workers = 1;
    rc.node_name = own_name();
    runtime rt(rc);
    net::node_options no;
    no.cluster = o.cluster;
    no.hidden = true;  // (not gossiped, not a member: the nodes forget it when it goes)
    no.secret = o.secret;
    if (!o.cert.empty()) no.tls = net::node_tls{o.cert, o.key, o.passphrase, o.ca};
    set_liveness(no, o.heartbeat);
    auto n = net::node::start(rt, no);
    const auto [host, port] = *split_host_port(o.node);
    auto entry = n->connect(host, port);
    if (!entry) {
        std::fprintf(stderr, "coronet-ctl: cannot connect to %s: %s\n", o.node.c_str(),
                     entry.error().message().c_str());
        return 1;
    }
    ctl_context c;
    c.node = n.get();
    c.entry = *entry;
    c.options = o;
    auto h = rt.spawn(run_command, &c);
    rt.run();
    const int code = h.value();
    n.reset();  // (on the thread that made it)
    return code;
}

}  // namespace

int main(int argc, char** argv) {
    ctl_options o;
    try {
        o = parse(argc, argv);
    } catch (const usage_error& e) {
        const bool help = std::string(e.what()).empty();
        if (!help) std::fprintf(stderr, "coronet-ctl: %s\n", e.what());
        std::fputs(usage_text, help ? stdout : stderr);
        return help ? 0 : 2;
    }
    try {
        return run(o);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "coronet-ctl: %s\n", e.what());
        return 1;
    }
}
