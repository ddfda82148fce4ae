#!/usr/bin/env bash
# Runs the benchmark table; see bench/run.sh and bench/README.md.
# Usage: scripts/bench.sh [--quick]
exec "$(dirname "${BASH_SOURCE[0]}")/../bench/run.sh" "$@"
