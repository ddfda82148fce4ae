#!/bin/bash
# usage: ./run.sh "<server args>" "<client args>"
# Starts the server (bounded by timeout 20), reads its port, runs the client
# (bounded by timeout 20), prints both outputs, kills the server.
cd "$(dirname "$0")"
out=$(mktemp)
timeout -s KILL 20 ./server $1 >"$out" 2>&1 &
spid=$!
for i in $(seq 100); do grep -q '^PORT ' "$out" && break; sleep 0.05; done
port=$(awk '/^PORT /{print $2; exit}' "$out")
if [ -z "$port" ]; then echo "no port"; cat "$out"; kill -9 $spid; exit 1; fi
timeout -s KILL 20 ./client --port=$port $2 2>&1 | sed 's/^/[client] /'
wait $spid
echo "[server exit $?]"
sed 's/^/[server] /' "$out"
rm -f "$out"
