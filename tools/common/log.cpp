#include "log.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <mutex>

namespace coronet::tools {

namespace {

std::atomic<int> the_level{static_cast<int>(log_level::info)};
std::mutex tag_m;
std::string the_tag = "coronet";  // (under tag_m)

std::string timestamp() {
    const auto now = std::chrono::system_clock::now();
    const std::time_t t = std::chrono::system_clock::to_time_t(now);
    const auto ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() %
        1000;
    std::tm tm{};
    ::gmtime_r(&t, &tm);
    char b[96];  // (room for any int, which -Wformat-truncation checks)
    std::snprintf(b, sizeof b, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                  tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                  static_cast<int>(ms));
    return b;
}

}  // namespace

const char* to_string(log_level l) noexcept {
    switch (l) {
        case log_level::error:
            return "error";
        case log_level::warn:
            return "warn";
        case log_level::info:
            return "info";
        case log_level::debug:
            return "debug";
    }
    return "?";
}

std::optional<log_level> parse_log_level(std::string_view s) noexcept {
    for (log_level l : {log_level::error, log_level::warn, log_level::info, log_level::debug})
        if (s == to_string(l)) return l;
    return std::nullopt;
}

void set_log_level(log_level l) noexcept {
    the_level.store(static_cast<int>(l), std::memory_order_relaxed);
}

void set_log_tag(std::string tag) {
    const std::lock_guard lock(tag_m);
    the_tag = std::move(tag);
}

bool log_enabled(log_level l) noexcept {
    return static_cast<int>(l) <= the_level.load(std::memory_order_relaxed);
}

void log_line(log_level l, std::string_view text) {
    if (!log_enabled(l)) return;
    std::string line = timestamp();
    {
        const std::lock_guard lock(tag_m);
        line += ' ';
        line += the_tag;
    }
    line += ' ';
    line += to_string(l);
    line += ": ";
    line += text;
    line += '\n';
    // One write per line: lines of several threads do not interleave.
    (void)!::write(STDERR_FILENO, line.data(), line.size());
}

}  // namespace coronet::tools
