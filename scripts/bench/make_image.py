#!/usr/bin/env python3
"""Writes a benchmark image as an OCI layout: N gzip-compressed layers of mixed compressible
and random data, totalling about SIZE_MB of layer bytes. Deterministic for a given seed."""

import gzip
import hashlib
import io
import json
import os
import random
import sys
import tarfile


def blob(layout, data):
    digest = hashlib.sha256(data).hexdigest()
    path = os.path.join(layout, "blobs", "sha256", digest)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
    return "sha256:" + digest, len(data)


def layer(size, seed, compressible):
    rnd = random.Random(seed)
    if compressible:
        words = [bytes(rnd.choice(b"abcdefghij ") for _ in range(8)) for _ in range(512)]
        data = b"\n".join(rnd.choice(words) for _ in range(size // 9 + 1))[:size]
    else:
        data = rnd.randbytes(size)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo(f"layer{seed}.bin")
        info.size = len(data)
        info.mtime = 1_600_000_000
        tar.addfile(info, io.BytesIO(data))
    raw = buf.getvalue()
    return raw, gzip.compress(raw, compresslevel=1, mtime=0)


def main():
    layout, size_mb, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    layers = int(sys.argv[4]) if len(sys.argv) > 4 else 4
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    per_layer = size_mb * 1024 * 1024 // layers
    descs, diff_ids = [], []
    for i in range(layers):
        raw, comp = layer(per_layer, size_mb * 100 + i, compressible=(i % 2 == 0))
        d, n = blob(layout, comp)
        descs.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": d, "size": n})
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
    config = json.dumps({
        "created": "2024-01-01T00:00:00Z", "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/bin"], "Labels": {"bench": tag}},
        "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }).encode()
    cd, cn = blob(layout, config)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cn},
        "layers": descs,
    }).encode()
    md, mn = blob(layout, manifest)
    index = {"schemaVersion": 2, "manifests": [{
        "mediaType": "application/vnd.oci.image.manifest.v1+json", "digest": md, "size": mn,
        "annotations": {"org.opencontainers.image.ref.name": tag}}]}
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion": "1.0.0"}')


if __name__ == "__main__":
    main()
