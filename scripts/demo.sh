#!/usr/bin/env bash
# Builds the release preset and runs examples/00_demo.cpp; exits with its status.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
cmake --preset release
if cmake --build --preset release --target help | grep -q '^coronet_example_00_demo:'; then
    cmake --build --preset release --target coronet_example_00_demo
else
    echo "demo.sh: no target coronet_example_00_demo; building everything" >&2
    cmake --build --preset release
fi

exec build/release/examples/coronet_example_00_demo "$@"
