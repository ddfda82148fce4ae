// announcer: authenticated announcements over UDP multicast or broadcast, on
// a thread of its own with a plain POSIX socket (poll on it and an eventfd
// that stops the thread at once).

#include "coronet/discovery/announcer.hpp"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <exception>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <system_error>
#include <thread>
#include <unordered_map>
#include <utility>

#include "coronet/net/hmac.hpp"
#include "coronet/serialize.hpp"

namespace coronet::discovery {

namespace {

using std::chrono::steady_clock;
using std::chrono::system_clock;

constexpr char wire_magic[4] = {'C', 'N', 'D', 'A'};
constexpr std::uint8_t wire_version = 1;
constexpr std::size_t max_field = 255;
constexpr std::size_t mac_size = 32;
/// Larger than any valid announcement (3 fields of 255 bytes and 81 more).
constexpr std::size_t max_datagram = 2048;
constexpr std::size_t nonces_per_node = 256;
constexpr std::size_t max_nodes = 4096;
constexpr std::size_t max_logged_senders = 1024;
constexpr auto log_interval = std::chrono::minutes(1);
/// Datagrams read in one go before the thread looks at the clock again.
constexpr int reads_per_wakeup = 64;

// ------------------------------------------------------------ wire format

void write_field(wire_writer& w, std::string_view s, const char* what) {
    if (s.size() > max_field)
        throw std::invalid_argument(std::string("coronet announcer: the ") + what +
                                    " is longer than 255 bytes");
    w.length(s.size());
    w.raw(s.data(), s.size());
}

std::string read_field(wire_reader& r) {
    const std::size_t n = r.length();
    if (n > max_field) throw wire_error("coronet announcer: a field over 255 bytes");
    return std::string(r.take(n));
}

std::int64_t to_ns(system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

/// A datagram split into its fields; nothing checked but its shape.
struct parsed {
    announcement a;
    std::int64_t timestamp = 0;
    announcement_nonce nonce{};
    std::string_view signed_part;
    std::string_view mac;
};

std::optional<parsed> parse(std::string_view d) {
    if (d.size() < mac_size) return std::nullopt;
    parsed p;
    p.signed_part = d.substr(0, d.size() - mac_size);
    p.mac = d.substr(d.size() - mac_size);
    try {
        wire_reader r(p.signed_part);
        if (r.take(sizeof wire_magic) != std::string_view(wire_magic, sizeof wire_magic))
            return std::nullopt;
        if (r.integer<std::uint8_t>() != wire_version) return std::nullopt;
        p.a.cluster = read_field(r);
        p.a.node = read_field(r);
        p.a.node_id = r.integer<std::uint64_t>();
        p.a.address = read_field(r);
        p.timestamp = r.integer<std::int64_t>();
        const std::string_view n = r.take(p.nonce.size());
        std::memcpy(p.nonce.data(), n.data(), n.size());
        if (r.remaining() != 0 || p.a.node.empty()) return std::nullopt;
    } catch (const wire_error&) {
        return std::nullopt;
    }
    return p;
}

// ------------------------------------------------------------ addresses

in_addr parse_ipv4(const std::string& s, const char* what) {
    in_addr a{};
    if (::inet_pton(AF_INET, s.c_str(), &a) != 1)
        throw std::invalid_argument(std::string("coronet announcer: ") + what + " \"" + s +
                                    "\" is not an IPv4 address");
    return a;
}

std::string to_string(const sockaddr_in& sa) {
    char host[INET_ADDRSTRLEN] = "?";
    ::inet_ntop(AF_INET, &sa.sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(sa.sin_port));
}

std::string to_string(in_addr a) {
    char host[INET_ADDRSTRLEN] = "?";
    ::inet_ntop(AF_INET, &a, host, sizeof host);
    return host;
}

/// The interface of this host that has IPv4 address `a`.
struct interface_info {
    unsigned index = 0;
    std::optional<in_addr> broadcast;
};

interface_info find_interface(in_addr a, const std::string& text) {
    ifaddrs* list = nullptr;
    if (::getifaddrs(&list) != 0)
        throw std::system_error(errno, std::generic_category(), "coronet announcer: getifaddrs");
    std::optional<interface_info> found;
    for (const ifaddrs* i = list; i != nullptr && !found; i = i->ifa_next) {
        if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
        sockaddr_in sa{};
        std::memcpy(&sa, i->ifa_addr, sizeof sa);
        if (sa.sin_addr.s_addr != a.s_addr) continue;
        interface_info info;
        info.index = ::if_nametoindex(i->ifa_name);
        if ((i->ifa_flags & IFF_BROADCAST) != 0 && i->ifa_broadaddr != nullptr) {
            sockaddr_in b{};
            std::memcpy(&b, i->ifa_broadaddr, sizeof b);
            info.broadcast = b.sin_addr;
        }
        found = info;
    }
    ::freeifaddrs(list);
    if (!found || found->index == 0)
        throw std::invalid_argument("coronet announcer: interface \"" + text +
                                    "\" is not an IPv4 address of this host");
    return *found;
}

// ------------------------------------------------------------ the socket

/// A file descriptor, closed once.
class fd_guard {
  public:
    explicit fd_guard(int fd) noexcept : fd_(fd) {}
    ~fd_guard() {
        if (fd_ >= 0) ::close(fd_);
    }
    fd_guard(const fd_guard&) = delete;
    fd_guard& operator=(const fd_guard&) = delete;
    int get() const noexcept { return fd_; }
    int release() noexcept { return std::exchange(fd_, -1); }

  private:
    int fd_;
};

[[noreturn]] void throw_errno(const std::string& what) {
    throw std::system_error(errno, std::generic_category(), "coronet announcer: " + what);
}

template <class T>
void set_option(int fd, int level, int name, const T& value, const char* what) {
    if (::setsockopt(fd, level, name, &value, sizeof value) != 0) throw_errno(what);
}

void check_options(const multicast_options& o, const announcement& self) {
    auto bad = [](const std::string& why) {
        throw std::invalid_argument("coronet announcer: " + why);
    };
    if (o.secret.empty()) bad("the cluster secret is empty");
    if (o.port == 0) bad("port 0 (every announcer of a cluster must use one known port)");
    if (o.period <= duration::zero()) bad("the period is not above 0");
    if (o.max_skew <= duration::zero()) bad("max_skew is not above 0");
    if (o.ttl < 0 || o.ttl > 255) bad("ttl " + std::to_string(o.ttl) + " is outside 0..255");
    if (self.node.empty()) bad("the node name is empty");
    // (The lengths: encoding a test announcement checks them.)
    (void)encode_announcement(self, o.secret, system_clock::now(), announcement_nonce{});
}

/// Makes the socket: bound to the group and port, member of the group (or
/// allowed to broadcast), sending from the interface.
int open_socket(const multicast_options& o) {
    const in_addr group = parse_ipv4(o.group, "group");
    const in_addr local = parse_ipv4(o.interface, "interface");
    const interface_info iface = find_interface(local, o.interface);
    const bool multicast = IN_MULTICAST(ntohl(group.s_addr));
    const bool broadcast = group.s_addr == htonl(INADDR_BROADCAST) ||
                           (iface.broadcast && iface.broadcast->s_addr == group.s_addr);
    if (!multicast && !broadcast)
        throw std::invalid_argument("coronet announcer: group \"" + o.group +
                                    "\" is neither a multicast address nor a broadcast address "
                                    "of interface " +
                                    o.interface);
    const int fd = ::socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw_errno("socket");
    fd_guard guard(fd);
    const int one = 1;
    set_option(fd, SOL_SOCKET, SO_REUSEADDR, one, "SO_REUSEADDR");
    set_option(fd, SOL_SOCKET, SO_REUSEPORT, one, "SO_REUSEPORT");
    // Bound to the group's address, the socket gets only datagrams sent to it.
    sockaddr_in bind_to{};
    bind_to.sin_family = AF_INET;
    bind_to.sin_port = htons(o.port);
    bind_to.sin_addr = group;
    if (::bind(fd, reinterpret_cast<const sockaddr*>(&bind_to), sizeof bind_to) != 0)
        throw_errno("bind to " + o.group + ":" + std::to_string(o.port));
    ip_mreqn via{};
    via.imr_address = local;
    via.imr_ifindex = static_cast<int>(iface.index);
    if (multicast) {
        set_option(fd, IPPROTO_IP, IP_MULTICAST_IF, via, "IP_MULTICAST_IF");
        const int zero = 0;
        set_option(fd, IPPROTO_IP, IP_MULTICAST_ALL, zero, "IP_MULTICAST_ALL");
        const int ttl = o.ttl;
        set_option(fd, IPPROTO_IP, IP_MULTICAST_TTL, ttl, "IP_MULTICAST_TTL");
        set_option(fd, IPPROTO_IP, IP_MULTICAST_LOOP, one, "IP_MULTICAST_LOOP");
        ip_mreqn join = via;
        join.imr_multiaddr = group;
        set_option(fd, IPPROTO_IP, IP_ADD_MEMBERSHIP, join,
                   ("join " + o.group + " on " + o.interface).c_str());
    } else {
        set_option(fd, SOL_SOCKET, SO_BROADCAST, one, "SO_BROADCAST");
        // 255.255.255.255 leaves by the "unicast interface" (without it: by the
        // default route, if there is one; IP_MULTICAST_IF is not used for it).
        const std::uint32_t index = htonl(iface.index);
        set_option(fd, IPPROTO_IP, IP_UNICAST_IF, index, "IP_UNICAST_IF");
    }
    return guard.release();
}

}  // namespace

std::string encode_announcement(const announcement& a, std::string_view secret,
                                system_clock::time_point sent_at, const announcement_nonce& nonce) {
    std::string out;
    out.reserve(128);
    wire_writer w(out);
    w.raw(wire_magic, sizeof wire_magic);
    w.integer(wire_version);
    write_field(w, a.cluster, "cluster name");
    write_field(w, a.node, "node name");
    w.integer(a.node_id);
    write_field(w, a.address, "address");
    w.integer(to_ns(sent_at));
    w.raw(nonce.data(), nonce.size());
    const net::hmac_sha256_tag mac = net::hmac_sha256(secret, out);
    w.raw(mac.data(), mac.size());
    return out;
}

// ------------------------------------------------------------ the announcer

struct announcer::impl {
    impl(multicast_options o, announcement s, peer_callback cb)
        : options(std::move(o)),
          self(std::move(s)),
          on_peer(std::move(cb)),
          socket(open_socket(options)),
          wake(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {
        if (wake.get() < 0) throw_errno("eventfd");
        self.sender.clear();
        destination.sin_family = AF_INET;
        destination.sin_port = htons(options.port);
        destination.sin_addr = parse_ipv4(options.group, "group");
    }

    const multicast_options options;
    announcement self;
    const peer_callback on_peer;
    const fd_guard socket;
    const fd_guard wake;        ///< written once to stop the thread
    sockaddr_in destination{};  ///< the group and port

    mutable std::mutex mutex;
    mutable std::condition_variable changed;
    announcer_stats counters;  ///< guarded by mutex

    // The rest belongs to the thread.

    /// What was heard from one node (by name and id), to refuse replays.
    struct heard {
        std::set<std::pair<std::int64_t, announcement_nonce>> seen;     ///< within max_skew
        std::int64_t floor = std::numeric_limits<std::int64_t>::min();  ///< nothing at or below
        steady_clock::time_point last;
    };
    std::unordered_map<std::string, heard> nodes;
    std::unordered_map<std::string, steady_clock::time_point> logged;  ///< sender ip → last log
    std::optional<steady_clock::time_point> send_error_logged;
    std::thread thread;  ///< (set by the constructor after everything else)

    void run() noexcept;
    void announce();
    void receive_all();
    void handle(std::string_view datagram, const sockaddr_in& from);
    /// Refuses a replay; remembers the announcement otherwise.
    bool first_time(const parsed& p, std::int64_t now_ns);
    void log_bad_mac(const sockaddr_in& from, std::uint64_t so_far);
    void count(std::uint64_t announcer_stats::*field) {
        {
            const std::lock_guard lock(mutex);
            ++(counters.*field);
        }
        changed.notify_all();
    }
};

void announcer::impl::run() noexcept {
    auto next = steady_clock::now();
    for (;;) {
        auto now = steady_clock::now();
        if (now >= next) {
            announce();
            next += options.period;
            if (next <= now) next = now + options.period;  // (fell behind: no burst)
        }
        const auto wait = std::chrono::ceil<std::chrono::milliseconds>(next - now);
        pollfd fds[2] = {{socket.get(), POLLIN, 0}, {wake.get(), POLLIN, 0}};
        const int timeout = static_cast<int>(std::clamp<std::int64_t>(wait.count(), 0, 60'000));
        if (::poll(fds, 2, timeout) < 0 && errno != EINTR) {
            std::fprintf(stderr, "coronet announcer: poll failed: %s; stopped\n",
                         std::strerror(errno));
            return;
        }
        if (fds[1].revents != 0) return;
        if (fds[0].revents != 0) receive_all();
    }
}

void announcer::impl::announce() {
    try {
        announcement_nonce nonce;
        net::random_bytes(nonce);
        const std::string d = encode_announcement(self, options.secret, system_clock::now(), nonce);
        if (::sendto(socket.get(), d.data(), d.size(), 0,
                     reinterpret_cast<const sockaddr*>(&destination),
                     sizeof destination) == static_cast<ssize_t>(d.size())) {
            count(&announcer_stats::sent);
            return;
        }
        const auto now = steady_clock::now();
        if (!send_error_logged || now - *send_error_logged >= log_interval) {
            send_error_logged = now;
            std::fprintf(stderr,
                         "coronet announcer: cannot send to %s:%u: %s (logged once a minute)\n",
                         options.group.c_str(), unsigned{options.port}, std::strerror(errno));
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "coronet announcer: cannot announce: %s\n", e.what());
    }
}

void announcer::impl::receive_all() {
    char buf[max_datagram];
    for (int i = 0; i < reads_per_wakeup; ++i) {
        sockaddr_in from{};
        socklen_t len = sizeof from;
        const ssize_t n = ::recvfrom(socket.get(), buf, sizeof buf, MSG_TRUNC,
                                     reinterpret_cast<sockaddr*>(&from), &len);
        if (n < 0) return;  // EAGAIN, or an error reported by an earlier send (ICMP)
        if (static_cast<std::size_t>(n) > sizeof buf) {
            count(&announcer_stats::malformed);
            continue;
        }
        handle(std::string_view(buf, static_cast<std::size_t>(n)), from);
    }
}

void announcer::impl::handle(std::string_view datagram, const sockaddr_in& from) {
    auto p = parse(datagram);
    if (!p) return count(&announcer_stats::malformed);
    if (p->a.cluster != self.cluster) return count(&announcer_stats::other_cluster);
    const net::hmac_sha256_tag mac = net::hmac_sha256(options.secret, p->signed_part);
    const auto* got = reinterpret_cast<const std::uint8_t*>(p->mac.data());
    if (!net::hmac_equal(mac, std::span<const std::uint8_t>(got, p->mac.size()))) {
        std::uint64_t so_far = 0;
        {
            const std::lock_guard lock(mutex);
            so_far = ++counters.bad_mac;
        }
        changed.notify_all();
        return log_bad_mac(from, so_far);
    }
    if (p->a.node_id == self.node_id && p->a.node == self.node) return count(&announcer_stats::own);
    const std::int64_t now = to_ns(system_clock::now());
    const std::int64_t skew = options.max_skew.count();
    // (|now - timestamp| > skew, without overflow for any timestamp.)
    const bool stale =
        p->timestamp < now
            ? static_cast<std::uint64_t>(now) - static_cast<std::uint64_t>(p->timestamp) >
                  static_cast<std::uint64_t>(skew)
            : static_cast<std::uint64_t>(p->timestamp) - static_cast<std::uint64_t>(now) >
                  static_cast<std::uint64_t>(skew);
    if (stale) return count(&announcer_stats::stale);
    if (!first_time(*p, now)) return count(&announcer_stats::replayed);
    p->a.sender = to_string(from);
    try {
        if (on_peer) on_peer(p->a);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "coronet announcer: on_peer threw: %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "coronet announcer: on_peer threw\n");
    }
    count(&announcer_stats::accepted);  // (after on_peer: what waits for it sees its effects)
}

bool announcer::impl::first_time(const parsed& p, std::int64_t now_ns) {
    std::string key = p.a.node;
    key += '\0';
    key += std::to_string(p.a.node_id);
    auto it = nodes.find(key);
    if (it == nodes.end()) {
        if (nodes.size() >= max_nodes) {
            nodes.erase(std::min_element(
                nodes.begin(), nodes.end(),
                [](const auto& a, const auto& b) { return a.second.last < b.second.last; }));
        }
        it = nodes.emplace(std::move(key), heard{}).first;
    }
    heard& h = it->second;
    h.last = steady_clock::now();
    // What is older than max_skew is refused as stale before it gets here.
    const std::int64_t skew = options.max_skew.count();
    const std::int64_t oldest = now_ns > std::numeric_limits<std::int64_t>::min() + skew
                                    ? now_ns - skew
                                    : std::numeric_limits<std::int64_t>::min();
    while (!h.seen.empty() && h.seen.begin()->first < oldest) h.seen.erase(h.seen.begin());
    if (p.timestamp <= h.floor) return false;
    if (!h.seen.emplace(p.timestamp, p.nonce).second) return false;
    if (h.seen.size() > nonces_per_node) {
        h.floor = h.seen.begin()->first;
        h.seen.erase(h.seen.begin());
    }
    return true;
}

void announcer::impl::log_bad_mac(const sockaddr_in& from, std::uint64_t so_far) {
    const std::string ip = to_string(from.sin_addr);
    const auto now = steady_clock::now();
    auto it = logged.find(ip);
    if (it != logged.end() && now - it->second < log_interval) return;
    if (it == logged.end()) {
        if (logged.size() >= max_logged_senders)
            std::erase_if(logged, [&](const auto& e) { return now - e.second >= log_interval; });
        if (logged.size() >= max_logged_senders) return;  // (still counted)
        it = logged.emplace(ip, now).first;
    }
    it->second = now;
    std::fprintf(stderr,
                 "coronet announcer: ignored an announcement from %s for cluster \"%s\" with a bad "
                 "MAC (another cluster secret?); %llu so far (logged once a minute per sender)\n",
                 to_string(from).c_str(), self.cluster.c_str(),
                 static_cast<unsigned long long>(so_far));
}

announcer::announcer(multicast_options options, announcement self, peer_callback on_peer) {
    check_options(options, self);
    p_ = std::make_unique<impl>(std::move(options), std::move(self), std::move(on_peer));
    p_->thread = std::thread([p = p_.get()] { p->run(); });
}

announcer::~announcer() {
    const std::uint64_t one = 1;
    if (::write(p_->wake.get(), &one, sizeof one) != sizeof one)
        std::fprintf(stderr, "coronet announcer: cannot wake its thread: %s\n",
                     std::strerror(errno));
    p_->thread.join();
}

announcer_stats announcer::stats() const {
    const std::lock_guard lock(p_->mutex);
    return p_->counters;
}

bool announcer::wait_stats(const std::function<bool(const announcer_stats&)>& pred,
                           duration timeout) const {
    std::unique_lock lock(p_->mutex);
    auto holds = [&] { return pred(p_->counters); };
    if (timeout >= std::chrono::hours(24 * 365)) {
        p_->changed.wait(lock, holds);
        return true;
    }
    return p_->changed.wait_for(lock, timeout, holds);
}

const multicast_options& announcer::options() const noexcept {
    return p_->options;
}

}  // namespace coronet::discovery
