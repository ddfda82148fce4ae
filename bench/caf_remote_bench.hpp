#pragma once
// The raw-CAF 0.17 baselines of coronet_bench's distribution rows
// (bench/caf_remote_bench.cpp): remote_pingpong and remote_throughput
// between two actor systems in one program, joined by CAF's middleman, and
// the same over caf::openssl (remote_pingpong_tls, remote_throughput_tls).

#include <string>

#include "bench_remote.hpp"

namespace bench {

/// Whether `name` is one of the distribution rows.
bool is_caf_remote_row(const std::string& name);

/// Runs the distribution row `name` once per configuration (impls caf-1t,
/// caf-2t and caf-tuned), each with two actor systems of its own.
void run_caf_remote(const std::string& name, const remote_sizes& sz);

}  // namespace bench
