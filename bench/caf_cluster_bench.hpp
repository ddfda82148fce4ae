#pragma once
// The raw-CAF 0.17 baselines of coronet_bench's cluster rows
// (bench/caf_cluster_bench.cpp): locate (middleman::remote_lookup of a
// registered name across three actor systems) and cluster_join (four actor
// systems connected to a full mesh by explicit middleman::connect calls).

#include <string>

#include "bench_cluster.hpp"

namespace bench {

/// Whether `name` is one of the cluster rows.
bool is_caf_cluster_row(const std::string& name);

/// Runs the cluster row `name` once per configuration (impls caf-1t, caf-2t
/// and caf-tuned), each with actor systems of its own.
void run_caf_cluster(const std::string& name, const cluster_sizes& sz);

}  // namespace bench
