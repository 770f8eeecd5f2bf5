#!/usr/bin/env bash
# Soak test (not part of `cargo test`): COUNT copies through a fault-injecting proxy in front
# of a real docker-registry, each classified as
#   ok     - exit 0 and the destination equals the source by sha256,
#   clean  - non-zero exit, exactly one fatal line, no panic, nothing at the destination,
#   BAD    - hung (timeout), panic/crash, wrong content, half-written destination, or an
#            error that is not one fatal line.
# Prints the counts and exits 1 when any copy was BAD.
#
#   ./scripts/soak.sh [COUNT]          (default 100)
#
# Environment:
#   SOAK_TOOL=skiff|skopeo    the tool under test (default skiff)
#   SKIFF=PATH                the skiff binary (default target/debug/skiff)
#   SOAK_SEED=N               the proxy's RNG seed (default random; printed for a re-run)
#   SOAK_FAULT_RATE=0.10      share of HTTP requests broken
#   SOAK_STALL=10             seconds a stall lasts (skiff runs with --idle-timeout 2s)
#   SOAK_TIMEOUT=120          seconds before a copy counts as hung
#   SOAK_KEEP=1               keep the work directory (logs of every copy) at the end
#
# The mix, by copy number: pull registry->dir:, pull registry->oci: (one shared layout, a tag
# per copy), push oci:->registry (a repository per copy, each a different image sharing base
# layers with the others). Pushes are checked against the registry directly, not through the
# proxy. Loopback only; the registry gets a private storage directory and is stopped at exit.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
COUNT=${1:-100}
TOOL=${SOAK_TOOL:-skiff}
SKIFF=${SKIFF:-$root/target/debug/skiff}
SEED=${SOAK_SEED:-$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')}
RATE=${SOAK_FAULT_RATE:-0.10}
STALL=${SOAK_STALL:-10}
LIMIT=${SOAK_TIMEOUT:-120}

case $TOOL in
  skiff) tool=("$SKIFF" --insecure-policy --idle-timeout 2s copy) ;;
  skopeo) tool=(skopeo --insecure-policy copy) ;;
  *) echo "SOAK_TOOL must be skiff or skopeo" >&2; exit 2 ;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/skiff-soak.XXXXXX")
pids=()
finish() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  wait 2>/dev/null
  if [ "${SOAK_KEEP:-}" = 1 ]; then echo "work directory kept: $work"; else rm -rf "$work"; fi
}
trap finish EXIT
trap 'exit 130' INT TERM

# A registry on a free loopback port with its own storage.
reg_port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/registry"
cat >"$work/registry/config.yml" <<YML
version: 0.1
log:
  level: error
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $work/registry/data
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:$reg_port
YML
docker-registry serve "$work/registry/config.yml" >"$work/registry/log" 2>&1 &
pids+=($!)
registry=127.0.0.1:$reg_port
for _ in $(seq 100); do
  curl -sf "http://$registry/v2/" >/dev/null && break
  sleep 0.1 # docker-registry offers no readiness signal other than answering
done
curl -sf "http://$registry/v2/" >/dev/null || { echo "docker-registry did not start" >&2; exit 2; }

python3 "$here/soak/fault_proxy.py" --upstream "$reg_port" --ready "$work/proxy.port" \
  --rate "$RATE" --seed "$SEED" --stall "$STALL" 2>"$work/faults.log" &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/proxy.port" ] && break; sleep 0.1; done
[ -s "$work/proxy.port" ] || { echo "fault proxy did not start" >&2; exit 2; }
proxy=127.0.0.1:$(cat "$work/proxy.port")

# The images, built once: the pull source (2 MiB in 4 layers), pushed straight to the
# registry by skopeo; one image per push (r00-tN, 3 shared 1 MiB layers and 2 of its own).
python3 "$root/scripts/bench/make_image.py" "$work/pull-src" 2 pull 4
python3 "$root/scripts/bench/make_mirror_set.py" "$work/push-src" 1 $((COUNT / 3 + 1))
skopeo --insecure-policy copy -q --dest-tls-verify=false oci:"$work/pull-src":pull \
  docker://"$registry"/soak/pull:latest >/dev/null || { echo "seeding the registry failed" >&2; exit 2; }

echo "soak: $COUNT copies with $TOOL, fault rate $RATE, stall ${STALL}s, seed $SEED (SOAK_SEED=$SEED to repeat)"
declare -A counts=()
bad=()
mkdir -p "$work/runs" "$work/dir"
for i in $(seq 0 $((COUNT - 1))); do
  log=$work/runs/$i
  case $((i % 3)) in
    0) kind=pull-dir
       args=(--src-tls-verify=false docker://"$proxy"/soak/pull:latest dir:"$work/dir/$i")
       check=(dir "$work/dir/$i" "$work/pull-src" pull) ;;
    1) kind=pull-oci
       args=(--src-tls-verify=false docker://"$proxy"/soak/pull:latest oci:"$work/pulled":t$i)
       check=(oci "$work/pulled" t$i "$work/pull-src" pull) ;;
    2) kind=push
       args=(--dest-tls-verify=false oci:"$work/push-src":r00-t$((i / 3)) docker://"$proxy"/soak/push$i:latest)
       check=(registry "$registry" soak/push$i latest "$work/push-src" r00-t$((i / 3))) ;;
  esac
  seen=$(wc -l <"$work/faults.log")
  start=$EPOCHREALTIME
  timeout -k 5 "$LIMIT" "${tool[@]}" "${args[@]}" >"$log.out" 2>"$log.err"
  rc=$?
  secs=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')
  # The faults this copy met (the proxy serves only this copy now).
  tail -n +$((seen + 1)) "$work/faults.log" >"$log.faults"
  met=$(awk '{printf "%s%s %s", sep, $3, $4; sep=", "}' "$log.faults")
  dest=$(python3 "$here/soak/check.py" "${check[@]}")
  fatal=$(grep -c 'level=fatal' "$log.err")
  if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
    outcome="BAD-hung"
  elif grep -qE 'panicked at|stack backtrace|RUST_BACKTRACE|^panic:|^goroutine [0-9]+ ' "$log.err" || [ $rc -gt 128 ]; then
    outcome="BAD-panic"
  elif [ $rc -eq 0 ]; then
    case $dest in ok) outcome=ok ;; *) outcome="BAD-wrong-content" ;; esac
  elif [ "$dest" != absent ]; then
    outcome="BAD-half-written"
  elif [ "$fatal" -ne 1 ]; then
    outcome="BAD-unclean-error"
  else
    outcome=clean
  fi
  counts[$outcome]=$((${counts[$outcome]:-0} + 1))
  printf '%3d %-8s %-18s rc=%-3s %5.1fs faults: %s\n' "$i" "$kind" "$outcome" "$rc" "$secs" "${met:-none}"
  [ "$outcome" = ok ] || echo "      $(tail -n1 "$log.err" | cut -c1-300)"
  case $outcome in BAD-*) bad+=("$i $kind $outcome rc=$rc dest=$dest faults=[$met]: $(tail -n1 "$log.err")") ;; esac
done

echo
echo "faults injected: $(grep -c '^FAULT' "$work/faults.log")" \
  "($(awk '/^FAULT/ {n[$3]++} END {for (k in n) printf "%s %d, ", k, n[k]}' "$work/faults.log" | sed 's/, $//'))"
echo "summary ($TOOL, $COUNT copies, seed $SEED):"
for k in ok clean BAD-hung BAD-panic BAD-wrong-content BAD-half-written BAD-unclean-error; do
  printf '  %-18s %d\n' "$k" "${counts[$k]:-0}"
done
if [ ${#bad[@]} -gt 0 ]; then
  echo "bad outcomes:"
  printf '  %s\n' "${bad[@]}"
  SOAK_KEEP=1
  exit 1
fi
exit 0
