#!/usr/bin/env python3
"""Preloads a CMQ queue of a running rewindmq with N messages.

Sends BatchSendMessage requests of up to 16 bodies over keep-alive
connections, one connection per thread, and checks every answer. Python
standard library only.

    cmq_loader.py --port 9555 --queue bench-q --messages 1000000
"""

import argparse
import http.client
import sys
import threading
import time
import urllib.parse

BATCH = 16


def batches(total):
    """(first message index, count) for each request."""
    return [(first, min(BATCH, total - first)) for first in range(0, total, BATCH)]


def body_of(index, size):
    head = f"m{index}-"
    return head + "x" * max(0, size - len(head))


def worker(args, work, errors, sent):
    conn = http.client.HTTPConnection(args.host, args.port, timeout=30)
    for first, count in work:
        params = [("Action", "BatchSendMessage"), ("queueName", args.queue),
                  ("delaySeconds", "0")]
        for i in range(count):
            params.append((f"msgBody.{i + 1}", body_of(first + i, args.msg_size)))
        form = urllib.parse.urlencode(params)
        conn.request("POST", "/v2/index.php", form,
                     {"Content-Type": "application/x-www-form-urlencoded"})
        response = conn.getresponse()
        data = response.read()
        if response.status != 200 or not data.startswith(b'{"code":0,'):
            errors.append(f"HTTP {response.status}: {data[:200]!r}")
            return
        sent[0] += count
    conn.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--queue", required=True)
    parser.add_argument("--messages", type=int, default=1_000_000)
    parser.add_argument("--msg-size", type=int, default=128,
                        help="bytes per message body")
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()

    all_batches = batches(args.messages)
    threads, errors, counters = [], [], []
    start = time.monotonic()
    for t in range(args.threads):
        counter = [0]
        counters.append(counter)
        thread = threading.Thread(
            target=worker,
            args=(args, all_batches[t::args.threads], errors, counter))
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - start
    sent = sum(c[0] for c in counters)
    if errors:
        print(f"cmq_loader: {len(errors)} failed: {errors[0]}", file=sys.stderr)
        return 1
    print(f"preloaded {sent} messages in {len(all_batches)} BatchSendMessage "
          f"requests in {elapsed:.1f} s ({sent / elapsed:.0f} msg/s, "
          f"{len(all_batches) / elapsed:.0f} req/s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
