// cluster: membership from the node's peer watcher, and locate.

#include "coronet/discovery/cluster.hpp"

#include <algorithm>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "coronet/net/node.hpp"
#include "coronet/runtime.hpp"
#include "coronet/self.hpp"

namespace coronet::discovery {

struct cluster::impl {
    net::node& node;
    runtime& rt;
    std::uint64_t watch_id = 0;
    mutable std::mutex m;
    std::vector<std::string> peers;  ///< connected members, sorted (under m)
    std::vector<pid> subscribers;    ///< (under m)

    explicit impl(net::node& n) : node(n), rt(n.runtime_of()) {}

    /// A peer came or went (the node's watcher thread). Messages are sent
    /// under the lock, so every subscriber sees one order.
    void on_change(const std::string& name, bool up) {
        const std::lock_guard lock(m);
        const auto it = std::lower_bound(peers.begin(), peers.end(), name);
        const bool present = it != peers.end() && *it == name;
        if (up == present) return;  // (already known from node.peers())
        if (up)
            peers.insert(it, name);
        else
            peers.erase(it);
        for (const pid& s : subscribers) {
            if (up)
                rt.send(s, node_up{name});
            else
                rt.send(s, node_down{name});
        }
    }
};

std::unique_ptr<cluster> cluster::start(net::node& n) {
    auto p = std::make_shared<impl>(n);
    // The watcher first, then what is there already: a peer in both is
    // known once.
    p->watch_id = n.watch_peers([p](const std::string& name, bool up) {
        try {
            p->on_change(name, up);
        } catch (...) {  // (out of memory: this change is missed)
        }
    });
    {
        std::vector<std::string> now = n.peers();
        const std::lock_guard lock(p->m);
        for (std::string& name : now) {
            const auto it = std::lower_bound(p->peers.begin(), p->peers.end(), name);
            if (it == p->peers.end() || *it != name) p->peers.insert(it, std::move(name));
        }
    }
    return std::unique_ptr<cluster>(new cluster(std::move(p)));
}

cluster::cluster(std::shared_ptr<impl> p) noexcept : p_(std::move(p)) {}

cluster::~cluster() {
    p_->node.unwatch_peers(p_->watch_id);
}

std::vector<std::string> cluster::members() const {
    const std::lock_guard lock(p_->m);
    std::vector<std::string> out{p_->node.name()};
    out.insert(out.end(), p_->peers.begin(), p_->peers.end());
    return out;
}

void cluster::subscribe(const pid& who) {
    const std::lock_guard lock(p_->m);
    p_->subscribers.push_back(who);
    for (const std::string& name : p_->peers) p_->rt.send(who, node_up{name});
}

void cluster::unsubscribe(const pid& who) {
    const std::lock_guard lock(p_->m);
    auto& v = p_->subscribers;
    v.erase(std::remove(v.begin(), v.end(), who), v.end());
}

task<std::optional<pid>> cluster::locate(std::string name, duration timeout) {
    impl& p = *p_;
    if (auto here = p.rt.whereis(name)) co_return here;
    std::vector<std::string> asked;
    {
        const std::lock_guard lock(p.m);
        asked = p.peers;
    }
    const time_point until = self().now() + timeout;
    for (const std::string& peer : asked) {
        const duration left = until - self().now();
        if (left <= duration::zero()) break;
        std::optional<pid> found = co_await p.node.whereis(peer, name, left);
        if (found) co_return found;
    }
    co_return std::nullopt;
}

}  // namespace coronet::discovery
