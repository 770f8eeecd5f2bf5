# Local layouts (issue: foundation): oci→dir, dir→oci, oci→oci-archive, inspect of an archive,
# each for the big image, and oci→dir for the small one to show memory does not grow; then an
# image of real files.
B=$BENCH_DIR/out
src="oci:$IMG_BIG:bench"
mkdir -p "$B"
# An archive and a dir of the big image to read from.
[ -f "$BENCH_DIR/big.tar" ] || skopeo copy -q --insecure-policy "$src" "oci-archive:$BENCH_DIR/big.tar:bench"
[ -d "$BENCH_DIR/big-dir" ] || skopeo copy -q --insecure-policy "$src" "dir:$BENCH_DIR/big-dir"

bench_case local-oci-to-dir "rm -rf $B/d" \
  "$SKIFF --insecure-policy copy -q $src dir:$B/d" \
  "skopeo --insecure-policy copy -q $src dir:$B/d"
bench_case local-oci-to-dir-small "rm -rf $B/d" \
  "$SKIFF --insecure-policy copy -q oci:$IMG_SMALL:bench dir:$B/d" \
  "skopeo --insecure-policy copy -q oci:$IMG_SMALL:bench dir:$B/d"
# Memory flat in image size: each tool's peak memory copying the big image over its peak
# copying the image a tenth its size (1.00x: memory does not grow with the image).
memory_growth() { # TOOL → "big_kib small_kib"
  rm -rf "$B/d"; local big; big=$(peak_rss_kib "$1" --insecure-policy copy -q "$src" "dir:$B/d")
  rm -rf "$B/d"; local small; small=$(peak_rss_kib "$1" --insecure-policy copy -q "oci:$IMG_SMALL:bench" "dir:$B/d")
  rm -rf "$B/d"; echo "$big $small"
}
python3 - $(memory_growth "$SKIFF") $(memory_growth skopeo) <<'PY' | tee -a "$RESULTS"
import sys
sb, ss, ob, os_ = map(float, sys.argv[1:])
print(f"{'local-memory-big-over-small':<34} skiff {sb/ss:5.2f}x ({sb/1024:.1f} vs {ss/1024:.1f} MiB)  "
      f"skopeo {ob/os_:5.2f}x ({ob/1024:.1f} vs {os_/1024:.1f} MiB)")
PY
bench_case local-dir-to-oci "rm -rf $B/o" \
  "$SKIFF --insecure-policy copy -q dir:$BENCH_DIR/big-dir oci:$B/o:t" \
  "skopeo --insecure-policy copy -q dir:$BENCH_DIR/big-dir oci:$B/o:t"
bench_case local-oci-to-oci-archive "rm -f $B/a.tar" \
  "$SKIFF --insecure-policy copy -q $src oci-archive:$B/a.tar:t" \
  "skopeo --insecure-policy copy -q $src oci-archive:$B/a.tar:t"
bench_case local-inspect-oci-archive "true" \
  "$SKIFF inspect oci-archive:$BENCH_DIR/big.tar:bench" \
  "skopeo inspect oci-archive:$BENCH_DIR/big.tar:bench"

# An image of real files (the machine's /usr/bin and /usr/include, one layer, made once with
# skopeo's tarball: transport) beside the synthetic ones: compressing mixed real data, not
# only noise and zeros. Output sizes are printed too.
USR_TAR=$BENCH_DIR/usr.tar
USR_IMG=$BENCH_DIR/img-usr
[ -f "$USR_TAR" ] || tar -C / -cf "$USR_TAR" usr/bin usr/include 2>/dev/null
[ -f "$USR_IMG/index.json" ] || skopeo copy -q --insecure-policy "tarball:$USR_TAR" "oci:$USR_IMG:usr"
[ -d "$BENCH_DIR/usr-raw" ] || skopeo copy -q --insecure-policy --dest-decompress "oci:$USR_IMG:usr" "dir:$BENCH_DIR/usr-raw"
BENCH_OUTPUT=$B/u bench_case local-usr-uncompressed-to-oci "rm -rf $B/u" \
  "$SKIFF --insecure-policy copy -q dir:$BENCH_DIR/usr-raw oci:$B/u:t" \
  "skopeo --insecure-policy copy -q dir:$BENCH_DIR/usr-raw oci:$B/u:t"
bench_case local-usr-oci-to-dir "rm -rf $B/d" \
  "$SKIFF --insecure-policy copy -q oci:$USR_IMG:usr dir:$B/d" \
  "skopeo --insecure-policy copy -q oci:$USR_IMG:usr dir:$B/d"
rm -rf "$B"
