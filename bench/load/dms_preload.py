#!/usr/bin/env python3
"""Preloads a DMS topic of a local rewindmq with N messages.

The DMS send route takes one message per request, so this opens a few
keep-alive connections (one per process) and pipelines requests on each in
windows of --depth. Prints one line of JSON: {"sent", "seconds",
"first_ms", "last_ms"}, where first_ms/last_ms bound the store times of the
messages (wall clock before the first request, after the last answer).
Standard library only.
"""
import argparse
import json
import multiprocessing
import socket
import sys
import time

INSTANCE = "00000000-0000-4000-8000-000000000001"


def read_response(sock, buf):
    """Reads one HTTP/1.1 response from sock; returns (status, rest of buf)."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(262144)
        if not chunk:
            raise ConnectionError("server closed the connection")
        buf += chunk
    head, _, buf = buf.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(buf) < length:
        chunk = sock.recv(262144)
        if not chunk:
            raise ConnectionError("server closed the connection")
        buf += chunk
    return status, buf[length:]


def worker(args):
    port, topic, start, count, depth, timeout = args
    path = f"/v2/reliability/local/instances/{INSTANCE}/messages"
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b""
    done = 0
    while done < count:
        window = min(depth, count - done)
        requests = []
        for i in range(start + done, start + done + window):
            body = json.dumps({"topic": topic, "body": f"preload message {i:09d}",
                               "property_list": [{"name": "KEYS", "value": f"k{i}"}]},
                              separators=(",", ":")).encode()
            requests.append(
                b"POST %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\n"
                b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s"
                % (path.encode(), port, len(body), body))
        sock.sendall(b"".join(requests))
        for _ in range(window):
            status, buf = read_response(sock, buf)
            if status != 200:
                raise RuntimeError(f"send answered HTTP {status}")
        done += window
    sock.close()
    return done


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--topic", required=True)
    p.add_argument("--messages", type=int, default=1000000)
    p.add_argument("--connections", type=int, default=4)
    p.add_argument("--depth", type=int, default=32, help="pipelined requests per window")
    p.add_argument("--timeout", type=float, default=60.0, help="socket timeout, seconds")
    a = p.parse_args()

    per = a.messages // a.connections
    jobs = []
    start = 0
    for c in range(a.connections):
        n = per + (1 if c < a.messages % a.connections else 0)
        jobs.append((a.port, a.topic, start, n, a.depth, a.timeout))
        start += n
    first_ms = int(time.time() * 1000)
    t0 = time.monotonic()
    with multiprocessing.Pool(a.connections) as pool:
        sent = sum(pool.map(worker, jobs))
    seconds = time.monotonic() - t0
    last_ms = int(time.time() * 1000)
    print(json.dumps({"sent": sent, "seconds": round(seconds, 2),
                      "first_ms": first_ms, "last_ms": last_ms}))
    return 0 if sent == a.messages else 1


if __name__ == "__main__":
    sys.exit(main())
