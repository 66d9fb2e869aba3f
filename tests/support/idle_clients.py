"""Open N idle TCP connections to HOST:PORT, then report when the server closes them.

Run as ``python idle_clients.py HOST PORT N DEADLINE``: raises its descriptor soft
limit to the hard one, connects N times sending nothing, prints ``opened`` (flushed),
then waits up to DEADLINE seconds for each connection's end (EOF or reset) and prints
one JSON line: how many were opened, how many the server closed, and the longest a
connection lived (seconds from its connect to its end).
"""

from __future__ import annotations

import json
import resource
import selectors
import socket
import sys
import time


def main() -> None:
    host, port, count, deadline = (
        sys.argv[1],
        int(sys.argv[2]),
        int(sys.argv[3]),
        float(sys.argv[4]),
    )
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    selector = selectors.DefaultSelector()
    opened: dict[socket.socket, float] = {}
    for _ in range(count):
        sock = socket.create_connection((host, port), timeout=30)
        sock.setblocking(False)
        opened[sock] = time.monotonic()
        selector.register(sock, selectors.EVENT_READ)
    print("opened", flush=True)
    closed, longest = 0, 0.0
    end = time.monotonic() + deadline
    while closed < count and time.monotonic() < end:
        for key, _ in selector.select(timeout=0.5):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            try:
                data = sock.recv(4096)
            except (ConnectionResetError, BlockingIOError) as exc:
                if isinstance(exc, BlockingIOError):
                    continue
                data = b""
            if data:
                continue  # an answer (503 at the cap): its end follows
            longest = max(longest, time.monotonic() - opened[sock])
            closed += 1
            selector.unregister(sock)
            sock.close()
    print(json.dumps({"opened": count, "closed": closed, "longest": round(longest, 3)}), flush=True)


if __name__ == "__main__":
    main()
