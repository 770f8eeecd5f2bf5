# Rootless containers-storage (issue 19): registry → an ordinary user's store and that store
# → registry, run as a user made here (with /etc/subuid and /etc/subgid ranges; removed at
# the end). Both tools re-run themselves in a user namespace (newuidmap/newgidmap), which
# is timed with the copy. Needs root (to make the user). STORAGE_DRIVERS="vfs" limits the
# drivers measured.
if [ "$(id -u)" != 0 ]; then
  echo "rootless: skipped (bench.sh must run as root to make a user)" | tee -a "$RESULTS"
  return 0
fi
command -v docker-registry >/dev/null || { echo "bench needs docker-registry (./scripts/test.sh installs the peers)"; return 1; }
command -v newuidmap >/dev/null || { echo "bench needs newuidmap (Debian package: uidmap)"; return 1; }
RL_USER=skiffbench$$
RL_HOME=$BENCH_DIR/rootless-home
rm -rf "$RL_HOME"
useradd -M -K SUB_UID_COUNT=0 -K SUB_GID_COUNT=0 -d "$RL_HOME" -s /bin/sh "$RL_USER"
usermod --add-subuids 3000000-3065535 --add-subgids 3000000-3065535 "$RL_USER"
mkdir -p "$RL_HOME/run"
chown -R "$RL_USER:" "$RL_HOME"
chmod 700 "$RL_HOME" "$RL_HOME/run"
chmod 755 "$BENCH_DIR"

RL_REG=$(bench_registry rootless)
skopeo copy -q --insecure-policy --dest-tls-verify=false "oci:$IMG_BIG:bench" "docker://$RL_REG/bench/big:bench"
# Pushes go to a registry wiped before every run (as in 40-storage.sh: no mounts).
RL_PUSH=$(bench_registry rootless-push)
# As the user, in a clean environment; CONTAINERS_STORAGE_CONF picks the store.
rl_as() { # CONF → command prefix
  echo "runuser -u $RL_USER -- env -i HOME=$RL_HOME PATH=/usr/bin:/bin XDG_RUNTIME_DIR=$RL_HOME/run CONTAINERS_STORAGE_CONF=$1"
}
rl_conf() { # DRIVER NAME → a storage.conf of the user's for a store in its home
  local conf="$RL_HOME/$2.conf"
  printf '[storage]\ndriver = "%s"\ngraphroot = "%s"\nrunroot = "%s"\n' \
    "$1" "$RL_HOME/$2/graph" "$RL_HOME/run/$2" >"$conf"
  chown "$RL_USER:" "$conf"
  echo "$conf"
}

for driver in ${STORAGE_DRIVERS:-vfs overlay}; do
  w_conf=$(rl_conf "$driver" "store-$driver-w")
  r_conf=$(rl_conf "$driver" "store-$driver-r")
  pull="copy -q --insecure-policy --src-tls-verify=false docker://$RL_REG/bench/big:bench containers-storage:localhost/bench:1"
  push="copy -q --insecure-policy --dest-tls-verify=false containers-storage:localhost/bench:1 docker://$RL_PUSH/bench/out:1"
  # The store pushed from: filled once, by skopeo.
  if ! $(rl_as "$r_conf") skopeo $pull; then
    echo "rootless-$driver: skipped (skopeo cannot write a rootless $driver store here)" | tee -a "$RESULTS"
    continue
  fi
  wipe="$(release_mounts_cmd "$RL_HOME/store-$driver-w"); rm -rf $RL_HOME/store-$driver-w"
  bench_case "rootless-$driver-registry-to-cs" "$wipe" \
    "$(rl_as "$w_conf") $SKIFF $pull" "$(rl_as "$w_conf") skopeo $pull"
  bench_case "rootless-$driver-cs-to-registry" "rm -rf $BENCH_DIR/registry-rootless-push/data/docker" \
    "$(rl_as "$r_conf") $SKIFF $push" "$(rl_as "$r_conf") skopeo $push"
  eval "$wipe"
  release_mounts "$RL_HOME/store-$driver-r"
done
stop_bench_registries
userdel -f "$RL_USER" 2>/dev/null || true
rm -rf "$RL_HOME"
