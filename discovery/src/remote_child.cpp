// Remote supervisor children (SV-9): choosing a node, spawning there,
// linking, binding the name.

#include "coronet/discovery/remote_child.hpp"

#include <algorithm>
#include <exception>
#include <stdexcept>
#include <utility>

#include "coronet/call.hpp"
#include "coronet/link.hpp"
#include "coronet/net/node.hpp"
#include "coronet/self.hpp"

namespace coronet::discovery {

double load_score(const node_status& s) noexcept {
    const double cores = s.cores == 0 ? 1.0 : static_cast<double>(s.cores);
    return static_cast<double>(s.processes) + s.cpu_percent / 100.0 / cores +
           10.0 * s.load_1min / cores;
}

namespace detail {

namespace {

/// The candidates, in the order to try them.
task<std::vector<std::string>> candidates(cluster& c, const remote_placement& where,
                                          std::string& why) {
    const std::vector<std::string> members = c.members();
    const std::string& here = members.front();
    auto is_member = [&](const std::string& n) {
        return std::find(members.begin(), members.end(), n) != members.end();
    };
    std::vector<std::string> out;
    if (where.nodes.empty()) {
        if (where.how == remote_placement::kind::named)
            throw std::invalid_argument("remote_child: a named placement needs nodes");
        out.assign(members.begin() + 1, members.end());
    } else {
        for (const std::string& n : where.nodes) {
            if (n != here && is_member(n))
                out.push_back(n);
            else
                why += n + (n == here ? ": this node; " : ": not connected; ");
        }
    }
    if (where.how != remote_placement::kind::least_loaded) co_return out;
    std::vector<std::pair<double, std::string>> scored;
    for (const std::string& n : out) {
        try {
            const node_status s = co_await c.status_of(n, where.timeout);
            scored.emplace_back(load_score(s), n);
        } catch (const std::exception& e) {
            why += n + ": no status (" + e.what() + "); ";
        }
    }
    std::sort(scored.begin(), scored.end());
    out.clear();
    for (auto& [score, n] : scored) out.push_back(std::move(n));
    co_return out;
}

}  // namespace

task<pid> start_remote(cluster* c, remote_spec spec, std::string args) {
    std::string why;
    const std::vector<std::string> nodes = co_await candidates(*c, spec.where, why);
    for (const std::string& n : nodes) {
        pid p;
        try {
            // (linked before the answer leaves n: never an orphan if this
            // supervisor or its node ends first)
            p = co_await c->node().spawn_link_encoded(n, spec.function, args, spec.where.timeout);
        } catch (const std::exception& e) {
            why += n + ": " + e.what() + "; ";
            continue;
        }
        if (!spec.name.empty()) {
            bool bound = false;
            std::string bind_error = "the name '" + spec.name + "' is held by another process";
            try {
                // Held on another member (not the child's node, where
                // bind_name checks)? Then not here too: never two holders.
                const std::optional<pid> held = co_await c->locate(spec.name, spec.where.timeout);
                if (held && held->node != p.node)
                    bind_error = "the name '" + spec.name + "' is held by " + to_string(*held);
                else
                    bound = co_await c->bind_name(n, spec.name, p, spec.where.timeout);
            } catch (const std::exception& e) {
                bind_error = std::string("binding the name failed (") + e.what() + ")";
            }
            if (!bound) {
                unlink(p);
                coronet::exit(p, exit_reason{exit_kind::killed, nullptr, "name not bound"});
                why += n + ": " + bind_error + "; ";
                continue;
            }
        }
        co_return p;
    }
    if (why.empty()) why = "no member of the cluster to start it on";
    throw std::runtime_error("remote child '" + spec.function + "': " + why);
}

}  // namespace detail

}  // namespace coronet::discovery
