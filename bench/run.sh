#!/usr/bin/env bash
# Builds the benchmarks in the release configuration, runs coronet_bench and
# its raw-CAF baseline caf_bench, and prints one comparison table.
#
# Usage: bench/run.sh [--quick]
#   --quick  every workload divided by 10 (smoke test, well under a minute)
#   --repeat N  runs each workload N times (default 3) and keeps the best
#
# The raw RESULT lines are echoed to stderr while the benchmarks run and kept
# in build/release/bench_results.txt.
set -euo pipefail

usage() {
  echo "usage: $0 [--quick] [--repeat N]" >&2
  exit 2
}

bench_args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) bench_args+=(--quick) ;;
    --repeat) [ $# -ge 2 ] || usage; bench_args+=(--repeat "$2"); shift ;;
    *) usage ;;
  esac
  shift
done

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
build_dir="build/release"
# Bounds each benchmark executable, so the script always ends.
time_limit="${CORONET_BENCH_TIMEOUT:-900}"

log() { echo "run.sh: $*" >&2; }

# -- configure and build ------------------------------------------------------

use_preset=1
if ! cmake --preset release >&2; then
  log "preset 'release' failed; configuring $build_dir by hand"
  use_preset=0
  generator=()
  if command -v ninja >/dev/null; then generator=(-G Ninja); fi
  cmake -S . -B "$build_dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release \
    -DCORONET_BUILD_BENCH=ON >&2
fi

build_target() {
  if ((use_preset)); then
    cmake --build --preset release --target "$1" >&2
  else
    cmake --build "$build_dir" --target "$1" >&2
  fi
}

# Built one at a time: a coronet_bench that does not build (or does not exist
# yet) must not keep the baseline from running.
build_target caf_bench
have_coronet=1
if ! build_target coronet_bench; then
  log "coronet_bench did not build; showing the CAF baseline only"
  have_coronet=0
fi

find_exe() {
  find "$build_dir" -type f -name "$1" -perm -u+x -print -quit
}

# -- run ---------------------------------------------------------------------

results="$build_dir/bench_results.txt"
: >"$results"

run_bench() {
  local exe
  exe="$(find_exe "$1")"
  if [[ -z "$exe" ]]; then
    log "$1 not found under $build_dir"
    return
  fi
  log "running $exe ${bench_args[*]:-}"
  set +e
  timeout "$time_limit" "$exe" "${bench_args[@]}" |
    grep --line-buffered '^RESULT ' | tee -a "$results" >&2
  local status="${PIPESTATUS[0]}"
  set -e
  if ((status == 124)); then
    log "$1 timed out after ${time_limit}s"
  elif ((status != 0)); then
    log "$1 exited with status $status"
  fi
}

if ((have_coronet)); then run_bench coronet_bench; fi
run_bench caf_bench

# -- table -------------------------------------------------------------------

cpu="$(awk -F': *' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
echo "coronet benchmarks ${bench_args[*]:-(full)}"
echo "date:    $(date '+%Y-%m-%d %H:%M:%S %Z')"
echo "machine: $(nproc) cores, ${cpu:-unknown CPU}"
echo

awk '
  # Times and memory: ns_per_*, us_per_* (locate), ms_to_* (cluster_join),
  # bytes_per_*. (status_period_ms is a setting, not a result: no ratio.)
  function lower_is_better(metric) {
    return metric ~ /^(ns|us|bytes)_per_/ || metric ~ /^ms_to_/
  }
  function higher_is_better(metric) { return metric ~ /_per_s$/ }
  function cell(key, impl) {
    return ((key, impl) in value) ? value[key, impl] : "-"
  }
  # The best CAF value of a row: caf-1t, caf-2t, and caf-tuned where the
  # row has it (tcp_*, remote_*, locate, cluster_join; for remote_* and
  # locate it is the one that counts).
  function best_caf(key, metric,    i, impl, v, best) {
    best = -1
    for (i = 1; i <= 3; i++) {
      impl = (i == 1) ? "caf-1t" : (i == 2) ? "caf-2t" : "caf-tuned"
      if (!((key, impl) in value)) continue
      v = value[key, impl] + 0
      if (best < 0 || (lower_is_better(metric) ? v < best : v > best)) best = v
    }
    return best
  }
  function ratio(key, metric,    c, best, r) {
    if (!((key, "coronet") in value)) return "-"
    c = value[key, "coronet"] + 0
    best = best_caf(key, metric)
    if (best < 0) return "-"
    if (lower_is_better(metric)) {
      if (c <= 0) return "-"
      r = best / c
    } else if (higher_is_better(metric)) {
      if (best <= 0) return "-"
      r = c / best
    } else {
      return "-"
    }
    return sprintf(r >= 1 ? "%.1fx" : "%.2fx", r)
  }
  $1 == "RESULT" && NF == 5 {
    key = $2 " " $4
    if (!(key in seen)) { seen[key] = 1; order[++rows] = key }
    if (length($2) > bench_width) bench_width = length($2)
    if (length($4) > metric_width) metric_width = length($4)
    value[key, $3] = $5
    if ($3 == "coronet-2w") have_2w = 1
    # Any other impl (e.g. std-async, a baseline without CAF) is listed
    # below the table rather than given a column of its own.
    if ($3 !~ /^(coronet|coronet-2w|caf-1t|caf-2t)$/ && !((key, $3) in extra_seen)) {
      extra_seen[key, $3] = 1
      extra_key[++extras] = key
      extra_impl[extras] = $3
    }
  }
  END {
    if (rows == 0) { print "no results"; exit 1 }
    # The benchmark and metric columns are 14 wide, or as wide as the
    # longest name (tls_handshakes handshakes_per_s).
    bw = (bench_width > 14) ? bench_width : 14
    mw = (metric_width > 14) ? metric_width : 14
    fmt = "%-" bw "s %-" mw "s %14s %14s %14s %8s\n"
    if (have_2w) fmt = "%-" bw "s %-" mw "s %14s %14s %14s %14s %8s\n"
    if (have_2w)
      printf fmt, "benchmark", "metric", "coronet", "coronet-2w", "caf-1t",
        "caf-2t", "ratio"
    else
      printf fmt, "benchmark", "metric", "coronet", "caf-1t", "caf-2t", "ratio"
    for (i = 1; i <= rows; i++) {
      key = order[i]
      split(key, part, " ")
      if (have_2w)
        printf fmt, part[1], part[2], cell(key, "coronet"),
          cell(key, "coronet-2w"), cell(key, "caf-1t"), cell(key, "caf-2t"),
          ratio(key, part[2])
      else
        printf fmt, part[1], part[2], cell(key, "coronet"),
          cell(key, "caf-1t"), cell(key, "caf-2t"), ratio(key, part[2])
    }
    if (extras > 0) {
      print ""
      print "other baselines (not in the ratio, except caf-tuned):"
      for (i = 1; i <= extras; i++) {
        split(extra_key[i], part, " ")
        printf "%-" bw "s %-" mw "s %17s %14s\n", part[1], part[2], extra_impl[i],
          value[extra_key[i], extra_impl[i]]
      }
    }
    print ""
    print "ratio: how many times better coronet is than the best CAF configuration"
    print "(caf-1t, caf-2t, and caf-tuned where the row has it; best CAF / coronet"
    print " for ns_per_*, us_per_*, ms_to_* and bytes_per_*, coronet / best CAF for *_per_s);"
    print " above 1x means coronet wins."
  }
' "$results"
