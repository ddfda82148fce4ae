#pragma once
// Shared by coronet_bench and caf_bench for the cluster rows (locate,
// cluster_join): their names, sizes and the names registered, so both
// executables do the same work. Every row runs its nodes in one program
// (coronet: a runtime of one worker with a node each; CAF: an actor system
// with a middleman each) joined over 127.0.0.1.

#include <chrono>

namespace bench {

/// The cluster rows, in the order the executables run them.
inline constexpr const char* cluster_rows[] = {"locate", "cluster_join"};

/// locate's names: one registered on beta (the first member alpha asks),
/// one on gamma (the second: beta answers no first), one nowhere (both
/// answer no). At most 10 characters: CAF 0.17 registers actors by atom.
inline constexpr const char* locate_on_beta = "loc_beta";
inline constexpr const char* locate_on_gamma = "loc_gamma";
inline constexpr const char* locate_missing = "loc_none";

/// cluster_join's gossip period (coronet's cluster_options::status_period):
/// a node connects to the members it heard of once per period, so the time
/// to a full mesh is about one period plus the connections. Printed as the
/// row's `status_period_ms` metric, so the table says which period it was.
constexpr auto cluster_join_period = std::chrono::milliseconds(20);

/// Bound on every wait of the cluster rows.
constexpr auto cluster_timeout = std::chrono::seconds(10);

/// The cluster rows' sizes; `--quick` calls quick().
struct cluster_sizes {
    /// locate: timed locates of each kind (first member, second member,
    /// missing), interleaved: beta's, gamma's, the missing one, again.
    int locates = 500;
    int warmup = 20;  ///< locate: untimed rounds of the three first
    /// cluster_join: joins of four fresh nodes per measurement; the
    /// reported value is their mean.
    int joins = 5;

    void quick() {
        locates /= 10;
        warmup /= 10;
        joins = 2;
    }
};

}  // namespace bench
