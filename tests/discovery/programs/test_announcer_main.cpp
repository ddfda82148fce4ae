// coronet_test_announcer: one discovery::announcer in a process of its own,
// for the multi-process tests of tests/discovery/announcer_test.cpp (which
// also run it inside network namespaces with `ip netns exec`).
//
//   coronet_test_announcer name=<node> secret=<secret> [interface=<ipv4>]
//                          [group=<ipv4>] [port=<n>] [cluster=<name>]
//                          [period_ms=<n>]
//
// Prints "READY" once it announces (or "ERROR <what>" and exits 2), then
// "PEER <node> <address> <sender>" the first time it hears each node, and
// "STATS accepted=<n> bad_mac=<n> stale=<n> replayed=<n> malformed=<n>
// other_cluster=<n>" whenever one of these changes. It ends (exit 0) when
// its standard input closes, and by itself after 60 s.

#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <exception>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <coronet/discovery/announcer.hpp>

using namespace std::chrono_literals;
using namespace coronet::discovery;

namespace {

std::mutex out_mutex;

void say(const std::string& line) {
    const std::lock_guard lock(out_mutex);
    std::fputs((line + "\n").c_str(), stdout);
    std::fflush(stdout);
}

/// The counters that the tests look at (not sent and own, which change
/// every period).
std::string heard(const announcer_stats& s) {
    return "STATS accepted=" + std::to_string(s.accepted) +
           " bad_mac=" + std::to_string(s.bad_mac) + " stale=" + std::to_string(s.stale) +
           " replayed=" + std::to_string(s.replayed) + " malformed=" + std::to_string(s.malformed) +
           " other_cluster=" + std::to_string(s.other_cluster);
}

/// True once standard input is at its end (or broken).
bool input_closed() {
    pollfd p{STDIN_FILENO, POLLIN, 0};
    if (::poll(&p, 1, 0) <= 0) return false;
    char buf[64];
    return ::read(STDIN_FILENO, buf, sizeof buf) <= 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::map<std::string, std::string> args;
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        const auto eq = a.find('=');
        if (eq != std::string::npos) args[a.substr(0, eq)] = a.substr(eq + 1);
    }
    multicast_options o;
    o.secret = args["secret"];
    if (args.count("interface")) o.interface = args["interface"];
    if (args.count("group")) o.group = args["group"];
    if (args.count("port")) o.port = static_cast<std::uint16_t>(std::stoi(args["port"]));
    o.period =
        std::chrono::milliseconds(args.count("period_ms") ? std::stoi(args["period_ms"]) : 50);
    announcement self{args["cluster"],
                      args["name"],
                      static_cast<std::uint64_t>(::getpid()),
                      args["name"] + ".example:4000",
                      {}};
    std::set<std::string> peers;  // (only on the announcer's thread)
    try {
        announcer a(o, self, [&](const announcement& p) {
            if (peers.insert(p.node).second)
                say("PEER " + p.node + " " + p.address + " " + p.sender);
        });
        say("READY");
        announcer_stats last;
        const auto end = std::chrono::steady_clock::now() + 60s;
        while (!input_closed() && std::chrono::steady_clock::now() < end) {
            auto changed = [&](const announcer_stats& s) { return heard(s) != heard(last); };
            if (a.wait_stats(changed, 100ms)) {
                last = a.stats();
                say(heard(last));
            }
        }
    } catch (const std::exception& e) {
        say(std::string("ERROR ") + e.what());
        return 2;
    }
    return 0;
}
