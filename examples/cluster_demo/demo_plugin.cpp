// The coronet-node plugin of the cluster demo (scripts/cluster_demo.sh):
// every node of the demo loads it. Built against coronet's headers, not
// linked with coronet (it uses coronet-node's copy).
//
// - demo.worker: answers every call (a std::string) with "worker on
//   <node>: <text>". Started by the supervisor below, on another node.
// - demo.supervisor NAME NODE...: supervises one demo.worker placed on the
//   least loaded of NODE..., with NAME bound to it on its node; when that
//   node is lost, the worker is started again on another one of them and
//   NAME bound there (discovery/remote_child.hpp).

#include <chrono>
#include <string>
#include <vector>
#include <coronet/call.hpp>
#include <coronet/discovery/cluster.hpp>
#include <coronet/discovery/node_plugin.hpp>
#include <coronet/discovery/remote_child.hpp>
#include <coronet/net/node.hpp>
#include <coronet/receive.hpp>
#include <coronet/self.hpp>
#include <coronet/supervisor.hpp>

namespace {

using namespace coronet;

discovery::plugin_host* host = nullptr;  // (set by the entry point; lives as long as the node)

task<void> worker(std::vector<std::string> /*args*/) {
    const std::string here = host->node().name();
    for (;;) {
        request<std::string> r = co_await self().receive<request<std::string>>();
        const std::string answer = "worker on " + here + ": " + r.body;
        reply(r, answer);
    }
}

task<void> supervisor(std::vector<std::string> args) {
    if (args.size() < 2) throw std::invalid_argument("demo.supervisor NAME NODE...");
    const std::vector<std::string> nodes(args.begin() + 1, args.end());
    discovery::remote_spec rs{"demo.worker", discovery::remote_placement::least_loaded(nodes),
                              args[0]};
    rs.where.timeout = std::chrono::seconds(2);
    std::vector<child_spec> specs{
        discovery::remote_child(host->cluster(), "worker", rs, std::vector<std::string>{})};
    supervisor_flags f;
    f.intensity = 5;
    f.period = std::chrono::seconds(10);
    co_await supervise(f, specs);
}

}  // namespace

extern "C" void coronet_node_plugin(coronet::discovery::plugin_host& h) {
    host = &h;
    h.add_function("demo.worker", &worker);
    h.add_function("demo.supervisor", &supervisor);
}
