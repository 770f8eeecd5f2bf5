# Pull, then push back (issue 24): the big image pulled from a registry into
# containers-storage, then pushed to another repository of the same registry. Both tools
# remember (their blob-info caches, and the store's records) that each stored layer is the
# gzip blob they pulled and that the registry has it, so the push mounts the layers instead
# of compressing and uploading them. Prints each tool's layer uploads besides the times.
# skiff's cache is a private one under $BENCH_DIR (c/image's rootless location, chosen with
# _CONTAINERS_ROOTLESS_UID); skopeo 1.9.3 uses its own (BoltDB) cache as always.
command -v docker-registry >/dev/null || { echo "bench needs docker-registry (./scripts/test.sh installs the peers)"; return 1; }
PB_REG=$(bench_registry pushback log)
PB_REPOS=$(bench_registry_repos pushback)
PB_CACHE="_CONTAINERS_ROOTLESS_UID=1000 XDG_DATA_HOME=$BENCH_DIR/pushback-cache"
skopeo copy -q --insecure-policy --dest-tls-verify=false "oci:$IMG_BIG:bench" "docker://$PB_REG/bench/big:bench"

pb_conf() { # NAME → a storage.conf for a private vfs store
  local conf="$BENCH_DIR/$1.conf"
  printf '[storage]\ndriver = "vfs"\ngraphroot = "%s"\nrunroot = "%s"\n' \
    "$BENCH_DIR/$1/graph" "$BENCH_DIR/$1/run" >"$conf"
  echo "$conf"
}
pb_skiff=$(pb_conf store-pushback-skiff)
pb_skopeo=$(pb_conf store-pushback-skopeo)
rm -rf "$BENCH_DIR/store-pushback-skiff" "$BENCH_DIR/store-pushback-skopeo" "$BENCH_DIR/pushback-cache"
env CONTAINERS_STORAGE_CONF="$pb_skiff" $PB_CACHE "$SKIFF" --insecure-policy copy -q --src-tls-verify=false \
  "docker://$PB_REG/bench/big:bench" containers-storage:localhost/bench:1
CONTAINERS_STORAGE_CONF="$pb_skopeo" skopeo --insecure-policy copy -q --src-tls-verify=false \
  "docker://$PB_REG/bench/big:bench" containers-storage:localhost/bench:1

pb_push_skiff="env CONTAINERS_STORAGE_CONF=$pb_skiff $PB_CACHE $SKIFF --insecure-policy copy -q --dest-tls-verify=false containers-storage:localhost/bench:1 docker://$PB_REG/bench/out-skiff:1"
pb_push_skopeo="CONTAINERS_STORAGE_CONF=$pb_skopeo skopeo --insecure-policy copy -q --dest-tls-verify=false containers-storage:localhost/bench:1 docker://$PB_REG/bench/out-skopeo:1"
# Before each run the pushed repositories go (their blobs stay in the registry's store, as
# after any push to a new repository).
pb_wipe="rm -rf $PB_REPOS/bench/out-skiff $PB_REPOS/bench/out-skopeo"
bench_case "pushback-cs-to-registry" "$pb_wipe" "$pb_push_skiff" "$pb_push_skopeo"

# Upload counts of one more push each: blob uploads completed (PUT) and mounts.
pb_count() { # REPO → "N uploads, M mounts"
  local log=$BENCH_DIR/registry-pushback/log
  echo "$(grep -a -c "\"PUT /v2/bench/$1/blobs/uploads/" "$log") uploads, $(grep -a -c "\"POST /v2/bench/$1/blobs/uploads/?.*mount=" "$log") mounts"
}
eval "$pb_wipe"
: >"$BENCH_DIR/registry-pushback/log"
eval "$pb_push_skiff"
eval "$pb_push_skopeo"
echo "pushback-cs-to-registry blobs sent: skiff $(pb_count out-skiff), skopeo $(pb_count out-skopeo) (layers and config)" | tee -a "$RESULTS"
stop_bench_registries
rm -rf "$BENCH_DIR/store-pushback-skiff" "$BENCH_DIR/store-pushback-skopeo"
