"""Open N idle TCP connections to HOST:PORT, then report when the server closes them.

Run as ``python idle_clients.py HOST PORT N DEADLINE``: raises its descriptor soft
limit to the hard one, connects N times sending nothing (noting, every 100 connects,
those the server has closed meanwhile), prints ``opened`` (flushed), then waits up to
DEADLINE seconds for each connection's end (EOF or reset) and prints one JSON line: how
many were opened and in how long (``opening``), how many the server closed, the longest
a connection lived (from its connect, which precedes the server's accept by the time it
spent in the listen queue) and when the last one was closed, counted from the moment
all were open (``last``).
"""

from __future__ import annotations

import json
import resource
import selectors
import socket
import sys
import time


class Idle:
    """The connections, when each was opened, and what became of them."""

    def __init__(self) -> None:
        self.selector = selectors.DefaultSelector()
        self.opened: dict[socket.socket, float] = {}
        self.closed = 0
        self.longest = 0.0
        self.last_close = 0.0

    def open(self, host: str, port: int) -> None:
        sock = socket.create_connection((host, port), timeout=60)
        sock.setblocking(False)
        self.opened[sock] = time.monotonic()
        self.selector.register(sock, selectors.EVENT_READ)

    def collect(self, timeout: float) -> None:
        """Note the connections the server has closed (waiting up to ``timeout``)."""
        for key, _ in self.selector.select(timeout=timeout):
            sock = key.fileobj
            assert isinstance(sock, socket.socket)
            try:
                data = sock.recv(4096)
            except BlockingIOError:
                continue
            except ConnectionResetError:
                data = b""
            if data:
                continue  # an answer (503 at the cap): its end follows
            now = time.monotonic()
            self.longest = max(self.longest, now - self.opened[sock])
            self.last_close = max(self.last_close, now)
            self.closed += 1
            self.selector.unregister(sock)
            sock.close()


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    count, deadline = int(sys.argv[3]), float(sys.argv[4])
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    idle = Idle()
    first = time.monotonic()
    for i in range(count):
        idle.open(host, port)
        if i % 100 == 99:
            idle.collect(0)
    all_open = time.monotonic()
    print("opened", flush=True)
    end = all_open + deadline
    while idle.closed < count and time.monotonic() < end:
        idle.collect(0.5)
    report = {
        "opened": count,
        "opening": round(all_open - first, 3),
        "closed": idle.closed,
        "longest": round(idle.longest, 3),
        "last": round(max(0.0, idle.last_close - all_open), 3),
    }
    print(json.dumps(report), flush=True)


if __name__ == "__main__":
    main()
