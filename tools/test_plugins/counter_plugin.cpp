// A coronet-node plugin for the tests of coronet-node and coronet-ctl
// (tests/discovery/programs_test.cpp), built twice: as version 1 and as
// version 2 (COUNTER_VERSION). It is compiled against coronet's headers and
// not linked with coronet (it uses coronet-node's copy).
//
// - counter (swappable): registers args[0] as its name, then answers every
//   call (a std::string) with "v<version> count <n> <text>". A swap keeps
//   the count: the old version's frame, unwound at the swap point, sends
//   its count to the process itself, and the new version takes it first.
// - echo (plain, version 1 only): registers args[0], answers calls with
//   "echo <text>".

#include <cstdint>
#include <string>
#include <vector>
#include <coronet/call.hpp>
#include <coronet/discovery/node_plugin.hpp>
#include <coronet/names.hpp>
#include <coronet/self.hpp>

#ifndef COUNTER_VERSION
#error "build with COUNTER_VERSION=1 or 2"
#endif

namespace {

using namespace coronet;

#define CORONET_STR2(x) #x
#define CORONET_STR(x) CORONET_STR2(x)
const char* const version = "v" CORONET_STR(COUNTER_VERSION);

/// Sends the count to the process itself when the frame goes (at a swap,
/// or when the process ends: then nobody takes it).
struct hand_over {
    pid me;
    const std::int64_t* count = nullptr;
    ~hand_over() {
        if (count) send(me, *count);
    }
};

task<void> counter(std::vector<std::string> args) {
    std::int64_t count = 0;
    auto carried = co_await self().receive<std::int64_t>(std::chrono::milliseconds(0));
    if (carried) count = *carried;
    if (!args.empty() && whereis(args[0]) != self().id()) (void)register_name(args[0], self().id());
    hand_over h;
    h.me = self().id();
    h.count = &count;
    for (;;) {
        request<std::string> r = co_await self().receive<request<std::string>>();
        ++count;
        std::string answer =
            std::string(version) + " count " + std::to_string(count) + " " + r.body;
        reply(r, answer);
    }
}

task<void> echo(std::vector<std::string> args) {
    if (!args.empty()) (void)register_name(args[0], self().id());
    for (;;) {
        request<std::string> r = co_await self().receive<request<std::string>>();
        std::string answer = "echo " + r.body;
        reply(r, answer);
    }
}

}  // namespace

extern "C" void coronet_node_plugin(coronet::discovery::plugin_host& host) {
    host.add_swappable("counter", &counter);
    if (COUNTER_VERSION == 1) host.add_function("echo", &echo);
}
