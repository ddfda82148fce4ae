// cluster: membership from the node's peer watcher, and locate.

#include "coronet/discovery/cluster.hpp"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "coronet/call.hpp"
#include "coronet/names.hpp"
#include "coronet/net/node.hpp"
#include "coronet/runtime.hpp"
#include "coronet/self.hpp"

namespace coronet::discovery {

namespace {

constexpr const char* status_service = "coronet.status";
constexpr const char* claim_service = "coronet.names.claim";
constexpr const char* list_service = "coronet.names.list";
constexpr const char* bind_service = "coronet.names.bind";
constexpr const char* topics_service = "coronet.topics.find";
/// How long a heal waits for a new member's names.
constexpr duration heal_timeout = std::chrono::seconds(2);

double cpu_seconds() noexcept {
    rusage u{};
    ::getrusage(RUSAGE_SELF, &u);
    return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
           static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

std::uint64_t rss_bytes() noexcept {
    std::ifstream f("/proc/self/statm");
    std::uint64_t size = 0, resident = 0;
    f >> size >> resident;
    return resident * static_cast<std::uint64_t>(::sysconf(_SC_PAGESIZE));
}

}  // namespace

struct cluster::impl {
    net::node& node;
    runtime& rt;
    cluster_options options;
    std::uint64_t watch_id = 0;

    // Status: measured by `measurer` every period.
    mutable std::mutex status_m;
    std::condition_variable status_cv;
    bool stopping = false;  ///< (under status_m)
    node_status latest;     ///< (under status_m)
    std::thread measurer;
    double last_cpu = 0;
    std::uint64_t last_spawned = 0;
    std::uint64_t last_delivered = 0;
    std::chrono::steady_clock::time_point last_at{};

    void measure() {
        const auto at = std::chrono::steady_clock::now();
        const double cpu = cpu_seconds();
        const runtime_stats st = rt.stats();
        node_status s;
        s.node = node.name();
        s.taken_at_ms =
            static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
        const double dt = std::chrono::duration<double>(at - last_at).count();
        if (last_at != std::chrono::steady_clock::time_point{} && dt > 0) {
            s.cpu_percent = 100.0 * (cpu - last_cpu) / dt;
            s.spawns_per_s = static_cast<double>(st.spawned - last_spawned) / dt;
            s.messages_per_s = static_cast<double>(st.delivered - last_delivered) / dt;
        }
        s.rss_bytes = rss_bytes();
        s.processes = st.spawned - st.exited;
        s.dead_letters = st.dead_letters;
        double load[1] = {0};
        if (::getloadavg(load, 1) == 1) s.load_1min = load[0];
        s.cores = static_cast<std::uint32_t>(std::max(1L, ::sysconf(_SC_NPROCESSORS_ONLN)));
        last_at = at;
        last_cpu = cpu;
        last_spawned = st.spawned;
        last_delivered = st.delivered;
        const std::lock_guard lock(status_m);
        latest = std::move(s);
    }

    /// Every period: measure, and join what was heard of; in between,
    /// join the nodes multicast announced at once.
    void measure_loop() {
        std::unique_lock lock(status_m);
        auto next = std::chrono::steady_clock::now() + options.status_period;
        for (;;) {
            status_cv.wait_until(lock, next, [&] { return stopping || !announced.empty(); });
            if (stopping) return;
            std::vector<std::string> to_join = std::move(announced);
            announced.clear();
            lock.unlock();
            try {
                join_announced(to_join);
                if (std::chrono::steady_clock::now() >= next) {
                    next = std::chrono::steady_clock::now() + options.status_period;
                    measure();
                    join_what_we_heard_of();
                    heal_all();
                }
            } catch (...) {  // (out of memory: next period)
            }
            lock.lock();
        }
    }

    /// Every period, a heal with each member: names registered on two
    /// connected members without a claim (plain register_name, supervisor
    /// names) are reconciled within a period too.
    void heal_all() {
        for (const std::string& peer : members_now()) start_heal(peer);
    }

    /// Addresses announced by multicast, not yet joined (under status_m).
    std::vector<std::string> announced;
    std::unique_ptr<announcer> multicast;

    /// A valid announcement (the announcer's thread): queued for the
    /// measurer, unless that node is connected or queued already. A node
    /// that announces a loopback address (it listens on a wildcard address
    /// without advertise_host) from another host is reached at the address
    /// the announcement came from.
    void on_announced(const announcement& a) {
        const std::vector<std::string> connected = node.peers();
        if (std::find(connected.begin(), connected.end(), a.node) != connected.end()) return;
        std::string address = a.address;
        const auto colon = address.rfind(':');
        const auto sender_colon = a.sender.rfind(':');
        if (colon != std::string::npos && sender_colon != std::string::npos &&
            address.rfind("127.", 0) == 0 && a.sender.rfind("127.", 0) != 0)
            address = a.sender.substr(0, sender_colon) + address.substr(colon);
        {
            const std::lock_guard lock(status_m);
            if (std::find(announced.begin(), announced.end(), address) != announced.end()) return;
            if (announced.size() >= 1024) return;  // (bounded: the rest next period)
            announced.push_back(std::move(address));
        }
        status_cv.notify_all();
    }

    void join_announced(const std::vector<std::string>& addresses) {
        for (const std::string& address : addresses)
            if (!connect_to(address)) break;
    }

    /// Connects to "host:port" (blocking; not to this node). False when
    /// the cluster is stopping (then nothing more is tried), else true;
    /// `ok` says whether it connected.
    bool connect_to(const std::string& address, bool* ok = nullptr) {
        {
            const std::lock_guard lock(status_m);
            if (stopping) return false;
        }
        const auto colon = address.rfind(':');
        if (colon == std::string::npos || address == node.address()) return true;
        const int port = std::atoi(address.c_str() + colon + 1);
        if (port <= 0 || port > 65535) return true;
        const bool connected = static_cast<bool>(
            node.connect(address.substr(0, colon), static_cast<std::uint16_t>(port)));
        if (ok) *ok = connected;
        return true;
    }

    /// Connects to the seeds and to the nodes heard of that are not
    /// connected (each at most once per period; blocking connects on this
    /// thread).
    /// A node heard of (not a seed) is forgotten after this many failed
    /// connects in a row: it has gone (its peers heard of it before).
    static constexpr int heard_attempts = 3;

    void join_what_we_heard_of() {
        const std::vector<std::string> connected = node.peers();
        auto is_peer = [&](const std::string& n) {
            return std::find(connected.begin(), connected.end(), n) != connected.end();
        };
        for (const auto& [n, address] : node.heard_of()) {
            if (n == node.name() || is_peer(n)) {
                failures.erase(n);
                continue;
            }
            bool ok = false;
            if (!connect_to(address, &ok)) return;
            if (ok) {
                failures.erase(n);
            } else if (++failures[n] >= heard_attempts) {
                failures.erase(n);
                node.forget(n);
            }
        }
        for (const std::string& seed : options.seeds) {
            if (std::find(seed_done.begin(), seed_done.end(), seed) != seed_done.end()) continue;
            bool ok = false;
            if (!connect_to(seed, &ok)) return;
            if (ok) seed_done.push_back(seed);
        }
    }
    std::vector<std::string> seed_done;   ///< seeds joined (measurer thread)
    std::map<std::string, int> failures;  ///< failed connects in a row, by node (measurer thread)
    mutable std::mutex m;
    std::vector<std::string> peers;  ///< connected members, sorted (under m)
    std::vector<pid> subscribers;    ///< (under m)

    /// The connected members now (sorted; not this node).
    std::vector<std::string> members_now() const {
        const std::lock_guard lock(m);
        return peers;
    }

    std::weak_ptr<impl> self_ref;  ///< (for the heal processes)

    impl(net::node& n, cluster_options o) : node(n), rt(n.runtime_of()), options(o) {}

    /// Names this node is claiming now (register_name in progress), and
    /// whether it yielded one to a member of lower id meanwhile.
    std::mutex claims_m;
    std::map<std::string, bool, std::less<>> claiming;  ///< name -> yielded

    /// Another member claims `name` (CAF's thread): "free", or "taken".
    std::string on_claim(std::string_view request) {
        wire_reader r(request);
        std::string name;
        std::uint64_t claimant = 0;
        wire_read(r, name);
        wire_read(r, claimant);
        {
            const std::lock_guard lock(claims_m);
            if (auto it = claiming.find(name); it != claiming.end()) {
                // Both claim it: the lower node id wins (the same answer on
                // both sides).
                if (claimant < rt.node_id()) {
                    it->second = true;  // (ours will fail)
                    return "free";
                }
                return "taken";
            }
        }
        return rt.whereis(name) ? "taken" : "free";
    }

    /// A member asks for this node's names (heal): [node id][names].
    std::string on_list() const {
        std::vector<std::string> names;
        for (auto& [name, holder] : rt.registered_names()) names.push_back(std::move(name));
        std::string out;
        wire_writer w(out);
        wire_write(w, rt.node_id());
        wire_write(w, names);
        return out;
    }

    /// A member binds a name to a process of this node (remote children of
    /// its supervisors): "ok", or "refused" (held by another process, or
    /// not a live process here).
    std::string on_bind(std::string_view request) {
        wire_reader r(request);
        std::string name;
        pid p;
        wire_read(r, name);
        wire_read(r, p);
        return bind_here(std::move(name), p) ? "ok" : "refused";
    }

    /// Binds `name` to `p` here: true when bound now or already.
    bool bind_here(std::string name, const pid& p) {
        if (auto holder = rt.whereis(name)) return *holder == p;
        return rt.register_name(std::move(name), p);
    }

    /// Topics shared from this node: name -> wire type.
    std::mutex topics_m;
    std::map<std::string, std::string, std::less<>> topics;  ///< (under topics_m)

    /// Another member looks for a topic: its wire type, or "" (not shared).
    std::string on_find_topic(std::string_view name) {
        const std::lock_guard lock(topics_m);
        const auto it = topics.find(name);
        return it == topics.end() ? std::string() : it->second;
    }

    // Heals: a process per new member compares names (see heal_names).
    std::mutex heal_m;
    std::condition_variable heal_cv;
    bool closed = false;                  ///< ~cluster began (under heal_m)
    int healing = 0;                      ///< heals inside their ask (under heal_m)
    std::uint64_t heals_done = 0;         ///< heals that ran (under heal_m)
    std::set<std::string> heals_pending;  ///< members with a heal spawned, not ended (under heal_m)
    std::uint64_t names_lost = 0;         ///< (under heal_m)

    node_status status_now() const {
        const std::lock_guard lock(status_m);
        return latest;
    }

    /// A peer came or went (the node's watcher thread). Messages are sent
    /// under the lock, so every subscriber sees one order.
    void on_change(const std::string& name, bool up) {
        const std::lock_guard lock(m);
        const auto it = std::lower_bound(peers.begin(), peers.end(), name);
        const bool present = it != peers.end() && *it == name;
        if (up == present) return;               // (already known from node.peers())
        if (up && node.is_hidden(name)) return;  // (a tool, not a member)
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
        if (up) start_heal(name);
    }

    /// Spawns a heal with `peer`, unless one is under way or waiting to run
    /// (at most one per member, also while the runtime is not running).
    void start_heal(const std::string& peer) {
        {
            const std::lock_guard lock(heal_m);
            if (closed || !heals_pending.insert(peer).second) return;
        }
        spawn_options o;
        o.isolated = true;
        std::weak_ptr<impl> me = self_ref;
        try {
            rt.spawn_opt(o, heal_names, std::move(me), peer);
        } catch (...) {
            const std::lock_guard lock(heal_m);
            heals_pending.erase(peer);
            throw;
        }
    }

    /// A member came (up, or back after a partition): names both hold go
    /// to the node with the lower id; here, each name this node loses is
    /// released and its holder gets name_lost. The member does the same
    /// on its side, so the two agree without a further round.
    static task<void> heal_names(std::weak_ptr<impl> weak, std::string peer) {
        std::shared_ptr<impl> c = weak.lock();
        if (!c) co_return;
        struct done_healing {
            impl& c;
            const std::string& peer;
            bool counted = false;
            ~done_healing() {
                {
                    const std::lock_guard lock(c.heal_m);
                    c.heals_pending.erase(peer);
                    if (counted) {
                        --c.healing;
                        ++c.heals_done;
                    }
                }
                c.heal_cv.notify_all();
            }
        } guard{*c, peer};
        {
            const std::lock_guard lock(c->heal_m);
            if (c->closed) co_return;
            ++c->healing;
            guard.counted = true;
        }
        std::string bytes;
        try {
            bytes = co_await c->node.ask(peer, list_service, {}, heal_timeout);
        } catch (const std::exception&) {  // (gone again, or no cluster there: nothing to heal)
            co_return;
        }
        std::uint64_t peer_id = 0;
        std::vector<std::string> names;
        try {
            wire_reader r(bytes);
            wire_read(r, peer_id);
            wire_read(r, names);
        } catch (const wire_error&) {
            co_return;
        }
        if (peer_id >= c->rt.node_id()) co_return;  // (this node keeps what both hold)
        for (const std::string& name : names) {
            const std::optional<pid> holder = c->rt.whereis(name);
            if (!holder || !c->rt.unregister_name(name, *holder)) continue;
            {
                const std::lock_guard lock(c->heal_m);
                ++c->names_lost;
            }
            c->rt.send(*holder, name_lost{name, peer});
        }
    }
};

std::unique_ptr<cluster> cluster::start(net::node& n, cluster_options options) {
    if (options.status_period <= duration::zero())
        throw std::invalid_argument("coronet cluster: status_period must be positive");
    auto p = std::make_shared<impl>(n, options);
    p->self_ref = p;
    p->measure();
    p->join_what_we_heard_of();  // (the seeds, now)
    if (options.multicast) {
        announcement self;
        self.cluster = n.cluster_name();
        self.node = n.name();
        self.node_id = n.runtime_of().node_id();
        self.address = n.address();
        p->multicast = std::make_unique<announcer>(
            *options.multicast, self,
            [raw = p.get()](const announcement& a) { raw->on_announced(a); });
    }
    p->measurer = std::thread([raw = p.get()] { raw->measure_loop(); });
    n.add_service(claim_service, [p](std::string_view req) { return p->on_claim(req); });
    n.add_service(list_service, [p](std::string_view) { return p->on_list(); });
    n.add_service(bind_service, [p](std::string_view req) { return p->on_bind(req); });
    n.add_service(topics_service, [p](std::string_view req) { return p->on_find_topic(req); });
    n.add_service(status_service, [p](std::string_view) {
        std::string out;
        wire_writer w(out);
        wire_write(w, p->status_now());
        return out;
    });
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
            if (n.is_hidden(name)) continue;
            const auto it = std::lower_bound(p->peers.begin(), p->peers.end(), name);
            if (it != p->peers.end() && *it == name) continue;  // (the watcher had it: healing)
            p->start_heal(name);
            p->peers.insert(it, std::move(name));
        }
    }
    return std::unique_ptr<cluster>(new cluster(std::move(p)));
}

cluster::cluster(std::shared_ptr<impl> p) noexcept : p_(std::move(p)) {}

cluster::~cluster() {
    p_->node.unwatch_peers(p_->watch_id);
    p_->node.add_service(status_service, nullptr);
    p_->node.add_service(claim_service, nullptr);
    p_->node.add_service(list_service, nullptr);
    p_->node.add_service(bind_service, nullptr);
    p_->node.add_service(topics_service, nullptr);
    {
        // Heals under way finish their ask (at most heal_timeout); those
        // not started yet see `closed` and do nothing.
        std::unique_lock lock(p_->heal_m);
        p_->closed = true;
        p_->heal_cv.wait(lock, [&] { return p_->healing == 0; });
    }
    {
        const std::lock_guard lock(p_->status_m);
        p_->stopping = true;
    }
    p_->status_cv.notify_all();
    p_->multicast.reset();  // (its thread calls on_announced until then)
    p_->measurer.join();
}

task<bool> cluster::register_name(std::string name, pid p, duration timeout) {
    impl& c = *p_;
    {
        const std::lock_guard lock(c.claims_m);
        if (c.claiming.count(name) != 0) co_return false;  // (a claim of it is under way here)
        c.claiming.emplace(name, false);
    }
    struct done_claiming {
        impl& c;
        const std::string& name;
        ~done_claiming() {
            const std::lock_guard lock(c.claims_m);
            c.claiming.erase(name);
        }
    } guard{c, name};
    if (!c.rt.register_name(name, p)) co_return false;  // held here already
    std::string request;
    wire_writer w(request);
    wire_write(w, name);
    wire_write(w, c.rt.node_id());
    const std::vector<std::string> asked = c.members_now();
    const time_point until = self().now() + timeout;
    bool free = true;
    for (const std::string& peer : asked) {
        const duration left = until - self().now();
        if (left <= duration::zero()) break;
        try {
            const std::string answer = co_await c.node.ask(peer, claim_service, request, left);
            if (answer == "taken") {
                free = false;
                break;
            }
        } catch (const std::exception&) {  // (no answer: it does not hold it)
        }
    }
    {
        const std::lock_guard lock(c.claims_m);
        if (c.claiming[name]) free = false;  // yielded to a lower id meanwhile
    }
    if (!free) {
        (void)c.rt.unregister_name(name, p);
        co_return false;
    }
    co_return true;
}

task<bool> cluster::bind_name(std::string node, std::string name, pid p, duration timeout) {
    if (node == p_->node.name()) co_return p_->bind_here(std::move(name), p);
    std::string request;
    wire_writer w(request);
    wire_write(w, name);
    wire_write(w, p);
    const std::string answer =
        co_await p_->node.ask(std::move(node), bind_service, std::move(request), timeout);
    co_return answer == "ok";
}

void cluster::share_topic_name(std::string_view name, std::string_view wire_type) {
    const std::lock_guard lock(p_->topics_m);
    if (wire_type.empty()) {
        if (auto it = p_->topics.find(name); it != p_->topics.end()) p_->topics.erase(it);
    } else {
        p_->topics.insert_or_assign(std::string(name), std::string(wire_type));
    }
}

task<std::optional<std::pair<std::string, std::string>>> cluster::find_shared_topic(
    std::string name, duration timeout) {
    impl& p = *p_;
    const std::vector<std::string> asked = p.members_now();
    const time_point until = self().now() + timeout;
    for (const std::string& peer : asked) {
        const duration left = until - self().now();
        if (left <= duration::zero()) break;
        std::string wire;
        try {
            wire = co_await p.node.ask(peer, topics_service, name, left);
        } catch (const std::exception&) {  // (gone, or no cluster there)
            continue;
        }
        if (!wire.empty()) co_return std::make_pair(peer, std::move(wire));
    }
    co_return std::nullopt;
}

net::node& cluster::node() const noexcept {
    return p_->node;
}

const announcer* cluster::multicast() const noexcept {
    return p_->multicast.get();
}

bool cluster::wait_heals(std::uint64_t n, duration timeout) const {
    std::unique_lock lock(p_->heal_m);
    return p_->heal_cv.wait_for(lock, timeout, [&] { return p_->heals_done >= n; });
}

std::uint64_t cluster::names_lost() const {
    const std::lock_guard lock(p_->heal_m);
    return p_->names_lost;
}

node_status cluster::status() const {
    return p_->status_now();
}

task<node_status> cluster::status_of(std::string node, duration timeout) {
    if (node == p_->node.name()) co_return status();
    const std::string bytes = co_await p_->node.ask(node, status_service, {}, timeout);
    wire_reader r(bytes);
    node_status s;
    wire_read(r, s);
    co_return s;
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
    const std::vector<std::string> asked = p.members_now();
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
