# sif → oci (issue 20): a SIF file whose root file system holds the small benchmark image's
# layers unpacked (compressible and random files), to an OCI layout. skopeo unpacks it with
# fakeroot + unsquashfs + tar into temporary files; skiff streams the tar from the squashfs.
B=$BENCH_DIR/out
mkdir -p "$B"
SIF="$BENCH_DIR/bench.sif"
if [ ! -f "$SIF" ]; then
  command -v mksquashfs >/dev/null || { echo "the sif case needs mksquashfs (squashfs-tools)"; exit 1; }
  rootfs="$BENCH_DIR/sif-rootfs"
  rm -rf "$rootfs" && mkdir -p "$rootfs"
  for layer in $(python3 -c 'import json,sys; m=json.load(open(sys.argv[1]+"/blobs/sha256/"+json.load(open(sys.argv[1]+"/index.json"))["manifests"][0]["digest"][7:])); print(" ".join(l["digest"][7:] for l in m["layers"]))' "$IMG_SMALL"); do
    tar -xzf "$IMG_SMALL/blobs/sha256/$layer" -C "$rootfs"
  done
  mksquashfs "$rootfs" "$BENCH_DIR/bench.sqfs" -noappend -quiet -no-progress >/dev/null
  python3 scripts/bench/make_sif.py "$BENCH_DIR/bench.sqfs" "$SIF"
  rm -rf "$rootfs" "$BENCH_DIR/bench.sqfs"
fi
bench_case sif-to-oci "rm -rf $B/s" \
  "$SKIFF --insecure-policy copy -q sif:$SIF oci:$B/s:t" \
  "skopeo --insecure-policy copy -q sif:$SIF oci:$B/s:t"
rm -rf "$B"
