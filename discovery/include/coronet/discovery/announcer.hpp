#pragma once
/// \file announcer.hpp
/// Peer discovery by authenticated UDP multicast (or broadcast): every
/// period a node announces who it is and where it listens to a group on one
/// interface, and hears the others' announcements. Each announcement is
/// signed with the cluster secret (HMAC-SHA256): a node without the secret
/// can neither join nor speak for another node.
///
/// The datagram (integers little-endian; "str" is a u32 length + bytes):
///
/// | field     | bytes | |
/// |-----------|-------|-|
/// | magic     | 4     | "CNDA" |
/// | version   | 1     | 1 |
/// | cluster   | str   | at most 255 bytes |
/// | node      | str   | the node's name, 1..255 bytes |
/// | node id   | u64   | |
/// | address   | str   | "host:port" it accepts connections on, at most 255 bytes |
/// | timestamp | i64   | when it was sent: ns since the Unix epoch (system clock) |
/// | nonce     | 16    | random bytes |
/// | mac       | 32    | HMAC-SHA256(secret, every byte before it) |
///
/// A received datagram is, in this order: *malformed* (any other shape,
/// another magic or version, trailing bytes), *other_cluster* (another
/// cluster name: not logged, so that clusters may share a group), *bad_mac*
/// (a different secret, or altered: logged to stderr at most once a minute
/// per sender address), *own* (this announcer's node: its own datagrams
/// come back through the loop), *stale* (timestamp more than max_skew away
/// from this host's clock), *replayed* (a (timestamp, nonce) of that node
/// seen before), or *accepted* (on_peer is called).
///
/// Replays are refused with bounded memory: per node (name and id) the
/// (timestamp, nonce) pairs of the last max_skew, at most 256 (beyond that
/// the oldest is forgotten and nothing older than it is accepted from that
/// node any more), for at most 4096 nodes (beyond that the one heard from
/// least recently is forgotten). Older than max_skew is stale anyway.

#include <array>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "coronet/time.hpp"

namespace coronet::discovery {

/// Where and how an announcer announces, and what it accepts.
///
/// **Thread safety:** a value type. **Suspends:** never.
struct multicast_options {
    /// An IPv4 multicast group (224.0.0.0/4; 239.0.0.0/8 is for local
    /// use), or a broadcast address: 255.255.255.255 or the interface's
    /// own (e.g. 192.168.1.255).
    std::string group = "239.255.77.77";
    /// The UDP port; every announcer of a cluster uses the same (several on
    /// one host share it). Not 0.
    std::uint16_t port = 47477;
    /// A local IPv4 address of this host: the interface whose group
    /// membership is joined and which the announcements leave from
    /// (127.0.0.1: this host only).
    std::string interface = "127.0.0.1";
    /// The cluster secret (any bytes, not empty): announcements are signed
    /// with it, and only those signed with it are accepted.
    std::string secret;
    /// How often this node announces itself (the first at once).
    duration period = std::chrono::seconds(1);
    /// Multicast hops (1: this link only); 0..255. (Broadcasts never
    /// leave the link.)
    int ttl = 1;
    /// The largest difference between an announcement's timestamp and this
    /// host's clock that is accepted (the hosts' clocks must agree that
    /// well; an older datagram counts as stale, so a captured one cannot be
    /// replayed later). Above 0.
    duration max_skew = std::chrono::seconds(30);
};

/// What a node says about itself in an announcement.
///
/// **Thread safety:** a value type. **Suspends:** never.
struct announcement {
    std::string cluster;        ///< the cluster's name (may be empty)
    std::string node;           ///< the node's name (not empty)
    std::uint64_t node_id = 0;  ///< the node's id (runtime::node_id)
    std::string address;        ///< "host:port" the node accepts connections on
    /// On receipt: the datagram's source, "ip:port" (what the address's
    /// host may be checked against). Not sent; ignored when announcing.
    std::string sender;
};

/// Counters of an announcer since it started (see the file comment for
/// what each received datagram counts as; each counts once).
///
/// **Thread safety:** a value type. **Suspends:** never.
struct announcer_stats {
    std::uint64_t sent = 0;  ///< announcements sent
    /// Valid announcements of other nodes, counted when on_peer has
    /// returned for them.
    std::uint64_t accepted = 0;
    std::uint64_t bad_mac = 0;        ///< signed with another secret, or altered
    std::uint64_t stale = 0;          ///< timestamp beyond max_skew
    std::uint64_t replayed = 0;       ///< seen before
    std::uint64_t malformed = 0;      ///< not an announcement of this version
    std::uint64_t other_cluster = 0;  ///< another cluster's
    std::uint64_t own = 0;            ///< this announcer's node's own
    friend bool operator==(const announcer_stats&, const announcer_stats&) = default;
};

/// A nonce: random bytes that make each announcement unique.
using announcement_nonce = std::array<std::uint8_t, 16>;

/// The datagram that announces `a` (its `sender` is not sent), signed with
/// `secret`, with `sent_at` and `nonce` as its timestamp and nonce. The
/// announcer makes its own; this is for tests and tools. Throws
/// std::invalid_argument for a field too long (see the table above).
///
/// **Thread safety:** any thread. **Suspends:** never.
std::string encode_announcement(const announcement& a, std::string_view secret,
                                std::chrono::system_clock::time_point sent_at,
                                const announcement_nonce& nonce);

/// Announces one node and hears the others, on a background thread of its
/// own with a plain non-blocking UDP socket (no runtime needed; not a
/// process). Several announcers, in one program or in several, may use the
/// same group and port on one host: each hears all the others (the port is
/// shared with SO_REUSEADDR and SO_REUSEPORT, and multicast loops back).
///
/// ```cpp
/// discovery::multicast_options o;
/// o.secret = "our cluster secret";
/// discovery::announcer a(o, {"prod", "alpha", rt.node_id(), "10.0.0.5:4000"},
///                        [&](const discovery::announcement& p) { queue(p.address); });
/// ```
///
/// **Thread safety:** `stats`, `wait_stats` and `options` from any thread;
/// construct and destroy on one thread (not from `on_peer`). **Suspends:**
/// never; `wait_stats` and the destructor block the calling thread (so not
/// from a process).
class announcer {
  public:
    /// Called on the announcer's thread for every accepted announcement of
    /// another node (so about once a period for each peer; the same node
    /// again when it announces again). It must return quickly, without
    /// blocking long (connect from it without waiting, or queue it): the
    /// thread neither announces nor listens meanwhile. An exception from it
    /// is logged to stderr and dropped. May be empty (announce only).
    using peer_callback = std::function<void(const announcement&)>;

    /// Checks `options` and `self` and starts: binds the port, joins the
    /// group on the interface, and sends the first announcement at once.
    /// Throws std::invalid_argument for bad options (an empty secret, a
    /// group that is neither multicast nor a broadcast address of the
    /// interface, an interface that is not an IPv4 address of this host,
    /// port 0, a period or max_skew not above 0, a ttl outside 0..255, an
    /// empty node name, a field too long), and
    /// std::system_error when the socket cannot be set up.
    announcer(multicast_options options, announcement self, peer_callback on_peer);
    /// Stops the thread (at once: it does not wait for a period) and joins
    /// it; on_peer is not called after it returns.
    ~announcer();
    announcer(const announcer&) = delete;
    announcer& operator=(const announcer&) = delete;

    /// The counters so far.
    announcer_stats stats() const;

    /// Blocks until `pred(stats())` holds (checked now and at every change
    /// of the counters) or `timeout` has passed; true if it holds. `pred`
    /// runs with the counters locked: it must not call this announcer.
    bool wait_stats(const std::function<bool(const announcer_stats&)>& pred,
                    duration timeout) const;

    /// The options it was started with.
    const multicast_options& options() const noexcept;

    struct impl;

  private:
    std::unique_ptr<impl> p_;
};

}  // namespace coronet::discovery
