#!/usr/bin/env python3
"""The soak test's checks of a copy's destination against its source (an OCI layout).

    check.py digest LAYOUT TAG              the tag's manifest digest
    check.py dir DIR LAYOUT TAG             a `dir:` copy of LAYOUT:TAG
    check.py oci DEST TAG LAYOUT SRCTAG     tag TAG of the `oci:` layout DEST is LAYOUT:SRCTAG
    check.py registry HOST:PORT REPO TAG LAYOUT SRCTAG

Prints `ok` (complete and equal by sha256), `absent` (nothing there), or `bad: <why>`
(something there, but not the source: half-written or wrong). Exit status 0 in every case.
"""

import hashlib
import json
import os
import sys
import urllib.error
import urllib.request

MANIFEST_TYPES = ", ".join([
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
    "application/vnd.oci.image.index.v1+json",
    "application/vnd.docker.distribution.manifest.list.v2+json",
])


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return "sha256:" + h.hexdigest()


def tagged(layout, tag):
    """The index.json entry named TAG, or None (also when there is no layout)."""
    try:
        with open(os.path.join(layout, "index.json")) as f:
            index = json.load(f)
    except FileNotFoundError:
        return None
    for m in index.get("manifests", []):
        if m.get("annotations", {}).get("org.opencontainers.image.ref.name") == tag:
            return m
    return None


def source(layout, tag):
    """(manifest digest, [config and layer digests]) of LAYOUT:TAG."""
    digest = tagged(layout, tag)["digest"]
    with open(os.path.join(layout, "blobs", *digest.split(":"))) as f:
        manifest = json.load(f)
    return digest, [manifest["config"]["digest"]] + [l["digest"] for l in manifest["layers"]]


def check_dir(dest, layout, tag):
    if not os.path.lexists(dest):
        return "absent"
    digest, blobs = source(layout, tag)
    manifest = os.path.join(dest, "manifest.json")
    if not os.path.exists(manifest):
        return "bad: no manifest.json"
    if sha256_file(manifest) != digest:
        return "bad: manifest.json differs from the source's"
    names = sorted(n for n in os.listdir(dest) if n not in ("manifest.json", "version"))
    if names != sorted(b.split(":")[1] for b in blobs):
        return f"bad: blobs {names} are not the source's"
    for n in names:
        if sha256_file(os.path.join(dest, n)) != "sha256:" + n:
            return f"bad: blob {n} does not match its digest"
    return "ok"


def check_oci(dest, tag, layout, srctag):
    entry = tagged(dest, tag)
    if entry is None:
        return "absent"
    digest, blobs = source(layout, srctag)
    if entry["digest"] != digest:
        return f"bad: tag points at {entry['digest']}, the source is {digest}"
    for d in [digest] + blobs:
        path = os.path.join(dest, "blobs", *d.split(":"))
        if not os.path.exists(path):
            return f"bad: blob {d} missing"
        if sha256_file(path) != d:
            return f"bad: blob {d} does not match its digest"
    return "ok"


def check_registry(hostport, repo, tag, layout, srctag):
    req = urllib.request.Request(f"http://{hostport}/v2/{repo}/manifests/{tag}",
                                 headers={"Accept": MANIFEST_TYPES})
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            body = r.read()
    except urllib.error.HTTPError as e:
        return "absent" if e.code == 404 else f"bad: registry answered {e.code}"
    digest, _ = source(layout, srctag)
    got = "sha256:" + hashlib.sha256(body).hexdigest()
    return "ok" if got == digest else f"bad: registry has {got}, the source is {digest}"


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "digest":
        print(tagged(*args)["digest"])
    else:
        check = {"dir": check_dir, "oci": check_oci, "registry": check_registry}[cmd]
        print(check(*args))


if __name__ == "__main__":
    main()
