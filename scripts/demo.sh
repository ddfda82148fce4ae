#!/usr/bin/env bash
# Builds the release preset and runs the demos: examples/00_demo.cpp (the
# runtime's headline features) and examples/04_hot_swap.cpp (new code loaded
# from shared libraries and swapped into a running process). Exits non-zero
# if either fails.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
cmake --preset release
cmake --build --preset release --target coronet_example_00_demo coronet_example_04_hot_swap

build/release/examples/coronet_example_00_demo "$@"
echo
echo "== hot swap from shared libraries (examples/04_hot_swap.cpp) =="
build/release/examples/coronet_example_04_hot_swap
echo
echo "demo.sh: every demo passed"
