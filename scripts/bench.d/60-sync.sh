# sync (issue: sync): two docker-registry processes on loopback (plain HTTP).
#  - a repository with 120 tags over 10 distinct small images (1–10 MB), synced to the
#    other registry;
#  - a YAML file naming 20 images in 20 repositories (2–100 MB, about 580 MB in all).
# Each cold (the destination's storage wiped before every run) and warm (a re-sync when the
# destination is up to date; both tools skip an image whose manifest is there, so the warm
# cases compare the same work).
command -v docker-registry >/dev/null || { echo "bench needs docker-registry (./scripts/test.sh installs the peers)"; return 1; }

RS=$BENCH_DIR/sync
rm -rf "$RS"
mkdir -p "$RS"
SRC=$(bench_registry sync-src)
DST=$(bench_registry sync-dst)
NT="--src-tls-verify=false --dest-tls-verify=false"
push() { "$SKIFF" --insecure-policy copy -q --dest-tls-verify=false "$1" "$2"; }

# The images, cached in BENCH_DIR: 10 small ones, and 20 of 2–100 MB (sizes differ, so every
# image and layer is distinct).
for mb in $(seq 1 10); do
  d=$BENCH_DIR/sync-small-$mb
  [ -f "$d/index.json" ] || python3 scripts/bench/make_image.py "$d" "$mb" bench 2
done
YAML_SIZES="2 3 4 5 6 7 8 10 12 15 18 22 26 30 40 50 60 75 90 100"
for mb in $YAML_SIZES; do
  d=$BENCH_DIR/sync-yaml-$mb
  [ -f "$d/index.json" ] || python3 scripts/bench/make_image.py "$d" "$mb" bench 3
done

# 120 tags, t001…t120, image (n mod 10)+1: neighbours in the tag list are different images.
for n in $(seq 1 120); do
  push "oci:$BENCH_DIR/sync-small-$(( n % 10 + 1 )):bench" "docker://$SRC/bench/many:$(printf 't%03d' "$n")"
done
Y=$RS/sync.yaml
{
  echo "$SRC:"
  echo "  tls-verify: false"
  echo "  images:"
} >"$Y"
i=0
for mb in $YAML_SIZES; do
  i=$((i + 1))
  repo=$(printf 'bench/y%02d' "$i")
  push "oci:$BENCH_DIR/sync-yaml-$mb:bench" "docker://$SRC/$repo:bench"
  echo "    $repo: [bench]" >>"$Y"
done

wipe_dst="rm -rf $BENCH_DIR/registry-sync-dst/data/docker"
bench_case sync-repo-120-tags-cold "$wipe_dst" \
  "$SKIFF --insecure-policy sync --src docker --dest docker $NT $SRC/bench/many $DST/mirror" \
  "skopeo --insecure-policy sync --src docker --dest docker $NT $SRC/bench/many $DST/mirror"
"$SKIFF" --insecure-policy sync --src docker --dest docker $NT "$SRC/bench/many" "$DST/mirror" 2>/dev/null
bench_case sync-repo-120-tags-warm "true" \
  "$SKIFF --insecure-policy sync --src docker --dest docker $NT $SRC/bench/many $DST/mirror" \
  "skopeo --insecure-policy sync --src docker --dest docker $NT $SRC/bench/many $DST/mirror"

bench_case sync-yaml-20-images-cold "$wipe_dst" \
  "$SKIFF --insecure-policy sync --src yaml --dest docker $NT $Y $DST/mirror" \
  "skopeo --insecure-policy sync --src yaml --dest docker $NT $Y $DST/mirror"
"$SKIFF" --insecure-policy sync --src yaml --dest docker $NT "$Y" "$DST/mirror" 2>/dev/null
bench_case sync-yaml-20-images-warm "true" \
  "$SKIFF --insecure-policy sync --src yaml --dest docker $NT $Y $DST/mirror" \
  "skopeo --insecure-policy sync --src yaml --dest docker $NT $Y $DST/mirror"

stop_bench_registries
rm -rf "$RS"
