#pragma once
// The I/O rows of coronet_bench (bench/coronet_io_bench.cpp): tcp_echo_rt,
// tcp_throughput, tcp_accepts and file_read.

#include <cstdint>
#include <string>

#include "bench_io.hpp"

namespace bench {

/// Whether `name` is one of the I/O rows.
bool is_coronet_io_row(const std::string& name);

/// Runs the I/O row `name` with coronet on `workers` workers and reports it
/// as `impl`; with one worker also the row's baselines without coronet
/// (blocking-threads, sync-pread, io_uring). Each measurement has a runtime
/// of its own.
void run_coronet_io(const std::string& name, const io_sizes& sz, std::uint32_t workers,
                    const char* impl);

}  // namespace bench
