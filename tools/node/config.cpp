#include "config.hpp"

#include <arpa/inet.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <fstream>
#include <functional>
#include <sstream>

#include "../common/ctl_protocol.hpp"

namespace coronet::tools {

namespace {

/// Where settings come from (a file, or the command line): what one source
/// may give only once.
struct source {
    std::string where;  ///< "node.conf:3" or "--secret"
    bool secret_given = false;
};

struct option {
    const char* key;
    bool takes_value;
    const char* help;
    std::function<void(node_config&, const std::string&, source&)> apply;
};

[[noreturn]] void bad(const source& s, const std::string& why) {
    throw config_error(s.where + ": " + why);
}

std::uint16_t port_of(const std::string& v, const source& s, bool allow_zero) {
    auto hp = split_host_port(v, allow_zero);
    if (!hp) bad(s, "\"" + v + "\" is not HOST:PORT");
    return hp->second;
}

bool is_ipv4(const std::string& v) {
    in_addr a{};
    return ::inet_pton(AF_INET, v.c_str(), &a) == 1;
}

bool parse_flag(const std::string& v, const source& s) {
    if (v == "true" || v == "yes" || v == "1") return true;
    if (v == "false" || v == "no" || v == "0") return false;
    bad(s, "\"" + v + "\" is not true or false");
}

std::string trim(const std::string& s) {
    const auto b = s.find_first_not_of(" \t\r");
    if (b == std::string::npos) return {};
    return s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
}

void set_secret(node_config& c, std::string secret, source& s) {
    if (s.secret_given) bad(s, "give either --secret or --secret-file, once");
    s.secret_given = true;
    if (secret.size() < 16) bad(s, "the cluster secret must have at least 16 characters");
    c.secret = std::move(secret);
}

std::string read_secret_file(const std::string& path, const source& s) {
    std::optional<std::string> secret = read_secret(path);
    if (!secret) bad(s, "cannot read the secret file \"" + path + "\"");
    struct stat st {};
    if (::stat(path.c_str(), &st) == 0 && (st.st_mode & 077) != 0)
        log_warn("the secret file \"" + path + "\" can be read by other users (chmod 600 it)");
    return *secret;
}

const std::vector<option>& options() {
    static const std::vector<option> all = {
        {"name", true, "NAME  this node's name, unique in the cluster (default: the host name)",
         [](node_config& c, const std::string& v, source& s) {
             if (v.empty() || v.size() > 200 ||
                 std::any_of(v.begin(), v.end(), [](char ch) { return ch <= ' '; }))
                 bad(s, "a node name is 1 to 200 characters without blanks");
             if (v.starts_with(ctl_name_prefix))
                 bad(s, "node names starting with \"" + std::string(ctl_name_prefix) +
                            "\" are coronet-ctl's");
             c.name = v;
         }},
        {"listen", true, "HOST:PORT  where to listen (default 127.0.0.1:4370; port 0: any)",
         [](node_config& c, const std::string& v, source& s) {
             c.port = port_of(v, s, true);
             c.listen_host = split_host_port(v, true)->first;
         }},
        {"advertise", true, "HOST  the address other nodes reach this one at",
         [](node_config& c, const std::string& v, source&) { c.advertise_host = v; }},
        {"cluster", true, "NAME  nodes connect only within one cluster name (default \"default\")",
         [](node_config& c, const std::string& v, source& s) {
             if (v.empty()) bad(s, "the cluster name is empty");
             c.cluster = v;
         }},
        {"seed", true, "HOST:PORT  a node to join at start (repeat for more)",
         [](node_config& c, const std::string& v, source& s) {
             (void)port_of(v, s, false);
             c.seeds.push_back(v);
         }},
        {"workers", true, "N  worker threads (default 0: one per core)",
         [](node_config& c, const std::string& v, source& s) {
             unsigned n = 0;
             const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
             if (ec != std::errc{} || end != v.data() + v.size() || n > 1024)
                 bad(s, "\"" + v + "\" is not a number of workers (0..1024)");
             c.workers = n;
         }},
        {"status-period", true, "DURATION  how often the status is measured (default 1s)",
         [](node_config& c, const std::string& v, source& s) {
             auto d = parse_duration(v);
             if (!d) bad(s, "\"" + v + "\" is not a duration (250ms, 2s, 1m)");
             c.status_period = *d;
         }},
        {"heartbeat", true,
         "DURATION  how often connections prove they are alive; a peer silent for 3 (at least "
         "1s) is lost (default 100ms, 1s with TLS: a TLS handshake must finish within one; use "
         "the same on every node and coronet-ctl)",
         [](node_config& c, const std::string& v, source& s) {
             auto d = parse_duration(v);
             if (!d) bad(s, "\"" + v + "\" is not a duration (250ms, 2s, 1m)");
             c.heartbeat = *d;
         }},
        {"discovery-interface", true,
         "ADDR  the IPv4 address of the interface multicast announcements use",
         [](node_config& c, const std::string& v, source& s) {
             if (!is_ipv4(v)) bad(s, "\"" + v + "\" is not an IPv4 address");
             c.discovery_interface = v;
         }},
        {"multicast", true,
         "GROUP:PORT  find nodes by signed announcements (multicast or broadcast; needs a secret)",
         [](node_config& c, const std::string& v, source& s) {
             auto hp = split_host_port(v);
             in_addr a{};
             if (!hp || ::inet_pton(AF_INET, hp->first.c_str(), &a) != 1)
                 bad(s, "\"" + v + "\" is not GROUP:PORT with an IPv4 group");
             const std::uint32_t ip = ntohl(a.s_addr);
             if ((ip >> 28) != 0xE && (ip & 0xFF) != 0xFF)
                 bad(s, hp->first +
                            " is neither a multicast group (224.0.0.0/4) nor a broadcast address");
             c.multicast = multicast_group{hp->first, hp->second};
         }},
        {"secret", true, "S  the cluster secret (at least 16 characters; prefer --secret-file)",
         [](node_config& c, const std::string& v, source& s) { set_secret(c, v, s); }},
        {"secret-file", true, "FILE  read the cluster secret from FILE (trailing newline dropped)",
         [](node_config& c, const std::string& v, source& s) {
             set_secret(c, read_secret_file(v, s), s);
         }},
        {"cert", true, "FILE  this node's certificate (PEM): mutual TLS with every node",
         [](node_config& c, const std::string& v, source&) { c.cert_file = v; }},
        {"key", true, "FILE  its private key (PEM)",
         [](node_config& c, const std::string& v, source&) { c.key_file = v; }},
        {"key-passphrase", true, "S  the passphrase of an encrypted key",
         [](node_config& c, const std::string& v, source&) { c.key_passphrase = v; }},
        {"ca", true, "FILE  the CA certificates that sign the cluster's nodes (PEM)",
         [](node_config& c, const std::string& v, source&) { c.ca_file = v; }},
        {"allow-plaintext", false, "listen without TLS beyond loopback (a trusted network)",
         [](node_config& c, const std::string& v, source& s) {
             c.allow_plaintext = parse_flag(v, s);
         }},
        {"load", true, "LIB.so  load a plugin library (repeat for more)",
         [](node_config& c, const std::string& v, source& s) {
             if (v.empty()) bad(s, "an empty library path");
             c.libraries.push_back(v);
         }},
        {"log-level", true, "LEVEL  error, warn, info (default) or debug",
         [](node_config& c, const std::string& v, source& s) {
             auto l = parse_log_level(v);
             if (!l) bad(s, "\"" + v + "\" is not a log level (error, warn, info, debug)");
             c.level = *l;
         }},
    };
    return all;
}

const option* find_option(const std::string& key) {
    for (const option& o : options())
        if (key == o.key) return &o;
    return nullptr;
}

}  // namespace

void read_config_file(const std::string& path, node_config& c) {
    std::ifstream f(path);
    if (!f) throw config_error("cannot open the config file \"" + path + "\"");
    source s;
    std::string line;
    for (int number = 1; std::getline(f, line); ++number) {
        s.where = path + ":" + std::to_string(number);
        line = trim(line);
        if (line.empty() || line[0] == '#') continue;
        const auto eq = line.find('=');
        if (eq == std::string::npos) bad(s, "expected key = value");
        const std::string key = trim(line.substr(0, eq));
        const std::string value = trim(line.substr(eq + 1));
        if (key == "config") bad(s, "config files do not include others");
        const option* o = find_option(key);
        if (!o) bad(s, "unknown key \"" + key + "\"");
        o->apply(c, value, s);
    }
}

node_config parse_node_command_line(int argc, const char* const* argv) {
    node_config c;
    // The config file first, wherever it stands: the command line wins.
    std::vector<std::pair<std::string, std::string>> given;  // (key, value)
    for (int i = 1; i < argc; ++i) {
        const std::string arg = argv[i];
        if (arg == "-h" || arg == "--help") {
            c.help = true;
            return c;
        }
        if (!arg.starts_with("--")) throw config_error("unexpected argument \"" + arg + "\"");
        std::string key = arg.substr(2);
        std::optional<std::string> value;
        if (const auto eq = key.find('='); eq != std::string::npos) {
            value = key.substr(eq + 1);
            key.resize(eq);
        }
        const option* o = key == "config" ? nullptr : find_option(key);
        if (!o && key != "config") throw config_error("unknown option --" + key);
        const bool takes_value = !o || o->takes_value;
        if (takes_value && !value) {
            if (i + 1 >= argc) throw config_error("--" + key + " needs a value");
            value = argv[++i];
        }
        given.emplace_back(key, value.value_or("true"));
    }
    for (const auto& [key, value] : given)
        if (key == "config") read_config_file(value, c);
    source s;
    for (const auto& [key, value] : given) {
        if (key == "config") continue;
        s.where = "--" + key;
        find_option(key)->apply(c, value, s);
    }
    validate(c);
    return c;
}

void validate(node_config& c) {
    if (c.name.empty()) {
        char host[256] = {};
        if (::gethostname(host, sizeof host - 1) != 0 || host[0] == 0)
            throw config_error("no --name, and the host name is unknown");
        c.name = host;
    }
    const int tls_files = !c.cert_file.empty() + !c.key_file.empty() + !c.ca_file.empty();
    if (tls_files != 0 && tls_files != 3)
        throw config_error("TLS needs all of --cert, --key and --ca");
    if (!c.discovery_interface.empty() && !c.multicast)
        throw config_error("--discovery-interface needs --multicast");
    if (c.multicast && c.secret.empty())
        throw config_error(
            "--multicast needs --secret or --secret-file (announcements are authenticated)");
}

std::string node_usage() {
    std::string out =
        "usage: coronet-node [--config FILE] [options]\n"
        "Runs a coronet node until SIGINT or SIGTERM. Prints\n"
        "  coronet-node: listening on HOST:PORT as NAME\n"
        "on standard output once it listens; logs go to standard error.\n\n"
        "options (a config file takes the same keys, without the dashes: key = value):\n"
        "  --config FILE                   read settings from FILE first (the command line wins)\n";
    for (const option& o : options()) {
        std::string head = std::string("  --") + o.key;
        std::string text = o.help;
        if (o.takes_value) {
            const auto sp = text.find("  ");
            head += " " + text.substr(0, sp);
            text = text.substr(sp + 2);
        }
        head.resize(std::max<std::size_t>(head.size() + 2, 34), ' ');
        out += head + text + "\n";
    }
    out += "  --help                          this text\n";
    return out;
}

}  // namespace coronet::tools
