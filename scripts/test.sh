#!/usr/bin/env bash
# Everything CI checks: formatting, then configure + build + ctest for the presets dev,
# asan and tsan, then a separate project built against the installed package.
#
#   CORONET_PRESETS="dev" scripts/test.sh     # run a subset of the presets
set -Eeuo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
read -r -a presets <<<"${CORONET_PRESETS:-dev asan tsan}"
stage=setup
started=$SECONDS
trap 'echo "test.sh: FAILED in stage: $stage" >&2' ERR

# run_stage <name> <command>...: runs the command and prints how long it took.
run_stage() {
    stage=$1
    shift
    local begin=$SECONDS
    echo "==== $stage"
    "$@"
    echo "==== $stage: done in $((SECONDS - begin))s"
}

# Sanitizer runtime options (the asan/tsan presets add the same defaults themselves).
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
if [[ -z "${LSAN_OPTIONS:-}" && -f "$root/tests/lsan.supp" ]]; then
    export LSAN_OPTIONS="suppressions=$root/tests/lsan.supp"
fi
if [[ -z "${TSAN_OPTIONS:-}" ]]; then
    TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
    if [[ -f "$root/tests/tsan.supp" ]]; then
        TSAN_OPTIONS+=":suppressions=$root/tests/tsan.supp"
    fi
    export TSAN_OPTIONS
fi

# Prints the C++ sources under the module folders, one a line.
list_sources() {
    local dirs=(lib channels net discovery tests examples bench tools)
    local candidates=()
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        mapfile -t candidates < <(git ls-files --cached --others --exclude-standard -- "${dirs[@]}")
    else
        local dir
        for dir in "${dirs[@]}"; do
            if [[ -d "$dir" ]]; then
                mapfile -t -O "${#candidates[@]}" candidates < <(find "$dir" -type f)
            fi
        done
    fi
    local file
    for file in "${candidates[@]}"; do
        if [[ "$file" =~ \.(hpp|cpp)$ && -f "$file" ]]; then
            echo "$file"
        fi
    done | sort -u
}

check_format() {
    local clang_format
    clang_format=$(command -v clang-format-14 || command -v clang-format)
    local files
    mapfile -t files < <(list_sources)
    echo "checking ${#files[@]} files with $clang_format"
    if ((${#files[@]})); then
        "$clang_format" --dry-run --Werror "${files[@]}"
    fi
}

check_preset() {
    local preset=$1
    cmake --preset "$preset"
    cmake --build --preset "$preset"
    ctest --preset "$preset" --no-tests=error --output-on-failure -j2
}

check_consumer() {
    rm -rf build/install build/consumer
    cmake --install build/dev --prefix build/install
    cmake -S examples/consumer -B build/consumer -G Ninja \
        -DCMAKE_BUILD_TYPE=Debug -DCMAKE_PREFIX_PATH="$root/build/install"
    cmake --build build/consumer
    build/consumer/consumer
}

run_stage install-deps scripts/install-deps.sh
run_stage format check_format
for preset in "${presets[@]}"; do
    run_stage "preset $preset" check_preset "$preset"
done
if [[ " ${presets[*]} " == *" dev "* ]]; then
    run_stage consumer check_consumer
else
    echo "==== consumer: skipped (needs the dev preset)"
fi

echo "test.sh: all stages passed (presets: ${presets[*]}) in $((SECONDS - started))s"
