#pragma once
// Logging of the coronet programs: one line per event on standard error,
// "2024-05-01T12:00:00.123Z node-a info: text", at or above a level.
//
// Thread safety: every function from any thread (one write per line).

#include <cstdio>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

namespace coronet::tools {

enum class log_level { error = 0, warn = 1, info = 2, debug = 3 };

/// "error", "warn", "info", "debug".
const char* to_string(log_level l) noexcept;
/// The level of one of those words; nullopt for anything else.
std::optional<log_level> parse_log_level(std::string_view s) noexcept;

/// Lines below `l` are dropped (the default is info). Set it before other
/// threads log.
void set_log_level(log_level l) noexcept;
/// The name after the time stamp (the node's name).
void set_log_tag(std::string tag);
bool log_enabled(log_level l) noexcept;
/// Writes one line (a newline is added).
void log_line(log_level l, std::string_view text);

inline void log_error(std::string_view text) {
    log_line(log_level::error, text);
}
inline void log_warn(std::string_view text) {
    log_line(log_level::warn, text);
}
inline void log_info(std::string_view text) {
    log_line(log_level::info, text);
}
inline void log_debug(std::string_view text) {
    log_line(log_level::debug, text);
}

}  // namespace coronet::tools
