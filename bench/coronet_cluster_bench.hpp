#pragma once
// The cluster rows of coronet_bench (bench/coronet_cluster_bench.cpp):
// locate (coronet::discovery::cluster::locate across three nodes) and
// cluster_join (four nodes joining through a seed until they are a full
// mesh). caf_bench's caf_cluster_bench.cpp has their raw-CAF baselines.

#include <string>

#include "bench_cluster.hpp"

namespace bench {

/// Whether `name` is one of the cluster rows.
bool is_coronet_cluster_row(const std::string& name);

/// Runs the cluster row `name`: runtimes of one worker each, with a node
/// each, joined over loopback; reported as impl `coronet` (cluster_join also
/// as `coronet-explicit`: the same mesh made with node::connect calls, no
/// cluster). Each measurement has runtimes and nodes of its own.
void run_coronet_cluster(const std::string& name, const cluster_sizes& sz);

}  // namespace bench
