#!/usr/bin/env python3
"""Writes the mirroring benchmark's images as one OCI layout: REPOS x TAGS images (tags
`rNN-tM`), each with 3 base layers shared by all (1 MiB each) and 2 layers of its own
(128 KiB and 32 KiB), gzip-compressed. Deterministic.

    make_mirror_set.py LAYOUT REPOS TAGS
"""

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
    return {"digest": "sha256:" + digest, "size": len(data)}


def layer(name, size, seed):
    data = random.Random(seed).randbytes(size)
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        info = tarfile.TarInfo(name)
        info.size = size
        info.mtime = 1_600_000_000
        tar.addfile(info, io.BytesIO(data))
    raw = buf.getvalue()
    return raw, gzip.compress(raw, compresslevel=1, mtime=0)


def main(layout, repos, tags):
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    base = [layer(f"base{i}.bin", 1 << 20, 1000 + i) for i in range(3)]
    index = {"schemaVersion": 2, "manifests": []}
    for r in range(repos):
        for t in range(tags):
            seed = r * 100 + t
            own = [layer("own1.bin", 128 << 10, seed), layer("own2.bin", 32 << 10, seed + 50000)]
            layers = base + own
            config = json.dumps({
                "architecture": "amd64", "os": "linux",
                "config": {"Env": [f"IMAGE={r}-{t}"]},
                "rootfs": {"type": "layers",
                           "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest() for raw, _ in layers]},
            }).encode()
            manifest = json.dumps({
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **blob(layout, config)},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", **blob(layout, gz)}
                           for _, gz in layers],
            }).encode()
            index["manifests"].append({
                "mediaType": "application/vnd.oci.image.manifest.v1+json", **blob(layout, manifest),
                "annotations": {"org.opencontainers.image.ref.name": f"r{r:02d}-t{t}"},
            })
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump(index, f)
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion": "1.0.0"}')


main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
