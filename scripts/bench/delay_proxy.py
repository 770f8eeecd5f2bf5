#!/usr/bin/env python3
"""A TCP proxy that delays every byte by DELAY_MS in each direction, as a link between two
sites does (20 ms round trip = 10 ms each way), and counts what crossed it.

    delay_proxy.py LISTEN_PORT UPSTREAM_PORT DELAY_MS STATS_FILE [TIMELINE_FILE]

Loopback only. STATS_FILE is rewritten after every request with one JSON object:
{"connections": N, "requests": N, "by_method": {...}}. Truncate it to reset the counts.
TIMELINE_FILE, when given, gets one line per request as its answer reaches the client:
"SENT ANSWERED CONN STATUS METHOD PATH" (wall-clock seconds: when the client sent the
request, when the status line of the answer reached it) — the critical path of a copy.
"""

import asyncio
import json
import re
import sys
import time
from collections import deque

LISTEN, UPSTREAM, DELAY, STATS = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]) / 1000, sys.argv[4]
TIMELINE = sys.argv[5] if len(sys.argv) > 5 else None
REQUEST_LINE = re.compile(rb"^(GET|HEAD|POST|PUT|PATCH|DELETE) (\S+) HTTP/1\.[01]\r\n", re.M)
STATUS_LINE = re.compile(rb"^HTTP/1\.[01] (\d{3}) ", re.M)
stats = {"connections": 0, "requests": 0, "by_method": {}}


def reset_if_truncated():
    try:
        with open(STATS) as f:
            if f.read().strip():
                return
    except FileNotFoundError:
        pass
    stats.update(connections=0, requests=0, by_method={})


def record(chunk, pending):
    # Request lines at the start of a line: good enough for counting round trips.
    found = REQUEST_LINE.findall(chunk)
    if not found:
        return
    now = time.time()
    for method, path in found:
        pending.append((now, method.decode(), path.decode()))
    reset_if_truncated()
    for method, _ in found:
        m = method.decode()
        stats["requests"] += 1
        stats["by_method"][m] = stats["by_method"].get(m, 0) + 1
    with open(STATS, "w") as f:
        json.dump(stats, f)


def answered(chunk, pending, conn):
    # Status lines at the start of a line: one per request of the connection, in order.
    if not TIMELINE:
        return
    for status in STATUS_LINE.findall(chunk):
        if not pending:
            return
        sent, method, path = pending.popleft()
        with open(TIMELINE, "a") as f:
            f.write(f"{sent:.4f} {time.time():.4f} {conn} {status.decode()} {method} {path}\n")


async def pipe(reader, writer, count, pending, conn):
    loop = asyncio.get_running_loop()
    queue = asyncio.Queue()

    async def later():
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            if data is None:
                writer.close()
                return
            if not count:
                answered(data, pending, conn)
            writer.write(data)
            await writer.drain()

    sender = asyncio.create_task(later())
    try:
        while True:
            data = await reader.read(256 << 10)
            if count and data:
                record(data, pending)
            await queue.put((loop.time() + DELAY, data or None))
            if not data:
                break
    except ConnectionError:
        await queue.put((loop.time(), None))
    await sender


async def handle(client_r, client_w):
    reset_if_truncated()
    stats["connections"] += 1
    try:
        server_r, server_w = await asyncio.open_connection("127.0.0.1", UPSTREAM)
    except OSError:
        client_w.close()
        return
    pending = deque()
    conn = stats["connections"]
    await asyncio.gather(pipe(client_r, server_w, True, pending, conn),
                         pipe(server_r, client_w, False, pending, conn),
                         return_exceptions=True)


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", LISTEN)
    async with server:
        await server.serve_forever()


asyncio.run(main())
