# docker-archive: and docker-daemon: (issue: docker-archive and docker-daemon transports).
# Cases: inspect of the big image as a docker-archive; oci → docker-archive; oci →
# docker-daemon and docker-daemon → dir/oci against a private dockerd started here (vfs,
# loopback unix socket, its own data root under $BENCH_DIR, stopped at the end); the issue's
# registry → daemon and daemon → registry cases against a loopback docker-registry.
command -v dockerd >/dev/null || { echo "bench needs dockerd (./scripts/test.sh installs the peers)"; return 1; }
command -v docker-registry >/dev/null || { echo "bench needs docker-registry"; return 1; }
command -v docker >/dev/null || { echo "bench needs the docker CLI (Debian package docker.io)"; return 1; }
command -v curl >/dev/null || { echo "bench needs curl (Debian package curl)"; return 1; }

A=$BENCH_DIR/out-archive
D=$BENCH_DIR/dockerd
release_mounts "$D"
rm -rf "$A" "$D"
mkdir -p "$A" "$D"
src="oci:$IMG_BIG:bench"

# The big image as an archive, written once by skopeo (the input of the read cases).
skopeo copy -q --insecure-policy "$src" "docker-archive:$A/big.tar:localhost/bench:1"
bench_case archive-inspect ":" \
  "$SKIFF inspect docker-archive:$A/big.tar" \
  "skopeo inspect docker-archive:$A/big.tar"
bench_case archive-oci-to-archive "rm -f $A/w.tar" \
  "$SKIFF --insecure-policy copy -q $src docker-archive:$A/w.tar:localhost/bench:1" \
  "skopeo --insecure-policy copy -q $src docker-archive:$A/w.tar:localhost/bench:1"
bench_case archive-archive-to-dir "rm -rf $A/d" \
  "$SKIFF --insecure-policy copy -q docker-archive:$A/big.tar dir:$A/d" \
  "skopeo --insecure-policy copy -q docker-archive:$A/big.tar dir:$A/d"

# A private engine on a unix socket.
SOCK="$D/docker.sock"
dockerd --storage-driver=vfs --iptables=false --ip6tables=false --bridge=none \
  --data-root "$D/root" --exec-root "$D/exec" --pidfile "$D/dockerd.pid" \
  -H "unix://$SOCK" >"$D/dockerd.log" 2>&1 &
DOCKERD_PID=$!
stop_dockerd() { kill "$DOCKERD_PID" 2>/dev/null && wait "$DOCKERD_PID" 2>/dev/null || true; release_mounts "$D"; }
trap 'stop_dockerd; stop_bench_registries' EXIT
export DOCKER_HOST="unix://$SOCK"
for _ in $(seq 300); do docker version >/dev/null 2>&1 && break; sleep 0.2; done
H="unix://$SOCK"
# The engine keeps layers it has: both tags go before each run, so every load is a real one.
RMI="docker rmi -f localhost/bench:src localhost/bench:dst >/dev/null 2>&1; true"

# The image the engine reads from: loaded once.
skopeo copy -q --insecure-policy --dest-daemon-host "$H" "$src" docker-daemon:localhost/bench:src
bench_case daemon-oci-to-daemon "$RMI" \
  "$SKIFF --insecure-policy copy -q $src docker-daemon:localhost/bench:dst" \
  "skopeo --insecure-policy copy -q --dest-daemon-host $H $src docker-daemon:localhost/bench:dst"
skopeo copy -q --insecure-policy --dest-daemon-host "$H" "$src" docker-daemon:localhost/bench:src
bench_case daemon-daemon-to-dir "rm -rf $A/dd" \
  "$SKIFF --insecure-policy copy -q docker-daemon:localhost/bench:src dir:$A/dd" \
  "skopeo --insecure-policy copy -q --src-daemon-host $H docker-daemon:localhost/bench:src dir:$A/dd"
bench_case daemon-daemon-to-oci "rm -rf $A/do" \
  "$SKIFF --insecure-policy copy -q docker-daemon:localhost/bench:src oci:$A/do:bench" \
  "skopeo --insecure-policy copy -q --src-daemon-host $H docker-daemon:localhost/bench:src oci:$A/do:bench"

# registry ↔ daemon, the targets.
REG=$(bench_registry archive)
SKOPEO_PULL="skopeo --insecure-policy copy -q --src-tls-verify=false --dest-daemon-host $H docker://$REG/bench/big:bench docker-daemon:localhost/bench:dst"
skopeo copy -q --insecure-policy --dest-tls-verify=false "$src" "docker://$REG/bench/big:bench"
bench_case daemon-registry-to-daemon "$RMI" \
  "$SKIFF --insecure-policy copy -q --src-tls-verify=false docker://$REG/bench/big:bench docker-daemon:localhost/bench:dst" \
  "$SKOPEO_PULL"
# What the engine alone takes to load the image (the archive skopeo would send): the floor.
skopeo copy -q --insecure-policy "$src" "docker-archive:$A/load.tar:localhost/bench:dst"
bench_floor daemon-registry-to-daemon-floor "$RMI" \
  "curl -sf --unix-socket $SOCK -X POST -H 'Content-Type: application/x-tar' --data-binary @$A/load.tar 'http://d/images/load?quiet=1' -o /dev/null" \
  "$SKOPEO_PULL"
rm -f "$A/load.tar"
skopeo copy -q --insecure-policy --dest-daemon-host "$H" "$src" docker-daemon:localhost/bench:src
# Pushes go to a registry wiped before every run, so skopeo's blob-info cache cannot turn
# them into mounts of layers it saw on the first one (skiff keeps no such cache).
PUSH=$(bench_registry archive-push)
WIPE_PUSH="rm -rf $BENCH_DIR/registry-archive-push/data/docker"
SKOPEO_PUSH="skopeo --insecure-policy copy -q --dest-tls-verify=false --src-daemon-host $H docker-daemon:localhost/bench:src docker://$PUSH/bench/out:1"
bench_case daemon-daemon-to-registry "$WIPE_PUSH" \
  "$SKIFF --insecure-policy copy -q --dest-tls-verify=false docker-daemon:localhost/bench:src docker://$PUSH/bench/out:1" \
  "$SKOPEO_PUSH"
# What the engine alone takes to export the image: the floor of the case above.
bench_floor daemon-daemon-to-registry-floor "$WIPE_PUSH" \
  "curl -sf --unix-socket $SOCK 'http://d/images/localhost%2Fbench:src/get' -o /dev/null" \
  "$SKOPEO_PUSH"
stop_bench_registries
stop_dockerd
trap stop_bench_registries EXIT
rm -rf "$A" "$D"
