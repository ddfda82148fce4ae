#!/bin/bash
# usage: ./idle_conn.sh "<server args>" hold_seconds
# Opens a TCP connection to the server that sends nothing, holds it, and
# shows whether the server's ~actor_system waits for it.
cd "$(dirname "$0")"
out=$(mktemp)
timeout -s KILL 20 ./server $1 >"$out" 2>&1 &
spid=$!
for i in $(seq 100); do grep -q '^PORT ' "$out" && break; sleep 0.05; done
port=$(awk '/^PORT /{print $2; exit}' "$out")
timeout -s KILL 20 python3 -c "
import socket,time,sys
s=socket.create_connection(('127.0.0.1',$port)); t=time.time()
time.sleep($2); print('[idle] closing after', $2, 's', flush=True)" &
ipid=$!
wait $spid; echo "[server exit $?]"; wait $ipid
sed 's/^/[server] /' "$out" | grep -E "stop=|~actor|HANG|deadline"
rm -f "$out"
