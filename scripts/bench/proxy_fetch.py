#!/usr/bin/env python3
"""Fetches every layer of an image through an image proxy, as bootc does: GetManifest, then
GetBlob and FinishPipe per layer, reading each pipe to its end.

    proxy_fetch.py TOOL IMAGE     (TOOL is skiff or skopeo; its proxy runs on a socketpair)

Exits non-zero when a call fails; prints the bytes read."""
import array
import json
import os
import socket
import subprocess
import sys


def call(sock, method, args):
    sock.send(json.dumps({"method": method, "args": args}).encode())
    fds = array.array("i")
    msg, anc, _, _ = sock.recvmsg(32 * 1024, socket.CMSG_SPACE(2 * fds.itemsize))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds.frombytes(data[: len(data) - (len(data) % fds.itemsize)])
    reply = json.loads(msg)
    if not reply["success"]:
        sys.exit(f"{method}: {reply['error']}")
    return reply, list(fds)


def drain(fd):
    n = 0
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            os.close(fd)
            return n, b""
        n += len(chunk)


def read_all(fd):
    parts = []
    while True:
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            os.close(fd)
            return b"".join(parts)
        parts.append(chunk)


def main():
    tool, image = sys.argv[1], sys.argv[2]
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    child = subprocess.Popen(
        [tool, "--insecure-policy", "experimental-image-proxy", "--sockfd", str(theirs.fileno())],
        pass_fds=[theirs.fileno()],
    )
    theirs.close()
    call(ours, "Initialize", [])
    img = call(ours, "OpenImage", [image])[0]["value"]
    reply, fds = call(ours, "GetManifest", [img])
    # The pipe closes only after FinishPipe: read what the manifest needs, then finish.
    import threading

    box = {}
    t = threading.Thread(target=lambda: box.update(m=read_all(fds[0])))
    t.start()
    call(ours, "FinishPipe", [reply["pipeid"]])
    t.join()
    manifest = json.loads(box["m"])
    total = 0
    for layer in manifest["layers"]:
        reply, fds = call(ours, "GetBlob", [img, layer["digest"], layer["size"]])
        t = threading.Thread(target=lambda fd=fds[0]: box.update(n=drain(fd)[0]))
        t.start()
        call(ours, "FinishPipe", [reply["pipeid"]])
        t.join()
        total += box["n"]
    ours.send(json.dumps({"method": "Shutdown", "args": []}).encode())
    ours.close()
    if child.wait() != 0:
        sys.exit(f"{tool} exited {child.returncode}")
    print(total)


main()
