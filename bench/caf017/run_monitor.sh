#!/bin/bash
# usage: ./run_monitor.sh kill|stop "<caf options for both sides>" [observer seconds]
cd "$(dirname "$0")"
out=$(mktemp)
timeout -s KILL 20 ./server --mode=sink --seconds=19 $2 >"$out" 2>&1 &
spid=$!
for i in $(seq 100); do grep -q '^PORT ' "$out" && break; sleep 0.05; done
port=$(awk '/^PORT /{print $2; exit}' "$out")
vpid=$(awk '/^server pid /{print $3; exit}' "$out")
timeout -s KILL 20 ./monitor --port=$port --victim=$vpid --sig=$1 --seconds=${3:-8} $2 2>&1 | sed 's/^/[observer] /'
kill -9 $spid 2>/dev/null; wait $spid 2>/dev/null
rm -f "$out"
