# Registries (issue: docker:// transport): two docker-registry processes on loopback (plain
# HTTP), the big image pushed to the first once. Cases: registry→registry cold copy (the
# destination's storage is wiped before every run), re-copy when the destination is up to
# date, registry→oci (big and small, to show memory does not grow), oci→registry, inspect
# (with the tag list) and list-tags.
command -v docker-registry >/dev/null || { echo "bench needs docker-registry (./scripts/test.sh installs the peers)"; return 1; }

SRC=$(bench_registry src)
DST=$(bench_registry dst)
B=$BENCH_DIR/out-registry
mkdir -p "$B"
NT="--src-tls-verify=false --dest-tls-verify=false"
skopeo copy -q --insecure-policy --dest-tls-verify=false "oci:$IMG_BIG:bench" "docker://$SRC/bench/big:bench"
skopeo copy -q --insecure-policy --dest-tls-verify=false "oci:$IMG_SMALL:bench" "docker://$SRC/bench/small:bench"
# A few more tags, so list-tags and inspect have something to list.
for i in $(seq 1 30); do
  skopeo copy -q --insecure-policy $NT "docker://$SRC/bench/small:bench" "docker://$SRC/bench/small:t$i"
done

wipe_dst="rm -rf $BENCH_DIR/registry-dst/data/docker"
bench_case registry-to-registry-cold "$wipe_dst" \
  "$SKIFF --insecure-policy copy -q $NT docker://$SRC/bench/big:bench docker://$DST/bench/big:bench" \
  "skopeo --insecure-policy copy -q $NT docker://$SRC/bench/big:bench docker://$DST/bench/big:bench"

skopeo copy -q --insecure-policy $NT "docker://$SRC/bench/big:bench" "docker://$DST/bench/big:bench"
# Not the same work: skiff's copy skips an image whose manifest the destination already has,
# skopeo's copy checks every blob. The same-work comparison follows: skopeo sync, which also
# skips by manifest, re-syncing the same image.
bench_case registry-recopy-up-to-date-vs-copy "true" \
  "$SKIFF --insecure-policy copy -q $NT docker://$SRC/bench/big:bench docker://$DST/bench/big:bench" \
  "skopeo --insecure-policy copy -q $NT docker://$SRC/bench/big:bench docker://$DST/bench/big:bench"
bench_case registry-recopy-up-to-date-vs-sync "true" \
  "$SKIFF --insecure-policy copy -q $NT docker://$SRC/bench/big:bench docker://$DST/bench/big:bench" \
  "skopeo --insecure-policy sync --src docker --dest docker $NT $SRC/bench/big:bench $DST/bench"

bench_case registry-to-oci "rm -rf $B/o" \
  "$SKIFF --insecure-policy copy -q $NT docker://$SRC/bench/big:bench oci:$B/o:t" \
  "skopeo --insecure-policy copy -q $NT docker://$SRC/bench/big:bench oci:$B/o:t"
bench_case registry-to-oci-small "rm -rf $B/o" \
  "$SKIFF --insecure-policy copy -q $NT docker://$SRC/bench/small:bench oci:$B/o:t" \
  "skopeo --insecure-policy copy -q $NT docker://$SRC/bench/small:bench oci:$B/o:t"

bench_case oci-to-registry "$wipe_dst" \
  "$SKIFF --insecure-policy copy -q $NT oci:$IMG_BIG:bench docker://$DST/bench/big:bench" \
  "skopeo --insecure-policy copy -q $NT oci:$IMG_BIG:bench docker://$DST/bench/big:bench"

bench_case registry-inspect "true" \
  "$SKIFF inspect --tls-verify=false docker://$SRC/bench/small:bench" \
  "skopeo inspect --tls-verify=false docker://$SRC/bench/small:bench"
bench_case registry-list-tags "true" \
  "$SKIFF list-tags --tls-verify=false docker://$SRC/bench/small" \
  "skopeo list-tags --tls-verify=false docker://$SRC/bench/small"

stop_bench_registries
rm -rf "$B"
