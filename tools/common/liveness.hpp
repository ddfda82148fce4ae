#pragma once
// The heartbeat both programs use: every node of a cluster, and each
// coronet-ctl, must send heartbeats at one rate (node_options::heartbeat),
// and CAF 0.17 fails a TLS handshake slower than one heartbeat
// (docs/caf017/FINDINGS.md §11). So the default depends only on whether TLS
// is on, which all of them must agree on anyway.

#include <algorithm>
#include <chrono>
#include <optional>

#include <coronet/net/node.hpp>

namespace coronet::tools {

/// Without TLS: the library's 100 ms. With TLS: 1 s, room for a handshake
/// over a WAN (2 round trips and the crypto).
inline constexpr std::chrono::milliseconds plain_heartbeat{100};
inline constexpr std::chrono::milliseconds tls_heartbeat{1000};

/// Sets `o.heartbeat` to `chosen`, or the default above for `o.tls`, and
/// the connection timeout to three heartbeats (at least the library's 1 s).
/// Call it after `o.tls` is set. Any thread; **suspends:** never.
inline void set_liveness(net::node_options& o, std::optional<std::chrono::milliseconds> chosen) {
    const std::chrono::milliseconds h = chosen ? *chosen : o.tls ? tls_heartbeat : plain_heartbeat;
    o.heartbeat = h;
    o.connection_timeout = std::max<coronet::duration>(std::chrono::seconds(1), 3 * h);
}

}  // namespace coronet::tools
