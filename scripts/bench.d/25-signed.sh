# Signed images (issue: trust): the small image pushed with one GPG signature (skopeo
# --sign-by, key made here in a private GnuPG home) to a registry whose signatures live in a
# file lookaside, then copied registry→registry under a signedBy policy (the destination
# wiped before every run): verification must not slow the copy.
command -v docker-registry >/dev/null || { echo "bench needs docker-registry (./scripts/test.sh installs the peers)"; return 1; }
command -v gpg >/dev/null || { echo "bench needs gpg (./scripts/test.sh installs the peers)"; return 1; }

SRC=$(bench_registry signed-src)
DST=$(bench_registry signed-dst)
S=$BENCH_DIR/signed
rm -rf "$S"
mkdir -p -m 700 "$S/gnupg"
mkdir -p "$S/registries.d"
export GNUPGHOME=$S/gnupg
gpg --batch --pinentry-mode loopback --passphrase '' --quick-generate-key "bench <bench@example.com>" default default never 2>/dev/null
FPR=$(gpg --with-colons --list-keys bench@example.com | awk -F: '/^fpr/ {print $10; exit}')
gpg --export "$FPR" >"$S/key.gpg"
printf 'default-docker:\n  lookaside: file://%s/lookaside\n' "$S" >"$S/registries.d/bench.yaml"
printf '{"default":[{"type":"signedBy","keyType":"GPGKeys","keyPath":"%s/key.gpg"}]}' "$S" >"$S/policy.json"
NT="--src-tls-verify=false --dest-tls-verify=false"
skopeo --insecure-policy --registries.d "$S/registries.d" copy -q --dest-tls-verify=false --sign-by "$FPR" \
  "oci:$IMG_SMALL:bench" "docker://$SRC/bench/small:bench"

wipe_signed_dst="rm -rf $BENCH_DIR/registry-signed-dst/data/docker"
P="--policy $S/policy.json --registries.d $S/registries.d"
bench_case signed-registry-to-registry "$wipe_signed_dst" \
  "$SKIFF $P copy -q $NT docker://$SRC/bench/small:bench docker://$DST/bench/small:bench" \
  "skopeo $P copy -q $NT docker://$SRC/bench/small:bench docker://$DST/bench/small:bench"
# Most of this copy's time is the registries' own work (the destination hashes and stores
# every byte): the lowest ratio any client could reach on this machine.
bench_cpu_floor signed-registry-to-registry-floor "$wipe_signed_dst" \
  "$SKIFF $P copy -q $NT docker://$SRC/bench/small:bench docker://$DST/bench/small:bench" \
  "skopeo $P copy -q $NT docker://$SRC/bench/small:bench docker://$DST/bench/small:bench" \
  "$BENCH_DIR/registry.pids"
# The same as a wall time: the two registries serving and storing the blobs, nothing else.
bench_blob_floor signed-registry-to-registry-blobs "$wipe_signed_dst" "$SRC" "$DST" \
  bench/small bench \
  "skopeo $P copy -q $NT docker://$SRC/bench/small:bench docker://$DST/bench/small:bench"

# Signing (issue: trust, part 2): the same copy with --sign-by, the source's signature
# dropped, the new one written to the destination's staging lookaside (wiped every run).
printf 'docker:\n  %s:\n    lookaside-staging: file://%s/staging\n' "$DST" "$S" >"$S/registries.d/dst.yaml"
wipe_signing="$wipe_signed_dst; rm -rf $S/staging"
SIGN="--insecure-policy --registries.d $S/registries.d"
bench_case signing-registry-to-registry "$wipe_signing" \
  "$SKIFF $SIGN copy -q $NT --remove-signatures --sign-by $FPR docker://$SRC/bench/small:bench docker://$DST/bench/small:bench" \
  "skopeo $SIGN copy -q $NT --remove-signatures --sign-by $FPR docker://$SRC/bench/small:bench docker://$DST/bench/small:bench"

gpgconf --kill gpg-agent
unset GNUPGHOME
stop_bench_registries
rm -rf "$S"
