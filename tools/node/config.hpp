#pragma once
// coronet-node's configuration: from a config file and the command line
// (the command line wins; `seed` and `load` add up).
//
// Config file: one `key = value` per line, the keys are the long options
// without their dashes (`name = alpha`, `seed = 10.0.0.2:4370`); `seed`
// and `load` may repeat; `#` starts a comment line; blank lines are
// ignored; a flag takes `true` or `false`.

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "../common/log.hpp"

namespace coronet::tools {

/// A bad option or config file line: the text says which and why
/// ("node.conf:3: unknown key \"nmae\"").
class config_error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

/// Where UDP multicast announcements go (the discovery options; see
/// apply_discovery in main.cpp).
struct multicast_group {
    std::string group;  ///< IPv4: a multicast group (224.0.0.0/4) or a broadcast address
    std::uint16_t port = 0;
};

struct node_config {
    std::string name;  ///< default: the host name
    std::string listen_host = "127.0.0.1";
    std::uint16_t port = 4370;  ///< 0: the system picks one
    std::string advertise_host;
    std::string cluster = "default";
    std::vector<std::string> seeds;  ///< host:port
    std::uint32_t workers = 0;       ///< 0: one per core
    std::chrono::milliseconds status_period{1000};
    /// nullopt: 100 ms, or 1 s with TLS (set_liveness, common/liveness.hpp)
    std::optional<std::chrono::milliseconds> heartbeat;
    // Discovery (multicast announcements, authenticated with the secret).
    std::string discovery_interface;  ///< an IPv4 address of a local interface
    std::optional<multicast_group> multicast;
    std::string secret;  ///< from --secret or --secret-file (never logged)
    // TLS between nodes (all three files, or none).
    std::string cert_file;
    std::string key_file;
    std::string key_passphrase;
    std::string ca_file;
    bool allow_plaintext = false;
    std::vector<std::string> libraries;  ///< --load, in order
    log_level level = log_level::info;
    bool help = false;
};

/// Parses the command line (argv[1..]); a `--config FILE` among them is
/// read first, wherever it stands. Checks the result (validate). Throws
/// config_error.
node_config parse_node_command_line(int argc, const char* const* argv);
/// Applies one config file to `c` (its keys as if given on the command
/// line before the real ones). Throws config_error with file:line.
void read_config_file(const std::string& path, node_config& c);
/// Checks what cannot be checked one option at a time. Throws config_error.
void validate(node_config& c);
/// The --help text.
std::string node_usage();

}  // namespace coronet::tools
