# Memory flat in the number of images (issue: mirroring at scale): a cold sync of 300 images
# (100 repositories × 3 tags, 3 shared base layers + 2 own per image) between two registries
# on loopback. The peak memory is the figure to watch (target: under 40 MiB for skiff).
command -v docker-registry >/dev/null || { echo "bench needs docker-registry (./scripts/test.sh installs the peers)"; return 1; }

S3=$BENCH_DIR/sync300
rm -rf "$S3"
mkdir -p "$S3"
S3SRC=$(bench_registry s300-src)
S3DST=$(bench_registry s300-dst)
SET300=$BENCH_DIR/mirror-set-300
[ -f "$SET300/index.json" ] || python3 scripts/bench/make_mirror_set.py "$SET300" 100 3
Y300=$S3/sync.yaml
printf '%s:\n  tls-verify: false\n  images:\n' "$S3SRC" >"$Y300"
for r in $(seq -f '%02g' 0 99); do
  for t in 0 1 2; do
    "$SKIFF" --insecure-policy copy -q --dest-tls-verify=false "oci:$SET300:r$r-t$t" "docker://$S3SRC/m300/app$r:v$t"
  done
  echo "    m300/app$r: []" >>"$Y300"
done
wipe_s3="rm -rf $BENCH_DIR/registry-s300-dst/data/docker"
s300() { echo "$1 --insecure-policy sync --src yaml --dest docker --src-tls-verify=false --dest-tls-verify=false $Y300 $S3DST/mirror"; }
bench_case sync-300-images-cold "$wipe_s3" "$(s300 "$SKIFF")" "$(s300 skopeo)"
stop_bench_registries
rm -rf "$S3"
