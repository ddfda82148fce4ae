#pragma once
// The distribution rows of coronet_bench (bench/coronet_remote_bench.cpp):
// remote_pingpong and remote_throughput, between two nodes (coronet::net::node)
// in one program, and the same over mutual TLS (remote_pingpong_tls,
// remote_throughput_tls). caf_bench's caf_remote_bench.cpp has their raw-CAF
// baselines.

#include <string>

#include "bench_remote.hpp"

namespace bench {

/// Whether `name` is one of the distribution rows.
bool is_coronet_remote_row(const std::string& name);

/// Runs the distribution row `name`: two runtimes of one worker each, with a
/// node each, joined over loopback; reported as impl `coronet`. Each
/// measurement has runtimes and nodes of its own.
void run_coronet_remote(const std::string& name, const remote_sizes& sz);

}  // namespace bench
