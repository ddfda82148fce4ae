#pragma once
// The CAF 0.17 broker baselines of coronet_bench's tcp rows
// (bench/caf_io_bench.cpp): tcp_echo_rt, tcp_throughput, tcp_accepts.

#include <string>

#include "bench_io.hpp"

namespace bench {

/// Whether `name` is one of the tcp rows.
bool is_caf_io_row(const std::string& name);

/// Runs the tcp row `name` with CAF brokers, once per configuration (impls
/// caf-1t, caf-2t and caf-tuned), each in an actor system of its own.
void run_caf_io(const std::string& name, const io_sizes& sz);

}  // namespace bench
