#!/usr/bin/env bash
# Runs every cargo-fuzz target (or the ones named) for SECONDS each, one at a time, and prints
# the executions per target. New inputs go to fuzz/work/<target>/ (not committed); with
# --merge, those adding coverage are merged into the committed fuzz/corpus/<target>/.
# A crash stops nothing: its input is in fuzz/artifacts/<target>/; once fixed, copy it to
# fuzz/regressions/<target>/ so `cargo test` replays it.
#
#   scripts/fuzz.sh [--merge] [SECONDS] [TARGET...]      (default: 60 seconds, every target)
#   scripts/fuzz.sh [--merge] --runs N [TARGET...]       (N executions per target, any time)
#
# Needs the nightly toolchain and cargo-fuzz (`cargo install cargo-fuzz`).
set -euo pipefail
cd "$(dirname "$0")/.."

merge=false
if [[ ${1:-} == --merge ]]; then
    merge=true
    shift
fi
# A run is bounded either by time or, with --runs, by executions (the issue counts those).
limit=()
if [[ ${1:-} == --runs ]]; then
    limit=(-runs="$2")
    shift 2
else
    limit=(-max_total_time="${1:-60}")
    shift || true
fi
targets=("$@")
if [[ ${#targets[@]} -eq 0 ]]; then
    mapfile -t targets < <(cd fuzz && cargo +nightly fuzz list)
fi

# No sanitizer (the code is safe Rust; panics, overflows and aborts are what we hunt), debug
# assertions on so integer overflow panics too.
flags=(-s none -a)
nice cargo +nightly fuzz build "${flags[@]}" "${targets[@]:0:1}" >/dev/null
[[ ${#targets[@]} -gt 1 ]] && nice cargo +nightly fuzz build "${flags[@]}" >/dev/null

declare -A execs crashed
for t in "${targets[@]}"; do
    mkdir -p "fuzz/work/$t" "fuzz/corpus/$t"
    max_len=4096
    [[ $t == tar_* || $t == docker_archive ]] && max_len=32768
    log="fuzz/work/$t.log"
    set +e
    nice cargo +nightly fuzz run "${flags[@]}" "$t" "fuzz/work/$t" "fuzz/corpus/$t" -- \
        "${limit[@]}" -max_len="$max_len" -rss_limit_mb=2048 -timeout=10 \
        -print_final_stats=1 >"$log" 2>&1
    rc=$?
    set -e
    execs[$t]=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    crashed[$t]=$([[ $rc -eq 0 ]] && echo no || echo "yes (see $log, fuzz/artifacts/$t/)")
    if $merge; then
        nice cargo +nightly fuzz run "${flags[@]}" "$t" "fuzz/corpus/$t" "fuzz/work/$t" -- \
            -merge=1 -max_len="$max_len" >>"$log" 2>&1 || true
    fi
done

printf '%-24s %14s  %s\n' target executions crashed
for t in "${targets[@]}"; do
    printf '%-24s %14s  %s\n' "$t" "${execs[$t]}" "${crashed[$t]}"
done
