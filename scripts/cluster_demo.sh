#!/usr/bin/env bash
# The cluster demo: three coronet-node processes on loopback find each other
# by signed multicast announcements; a supervisor on alpha keeps a worker on
# the least loaded of beta and gamma, registered as "demo-worker"; the
# worker's node is SIGKILLed, and the worker is restarted on the other node
# and still answers by name. Checks every step; ends by itself.
#
# Usage: scripts/cluster_demo.sh CORONET_NODE CORONET_CTL DEMO_PLUGIN
# (scripts/demo.sh and the example:cluster_demo test pass the built ones.)
# KEEP_DEMO_LOGS=1 keeps the nodes' output in /tmp/demo-logs.
set -euo pipefail

if (($# != 3)); then
    echo "usage: $0 CORONET_NODE CORONET_CTL DEMO_PLUGIN" >&2
    exit 2
fi
node_bin=$1
ctl_bin=$2
plugin=$3

work=$(mktemp -d)
declare -A pids=()
cleanup() {
    for n in "${!pids[@]}"; do kill -KILL "${pids[$n]}" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [[ -n ${KEEP_DEMO_LOGS:-} ]] && cp -r "$work" /tmp/demo-logs
    rm -rf "$work"
}
trap cleanup EXIT

fail() {
    echo "cluster demo: FAILED: $*" >&2
    for log in "$work"/*.log; do
        [[ -e $log ]] || continue
        echo "--- $log" >&2
        tail -n 20 "$log" >&2
    done
    exit 1
}

# A multicast group and port of this run's own (from the pid), and a secret.
group="239.$((($$ >> 16) & 255)).$((($$ >> 8) & 255)).$(($$ & 255))"
mport=$((40000 + $$ % 20000))
printf 'demo-cluster-secret-%s\n' "$RANDOM$RANDOM" >"$work/secret"

declare -A addr=()
start_node() {
    local name=$1
    "$node_bin" --name "$name" --listen 127.0.0.1:0 --status-period 200ms \
        --multicast "$group:$mport" --discovery-interface 127.0.0.1 \
        --secret-file "$work/secret" --load "$plugin" --log-level info \
        >"$work/$name.out" 2>"$work/$name.log" &
    pids[$name]=$!
}
wait_listening() {
    local name=$1 line=""
    for _ in $(seq 1 300); do
        line=$(grep -m1 "listening on" "$work/$name.out" 2>/dev/null || true)
        [[ -n $line ]] && break
        sleep 0.1
    done
    [[ -n $line ]] || fail "$name did not start"
    addr[$name]=$(sed -E 's/.*listening on ([^ ]+) as .*/\1/' <<<"$line")
}
ctl() { "$ctl_bin" --node "${addr[alpha]}" --timeout 5s --secret-file "$work/secret" "$@"; }

echo "== three coronet-node processes find each other (multicast, HMAC-signed; the hello proves the secret) =="
for n in alpha beta gamma; do start_node "$n"; done
for n in alpha beta gamma; do wait_listening "$n"; done
members=""
for _ in $(seq 1 100); do
    members=$(ctl nodes 2>/dev/null | tail -n +2 | awk '{print $1}' | tr '\n' ' ' || true)
    [[ $members == "alpha beta gamma " ]] && break
    sleep 0.1
done
[[ $members == "alpha beta gamma " ]] || fail "members seen from alpha: '$members'"
ctl nodes
ctl status

echo
echo "== a supervisor on alpha runs the worker on the least loaded of beta and gamma =="
ctl spawn alpha demo.supervisor demo-worker beta gamma
where=""
for _ in $(seq 1 100); do
    where=$(ctl names 2>/dev/null | awk '$2 == "demo-worker" {print $1}' || true)
    [[ -n $where ]] && break
    sleep 0.1
done
[[ $where == beta || $where == gamma ]] || fail "demo-worker not found (names: $(ctl names))"
ctl names
answer=$(ctl call "$where" demo-worker hello)
echo "call demo-worker on $where: $answer"
[[ $answer == "worker on $where: hello" ]] || fail "unexpected answer '$answer'"

echo
echo "== SIGKILL $where: the supervisor restarts the worker on the other node =="
kill -KILL "${pids[$where]}"
wait "${pids[$where]}" 2>/dev/null || true
unset "pids[$where]"
other=$([[ $where == beta ]] && echo gamma || echo beta)
now=""
for _ in $(seq 1 100); do
    now=$(ctl names 2>/dev/null | awk '$2 == "demo-worker" {print $1}' || true)
    [[ $now == "$other" ]] && break
    sleep 0.1
done
[[ $now == "$other" ]] || fail "demo-worker not restarted on $other (names: $(ctl names))"
ctl nodes
ctl names
answer=$(ctl call "$other" demo-worker "hello again")
echo "call demo-worker on $other: $answer"
[[ $answer == "worker on $other: hello again" ]] || fail "unexpected answer '$answer'"

echo
echo "== SIGTERM stops the other nodes cleanly =="
for n in "${!pids[@]}"; do kill -TERM "${pids[$n]}"; done
for n in "${!pids[@]}"; do
    if wait "${pids[$n]}"; then echo "$n stopped (exit 0)"; else fail "$n exited with $?"; fi
    unset "pids[$n]"
done
echo "cluster demo: passed"
