#include "ctl_protocol.hpp"

#include <charconv>
#include <fstream>
#include <sstream>

namespace coronet::tools {

namespace {

std::optional<unsigned long> parse_unsigned(std::string_view s) {
    unsigned long v = 0;
    const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc{} || end != s.data() + s.size() || s.empty()) return std::nullopt;
    return v;
}

}  // namespace

std::optional<std::pair<std::string, std::uint16_t>> split_host_port(const std::string& s,
                                                                     bool allow_zero) {
    const auto colon = s.rfind(':');
    if (colon == std::string::npos || colon == 0) return std::nullopt;
    std::string host = s.substr(0, colon);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    const auto port = parse_unsigned(std::string_view(s).substr(colon + 1));
    if (host.empty() || !port || *port > 65535 || (*port == 0 && !allow_zero)) return std::nullopt;
    return std::pair{host, static_cast<std::uint16_t>(*port)};
}

std::optional<std::chrono::milliseconds> parse_duration(const std::string& s) {
    std::string_view v(s);
    unsigned long scale = 1;
    if (v.ends_with("ms")) {
        v.remove_suffix(2);
    } else if (v.ends_with("s")) {
        v.remove_suffix(1);
        scale = 1000;
    } else if (v.ends_with("m")) {
        v.remove_suffix(1);
        scale = 60000;
    }
    const auto n = parse_unsigned(v);
    if (!n || *n == 0 || *n > 1000UL * 1000 * 1000) return std::nullopt;
    return std::chrono::milliseconds(*n * scale);
}

std::optional<std::string> read_secret(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f) return std::nullopt;
    std::stringstream b;
    b << f.rdbuf();
    std::string secret = b.str();
    while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
    return secret;
}

}  // namespace coronet::tools
