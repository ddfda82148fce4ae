#!/bin/bash
# usage: ./run_delay.sh one_way_delay_s "<caf opts both sides>"
cd "$(dirname "$0")"
out=$(mktemp); pout=$(mktemp)
timeout -s KILL 20 ./server --mode=interop --seconds=10 $2 >"$out" 2>&1 &
for i in $(seq 100); do grep -q '^PORT ' "$out" && break; sleep 0.05; done
port=$(awk '/^PORT /{print $2; exit}' "$out")
timeout -s KILL 15 python3 delay_proxy.py $port $1 12 >"$pout" &
sleep 0.5; pport=$(cat "$pout")
timeout -s KILL 20 ./client --port=$pport --mode=interop --seconds=9 $2 2>&1 | head -2
wait; rm -f "$out" "$pout"
