# Shared helpers for scripts/bench.sh and the case files in scripts/bench.d/.
# Each case times skiff and skopeo doing the same thing in the same run (hyperfine) and
# measures each one's peak memory (/usr/bin/time -v), then prints the ratios skiff/skopeo.

BENCH_RUNS=${BENCH_RUNS:-5}
RESULTS=${RESULTS:-$BENCH_DIR/results.txt}

# Peak resident memory in KiB of one run of a command.
peak_rss_kib() {
  /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}'
}

# Median wall seconds and median user+sys seconds from a merged hyperfine export (see
# merge_turns), "a" first then "b".
hyperfine_stats() {
  python3 - "$1" <<'PY'
import json, statistics, sys
r = sorted(json.load(open(sys.argv[1]))["results"], key=lambda x: x["command"])
for x in r:
    cpu = [u + s for u, s in zip(x["user"], x["system"])]
    print(f'{statistics.median(x["times"]):.4f} {statistics.median(cpu):.4f}')
PY
}

# Joins the hyperfine exports JSON.1 … JSON.N into JSON, matching the tools by name (turns
# run them in either order), with user and system CPU per run (a turn's mean for each of
# its runs), and removes them.
merge_turns() {
  python3 - "$1" "$2" <<'PY'
import json, os, sys
out, n = sys.argv[1], int(sys.argv[2])
merged = {}
for i in range(1, n + 1):
    part = json.load(open(f"{out}.{i}"))
    os.remove(f"{out}.{i}")
    for r in part["results"]:
        runs = len(r["times"])
        m = merged.setdefault(r["command"], {"command": r["command"], "times": [], "user": [], "system": []})
        m["times"] += r["times"]
        m["user"] += [r["user"]] * runs
        m["system"] += [r["system"]] * runs
json.dump({"results": list(merged.values())}, open(out, "w"))
PY
}

# bench_times NAME PREPARE CMD_A CMD_B: hyperfine runs of both (PREPARE before each), kept
# in $BENCH_DIR/NAME.json; prints "a_wall a_cpu b_wall b_cpu" (medians, seconds).
# The tools take turns, and which one goes first changes from turn to turn: a machine that
# slows down or speeds up during a case (other tenants, an engine's own clean-up, a warm
# cache left by the one before) weighs on both alike.
# A case with nothing to prepare (PREPARE is "", ":" or "true") is a short command of a few
# milliseconds: it runs without a shell (hyperfine's correction for the shell's own start is
# as large as the command and as noisy), 20 times as often, in 4 turns.
bench_times() {
  local name=$1 prepare=$2 a=$3 b=$4
  local json="$BENCH_DIR/$name.json" turns i
  local -a how
  case "$prepare" in
    "" | ":" | true)
      turns=4
      how=(-N --runs "$((BENCH_RUNS * 5))" --warmup 5) ;;
    *)
      turns=$BENCH_RUNS
      how=(--runs 1 --prepare "$prepare")
      # One untimed turn first (caches, lazily made files).
      hyperfine --style none "${how[@]}" -n a "$a" -n b "$b" >/dev/null ;;
  esac
  for i in $(seq "$turns"); do
    if [ $((i % 2)) = 1 ]; then
      hyperfine --style none "${how[@]}" --export-json "$json.$i" -n a "$a" -n b "$b" >/dev/null
    else
      hyperfine --style none "${how[@]}" --export-json "$json.$i" -n b "$b" -n a "$a" >/dev/null
    fi
  done
  merge_turns "$json" "$turns"
  hyperfine_stats "$json" | tr '\n' ' '
}

# bench_case NAME PREPARE SKIFF_CMD SKOPEO_CMD
#   PREPARE runs before every timed run (e.g. removing the destination).
#   With BENCH_OUTPUT set to a path the commands write, its size after each tool's run is
#   printed too, so speed bought with weaker compression shows.
bench_case() {
  local name=$1 prepare=$2 skiff_cmd=$3 skopeo_cmd=$4
  local s_wall s_cpu o_wall o_cpu s_out=0 o_out=0
  read -r s_wall s_cpu o_wall o_cpu <<<"$(bench_times "$name" "$prepare" "$skiff_cmd" "$skopeo_cmd")"
  eval "$prepare"; local s_rss; s_rss=$(peak_rss_kib sh -c "$skiff_cmd")
  [ -n "${BENCH_OUTPUT:-}" ] && s_out=$(du -sb "$BENCH_OUTPUT" | cut -f1)
  eval "$prepare"; local o_rss; o_rss=$(peak_rss_kib sh -c "$skopeo_cmd")
  [ -n "${BENCH_OUTPUT:-}" ] && o_out=$(du -sb "$BENCH_OUTPUT" | cut -f1)
  python3 - "$name" "$s_wall" "$o_wall" "$s_cpu" "$o_cpu" "$s_rss" "$o_rss" "$s_out" "$o_out" <<'PY' | tee -a "$RESULTS"
import sys
n, sw, ow, sc, oc, sr, orr, so, oo = sys.argv[1], *map(float, sys.argv[2:])
out = f"  output {so/oo:5.3f}x ({so/2**20:.1f} vs {oo/2**20:.1f} MiB)" if oo else ""
print(f"{n:<34} wall {sw/ow:5.2f}x ({sw:8.4f}s vs {ow:8.4f}s)  cpu {sc/max(oc,1e-9):5.2f}x  "
      f"peak-rss {sr/max(orr,1):5.2f}x ({sr/1024:6.1f} vs {orr/1024:6.1f} MiB){out}")
PY
}

# bench_floor NAME PREPARE PEER_CMD SKOPEO_CMD
#   Times what a peer (an engine, a registry) needs on its own for a copy's work, against
#   skopeo's whole copy: no client can take less than the peer, so this is the lowest ratio
#   any client could show in the matching case.
bench_floor() {
  local name=$1 prepare=$2 peer_cmd=$3 skopeo_cmd=$4
  local p_wall p_cpu o_wall o_cpu
  read -r p_wall p_cpu o_wall o_cpu <<<"$(bench_times "$name" "$prepare" "$peer_cmd" "$skopeo_cmd")"
  python3 - "$name" "$p_wall" "$o_wall" <<'PY' | tee -a "$RESULTS"
import sys
n, pw, ow = sys.argv[1], *map(float, sys.argv[2:])
print(f"{n:<34} floor {pw/ow:5.2f}x (the peer alone {pw:7.3f}s vs skopeo's copy {ow:7.3f}s)")
PY
}

# bench_registry NAME [log]: starts a docker-registry on a free loopback port (plain HTTP,
# delete enabled, storage in $BENCH_DIR/registry-NAME/data; with "log", its access log in
# $BENCH_DIR/registry-NAME/log) and prints its host:port. bench.sh stops every one at exit
# (stop_bench_registries).
bench_registry() {
  local dir=$BENCH_DIR/registry-$1 port access_off=true
  [ "${2:-}" = log ] && access_off=false
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  rm -rf "$dir"
  mkdir -p "$dir"
  cat >"$dir/config.yml" <<YML
version: 0.1
log:
  level: error
  accesslog:
    disabled: $access_off
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$port
YML
  docker-registry serve "$dir/config.yml" >"$dir/log" 2>&1 &
  echo $! >>"$BENCH_DIR/registry.pids"
  for _ in $(seq 100); do
    python3 -c "import urllib.request as u; u.urlopen('http://127.0.0.1:$port/v2/')" 2>/dev/null && break
    sleep 0.1
  done
  echo "127.0.0.1:$port"
}

# The repositories directory of a bench_registry (wipe a repository there for a cold copy).
bench_registry_repos() { echo "$BENCH_DIR/registry-$1/data/docker/registry/v2/repositories"; }

stop_bench_registries() {
  [ -f "$BENCH_DIR/registry.pids" ] || return 0
  xargs -r kill <"$BENCH_DIR/registry.pids" 2>/dev/null || true
  rm -f "$BENCH_DIR/registry.pids"
}

# The command that lets go of mounts under DIR (dockerd and c/storage's overlay driver
# bind-mount their homes onto themselves and leave them), so DIR can be removed. A command
# line, so hyperfine's --prepare can run it too.
release_mounts_cmd() {
  echo "{ grep -o ' $1[^ ]*' /proc/self/mountinfo | sort -ru | xargs -r -n1 umount -l; } 2>/dev/null || true"
}
release_mounts() { eval "$(release_mounts_cmd "$1")"; }

# bench_cpu_floor NAME PREPARE SKIFF_CMD SKOPEO_CMD PIDFILE
#   For a case whose time goes mostly to peers on this machine (the registries, proxies listed in
#   PIDFILE, one pid a line): runs each tool 3 times (PREPARE before each) and reads from
#   /proc the CPU the peers spent on each run. No client can finish before the peers and
#   its own hashing have had their CPU on this machine's cores, so
#   (peers' CPU + skiff's CPU) / cores over skopeo's wall is the lowest ratio reachable here,
#   even with every request overlapping perfectly and no round trip before or after the
#   blobs (a manifest must be read before its blobs and written after them).
bench_cpu_floor() {
  local name=$1 prepare=$2 skiff_cmd=$3 skopeo_cmd=$4 pidfile=$5
  python3 - "$name" "$prepare" "$skiff_cmd" "$skopeo_cmd" "$pidfile" "$(nproc)" <<'PY' | tee -a "$RESULTS"
import os, resource, statistics, subprocess, sys, time
name, prepare, skiff, skopeo, pidfile, cores = sys.argv[1:7]
pids = [p.strip() for p in open(pidfile) if p.strip()]
tck = os.sysconf("SC_CLK_TCK")

def peers_cpu():
    total = 0
    for p in pids:
        f = open(f"/proc/{p}/stat").read().rsplit(")", 1)[1].split()
        total += int(f[11]) + int(f[12])  # utime, stime
    return total / tck

def run(cmd):
    subprocess.run(["sh", "-c", prepare], check=True)
    before, ru = peers_cpu(), resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.monotonic()
    subprocess.run(["sh", "-c", cmd], check=True)
    wall = time.monotonic() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    own = (after.ru_utime - ru.ru_utime) + (after.ru_stime - ru.ru_stime)
    return wall, own, peers_cpu() - before

s = [run(skiff) for _ in range(3)]
o = [run(skopeo) for _ in range(3)]
med = lambda rows, i: statistics.median(r[i] for r in rows)
s_peer, s_own, o_wall, o_peer = med(s, 2), med(s, 1), med(o, 0), med(o, 2)
floor = (s_peer + s_own) / int(cores)
print(f"{name:<34} floor {floor / o_wall:5.2f}x (peers {s_peer:.3f}s + skiff {s_own:.3f}s CPU "
      f"on {cores} cores = {floor:.3f}s vs skopeo's copy {o_wall:.3f}s; peers per skopeo copy {o_peer:.3f}s)")
PY
}

# bench_blob_floor NAME PREPARE SRC DST REPO TAG SKOPEO_CMD
# The registries' own time for a copy: curl moves every blob of SRC/REPO:TAG to DST/REPO,
# all at once, each GET piped straight into a single-PUT upload (no client hashing, no
# manifest, no checks), and that wall time is set against skopeo's copy. No client can copy
# faster than the two registries take to serve and store the bytes; a target below this
# ratio is out of reach on this machine.
bench_blob_floor() {
  local name=$1 prepare=$2 src=$3 dst=$4 repo=$5 tag=$6 skopeo_cmd=$7
  python3 - "$name" "$prepare" "$src" "$dst" "$repo" "$tag" "$skopeo_cmd" <<'PY' | tee -a "$RESULTS"
import json, statistics, subprocess, sys, time, urllib.request
name, prepare, src, dst, repo, tag, skopeo = sys.argv[1:8]
accept = ",".join(["application/vnd.oci.image.manifest.v1+json",
                   "application/vnd.docker.distribution.manifest.v2+json"])
req = urllib.request.Request(f"http://{src}/v2/{repo}/manifests/{tag}", headers={"Accept": accept})
m = json.load(urllib.request.urlopen(req))
digests = [m["config"]["digest"]] + [l["digest"] for l in m["layers"]]
# One shell per blob: open a session, then stream the GET into the PUT that ends it.
move = ('loc=$(curl -sf -o /dev/null -D - -X POST "http://$1/v2/$3/blobs/uploads/" | '
        'tr -d "\\r" | sed -n "s/^[Ll]ocation: //p"); case $loc in /*) loc="http://$1$loc";; esac; '
        'curl -sf "http://$2/v2/$3/blobs/$4" | '
        'curl -sf -o /dev/null -T - -X PUT -H "Content-Type: application/octet-stream" "$loc&digest=$4"')

def moved():
    subprocess.run(["sh", "-c", prepare], check=True)
    t = time.monotonic()
    procs = [subprocess.Popen(["sh", "-c", move, "sh", dst, src, repo, d]) for d in digests]
    if any(p.wait() for p in procs):
        sys.exit(f"{name}: curl could not move the blobs")
    return time.monotonic() - t

def copied():
    subprocess.run(["sh", "-c", prepare], check=True)
    t = time.monotonic()
    subprocess.run(["sh", "-c", skopeo], check=True)
    return time.monotonic() - t

# Taken in turn, so that both see the same machine.
runs = [(moved(), copied()) for _ in range(5)]
floor = statistics.median(r[0] for r in runs)
theirs = statistics.median(r[1] for r in runs)
print(f"{name:<34} floor {floor / theirs:5.2f}x (curl moves the {len(digests)} blobs in "
      f"{floor:.3f}s, all at once; skopeo's copy {theirs:.3f}s)")
PY
}
