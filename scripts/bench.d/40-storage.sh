# containers-storage (issue: containers-storage transport), on private stores under
# $BENCH_DIR (never /var/lib/containers): oci → containers-storage and containers-storage →
# dir for the big image, with the vfs driver and, where the kernel allows, overlay.
# STORAGE_DRIVERS="vfs" limits the drivers measured.
# The issue's registry cases: registry → containers-storage and containers-storage →
# registry, against a loopback docker-registry.
B=$BENCH_DIR/out-storage
src="oci:$IMG_BIG:bench"
mkdir -p "$B"
command -v docker-registry >/dev/null || { echo "bench needs docker-registry (./scripts/test.sh installs the peers)"; return 1; }
REG=$(bench_registry storage)
skopeo copy -q --insecure-policy --dest-tls-verify=false "$src" "docker://$REG/bench/big:bench"
# Pushes go to a second registry wiped before every run: both tools' blob-info caches
# remember where they saw each layer, and on the first registry they would mount the layers
# they pulled instead of compressing and sending them (that case is 45-pushback.sh). Wiped,
# both compress.
PUSH=$(bench_registry storage-push)

storage_conf() { # DRIVER NAME → path of a storage.conf for a private store
  local conf="$BENCH_DIR/$2.conf"
  printf '[storage]\ndriver = "%s"\ngraphroot = "%s"\nrunroot = "%s"\n' \
    "$1" "$BENCH_DIR/$2/graph" "$BENCH_DIR/$2/run" >"$conf"
  echo "$conf"
}

for driver in ${STORAGE_DRIVERS:-vfs overlay}; do
  w_conf=$(storage_conf "$driver" "store-$driver-w")
  r_conf=$(storage_conf "$driver" "store-$driver-r")
  # The store read from: filled once, by skopeo.
  if ! CONTAINERS_STORAGE_CONF=$r_conf skopeo inspect containers-storage:localhost/bench:1 >/dev/null 2>&1; then
    if ! CONTAINERS_STORAGE_CONF=$r_conf skopeo copy -q --insecure-policy "$src" containers-storage:localhost/bench:1; then
      echo "storage-$driver: skipped (skopeo cannot write a $driver store here)" | tee -a "$RESULTS"
      continue
    fi
  fi
  wipe="$(release_mounts_cmd "$BENCH_DIR/store-$driver-w"); rm -rf $BENCH_DIR/store-$driver-w"
  bench_case "storage-$driver-oci-to-cs" "$wipe" \
    "CONTAINERS_STORAGE_CONF=$w_conf $SKIFF --insecure-policy copy -q $src containers-storage:localhost/bench:1" \
    "CONTAINERS_STORAGE_CONF=$w_conf skopeo --insecure-policy copy -q $src containers-storage:localhost/bench:1"
  bench_case "storage-$driver-cs-to-dir" "rm -rf $B/d" \
    "CONTAINERS_STORAGE_CONF=$r_conf $SKIFF --insecure-policy copy -q containers-storage:localhost/bench:1 dir:$B/d" \
    "CONTAINERS_STORAGE_CONF=$r_conf skopeo --insecure-policy copy -q containers-storage:localhost/bench:1 dir:$B/d"
  bench_case "storage-$driver-registry-to-cs" "$wipe" \
    "CONTAINERS_STORAGE_CONF=$w_conf $SKIFF --insecure-policy copy -q --src-tls-verify=false docker://$REG/bench/big:bench containers-storage:localhost/bench:1" \
    "CONTAINERS_STORAGE_CONF=$w_conf skopeo --insecure-policy copy -q --src-tls-verify=false docker://$REG/bench/big:bench containers-storage:localhost/bench:1"
  bench_case "storage-$driver-cs-to-registry" "rm -rf $BENCH_DIR/registry-storage-push/data/docker" \
    "CONTAINERS_STORAGE_CONF=$r_conf $SKIFF --insecure-policy copy -q --dest-tls-verify=false containers-storage:localhost/bench:1 docker://$PUSH/bench/out:1" \
    "CONTAINERS_STORAGE_CONF=$r_conf skopeo --insecure-policy copy -q --dest-tls-verify=false containers-storage:localhost/bench:1 docker://$PUSH/bench/out:1"
  eval "$wipe"
  release_mounts "$BENCH_DIR/store-$driver-r"
done
stop_bench_registries
rm -rf "$B"
