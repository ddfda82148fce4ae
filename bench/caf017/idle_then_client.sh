#!/bin/bash
# TLS server; an idle TCP connection (no bytes) is opened first, then a legit
# TLS client tries remote_actor + requests. Shows whether one idle connection
# blocks the node's networking.
cd "$(dirname "$0")"
TLS="--tls --openssl.certificate=certs/node.pem --openssl.key=certs/node.key --openssl.cafile=certs/ca.pem"
out=$(mktemp)
timeout -s KILL 20 ./server --mode=interop --seconds=12 $TLS >"$out" 2>&1 &
spid=$!
for i in $(seq 100); do grep -q '^PORT ' "$out" && break; sleep 0.05; done
port=$(awk '/^PORT /{print $2; exit}' "$out")
timeout -s KILL 20 python3 -c "
import socket,time
s=socket.create_connection(('127.0.0.1',$port))
time.sleep(${1:-6}); print('[idle] closing idle connection at t=${1:-6}s', flush=True)" &
sleep 0.3
t0=$(date +%s.%N)
timeout -s KILL 20 ./client --port=$port --mode=interop --seconds=15 $TLS 2>&1 | grep -E "remote_actor|add ->" | sed 's/^/[client] /'
echo "[client finished after $(echo "$(date +%s.%N) - $t0" | bc) s]"
wait
rm -f "$out"
