#pragma once
// The TLS rows of coronet_bench (bench/coronet_tls_bench.cpp): tls_echo_rt,
// tls_throughput and tls_handshakes. CAF 0.17's brokers have no TLS, so
// their only baseline is `blocking-threads` (bench_tls.hpp).

#include <cstdint>
#include <string>

#include "bench_io.hpp"

namespace bench {

/// Whether `name` is one of the TLS rows.
bool is_coronet_tls_row(const std::string& name);

/// Runs the TLS row `name` with coronet on `workers` workers and reports it
/// as `impl`; with one worker also the row's blocking-threads baseline.
/// Each measurement has a runtime of its own.
void run_coronet_tls(const std::string& name, const io_sizes& sz, std::uint32_t workers,
                     const char* impl);

}  // namespace bench
