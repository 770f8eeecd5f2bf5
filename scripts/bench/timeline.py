#!/usr/bin/env python3
"""Reads the timelines delay_proxy.py wrote (TIMELINE_FILE) for one run and prints its
critical path in round trips: the longest chain of requests in which each one was sent only
after the one before it was answered. With --list, every request too, in milliseconds from
START.

    timeline.py START END [--list] NAME=FILE...
"""

import sys


def load(start, end, files):
    rows = []
    for name, path in files:
        try:
            lines = open(path).read().split("\n")
        except FileNotFoundError:
            continue
        for line in lines:
            parts = line.split(maxsplit=5)
            if len(parts) < 6:
                continue
            sent, answered = float(parts[0]), float(parts[1])
            if start - 0.005 <= sent <= end:
                rows.append((sent - start, answered - start, name, *parts[2:]))
    rows.sort()
    return rows


def chain(rows):
    # depth of a request: 1 + the deepest request answered before it was sent.
    depth = []
    for i, r in enumerate(rows):
        before = [depth[j] for j in range(i) if rows[j][1] <= r[0]]
        depth.append(1 + max(before, default=0))
    return depth


def main():
    args = sys.argv[1:]
    start, end = float(args[0]), float(args[1])
    listing = "--list" in args
    files = [a.split("=", 1) for a in args[2:] if "=" in a]
    rows = load(start, end, files)
    depth = chain(rows)
    if listing:
        for (s, e, name, conn, status, method, path), d in zip(rows, depth):
            path = path.strip()
            if len(path) > 64:
                path = path[:34] + "…" + path[-24:]
            print(f"    {s * 1000:7.1f} → {e * 1000:7.1f} ms  [{d:2d}] {name} c{conn:<3} {status} {method:5} {path}")
    print(f"{len(rows)} requests, critical path {max(depth, default=0)} round trips")


main()
