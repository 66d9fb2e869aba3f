"""Connection hygiene of ``govsm serve`` (kg/web/connections.py), over real sockets
against the command in its own process: idle connections past the cap and past the
header timeout are closed by the server while a normal request is still served; a
slowloris head and a half-sent body are cut at their timeouts (408); a kept-alive
connection is closed after the keep-alive timeout; an over-long request line is 414 and
a 256-byte path segment 404, with messages; X-Forwarded-For is trusted only from
``--forwarded-allow``; accept() errors are logged at most once per interval.

One idle test opens 2,000 connections against a server whose descriptor limit (1,128)
gives a derived cap of 500; the other is the issue's case, 20,000 connections from four
helper processes against the default cap (skipped where ``ulimit -Hn`` is too low for
5,000 in one process).
"""

from __future__ import annotations

import asyncio
import errno
import gzip
import http.client
import json
import logging
import resource
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from kg.cli.app import app as cli
from kg.web.compression import MIN_SIZE
from kg.web.connections import MAX_REQUEST_LINE, AcceptErrorLog, ConnectionLimits, derived_cap

ROOT = Path(__file__).resolve().parents[1]
FIXTURE_SITE = ROOT / "tests" / "fixtures" / "site"
IDLE_CLIENTS = ROOT / "tests" / "support" / "idle_clients.py"
runner = CliRunner()
SLACK = 3.0  # seconds a loaded 2-core machine may add to a stated timeout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build output folder: the contract site and its 24-quad store."""
    out = tmp_path_factory.mktemp("dist")
    shutil.copytree(FIXTURE_SITE, out / "site")
    shutil.copy(FIXTURE_SITE / "dumps" / "govsm.nq", out / "govsm.nq")
    # a document large enough to be compressed (kg.web.compression.MIN_SIZE)
    (out / "site" / "large.ttl").write_text("<urn:x:s> <urn:x:p> <urn:x:o> .\n" * 1000)
    return out


@dataclass
class Served:
    """A ``govsm serve`` process: its URL, host, port and log files."""

    url: str
    host: str
    port: int
    stdout: Path
    stderr: Path
    pid: int

    def log(self) -> str:
        return self.stdout.read_text() + self.stderr.read_text()

    def rss_mb(self) -> float:
        """The server process's resident memory (MB)."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
        raise AssertionError("no VmRSS")


@contextmanager
def serve(dist: Path, *args: str, nofile: int | None = None) -> Iterator[Served]:
    """``govsm serve --dist DIST ARGS`` on a free port in its own process (with a soft
    descriptor limit of ``nofile`` if given), stopped afterwards."""
    with serve_all(dist, [args], nofile) as (served,):
        yield served


@contextmanager
def serve_all(
    dist: Path, arg_lists: list[tuple[str, ...]], nofile: int | None = None
) -> Iterator[list[Served]]:
    """One server per argument list, started side by side (their start-ups overlap)."""

    def limit() -> None:
        if nofile is not None:
            _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
            resource.setrlimit(resource.RLIMIT_NOFILE, (nofile, hard))

    procs = []
    try:
        for args in arg_lists:
            stamp = time.monotonic_ns()
            out, err = dist / f"serve-{stamp}.out", dist / f"serve-{stamp}.err"
            with out.open("w") as stdout, err.open("w") as stderr:
                command = [sys.executable, "-m", "kg.cli", "serve", "--port", "0"]
                proc = subprocess.Popen(
                    [*command, "--dist", str(dist), *args],
                    stdout=stdout,
                    stderr=stderr,
                    cwd=ROOT,
                    preexec_fn=limit,
                )
            procs.append((proc, out, err))
        yield [_wait_for_url(proc, out, err) for proc, out, err in procs]
    finally:
        for proc, _, _ in procs:
            proc.terminate()
        for proc, _, _ in procs:
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def _wait_for_url(proc: subprocess.Popen, out: Path, err: Path) -> Served:
    """The server's URL once its first line is out and it answers HTTP."""
    deadline = time.monotonic() + 60
    while "http://" not in out.read_text():
        assert proc.poll() is None, out.read_text() + err.read_text()
        assert time.monotonic() < deadline, "govsm serve did not start"
        time.sleep(0.05)
    hostport = out.read_text().split("http://", 1)[1].split("/", 1)[0]
    host, port = hostport.rsplit(":", 1)
    served = Served(f"http://{hostport}/", host, int(port), out, err, proc.pid)
    while True:
        try:  # closed by the server, which counts it gone before the client sees the end
            with socket.create_connection((host, int(port)), timeout=5) as sock:
                sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                if read_until_closed(sock, 5)[0].startswith(b"HTTP/1.1 200 "):
                    return served
        except OSError:
            pass
        assert time.monotonic() < deadline, "govsm serve does not answer"
        time.sleep(0.05)


def timed_get(served: Served, path: str = "/") -> tuple[int, float]:
    """A plain GET on a new connection: its status and how long it took."""
    start = time.monotonic()
    conn = http.client.HTTPConnection(served.host, served.port, timeout=10)
    try:
        conn.request("GET", path)
        status = conn.getresponse().status
    finally:
        conn.close()
    return status, time.monotonic() - start


def read_until_closed(sock: socket.socket, limit: float) -> tuple[bytes, float]:
    """Everything the server sends until it closes, and when it closed (seconds)."""
    start = time.monotonic()
    sock.settimeout(limit)
    data = b""
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            chunk = b""
        if not chunk:
            return data, time.monotonic() - start
        data += chunk


# --- idle connections ------------------------------------------------------------------


def accept_queue(port: int) -> int:
    """Connections waiting in the listen queue of the loopback listener on ``port``
    (Linux: a listening socket's rx_queue in /proc/net/tcp)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, state, queues = fields[1], fields[3], fields[4]
        if state == "0A" and int(local.rsplit(":", 1)[1], 16) == port:
            return int(queues.split(":")[1], 16)
    raise AssertionError(f"no listener on port {port}")


def idle_run(served: Served, processes: int, each: int, timeout: float) -> list[dict]:
    """``processes`` helpers opening ``each`` idle connections: once all are open a
    normal request must be answered within 1 s; returns each helper's report."""
    helpers = [
        subprocess.Popen(
            [
                sys.executable,
                str(IDLE_CLIENTS),
                served.host,
                str(served.port),
                str(each),
                str(timeout + 30),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(processes)
    ]
    try:
        for helper in helpers:
            assert helper.stdout is not None
            assert helper.stdout.readline().strip() == "opened"
        # The clients' connects complete in the kernel, ahead of the server's accepts: once
        # the server holds them all (its listen queue is empty), a request gets in at once.
        deadline = time.monotonic() + 60
        while accept_queue(served.port) > 0:
            assert time.monotonic() < deadline, "the server does not accept"
            time.sleep(0.05)
        status, took = timed_get(served)
        assert status == 200 and took < 1.0, (status, took)
        reports = []
        for helper in helpers:
            out, _ = helper.communicate(timeout=timeout + 60)
            reports.append(json.loads(out.strip().splitlines()[-1]))
        return reports
    finally:
        for helper in helpers:
            if helper.poll() is None:
                helper.kill()
                helper.wait(5)


def test_idle_connections_past_the_cap_and_the_timeout_are_closed(dist: Path) -> None:
    # 1,128 descriptors: the derived cap is 500, below which 2,000 idle connections are
    # held to; a normal request still gets in, the server never fails to accept.
    # A second flood leaves the server's memory where the first did (the issue saw the
    # main process grow and never come back).
    assert derived_cap(1128) == 500
    with serve(dist, "--no-sparql", "--header-timeout", "2", nofile=1128) as served:
        memory = []
        for _flood in range(2):
            reports = idle_run(served, processes=2, each=1000, timeout=2)
            assert all(r["closed"] == r["opened"] for r in reports), reports
            assert max(r["last"] for r in reports) < 2 + SLACK, reports
            assert max(r["longest"] for r in reports) < 2 + 2 * SLACK, reports
            memory.append(served.rss_mb())
        assert memory[1] < memory[0] + 16, memory
        assert timed_get(served)[0] == 200
        log = served.log()
    assert "Too many open files" not in log
    assert len(log) < 5000, log[:2000]


def still_open(sock: socket.socket) -> bool:
    """Whether the server has not closed ``sock`` (nothing to read, no EOF)."""
    sock.setblocking(False)
    try:
        return sock.recv(1, socket.MSG_PEEK) != b""
    except BlockingIOError:
        return True
    except ConnectionResetError:
        return False


def closed_soon(sock: socket.socket) -> bool:
    """Whether the server closes ``sock`` within 5 s (after any answer)."""
    sock.setblocking(True)
    return read_until_closed(sock, 5)[1] < 5


def test_past_the_cap_idle_connections_go_first_oldest_first(dist: Path) -> None:
    """Cap 4: A (idle), B (half a head), C (idle), E (kept alive after a request); each
    busy newcomer (a POST whose body is still due) closes the oldest idle one (A, C, E),
    then the head-sender (B); with all four busy the next gets 503."""
    busy = b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nab"
    with serve(dist, "--no-sparql", "--max-connections", "4") as served:
        address = (served.host, served.port)
        a = socket.create_connection(address)
        b = socket.create_connection(address)
        b.sendall(b"GET / HTTP/1.1\r\nHo")
        c = socket.create_connection(address)
        e = http.client.HTTPConnection(served.host, served.port, timeout=10)
        e.request("GET", "/index.html")
        assert e.getresponse().read()
        assert e.sock is not None
        newcomers = []
        for victim in (a, c, e.sock, b):
            newcomers.append(socket.create_connection(address, timeout=10))
            newcomers[-1].sendall(busy)
            # answered (405: the site is read-only) while its body is still due: busy
            assert newcomers[-1].recv(100).startswith(b"HTTP/1.1 405 ")
            assert closed_soon(victim)
            assert all(still_open(s) for s in newcomers)
        refused = socket.create_connection(address)
        answer = read_until_closed(refused, 5)[0]
        assert answer.startswith(b"HTTP/1.1 503 ") and b"retry-after: 1" in answer, answer
        assert all(still_open(s) for s in newcomers)
        for sock in (a, b, c, refused, *newcomers):
            sock.close()
        e.close()


@pytest.mark.skipif(
    resource.getrlimit(resource.RLIMIT_NOFILE)[1] < 5_200,
    reason="each of the 4 client processes needs 5,000 descriptors (ulimit -Hn)",
)
def test_twenty_thousand_idle_connections(dist: Path) -> None:
    """The issue's case (15 s here): 20,000 idle connections, a normal request answered
    within 1 s, every idle one closed by the server at the header timeout."""
    with serve(dist, "--no-sparql", "--header-timeout", "5") as served:
        reports = idle_run(served, processes=4, each=5000, timeout=5)
        assert sum(r["closed"] for r in reports) == 20_000, reports
        assert max(r["last"] for r in reports) < 5 + SLACK, reports
        assert max(r["longest"] for r in reports) < 5 + 2 * SLACK, reports
        log = served.log()
    assert "Too many open files" not in log and len(log) < 5000, log[:2000]


# --- timeouts --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def short(dist: Path) -> Iterator[Served]:
    """A server with short timeouts: 1.5 s for a head or a body, 1 s of keep-alive."""
    timeouts = ("--header-timeout", "1.5", "--body-timeout", "1.5", "--keep-alive", "1")
    with serve(dist, *timeouts) as served:
        yield served


def test_slowloris_head_is_cut_at_the_header_timeout(short: Served) -> None:
    served = short
    sock = socket.create_connection((served.host, served.port))
    start = time.monotonic()
    stop = threading.Event()

    def drip() -> None:
        for byte in b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 1000:
            if stop.is_set():
                return
            try:
                sock.send(bytes([byte]))
            except OSError:
                return
            time.sleep(0.05)

    sender = threading.Thread(target=drip, daemon=True)
    sender.start()
    data, _ = read_until_closed(sock, 1.5 + SLACK + 5)
    took = time.monotonic() - start
    stop.set()
    sender.join(5)
    sock.close()
    assert data.startswith(b"HTTP/1.1 408 "), data
    assert b"within 1.5 s" in data
    assert 1.4 < took < 1.5 + SLACK, took


def test_a_body_that_stops_half_way_is_cut_at_the_body_timeout(short: Served) -> None:
    served = short
    sock = socket.create_connection((served.host, served.port))
    body = b"query=ASK%20%7B%7D"
    sock.sendall(
        b"POST /sparql HTTP/1.1\r\nHost: x\r\n"
        b"Content-Type: application/x-www-form-urlencoded\r\n"
        + f"Content-Length: {2 * len(body)}\r\n\r\n".encode()
        + body
    )
    data, took = read_until_closed(sock, 1.5 + SLACK + 5)
    sock.close()
    # the server goes on serving, with no traceback for the dropped request
    assert timed_get(served)[0] == 200
    log = served.log()
    assert data.startswith(b"HTTP/1.1 408 "), data
    assert b"request body must arrive within 1.5 s" in data
    assert 1.4 < took < 1.5 + SLACK, took
    assert "Traceback" not in log, log


def test_a_kept_alive_connection_is_closed_after_the_keep_alive_timeout(short: Served) -> None:
    served = short
    sock = socket.create_connection((served.host, served.port))
    sock.sendall(b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n")
    data, took = read_until_closed(sock, 1 + SLACK + 5)
    sock.close()
    assert data.startswith(b"HTTP/1.1 200 ")
    assert 0.9 < took < 1 + SLACK, took


@pytest.mark.parametrize("pipelined", [False, True])
def test_the_next_head_on_a_kept_alive_connection_has_the_header_timeout(
    short: Served, pipelined: bool
) -> None:
    """The keep-alive timeout (1 s) gives way to the header timeout (1.5 s) once the next
    request has begun: sent after the answer, or pipelined behind the first request."""
    request, begun = b"GET /index.html HTTP/1.1\r\nHost: x\r\n\r\n", b"GET /index.html HT"
    sock = socket.create_connection((short.host, short.port), timeout=10)
    sock.sendall(request + begun if pipelined else request)
    answer = b""
    while b"</html>" not in answer:
        answer += sock.recv(65536)
    if not pipelined:
        sock.sendall(begun)
    data, took = read_until_closed(sock, 1.5 + SLACK + 5)
    sock.close()
    assert data.startswith(b"HTTP/1.1 408 "), data[:300]
    assert 1.4 < took < 1.5 + SLACK, took


def test_one_kept_alive_connection_carries_pages_queries_and_compressed_answers(
    short: Served,
) -> None:
    """Keep-alive through kg.web.connections' protocol: site files, SPARQL answers and a
    gzip answer one after another on the same socket, none closing it."""
    conn = http.client.HTTPConnection(short.host, short.port, timeout=10)
    paths = ["/index.html", "/sparql?query=ASK%7B%7D", "/large.ttl"] * 3
    local = None
    for path in paths:
        conn.request("GET", path, headers={"Accept-Encoding": "gzip"})
        response = conn.getresponse()
        body = response.read()
        assert response.status == 200, (path, body[:200])
        assert (response.getheader("connection") or "").lower() != "close"
        if path == "/large.ttl":
            assert response.getheader("content-encoding") == "gzip"
            assert len(gzip.decompress(body)) > MIN_SIZE > len(body)
        assert conn.sock is not None
        local = local or conn.sock.getsockname()
        assert conn.sock.getsockname() == local, "a new connection was opened"
    conn.close()


# --- bad request heads and paths -------------------------------------------------------


def raw(served: Served, request: bytes) -> bytes:
    """Send ``request`` on a new connection; the whole answer until the server closes or
    15 s pass."""
    with socket.create_connection((served.host, served.port)) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        return read_until_closed(sock, 15)[0]


def test_over_long_heads_and_segments_are_4xx_with_a_message(short: Served) -> None:
    served = short
    url = b"/sparql?query=" + b"a" * MAX_REQUEST_LINE
    for split in (False, True):  # the same answer however the bytes arrive
        with socket.create_connection((served.host, served.port)) as sock:
            head = b"GET " + url + b" HTTP/1.1\r\nHost: x\r\n\r\n"
            if split:
                for i in range(0, len(head), 1000):
                    sock.sendall(head[i : i + 1000])
            else:
                sock.sendall(head)
            answer = read_until_closed(sock, 15)[0]
        assert answer.startswith(b"HTTP/1.1 414 "), answer[:200]
        assert b"send a long SPARQL query by POST" in answer
    big_headers = b"".join(b"X-%d: %s\r\n" % (i, b"v" * 1000) for i in range(90))
    answer = raw(served, b"GET / HTTP/1.1\r\nHost: x\r\n" + big_headers + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    # A URL under the head limit reaches the endpoint.
    ok = httpx.get(served.url + "sparql", params={"query": "ASK {}"}, timeout=30)
    assert ok.status_code == 200
    for length in (255, 256, 300, 5000):
        r = httpx.get(served.url + "id/" + "a" * length, timeout=30)
        assert r.status_code == 404 and r.text == "Not Found\n", (length, r.status_code)
    deep = httpx.get(served.url + "/".join(["a" * 200] * 30), timeout=30)  # > PATH_MAX
    assert deep.status_code == 404
    assert "Traceback" not in served.log()


# --- proxy headers ---------------------------------------------------------------------

HEAVY = "SELECT (COUNT(*) AS ?n) { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(7)) + " }"


def _while_heavy_runs(served: Served, probe: dict[str, str]) -> int:
    """The status of a cheap query sent with ``probe`` headers while this client's one
    slot (``--max-concurrent 1``) is taken by a query that runs to the time limit: the
    probe is sent once a plain cheap query is refused (429) and counts only if the
    heavy query is still running after it (else the run is repeated)."""
    for _attempt in range(3):
        heavy = threading.Thread(
            target=lambda: httpx.get(served.url + "sparql", params={"query": HEAVY}, timeout=60)
        )
        heavy.start()
        try:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and heavy.is_alive():
                plain = httpx.get(served.url + "sparql", params={"query": "ASK {}"}, timeout=30)
                if plain.status_code == 429:
                    params = {"query": "ASK {}"}
                    probed = httpx.get(
                        served.url + "sparql", params=params, headers=probe, timeout=30
                    )
                    if heavy.is_alive():
                        return probed.status_code
                    break
                time.sleep(0.05)
        finally:
            heavy.join(60)
    raise AssertionError("the heavy query never held the client's slot")


def test_x_forwarded_for_is_ignored_unless_the_proxy_is_listed(dist: Path) -> None:
    forged = {"X-Forwarded-For": "203.0.113.9"}
    limits = ("--max-concurrent", "1", "--workers", "2", "--timeout", "2", "--access-log")
    trusting = (*limits, "--forwarded-allow", "10.0.0.0/8,127.0.0.1")
    with serve_all(dist, [limits, trusting]) as (default, proxied):
        with ThreadPoolExecutor(2) as pool:  # the two servers side by side
            statuses = list(
                pool.map(lambda served: _while_heavy_runs(served, forged), [default, proxied])
            )
        # capped as itself; through a listed proxy, the forwarded client is another one
        assert statuses == [429, 200]
        default_log, proxied_log = default.log(), proxied.log()
    assert "203.0.113.9" not in default_log and "127.0.0.1:" in default_log  # logged as itself
    assert '203.0.113.9:0 - "GET /sparql?query=ASK' in proxied_log


@pytest.mark.parametrize(
    "args",
    [
        ("--forwarded-allow", "proxy.example"),
        ("--header-timeout", "0"),
        ("--body-timeout", "-1"),
        ("--max-connections", str(10**9)),
    ],
)
def test_bad_connection_options_exit_2(dist: Path, args: tuple[str, str]) -> None:
    result = runner.invoke(cli, ["serve", "--dist", str(dist), "--port", "0", *args])
    assert result.exit_code == 2, result.output
    assert "bad limit" in result.output


# --- accept errors ---------------------------------------------------------------------


def test_accept_errors_are_logged_once_per_interval_with_a_count(
    caplog: pytest.LogCaptureFixture,
) -> None:
    handler = AcceptErrorLog(interval=60)
    loop = asyncio.new_event_loop()
    emfile = OSError(errno.EMFILE, "Too many open files")
    try:
        with caplog.at_level(logging.WARNING, logger="uvicorn.error"):
            for _ in range(1000):
                handler(
                    loop, {"message": "socket.accept() out of system resource", "exception": emfile}
                )
            assert len(caplog.records) == 1
            handler.last -= 60  # the interval has passed
            handler(
                loop, {"message": "socket.accept() out of system resource", "exception": emfile}
            )
            assert len(caplog.records) == 2
            assert "1000 time(s)" in caplog.records[1].getMessage()
    finally:
        loop.close()
    assert ConnectionLimits().cap == derived_cap()
