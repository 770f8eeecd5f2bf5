# Mirroring between sites (issue: mirroring at scale): each registry sits behind a proxy that
# delays every byte by 10 ms each way (a 20 ms round trip), so round trips cost what they
# cost across a WAN.
#  - wan-copy-cold: registry → registry copy of one 5-layer image, destination empty;
#  - wan-sync-60-cold / -warm: 20 repositories × 3 tags (3 shared base layers + 2 own per
#    image), sync --src yaml, destination empty / already up to date.
# Also printed: requests sent through the proxies by each tool for the one-image copy, and the
# round trips on its critical path, estimated as (wall at 20 ms − wall direct) / 20 ms and
# counted from the proxies' timelines (the longest chain of requests each sent after the one
# before it was answered; BENCH_TIMELINE=1 prints every request).
command -v docker-registry >/dev/null || { echo "bench needs docker-registry (./scripts/test.sh installs the peers)"; return 1; }

WAN=$BENCH_DIR/wan
rm -rf "$WAN"
mkdir -p "$WAN"
WSRC=$(bench_registry wan-src)
WDST=$(bench_registry wan-dst)
delay_proxy() { # upstream-host stats-file timeline-file → prints the proxy's host:port
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  python3 scripts/bench/delay_proxy.py "$port" "${1##*:}" "${WAN_DELAY_MS:-10}" "$2" "$3" >/dev/null 2>&1 &
  echo $! >>"$BENCH_DIR/registry.pids"
  for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1',$port)).close()" 2>/dev/null && break
    sleep 0.05
  done
  echo "127.0.0.1:$port"
}
PSRC=$(delay_proxy "$WSRC" "$WAN/src-stats.json" "$WAN/src.timeline")
PDST=$(delay_proxy "$WDST" "$WAN/dst-stats.json" "$WAN/dst.timeline")
NT="--src-tls-verify=false --dest-tls-verify=false"

SET=$BENCH_DIR/mirror-set
[ -f "$SET/index.json" ] || python3 scripts/bench/make_mirror_set.py "$SET" 20 3
Y=$WAN/sync.yaml
printf '%s:\n  tls-verify: false\n  images:\n' "$PSRC" >"$Y"
for r in $(seq -f '%02g' 0 19); do
  for t in 0 1 2; do
    "$SKIFF" --insecure-policy copy -q --dest-tls-verify=false "oci:$SET:r$r-t$t" "docker://$WSRC/wan/app$r:v$t"
  done
  echo "    wan/app$r: []" >>"$Y"
done

wipe_wdst="rm -rf $BENCH_DIR/registry-wan-dst/data/docker"
one_copy() { # tool src-host dst-host
  echo "$1 --insecure-policy copy -q $NT docker://$2/wan/app00:v0 docker://$3/one/app:v0"
}
bench_case wan-copy-cold "$wipe_wdst" "$(one_copy "$SKIFF" "$PSRC" "$PDST")" "$(one_copy skopeo "$PSRC" "$PDST")"

# Requests and critical-path round trips of the one-image copy, per tool.
requests_of() {
  eval "$wipe_wdst"; : >"$WAN/src-stats.json"; : >"$WAN/dst-stats.json"; : >"$WAN/src.timeline"; : >"$WAN/dst.timeline"
  local t0 t1 t2
  t0=$(date +%s.%N); sh -c "$(one_copy "$1" "$PSRC" "$PDST")"; t1=$(date +%s.%N)
  eval "$wipe_wdst"; sh -c "$(one_copy "$1" "$WSRC" "$WDST")"; t2=$(date +%s.%N)
  python3 - "$2" "$WAN" "$t0" "$t1" "$t2" <<'PY' | tee -a "$RESULTS"
import json, sys
name, d, t0, t1, t2 = sys.argv[1], sys.argv[2], *map(float, sys.argv[3:])
def load(p):
    try:
        return json.load(open(p))
    except Exception:
        return {"requests": 0, "connections": 0, "by_method": {}}
s, t = load(f"{d}/src-stats.json"), load(f"{d}/dst-stats.json")
rtts = ((t1 - t0) - (t2 - t1)) / 0.020
print(f"  {name:<8} requests src {s['requests']:3d} {s['by_method']}  dst {t['requests']:3d} {t['by_method']}  "
      f"critical-path round trips ~{rtts:4.1f}")
PY
  python3 scripts/bench/timeline.py "$t0" "$t1" ${BENCH_TIMELINE:+--list} \
    src="$WAN/src.timeline" dst="$WAN/dst.timeline" | sed "s/^\([0-9]\)/  $2 \1/" | tee -a "$RESULTS"
}
requests_of "$SKIFF" skiff
requests_of skopeo skopeo

wan_sync() { echo "$1 --insecure-policy sync --src yaml --dest docker $NT $Y $PDST/mirror"; }
# Requests and critical path of one sync by TOOL (cold: the destination wiped first).
sync_requests_of() { # tool name cold|warm
  [ "$3" = cold ] && eval "$wipe_wdst"
  : >"$WAN/src-stats.json"; : >"$WAN/dst-stats.json"; : >"$WAN/src.timeline"; : >"$WAN/dst.timeline"
  local t0 t1
  t0=$(date +%s.%N); sh -c "$(wan_sync "$1")" >/dev/null 2>&1; t1=$(date +%s.%N)
  python3 - "$2 $3" "$WAN" "$t0" "$t1" <<'PY' | tee -a "$RESULTS"
import json, sys
name, d, t0, t1 = sys.argv[1], sys.argv[2], *map(float, sys.argv[3:])
def load(p):
    try:
        return json.load(open(p))
    except Exception:
        return {"requests": 0, "by_method": {}}
s, t = load(f"{d}/src-stats.json"), load(f"{d}/dst-stats.json")
print(f"  sync {name:<12} {t1 - t0:6.2f}s requests src {s['requests']:4d} {s['by_method']}  dst {t['requests']:4d} {t['by_method']}")
PY
  python3 scripts/bench/timeline.py "$t0" "$t1" ${BENCH_TIMELINE:+--list} \
    src="$WAN/src.timeline" dst="$WAN/dst.timeline" | sed "s/^\([0-9]\)/  sync $2 $3 \1/" | tee -a "$RESULTS"
}
bench_case wan-sync-60-cold "$wipe_wdst" "$(wan_sync "$SKIFF")" "$(wan_sync skopeo)"
sync_requests_of "$SKIFF" skiff cold
sync_requests_of skopeo skopeo cold
# The registries and the delaying proxies share this machine's cores with the tool: what
# they burn per sync bounds the wall time from below (more requests at once only lengthen
# each one once they are busy).
bench_cpu_floor wan-sync-60-cold-floor "$wipe_wdst" "$(wan_sync "$SKIFF") >/dev/null 2>&1" \
  "$(wan_sync skopeo) >/dev/null 2>&1" "$BENCH_DIR/registry.pids"
sh -c "$(wan_sync "$SKIFF")" 2>/dev/null
bench_case wan-sync-60-warm "true" "$(wan_sync "$SKIFF")" "$(wan_sync skopeo)"
sync_requests_of "$SKIFF" skiff warm
sync_requests_of skopeo skopeo warm
bench_cpu_floor wan-sync-60-warm-floor true "$(wan_sync "$SKIFF") >/dev/null 2>&1" \
  "$(wan_sync skopeo) >/dev/null 2>&1" "$BENCH_DIR/registry.pids"

stop_bench_registries
rm -rf "$WAN"
