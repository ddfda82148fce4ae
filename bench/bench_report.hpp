#pragma once
// Shared by coronet_bench and caf_bench: results are kept per (bench, impl,
// metric) and the best of the repeated runs is printed at the end, as
// `RESULT <bench> <impl> <metric> <value>`. Best, not mean: on a shared
// 2-core VM the noise only ever makes a run slower, and both sides get the
// same treatment.

#include <cstddef>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <tuple>

namespace bench {

/// Whether `name` is one of `rows` (a row list such as remote_rows).
template <std::size_t N>
bool is_row_of(const std::string& name, const char* const (&rows)[N]) {
    for (const char* row : rows)
        if (name == row) return true;
    return false;
}

struct best_value {
    double value = 0;
    int precision = 0;
    bool set = false;
};

inline std::map<std::tuple<std::string, std::string, std::string>, best_value>& results() {
    static std::map<std::tuple<std::string, std::string, std::string>, best_value> r;
    return r;
}

/// Records one run's value: per_s metrics keep the maximum, times the
/// minimum. Memory (bytes_*) keeps the first run's value: later runs reuse
/// memory the earlier ones left to the allocator, and would read too low.
inline void report(const std::string& bench, const std::string& impl, const std::string& metric,
                   double value, int precision) {
    auto& b = results()[{bench, impl, metric}];
    const bool higher_is_better =  // "msgs_per_s", but not "ns_per_spawn"
        metric.size() >= 6 && metric.compare(metric.size() - 6, 6, "_per_s") == 0;
    const bool first_only = metric.rfind("bytes", 0) == 0;
    if (!b.set || (!first_only && (higher_is_better ? value > b.value : value < b.value)))
        b = {value, precision, true};
}

/// Prints every best value, in (bench, impl, metric) order.
inline void print_results() {
    for (const auto& [key, b] : results())
        std::printf("RESULT %s %s %s %.*f\n", std::get<0>(key).c_str(), std::get<1>(key).c_str(),
                    std::get<2>(key).c_str(), b.precision, b.value);
    std::fflush(stdout);
}

/// Parses `--repeat N`; returns true if argv[i] was that option.
inline bool parse_repeat(int argc, char** argv, int& i, int& repeat) {
    if (std::strcmp(argv[i], "--repeat") != 0 || i + 1 >= argc) return false;
    repeat = std::atoi(argv[++i]);
    if (repeat < 1) repeat = 1;
    return true;
}

}  // namespace bench
