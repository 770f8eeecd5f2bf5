# Local layouts (issue: foundation): oci→dir, dir→oci, oci→oci-archive, inspect of an archive,
# each for the big image, and oci→dir for the small one to show memory does not grow.
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
bench_case local-dir-to-oci "rm -rf $B/o" \
  "$SKIFF --insecure-policy copy -q dir:$BENCH_DIR/big-dir oci:$B/o:t" \
  "skopeo --insecure-policy copy -q dir:$BENCH_DIR/big-dir oci:$B/o:t"
bench_case local-oci-to-oci-archive "rm -f $B/a.tar" \
  "$SKIFF --insecure-policy copy -q $src oci-archive:$B/a.tar:t" \
  "skopeo --insecure-policy copy -q $src oci-archive:$B/a.tar:t"
bench_case local-inspect-oci-archive "true" \
  "$SKIFF inspect oci-archive:$BENCH_DIR/big.tar:bench" \
  "skopeo inspect oci-archive:$BENCH_DIR/big.tar:bench"
rm -rf "$B"
