# Conversions (issue: multi-arch, formats, compression): re-compressing the big image
# (gzip→zstd, uncompressed→gzip), and `--all` copies of multi-platform indexes, locally and
# (once skiff has the docker transport) between two repositories of a loopback registry.
B=$BENCH_DIR/out-convert
mkdir -p "$B"
src="oci:$IMG_BIG:bench"

# An uncompressed copy of the big image to compress from.
[ -d "$BENCH_DIR/big-raw" ] || skopeo copy -q --insecure-policy --dest-decompress "$src" "dir:$BENCH_DIR/big-raw"

BENCH_OUTPUT=$B/z bench_case convert-gzip-to-zstd "rm -rf $B/z" \
  "$SKIFF --insecure-policy copy -q --dest-compress-format zstd $src oci:$B/z:t" \
  "skopeo --insecure-policy copy -q --dest-compress-format zstd $src oci:$B/z:t"
BENCH_OUTPUT=$B/g bench_case convert-uncompressed-to-gzip "rm -rf $B/g" \
  "$SKIFF --insecure-policy copy -q dir:$BENCH_DIR/big-raw oci:$B/g:t" \
  "skopeo --insecure-policy copy -q dir:$BENCH_DIR/big-raw oci:$B/g:t"
# zstd:chunked (skopeo takes about a minute for the big image, so the small one).
[ -d "$BENCH_DIR/small-raw" ] || skopeo copy -q --insecure-policy --dest-decompress "oci:$IMG_SMALL:bench" "dir:$BENCH_DIR/small-raw"
BENCH_OUTPUT=$B/zc bench_case convert-small-to-zstd-chunked "rm -rf $B/zc" \
  "$SKIFF --insecure-policy copy -q --dest-compress-format zstd:chunked dir:$BENCH_DIR/small-raw oci:$B/zc:t" \
  "skopeo --insecure-policy copy -q --dest-compress-format zstd:chunked dir:$BENCH_DIR/small-raw oci:$B/zc:t"

# Multi-platform indexes: N images of ~SIZE/10 MB each (two gzip layers: one shared by all
# platforms, one of its own), as an OCI layout tagged "multi".
make_index() {
  local dir=$1 n=$2 mb=$3
  [ -f "$dir/index.json" ] || python3 - "$dir" "$n" "$mb" <<'PY'
import gzip, hashlib, io, json, os, random, sys, tarfile
layout, n, mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
def blob(data):
    d = hashlib.sha256(data).hexdigest()
    with open(os.path.join(layout, "blobs", "sha256", d), "wb") as f:
        f.write(data)
    return "sha256:" + d, len(data)
def layer(name, size, seed):
    rnd = random.Random(seed)
    words = [bytes(rnd.choice(b"abcdefghij ") for _ in range(8)) for _ in range(512)]
    data = b"\n".join(rnd.choice(words) for _ in range(size // 18))[: size // 2] + rnd.randbytes(size // 2)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as t:
        info = tarfile.TarInfo(name); info.size = len(data); info.mtime = 1_600_000_000
        t.addfile(info, io.BytesIO(data))
    raw = buf.getvalue()
    return raw, gzip.compress(raw, compresslevel=1, mtime=0)
per = mb * 1024 * 1024
base_raw, base = layer("base.bin", per // 2, 1)
platforms = [("amd64", ""), ("arm64", "v8"), ("arm", "v7"), ("arm", "v6"), ("ppc64le", ""),
             ("s390x", ""), ("386", ""), ("riscv64", "")][:n]
entries = []
for i, (arch, variant) in enumerate(platforms):
    own_raw, own = layer(f"{arch}{variant}.bin", per // 2, 100 + i)
    layers = [blob(base), blob(own)]
    cfg = {"architecture": arch, "os": "linux", "created": "2024-01-01T00:00:00Z",
           "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(r).hexdigest() for r in (base_raw, own_raw)]}}
    if variant:
        cfg["variant"] = variant
    cd, cn = blob(json.dumps(cfg).encode())
    m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                    "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn},
                    "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": s} for d, s in layers]}).encode()
    md, mn = blob(m)
    p = {"architecture": arch, "os": "linux"}
    if variant:
        p["variant"] = variant
    entries.append({"mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": mn, "platform": p})
index = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": entries}).encode()
xd, xn = blob(index)
with open(os.path.join(layout, "index.json"), "w") as f:
    json.dump({"schemaVersion": 2, "manifests": [{"mediaType": "application/vnd.oci.image.index.v1+json", "digest": xd, "size": xn,
               "annotations": {"org.opencontainers.image.ref.name": "multi"}}]}, f)
with open(os.path.join(layout, "oci-layout"), "w") as f:
    f.write('{"imageLayoutVersion": "1.0.0"}')
PY
}
IDX3="$BENCH_DIR/index3-$((BENCH_SIZE_MB / 10))"
IDX8="$BENCH_DIR/index8-$((BENCH_SIZE_MB / 10))"
make_index "$IDX3" 3 "$((BENCH_SIZE_MB / 10))"
make_index "$IDX8" 8 "$((BENCH_SIZE_MB / 10))"

bench_case convert-all-3-oci-to-oci "rm -rf $B/m3" \
  "$SKIFF --insecure-policy copy -q --all oci:$IDX3:multi oci:$B/m3:t" \
  "skopeo --insecure-policy copy -q --all oci:$IDX3:multi oci:$B/m3:t"
bench_case convert-all-8-oci-to-dir "rm -rf $B/m8" \
  "$SKIFF --insecure-policy copy -q --all oci:$IDX8:multi dir:$B/m8" \
  "skopeo --insecure-policy copy -q --all oci:$IDX8:multi dir:$B/m8"
bench_case convert-all-3-to-v2s2-dir "rm -rf $B/v3" \
  "$SKIFF --insecure-policy copy -q --all --format v2s2 oci:$IDX3:multi dir:$B/v3" \
  "skopeo --insecure-policy copy -q --all --format v2s2 oci:$IDX3:multi dir:$B/v3"

# Registry to registry (the issue's --all targets), two repositories of one registry.
if command -v docker-registry >/dev/null; then
  R=$(bench_registry convert)
  repos=$(bench_registry_repos convert)
  for n in 3 8; do
    idx=IDX$n
    skopeo copy -q --insecure-policy --dest-tls-verify=false --all "oci:${!idx}:multi" "docker://$R/src$n:multi"
    bench_case "convert-all-$n-registry-to-registry" "rm -rf $repos/skiff$n $repos/skopeo$n" \
      "$SKIFF --insecure-policy copy -q --all --src-tls-verify=false --dest-tls-verify=false docker://$R/src$n:multi docker://$R/skiff$n:multi" \
      "skopeo --insecure-policy copy -q --all --src-tls-verify=false --dest-tls-verify=false docker://$R/src$n:multi docker://$R/skopeo$n:multi"
  done
  stop_bench_registries
else
  echo "convert-all-*-registry-to-registry: skipped (needs docker-registry; ./scripts/test.sh installs it)" | tee -a "$RESULTS"
fi
rm -rf "$B"
