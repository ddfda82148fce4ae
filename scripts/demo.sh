#!/usr/bin/env bash
# Builds the release preset and runs the demos: examples/00_demo.cpp (the
# runtime's headline features), examples/04_hot_swap.cpp (new code loaded
# from shared libraries and swapped into a running process) and
# examples/08_ticker.cpp (a pub-sub topic with deliver(n), filters, a bounded
# subscriber and a channel with back pressure) and examples/09_tcp_echo.cpp
# (a TCP server on 127.0.0.1 with 200 clients). Exits non-zero if one fails.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
cmake --preset release
cmake --build --preset release --target coronet_example_00_demo coronet_example_04_hot_swap \
  coronet_example_08_ticker coronet_example_09_tcp_echo

build/release/examples/coronet_example_00_demo "$@"
echo
echo "== hot swap from shared libraries (examples/04_hot_swap.cpp) =="
build/release/examples/coronet_example_04_hot_swap
echo
echo "== topics and channels (examples/08_ticker.cpp) =="
build/release/examples/coronet_example_08_ticker
echo
echo "== a TCP echo server with 200 clients on loopback (examples/09_tcp_echo.cpp) =="
build/release/examples/coronet_example_09_tcp_echo
echo
echo "demo.sh: every demo passed"
