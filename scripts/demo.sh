#!/usr/bin/env bash
# Builds the release preset and runs the demos: examples/00_demo.cpp (the
# runtime's headline features), examples/04_hot_swap.cpp (new code loaded
# from shared libraries and swapped into a running process) and
# examples/08_ticker.cpp (a pub-sub topic with deliver(n), filters, a bounded
# subscriber and a channel with back pressure), examples/09_tcp_echo.cpp
# (a TCP server on 127.0.0.1 with 200 clients), examples/10_tls_echo.cpp
# (mutual TLS, with certificates the build generates), examples/11_chat.cpp
# (a line chat server on a topic), examples/12_pipeline.cpp (subprocesses
# joined by coronet processes) and examples/13_cluster.cpp (three nodes in
# three processes: calls, a remote spawn, a remote topic, a node killed
# under a monitor), and scripts/cluster_demo.sh (three coronet-node
# processes that find each other by multicast, a supervised worker on a
# remote node restarted elsewhere after a SIGKILL, still found by name).
# Exits non-zero if one fails.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

scripts/install-deps.sh
cmake --preset release
cmake --build --preset release --target coronet_example_00_demo coronet_example_04_hot_swap \
  coronet_example_08_ticker coronet_example_09_tcp_echo coronet_example_10_tls_echo \
  coronet_example_11_chat coronet_example_12_pipeline coronet_example_13_cluster \
  coronet_test_certs coronet-node coronet-ctl coronet_cluster_demo_plugin

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
echo "== a TLS echo server with mutual TLS (examples/10_tls_echo.cpp) =="
build/release/examples/coronet_example_10_tls_echo build/release/test-certs
echo
echo "== a line chat server with a topic as the room (examples/11_chat.cpp) =="
build/release/examples/coronet_example_11_chat
echo
echo "== a subprocess pipeline (examples/12_pipeline.cpp) =="
build/release/examples/coronet_example_12_pipeline
echo
echo "== three nodes on loopback, each its own process (examples/13_cluster.cpp) =="
build/release/examples/coronet_example_13_cluster
echo
echo "== coronet-node: discovery, remote supervision, restart after a SIGKILL (scripts/cluster_demo.sh) =="
scripts/cluster_demo.sh build/release/tools/coronet-node build/release/tools/coronet-ctl \
  build/release/examples/libcoronet_cluster_demo_plugin.so
echo
echo "demo.sh: every demo passed"
