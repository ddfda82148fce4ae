// discovery::announcer: authenticated multicast announcements on loopback
// (several announcers in this program and in coronet_test_announcer
// processes), and between two network namespaces joined by a veth pair,
// which the test creates when it runs as root ("separate hosts").
//
// Synchronisation: every wait is on a condition variable (the announcer's
// wait_stats, the recorder of on_peer below) or a poll on a child's output,
// each bounded by `patience`; nothing sleeps. Each test process uses a
// multicast group of its own (239.x.y.z from its pid), so tests run in
// parallel (ctest -j) do not hear each other.

#include <coronet/discovery/announcer.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>
#include <catch2/catch.hpp>
#include <coronet/net/hmac.hpp>
#include <coronet/net/subprocess.hpp>

using namespace std::chrono_literals;
using namespace coronet;
using namespace coronet::discovery;

namespace {

/// How long any wait may take (generous: sanitizers on a loaded 2-core
/// machine); a passing run takes a few periods.
constexpr auto patience = 10s;
constexpr auto period = 50ms;

/// 239.x.y.z from this process's pid (pids are below 2^22).
std::string own_group() {
    const auto p = static_cast<unsigned>(::getpid());
    return "239." + std::to_string((p >> 16) & 0xff) + "." + std::to_string((p >> 8) & 0xff) + "." +
           std::to_string(p & 0xff);
}

multicast_options options(std::uint16_t port, std::string secret = "the secret") {
    multicast_options o;
    o.group = own_group();
    o.port = port;
    o.interface = "127.0.0.1";
    o.secret = std::move(secret);
    o.period = period;
    return o;
}

announcement who(std::string node, std::uint64_t id, std::string cluster = "test") {
    return {std::move(cluster), node, id, node + ".example:4000", {}};
}

/// What on_peer got, with a wait for it.
class recorder {
  public:
    announcer::peer_callback callback() {
        return [this](const announcement& a) {
            {
                const std::lock_guard lock(m_);
                got_.push_back(a);
            }
            cv_.notify_all();
        };
    }
    /// Waits (at most `patience`) until `node` was heard; true if it was.
    bool wait_for(const std::string& node) {
        std::unique_lock lock(m_);
        return cv_.wait_for(lock, patience, [&] { return find(node) != nullptr; });
    }
    /// A copy of the first announcement of `node`, or an empty one.
    announcement first(const std::string& node) {
        const std::lock_guard lock(m_);
        const announcement* a = find(node);
        return a ? *a : announcement{};
    }
    std::size_t count() {
        const std::lock_guard lock(m_);
        return got_.size();
    }

  private:
    const announcement* find(const std::string& node) const {
        for (const auto& a : got_)
            if (a.node == node) return &a;
        return nullptr;
    }
    std::mutex m_;
    std::condition_variable cv_;
    std::vector<announcement> got_;
};

/// A plain UDP socket on the group: sends datagrams to it, and captures
/// what is sent there.
class raw_socket {
  public:
    explicit raw_socket(const multicast_options& o) : fd_(::socket(AF_INET, SOCK_DGRAM, 0)) {
        REQUIRE(fd_ >= 0);
        const int one = 1;
        REQUIRE(::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == 0);
        REQUIRE(::setsockopt(fd_, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) == 0);
        group_.sin_family = AF_INET;
        group_.sin_port = htons(o.port);
        REQUIRE(::inet_pton(AF_INET, o.group.c_str(), &group_.sin_addr) == 1);
        REQUIRE(::bind(fd_, reinterpret_cast<const sockaddr*>(&group_), sizeof group_) == 0);
        ip_mreqn m{};
        m.imr_multiaddr = group_.sin_addr;
        REQUIRE(::inet_pton(AF_INET, "127.0.0.1", &m.imr_address) == 1);
        REQUIRE(::setsockopt(fd_, IPPROTO_IP, IP_MULTICAST_IF, &m, sizeof m) == 0);
        REQUIRE(::setsockopt(fd_, IPPROTO_IP, IP_ADD_MEMBERSHIP, &m, sizeof m) == 0);
    }
    ~raw_socket() { ::close(fd_); }
    raw_socket(const raw_socket&) = delete;
    raw_socket& operator=(const raw_socket&) = delete;

    void send(const std::string& d) {
        REQUIRE(::sendto(fd_, d.data(), d.size(), 0, reinterpret_cast<const sockaddr*>(&group_),
                         sizeof group_) == static_cast<ssize_t>(d.size()));
    }
    /// The next datagram that contains `text` (at most 1000 looked at, each
    /// waited for at most `patience`).
    std::string capture(const std::string& text) {
        for (int i = 0; i < 1000; ++i) {
            pollfd p{fd_, POLLIN, 0};
            REQUIRE(::poll(&p, 1, static_cast<int>(std::chrono::milliseconds(patience).count())) ==
                    1);
            char buf[2048];
            const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
            REQUIRE(n > 0);
            std::string d(buf, static_cast<std::size_t>(n));
            if (d.find(text) != std::string::npos) return d;
        }
        FAIL("no datagram with " << text);
        return {};
    }

  private:
    int fd_;
    sockaddr_in group_{};
};

}  // namespace

TEST_CASE("announcers with one secret hear each other on loopback",
          "[discovery][announcer][net][threads]") {
    recorder heard_by_a, heard_by_b;
    announcer a(options(47601), who("alpha", 1), heard_by_a.callback());
    announcer b(options(47601), who("beta", 2), heard_by_b.callback());
    REQUIRE(heard_by_a.wait_for("beta"));
    REQUIRE(heard_by_b.wait_for("alpha"));
    const announcement beta = heard_by_a.first("beta");
    CHECK(beta.cluster == "test");
    CHECK(beta.node_id == 2);
    CHECK(beta.address == "beta.example:4000");
    CHECK(beta.sender == "127.0.0.1:47601");
    CHECK(heard_by_b.first("alpha").node_id == 1);
    CHECK(a.stats().bad_mac == 0);
    CHECK(b.stats().sent >= 1);
}

TEST_CASE("an announcer hears its own announcements and ignores them",
          "[discovery][announcer][net][threads]") {
    recorder heard;
    announcer a(options(47602), who("alpha", 1), heard.callback());
    REQUIRE(a.wait_stats([](const announcer_stats& s) { return s.own >= 3; }, patience));
    const announcer_stats s = a.stats();
    CHECK(s.sent >= 3);
    CHECK(s.accepted == 0);
    CHECK(heard.count() == 0);
}

TEST_CASE("an announcer with another secret is refused and counted as bad_mac",
          "[discovery][announcer][net][threads]") {
    recorder heard_by_a, heard_by_b;
    announcer a(options(47603, "the secret"), who("alpha", 1), heard_by_a.callback());
    announcer b(options(47603, "another secret"), who("mallory", 2), heard_by_b.callback());
    auto refused_some = [](const announcer_stats& s) { return s.bad_mac >= 3; };
    REQUIRE(a.wait_stats(refused_some, patience));
    REQUIRE(b.wait_stats(refused_some, patience));
    CHECK(a.stats().accepted == 0);
    CHECK(b.stats().accepted == 0);
    CHECK(heard_by_a.count() == 0);
    CHECK(heard_by_b.count() == 0);
}

TEST_CASE("a replayed announcement is refused", "[discovery][announcer][net][threads]") {
    const multicast_options o = options(47604);
    raw_socket raw(o);
    std::string captured;
    {
        multicast_options once = o;
        once.period = 1h;  // (its first announcement is its only one)
        announcer b(once, who("beta", 2), nullptr);
        captured = raw.capture("beta");
    }
    recorder heard;
    announcer a(o, who("alpha", 1), heard.callback());
    raw.send(captured);
    raw.send(captured);
    raw.send(captured);
    REQUIRE(a.wait_stats([](const announcer_stats& s) { return s.accepted + s.replayed >= 3; },
                         patience));
    const announcer_stats s = a.stats();
    CHECK(s.accepted == 1);
    CHECK(s.replayed >= 2);  // (3 if the original reached `a` too)
    CHECK(heard.count() == 1);
    CHECK(heard.first("beta").node_id == 2);
}

TEST_CASE("announcements with a timestamp beyond max_skew are refused as stale",
          "[discovery][announcer][net][threads]") {
    multicast_options o = options(47605);
    o.max_skew = 5s;
    raw_socket raw(o);
    recorder heard;
    announcer a(o, who("alpha", 1), heard.callback());
    const auto now = std::chrono::system_clock::now();
    raw.send(encode_announcement(who("old", 2), o.secret, now - 1min, {1}));
    raw.send(encode_announcement(who("future", 3), o.secret, now + 1min, {2}));
    raw.send(encode_announcement(who("fresh", 4), o.secret, now, {3}));
    REQUIRE(
        a.wait_stats([](const announcer_stats& s) { return s.stale + s.accepted >= 3; }, patience));
    CHECK(a.stats().stale == 2);
    CHECK(a.stats().accepted == 1);
    CHECK(heard.count() == 1);
    CHECK(heard.first("fresh").node_id == 4);
}

TEST_CASE("announcements of another cluster are ignored", "[discovery][announcer][net][threads]") {
    recorder heard_by_a, heard_by_b;
    announcer a(options(47606), who("alpha", 1, "blue"), heard_by_a.callback());
    announcer b(options(47606), who("beta", 2, "green"), heard_by_b.callback());
    auto ignored_some = [](const announcer_stats& s) { return s.other_cluster >= 3; };
    REQUIRE(a.wait_stats(ignored_some, patience));
    REQUIRE(b.wait_stats(ignored_some, patience));
    CHECK(a.stats().bad_mac == 0);
    CHECK(a.stats().accepted == 0);
    CHECK(heard_by_a.count() == 0);
    CHECK(heard_by_b.count() == 0);
}

TEST_CASE("malformed and altered datagrams are dropped", "[discovery][announcer][net][threads]") {
    const multicast_options o = options(47607);
    raw_socket raw(o);
    recorder heard;
    announcer a(o, who("alpha", 1), heard.callback());
    const auto now = std::chrono::system_clock::now();
    const std::string good = encode_announcement(who("beta", 2), o.secret, now, {7});
    raw.send("hello");                          // malformed: too short
    raw.send(good.substr(0, good.size() - 1));  // malformed: cut
    raw.send(good + "x");                       // malformed: trailing byte
    std::string altered = good;
    altered[altered.find("beta")] = 'B';  // bad_mac: not what was signed
    raw.send(altered);
    std::string bad_tag = good;
    bad_tag.back() = static_cast<char>(bad_tag.back() ^ 1);  // bad_mac: tag changed
    raw.send(bad_tag);
    raw.send(good);
    REQUIRE(a.wait_stats(
        [](const announcer_stats& s) { return s.malformed + s.bad_mac + s.accepted >= 6; },
        patience));
    const announcer_stats s = a.stats();
    CHECK(s.malformed == 3);
    CHECK(s.bad_mac == 2);
    CHECK(s.accepted == 1);
    CHECK(heard.count() == 1);
}

TEST_CASE("an announcement datagram has the documented layout and HMAC-SHA256",
          "[discovery][announcer][net]") {
    // RFC 4231, test case 2: the MAC is HMAC-SHA256 indeed.
    const net::hmac_sha256_tag rfc = net::hmac_sha256("Jefe", "what do ya want for nothing?");
    const std::string rfc_hex = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
    std::string hex;
    for (const auto b : rfc) {
        const char digits[] = "0123456789abcdef";
        hex += digits[b >> 4];
        hex += digits[b & 15];
    }
    CHECK(hex == rfc_hex);

    const announcement a{"cl", "node", 0x0102030405060708u, "h:1", "ignored"};
    const auto at =
        std::chrono::system_clock::time_point(std::chrono::nanoseconds(0x1122334455667788));
    announcement_nonce nonce;
    for (std::size_t i = 0; i < nonce.size(); ++i) nonce[i] = static_cast<std::uint8_t>(0xa0 + i);
    const std::string d = encode_announcement(a, "k", at, nonce);
    using namespace std::string_literals;
    const std::string body = "CNDA\x01"s + "\x02\0\0\0cl"s + "\x04\0\0\0node"s +
                             "\x08\x07\x06\x05\x04\x03\x02\x01"s + "\x03\0\0\0h:1"s +
                             "\x88\x77\x66\x55\x44\x33\x22\x11"s +
                             std::string(reinterpret_cast<const char*>(nonce.data()), nonce.size());
    REQUIRE(d.size() == body.size() + 32);
    CHECK(d.substr(0, body.size()) == body);
    const net::hmac_sha256_tag mac = net::hmac_sha256("k", body);
    CHECK(d.substr(body.size()) == std::string(reinterpret_cast<const char*>(mac.data()), 32));
    CHECK(net::hmac_equal(mac, net::hmac_sha256("k", body)));
    CHECK_FALSE(net::hmac_equal(mac, net::hmac_sha256("K", body)));
}

TEST_CASE("bad announcer options throw at start", "[discovery][announcer][net][threads]") {
    auto start = [](multicast_options o, announcement self = who("alpha", 1)) {
        announcer a(std::move(o), std::move(self), nullptr);
    };
    const multicast_options good = options(47608);
    CHECK_NOTHROW(start(good));
    auto with = [&](auto change) {
        multicast_options o = good;
        change(o);
        return o;
    };
    using invalid = std::invalid_argument;
    CHECK_THROWS_AS(start(with([](auto& o) { o.secret.clear(); })), invalid);
    CHECK_THROWS_AS(start(with([](auto& o) { o.port = 0; })), invalid);
    CHECK_THROWS_AS(start(with([](auto& o) { o.group = "not-an-address"; })), invalid);
    CHECK_THROWS_AS(start(with([](auto& o) { o.group = "10.1.2.3"; })), invalid);
    CHECK_THROWS_AS(start(with([](auto& o) { o.interface = "192.0.2.77"; })), invalid);
    CHECK_THROWS_AS(start(with([](auto& o) { o.interface = "::1"; })), invalid);
    CHECK_THROWS_AS(start(with([](auto& o) { o.ttl = 256; })), invalid);
    CHECK_THROWS_AS(start(with([](auto& o) { o.period = 0s; })), invalid);
    CHECK_THROWS_AS(start(with([](auto& o) { o.max_skew = -1s; })), invalid);
    CHECK_THROWS_AS(start(good, who("", 1)), invalid);
    CHECK_THROWS_AS(start(good, who("alpha", 1, std::string(256, 'c'))), invalid);
    CHECK_THROWS_WITH(
        start(with([](auto& o) { o.interface = "192.0.2.77"; })),
        Catch::Contains("192.0.2.77") && Catch::Contains("not an IPv4 address of this host"));
}

// ------------------------------------------------------------ other processes

namespace {

/// coronet_test_announcer in a process of its own, started through
/// `prefix` (e.g. `ip netns exec <ns>`), and the lines it printed.
class child {
  public:
    child(std::vector<std::string> prefix, std::vector<std::string> args) {
        std::vector<std::string> argv = std::move(prefix);
        argv.push_back(CORONET_TEST_ANNOUNCER);
        argv.insert(argv.end(), args.begin(), args.end());
        net::subprocess_options so;
        so.err = net::stdio::inherit;  // (its sanitizer reports and logs)
        auto sp = net::subprocess::start(argv[0], {argv.begin() + 1, argv.end()}, so);
        REQUIRE(sp);
        sp_ = std::move(*sp);
        wait_line([](const std::string& l) { return l == "READY"; });
    }

    /// Reads until a line satisfies `pred` (at most `patience`); that line.
    template <class Pred>
    std::string wait_line(Pred pred) {
        for (std::size_t i = 0;; ++i) {
            if (i == lines_.size() && !read_line()) FAIL("no such line from the child in time");
            if (i < lines_.size() && pred(lines_[i])) return lines_[i];
        }
    }
    /// Waits for the line "PEER <node> ...".
    std::string wait_peer(const std::string& node) {
        return wait_line(
            [&](const std::string& l) { return l.rfind("PEER " + node + " ", 0) == 0; });
    }
    /// Waits for a STATS line with at least `n` bad MACs.
    void wait_bad_mac(int n) {
        wait_line([&](const std::string& l) {
            const auto at = l.find(" bad_mac=");
            return l.rfind("STATS ", 0) == 0 && at != std::string::npos &&
                   std::stoi(l.substr(at + 9)) >= n;
        });
    }
    /// Closes its input (it ends then) and reads what it printed until its end.
    void finish() {
        sp_.in().close();
        while (read_line()) {
        }
        CHECK(eof_);
    }
    /// Whether any line so far starts with `prefix`.
    bool printed(const std::string& prefix) const {
        for (const auto& l : lines_)
            if (l.rfind(prefix, 0) == 0) return true;
        return false;
    }

  private:
    /// Reads one more line; false at the end or after `patience`.
    bool read_line() {
        const auto until = std::chrono::steady_clock::now() + patience;
        for (;;) {
            const auto nl = buf_.find('\n');
            if (nl != std::string::npos) {
                lines_.push_back(buf_.substr(0, nl));
                buf_.erase(0, nl + 1);
                if (lines_.back().rfind("ERROR", 0) == 0) FAIL("the child says " << lines_.back());
                return true;
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                until - std::chrono::steady_clock::now());
            if (eof_ || left.count() <= 0) return false;
            pollfd p{sp_.out().native_handle(), POLLIN, 0};
            if (::poll(&p, 1, static_cast<int>(left.count())) != 1) continue;
            char chunk[512];
            const ssize_t n = ::read(p.fd, chunk, sizeof chunk);
            if (n > 0) buf_.append(chunk, static_cast<std::size_t>(n));
            if (n == 0) eof_ = true;
        }
    }

    net::subprocess sp_;
    std::string buf_;
    std::vector<std::string> lines_;
    bool eof_ = false;
};

std::vector<std::string> child_args(std::string name, std::string secret, std::string interface,
                                    std::string group, std::uint16_t port) {
    return {"name=" + name,
            "secret=" + secret,
            "interface=" + interface,
            "group=" + group,
            "port=" + std::to_string(port),
            "cluster=test",
            "period_ms=50"};
}

}  // namespace

TEST_CASE("announcers in other processes join with the secret and are refused without it",
          "[discovery][announcer][net][threads]") {
    const multicast_options o = options(47609);
    recorder heard;
    announcer alpha(o, who("alpha", 1), heard.callback());
    child beta({}, child_args("beta", o.secret, "127.0.0.1", o.group, o.port));
    child mallory({}, child_args("mallory", "not the secret", "127.0.0.1", o.group, o.port));
    REQUIRE(heard.wait_for("beta"));
    CHECK(heard.first("beta").address == "beta.example:4000");
    beta.wait_peer("alpha");
    REQUIRE(alpha.wait_stats([](const announcer_stats& s) { return s.bad_mac >= 2; }, patience));
    mallory.wait_bad_mac(2);
    beta.finish();
    mallory.finish();
    CHECK(heard.first("mallory").node.empty());
    CHECK_FALSE(beta.printed("PEER mallory"));
    CHECK_FALSE(mallory.printed("PEER"));
}

// ------------------------------------------------------------ network namespaces

namespace {

/// Runs a shell command; its exit status (0: success).
int shell(const std::string& command) {
    return std::system((command + " >/dev/null 2>&1").c_str());
}

/// The `ip` program (iproute2), or empty.
std::string ip_program() {
    for (const char* p : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"})
        if (::access(p, X_OK) == 0) return p;
    return {};
}

/// Deletes the namespaces that tests killed before they could clean up
/// left behind ("coronet-test-<pid>-a" of a pid that is gone).
void delete_leftovers(const std::string& ip) {
    const std::string prefix = "coronet-test-";
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator("/run/netns", ec)) {
        const std::string name = e.path().filename().string();
        if (name.rfind(prefix, 0) != 0) continue;
        const int pid = std::atoi(name.c_str() + prefix.size());
        if (pid > 0 && ::kill(pid, 0) != 0 && errno == ESRCH) shell(ip + " netns del " + name);
    }
}

/// Two network namespaces ("hosts") joined by a veth pair: 10.199.0.1/24
/// in `a`, 10.199.0.2/24 in `b`. Deleted by the destructor, whatever
/// happened (deleting a namespace deletes its end of the pair).
class two_hosts {
  public:
    two_hosts() {
        const std::string tag = "coronet-test-" + std::to_string(::getpid());
        a = tag + "-a";
        b = tag + "-b";
        if (::geteuid() != 0) {
            why_not = "not running as root";
            return;
        }
        ip = ip_program();
        if (ip.empty()) {
            why_not = "the ip program (iproute2) is not installed";
            return;
        }
        delete_leftovers(ip);
        const std::vector<std::string> steps = {
            ip + " netns add " + a,
            ip + " netns add " + b,
            ip + " -n " + a + " link add veth0 type veth peer name veth1 netns " + b,
            ip + " -n " + a + " addr add 10.199.0.1/24 brd + dev veth0",
            ip + " -n " + b + " addr add 10.199.0.2/24 brd + dev veth1",
            ip + " -n " + a + " link set lo up",
            ip + " -n " + b + " link set lo up",
            ip + " -n " + a + " link set veth0 up",
            ip + " -n " + b + " link set veth1 up",
        };
        for (const auto& s : steps) {
            if (shell(s) != 0) {
                why_not = "\"" + s + "\" failed (no permission to create network namespaces?)";
                return;
            }
        }
        ready = true;
    }
    ~two_hosts() {
        if (ip.empty()) return;
        shell(ip + " netns del " + a);
        shell(ip + " netns del " + b);
    }
    two_hosts(const two_hosts&) = delete;
    two_hosts& operator=(const two_hosts&) = delete;

    /// The prefix that runs a program in namespace `ns`.
    std::vector<std::string> in(const std::string& ns) const { return {ip, "netns", "exec", ns}; }

    std::string ip, a, b;
    bool ready = false;
    std::string why_not;
};

}  // namespace

TEST_CASE(
    "announcers on two hosts in network namespaces join with the secret and are refused "
    "without it",
    "[discovery][announcer][net][threads]") {
    const two_hosts hosts;
    if (!hosts.ready) {
        WARN("skipped: cannot create network namespaces here (" << hosts.why_not
                                                                << "); multicast between "
                                                                   "separate hosts is not tested");
        SUCCEED("skipped for want of network namespaces");
        return;
    }
    SECTION("multicast") {
        const std::string group = "239.255.77.77";
        child alpha(hosts.in(hosts.a), child_args("alpha", "s3cret", "10.199.0.1", group, 47477));
        child beta(hosts.in(hosts.b), child_args("beta", "s3cret", "10.199.0.2", group, 47477));
        child mallory(hosts.in(hosts.b),
                      child_args("mallory", "not the secret", "10.199.0.2", group, 47477));
        const std::string line = alpha.wait_peer("beta");
        CHECK(line == "PEER beta beta.example:4000 10.199.0.2:47477");
        beta.wait_peer("alpha");
        alpha.wait_bad_mac(2);
        mallory.wait_bad_mac(2);
        alpha.finish();
        beta.finish();
        mallory.finish();
        CHECK_FALSE(alpha.printed("PEER mallory"));
        CHECK_FALSE(beta.printed("PEER mallory"));
        CHECK_FALSE(mallory.printed("PEER"));
    }
    SECTION("broadcast to the subnet") {
        const std::string group = "10.199.0.255";
        child alpha(hosts.in(hosts.a), child_args("alpha", "s3cret", "10.199.0.1", group, 47478));
        child beta(hosts.in(hosts.b), child_args("beta", "s3cret", "10.199.0.2", group, 47478));
        CHECK(alpha.wait_peer("beta") == "PEER beta beta.example:4000 10.199.0.2:47478");
        CHECK(beta.wait_peer("alpha") == "PEER alpha alpha.example:4000 10.199.0.1:47478");
        alpha.finish();
        beta.finish();
    }
    SECTION("broadcast to 255.255.255.255") {
        const std::string group = "255.255.255.255";
        child alpha(hosts.in(hosts.a), child_args("alpha", "s3cret", "10.199.0.1", group, 47479));
        child beta(hosts.in(hosts.b), child_args("beta", "s3cret", "10.199.0.2", group, 47479));
        CHECK(alpha.wait_peer("beta") == "PEER beta beta.example:4000 10.199.0.2:47479");
        CHECK(beta.wait_peer("alpha") == "PEER alpha alpha.example:4000 10.199.0.1:47479");
        alpha.finish();
        beta.finish();
    }
}
