#!/usr/bin/env python3
"""An HTTP/1.1 proxy for the soak test: forwards each request to a registry on loopback and,
for a share of the requests chosen by a seeded RNG, breaks it the way flaky networks and
overloaded registries do.

    fault_proxy.py --upstream PORT --ready FILE [--rate 0.10] [--seed N] [--stall SECONDS]

Listens on a free 127.0.0.1 port and writes it to FILE once listening. Logs one line per
injected fault to stderr: `FAULT <request number> <kind> <METHOD> <path>`.

Faults that happen before the request reaches the registry (so the registry never acts on
it): a reset (RST) instead of a response, a 500/502/503/504, a 429 with `Retry-After: 1`, a
stall (nothing sent for --stall seconds, then a reset). Faults on a response body (only
for responses that have one, so a registry that acted on a request always answered it in
full when the answer carries no body): a reset half way, a close half way (fewer bytes than
the promised Content-Length), a stall half way (then a close).

Request bodies (Content-Length or chunked) are read whole and forwarded with a
Content-Length; responses are forwarded with a Content-Length too. Stdlib only.
"""

import argparse
import os
import random
import socket
import socketserver
import struct
import sys
import threading
import time

BEFORE = ["reset-before-headers", "500", "502", "503", "504", "429", "stall-before-headers"]
IN_BODY = ["reset-mid-body", "truncated-body", "stall-mid-body"]
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te",
              "trailer", "upgrade", "proxy-authorization", "proxy-authenticate", "expect"}
REASONS = {429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway",
           503: "Service Unavailable", 504: "Gateway Timeout"}


class Closed(Exception):
    """The peer closed the connection (between or inside a message)."""


def read_head(f):
    """Start line and headers (name lower-cased, value) of one message, or None at EOF."""
    line = f.readline(65536)
    if not line:
        return None
    while line in (b"\r\n", b"\n"):  # stray blank lines between messages
        line = f.readline(65536)
        if not line:
            return None
    headers = []
    while True:
        h = f.readline(65536)
        if not h:
            raise Closed()
        if h in (b"\r\n", b"\n"):
            break
        name, _, value = h.decode("latin-1").partition(":")
        headers.append((name.strip().lower(), value.strip()))
    return line.decode("latin-1").rstrip("\r\n"), headers


def header(headers, name):
    for n, v in headers:
        if n == name:
            return v
    return None


def read_exact(f, n):
    data = f.read(n)
    if len(data) != n:
        raise Closed()
    return data


def read_body(f, headers, until_eof=False):
    """A message body by its framing: chunked, Content-Length, or (responses) until EOF."""
    if "chunked" in (header(headers, "transfer-encoding") or "").lower():
        parts = []
        while True:
            size_line = f.readline(65536)
            if not size_line:
                raise Closed()
            size = int(size_line.split(b";")[0].strip(), 16)
            if size == 0:
                while f.readline(65536) not in (b"\r\n", b"\n", b""):  # trailers
                    pass
                return b"".join(parts)
            parts.append(read_exact(f, size))
            read_exact(f, 2)  # CRLF after each chunk
    length = header(headers, "content-length")
    if length is not None:
        return read_exact(f, int(length))
    return f.read() if until_eof else b""


def reset(sock):
    """Close with RST rather than FIN: what a dropped connection looks like to the client."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


class Faults:
    def __init__(self, rate, seed):
        self.rate, self.seed, self.count, self.lock = rate, seed, 0, threading.Lock()

    def pick(self):
        """The request's number and its fault (None for most). Each request's draw depends
        only on the seed and its number, so a run with the same request order repeats."""
        with self.lock:
            n = self.count
            self.count += 1
        rnd = random.Random(f"{self.seed}:{n}")
        if rnd.random() >= self.rate:
            return n, None
        return n, rnd.choice(BEFORE + IN_BODY)


class Handler(socketserver.BaseRequestHandler):
    def handle(self):
        sock = self.request
        f = sock.makefile("rb")
        try:
            if f.peek(1)[:1] == b"\x16":
                # A TLS ClientHello (skopeo tries https first on an insecure registry): answer
                # in plain HTTP as a plain-HTTP registry does, so the client falls back at once.
                sock.sendall(b"HTTP/1.0 400 Bad Request\r\n\r\nClient sent an HTTP request to an HTTPS server.\n")
                return
            while self.one_request(sock, f):
                pass
        except (Closed, OSError, ValueError):
            pass
        finally:
            try:
                sock.close()
            except OSError:
                pass

    def one_request(self, sock, f):
        """Serves one request; False when the connection is done."""
        head = read_head(f)
        if head is None:
            return False
        start, headers = head
        method, target, version = start.split(" ", 2)
        if (header(headers, "expect") or "").lower() == "100-continue":
            sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
        body = read_body(f, headers)
        keep_alive = version == "HTTP/1.1" and (header(headers, "connection") or "").lower() != "close"
        cfg = self.server.cfg
        n, fault = cfg.faults.pick()
        if fault in BEFORE:
            log(n, fault, method, target)
            if fault == "reset-before-headers":
                reset(sock)
                return False
            if fault == "stall-before-headers":
                time.sleep(cfg.stall)
                reset(sock)
                return False
            status = int(fault)
            payload = (b'{"errors":[{"code":"%s","message":"injected by the soak proxy"}]}'
                       % (b"TOOMANYREQUESTS" if status == 429 else b"UNAVAILABLE"))
            extra = "Retry-After: 1\r\n" if status == 429 else ""
            sock.sendall((f"HTTP/1.1 {status} {REASONS[status]}\r\nContent-Type: application/json\r\n"
                          f"{extra}Content-Length: {len(payload)}\r\n\r\n").encode() + payload)
            return keep_alive

        status_line, resp_headers, resp_body = forward(cfg.upstream, start, headers, body, method)
        code = int(status_line.split(" ", 2)[1])
        no_body = method == "HEAD" or code in (204, 304) or code < 200
        out = [status_line]
        for name, value in resp_headers:
            if name in HOP_BY_HOP or (name == "content-length" and not no_body):
                continue
            out.append(f"{name}: {value}")
        if not no_body:
            out.append(f"content-length: {len(resp_body)}")
        if not keep_alive:
            out.append("connection: close")
        head_bytes = ("\r\n".join(out) + "\r\n\r\n").encode("latin-1")
        if fault in IN_BODY and not no_body and resp_body:
            log(n, fault, method, target)
            sock.sendall(head_bytes + resp_body[: len(resp_body) // 2])
            if fault == "reset-mid-body":
                reset(sock)
            elif fault == "stall-mid-body":
                time.sleep(cfg.stall)
            return False  # truncated-body: a plain close before the promised length
        sock.sendall(head_bytes + (b"" if no_body else resp_body))
        return keep_alive


def forward(upstream, start, headers, body, method):
    """Sends the request to the registry on a fresh connection; returns its whole response."""
    with socket.create_connection(("127.0.0.1", upstream)) as up:
        lines = [start] + [f"{n}: {v}" for n, v in headers if n not in HOP_BY_HOP and n != "content-length"]
        if body or header(headers, "content-length") is not None or header(headers, "transfer-encoding"):
            lines.append(f"content-length: {len(body)}")
        lines.append("connection: close")
        up.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
        uf = up.makefile("rb")
        head = read_head(uf)
        if head is None:
            raise Closed()
        status_line, resp_headers = head
        code = int(status_line.split(" ", 2)[1])
        if method == "HEAD" or code in (204, 304) or code < 200:
            return status_line, resp_headers, b""
        return status_line, resp_headers, read_body(uf, resp_headers, until_eof=True)


def log(n, fault, method, target):
    print(f"FAULT {n} {fault} {method} {target}", file=sys.stderr, flush=True)


class Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--upstream", type=int, required=True, help="the registry's port on 127.0.0.1")
    p.add_argument("--ready", required=True, help="file to write the listening port to")
    p.add_argument("--rate", type=float, default=0.10, help="share of requests broken (0..1)")
    p.add_argument("--seed", default="0")
    p.add_argument("--stall", type=float, default=10.0, help="seconds a stall lasts")
    args = p.parse_args()
    server = Server(("127.0.0.1", 0), Handler)
    server.cfg = args
    args.faults = Faults(args.rate, args.seed)
    with open(args.ready + ".tmp", "w") as f:
        f.write(str(server.server_address[1]))
    os.replace(args.ready + ".tmp", args.ready)  # appears whole: the script waits for it
    server.serve_forever()


if __name__ == "__main__":
    main()
