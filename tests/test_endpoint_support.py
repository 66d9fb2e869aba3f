"""Shared helpers of the endpoint tests (no tests here): a fresh build of the review's
data (once per session), services over it, a live uvicorn server, and a loopback
listener that counts the connections it accepts."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from kg.endpoint.limits import Limits
from kg.endpoint.service import SparqlService
from kg.serve import SiteServer, make_server

ROOT = Path(__file__).resolve().parents[1]
_BUILT: dict[str, Path] = {}


def built_dist(factory: pytest.TempPathFactory) -> Path:
    """``govsm build`` of the review's data into a temporary folder, once per session."""
    if "dist" not in _BUILT:
        out = factory.mktemp("endpoint") / "dist"
        result = subprocess.run(
            [sys.executable, "-m", "kg.cli", "build", "--no-reason", "--out", str(out)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
        assert (out / "govsm.nq").is_file(), "govsm build wrote no govsm.nq"
        _BUILT["dist"] = out
    return _BUILT["dist"]


@contextmanager
def service_over(dist: Path, **limits: float) -> Iterator[SparqlService]:
    """A SparqlService over ``dist`` with the given limits, closed afterwards."""
    service = SparqlService(dist, Limits(**limits))
    try:
        yield service
    finally:
        service.close()


class Live:
    """A SiteServer (site + endpoint) serving in a background thread."""

    def __init__(self, server: SiteServer) -> None:
        self.server = server
        self.thread = threading.Thread(target=server.serve_forever, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not server.server.started and time.monotonic() < deadline:
            time.sleep(0.02)
        assert server.server.started, "uvicorn did not start"

    @property
    def url(self) -> str:
        return self.server.url

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(10)


@contextmanager
def live_server(dist: Path, **limits: float) -> Iterator[tuple[Live, SparqlService]]:
    """uvicorn on a free loopback port serving ``dist`` with a SPARQL service."""
    service = SparqlService(dist, Limits(**limits))
    try:
        running = Live(make_server(dist / "site", "127.0.0.1", 0, service=service))
    except BaseException:
        service.close()
        raise
    try:
        yield running, service
    finally:
        running.stop()  # closes the service too


class Listener:
    """A TCP listener on a free loopback port that counts accepted connections (and
    answers nothing): proof that nobody connected."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.accepted = 0
        self._stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            self.accepted += 1
            conn.close()

    def close(self) -> None:
        self._stop.set()
        self.thread.join(5)
        self.sock.close()


@contextmanager
def listener() -> Iterator[Listener]:
    """A counting loopback listener for the duration of a test."""
    counting = Listener()
    try:
        yield counting
    finally:
        counting.close()
