#!/usr/bin/env bash
# skiff vs skopeo on this machine, in one run: prints each case's ratios skiff/skopeo
# (wall time, CPU time, peak memory). Targets are in the issues; this script only measures.
#
#   ./scripts/bench.sh            all cases
#   ./scripts/bench.sh local      only the case files whose name contains "local"
# Environment: BENCH_DIR (work dir, default /tmp/skiff-bench; the big images are cached
# there), BENCH_RUNS (timed runs per case, default 5), BENCH_SIZE_MB (default 700), SKIFF
# (the binary to measure; default: a release build of this tree, made first).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
export BENCH_DIR=${BENCH_DIR:-/tmp/skiff-bench}
export BENCH_SIZE_MB=${BENCH_SIZE_MB:-700}
mkdir -p "$BENCH_DIR"
for tool in hyperfine skopeo python3; do
  command -v "$tool" >/dev/null || { echo "bench needs $tool (./scripts/test.sh installs the peers)"; exit 1; }
done
[ -x /usr/bin/time ] || { echo "bench needs /usr/bin/time (Debian package: time)"; exit 1; }

# SKIFF=/path/to/skiff measures that binary (no build).
if [ -z "${SKIFF:-}" ]; then
  cargo build --release --quiet
  SKIFF="$ROOT/target/release/skiff"
fi
export SKIFF
. scripts/bench/lib.sh
: >"$RESULTS"
stop_bench_registries
trap stop_bench_registries EXIT

# The benchmark images: ~700 MB and ~70 MB, 4 layers each (compressible and random data).
make_image() {
  local dir=$1 mb=$2
  [ -f "$dir/index.json" ] || python3 scripts/bench/make_image.py "$dir" "$mb" bench 4
}
export IMG_BIG="$BENCH_DIR/img-$BENCH_SIZE_MB"
export IMG_SMALL="$BENCH_DIR/img-$((BENCH_SIZE_MB / 10))"
make_image "$IMG_BIG" "$BENCH_SIZE_MB"
make_image "$IMG_SMALL" "$((BENCH_SIZE_MB / 10))"

echo "skiff vs skopeo ($(nproc) cores, $BENCH_RUNS runs each; ratio < 1 means skiff is better)" | tee -a "$RESULTS"
for f in scripts/bench.d/*.sh; do
  if [ $# -gt 0 ] && [[ "$f" != *"$1"* ]]; then continue; fi
  . "$f"
done
echo "results: $RESULTS"
