#pragma once
// Shared by coronet_bench and caf_bench for the distribution rows
// (remote_pingpong, remote_throughput, and the same over mutual TLS:
// remote_pingpong_tls, remote_throughput_tls): their names and sizes, so
// both executables do the same work, and the memory readings of
// remote_throughput*. Every row runs two nodes in one program (coronet: two
// runtimes with a node each; CAF: two actor systems with a middleman each)
// joined over 127.0.0.1.

#include <malloc.h>

#include <chrono>
#include <cstdint>
#include <fstream>
#include <string>

namespace bench {

using remote_clock = std::chrono::steady_clock;

/// The distribution rows, in the order the executables run them.
inline constexpr const char* remote_rows[] = {"remote_pingpong", "remote_pingpong_tls",
                                              "remote_throughput", "remote_throughput_tls"};

/// Bound on every wait of the distribution rows: a lost peer or a lost
/// message fails the run instead of hanging it.
constexpr auto remote_timeout = std::chrono::seconds(30);

/// The distribution rows' sizes; `--quick` calls quick().
struct remote_sizes {
    int round_trips = 10'000;  ///< remote_pingpong, timed
    int warmup = 200;          ///< remote_pingpong, untimed round trips first
    /// remote_throughput*: small messages, one way. Nothing holds the
    /// sender back (coronet's send window pauses a sender only at a
    /// suspension point, and the source's loop has none; CAF has no back
    /// pressure), so all of them can be in memory at once: keep this
    /// bounded.
    int messages = 500'000;

    void quick() {
        round_trips /= 10;
        warmup /= 10;
        messages /= 10;
    }
};

/// A `VmRSS:` / `VmHWM:` line of /proc/self/status, in bytes (0 if none).
inline long long proc_status_bytes(const char* field) {
    std::ifstream in("/proc/self/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(field, 0) == 0)
            return std::stoll(line.substr(std::string(field).size())) * 1024;
    return 0;
}

/// remote_throughput's memory reading: gives freed memory back to the
/// kernel and resets the peak (VmHWM) to the current RSS, so that
/// peak_growth() afterwards is what the run added at its highest: both
/// nodes' queues, CAF's mailboxes and buffers, in this one process.
/// (Where /proc/self/clear_refs cannot be written, VmHWM is the process's
/// peak so far, and the reading can only be too high.)
struct rss_probe {
    long long base = 0;
    rss_probe() {
        malloc_trim(0);
        std::ofstream("/proc/self/clear_refs") << "5";  // resets VmHWM (Linux >= 4.0)
        base = proc_status_bytes("VmRSS:");
    }
    long long peak_growth() const { return proc_status_bytes("VmHWM:") - base; }
};

}  // namespace bench
