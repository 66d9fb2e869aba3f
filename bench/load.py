"""Load benchmark of ``govsm serve``: the named-query catalogue under concurrent clients.

``python -m bench.load`` (``make bench-load``) builds ``dist/`` if it has no ``govsm.nq``
(or reuses it), starts ``govsm serve`` as a subprocess on a free port of 127.0.0.1, checks
every catalogue query once through the API, then runs the whole catalogue round-robin —
each query with the parameters of its expected-results file
``tests/expected/cq/STEM.params.json`` — from N concurrent keep-alive clients for a fixed
number of requests (bounded in time too). The clients are locust's (``bench/locustfile.py``,
headless, in a child process; ``--tool threads``: stdlib threads with ``http.client``, the
fallback where locust is not installed). It prints p50/p95/p99 latency, throughput and
errors by status, per scenario and per query, and ratios against baselines measured in
the same run:

- **bare pyoxigraph**: the same bound query texts run in this process on a
  ``pyoxigraph.Store`` bulk-loaded from the same ``govsm.nq``, results serialised as SPARQL
  JSON, with the same number of threads (the floor: no HTTP, no guard, no limits);
- **static GET**: a small static document of the site fetched through the same server by
  the same clients (the HTTP stack alone, no query);
- with ``--versus DIR``: the same API scenario against ``govsm serve`` of another checkout
  (its own ``.venv``; e.g. a worktree of main), over the same ``dist/``, alternating
  with this one for ``--rounds`` rounds, so that a change is measured before/after under
  the same machine load.

It also prints the CPU time per request of the server (process tree, from /proc) and of
this process (the clients): on a small machine the stdlib clients themselves take a good
share of the CPU, which caps throughput for every HTTP scenario alike.

The server is started with its per-client concurrency limit raised to the number of
clients (all clients share one address), unless ``--keep-limits``; any 429 still counts as
an error. Latencies are wall times per request as a client sees them, body read included,
of the 200 answers only (errors are counted by status, not timed).
"""

from __future__ import annotations

import argparse
import functools
import http.client
import importlib.util
import itertools
import json
import math
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[1]
CQ_DIR = ROOT / "queries" / "cq"
EXPECTED_DIR = ROOT / "tests" / "expected" / "cq"
JSON_RESULTS = "application/sparql-results+json"
STATIC_PATH = "/.well-known/void"


@dataclass
class Sample:
    """Latencies (seconds) and statuses of one scenario."""

    name: str
    latencies: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    per_query: dict[str, list[float]] = field(default_factory=dict)
    wall: float = 0.0
    server_cpu: float | None = None  # CPU seconds the server spent (HTTP scenarios)
    client_cpu: float = 0.0  # CPU seconds this process spent (the clients, or the store)

    @property
    def count(self) -> int:
        return sum(self.statuses.values())

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != "200")

    @property
    def throughput(self) -> float:
        return self.count / self.wall if self.wall else 0.0


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of values; NaN for none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), math.ceil(pct / 100 * len(ordered))))
    return ordered[rank - 1]


#: Comma-separated catalogue names the workload is cut to (``--bare-under`` sets it, so
#: that the locust child, which reads the catalogue itself, sends the same queries).
ONLY_ENV = "GOVSM_LOAD_QUERIES"


def catalogue() -> list[tuple[str, dict[str, str]]]:
    """Every catalogue query (or those ONLY_ENV names) with the parameters of its
    expected-results file."""
    only = set(filter(None, os.environ.get(ONLY_ENV, "").split(",")))
    work = []
    for path in sorted(CQ_DIR.glob("*.rq")):
        if only and path.stem not in only:
            continue
        params_file = EXPECTED_DIR / f"{path.stem}.params.json"
        params = (
            json.loads(params_file.read_text(encoding="utf-8")) if params_file.is_file() else {}
        )
        work.append((path.stem, params))
    return work


def ensure_dist(dist: Path, rebuild: bool) -> None:
    """Build ``dist`` (no reasoner) unless it already holds a build."""
    if not rebuild and (dist / "govsm.nq").is_file() and (dist / "site" / "index.html").is_file():
        print(f"reusing {dist}/ (built {time.ctime((dist / 'govsm.nq').stat().st_mtime)})")
        return
    print(f"building {dist}/ ...", flush=True)
    subprocess.run(
        [sys.executable, "-m", "kg.cli", "build", "--no-reason", "--out", str(dist)],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )


class Server:
    """``govsm serve`` of the checkout ``root`` (its ``.venv``; this one by default) in a
    subprocess on a free port of 127.0.0.1 (read from its first line)."""

    def __init__(self, dist: Path, extra: list[str], root: Path = ROOT) -> None:
        python = sys.executable if root == ROOT else str(root / ".venv" / "bin" / "python")
        cmd = [
            python,
            "-m",
            "kg.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--dist",
            str(dist),
            *extra,
        ]
        env = {**os.environ, "COLUMNS": "400"}  # one unwrapped 'serving ... on URL' line
        self.proc = subprocess.Popen(
            cmd, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env
        )
        self.output: list[str] = []
        self.url = ""
        deadline = time.monotonic() + 120
        assert self.proc.stdout is not None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            self.output.append(line)
            match = re.search(r"http://[\w.\[\]:-]+:\d+/", line)
            if match:
                self.url = match.group(0)
                break
        if not self.url:
            self.stop()
            raise SystemExit("govsm serve did not start:\n" + "".join(self.output))
        # Keep draining its output so the pipe never fills and blocks the server.
        threading.Thread(target=self._drain, daemon=True).start()
        parts = urlsplit(self.url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.output.append(line)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its live descendants (Linux /proc; 0 if
    unavailable), so the server's cost per request can be told from the clients'."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        total += (int(fields[11]) + int(fields[12])) / tick
        for task in Path(f"/proc/{pid}/task").iterdir():
            for child in (task / "children").read_text().split():
                total += cpu_seconds(int(child))
    except (OSError, ValueError, IndexError):
        pass
    return total


def serve_options(root: Path = ROOT) -> str:
    """The ``govsm serve --help`` text of a checkout (to see which limit options it has)."""
    python = sys.executable if root == ROOT else str(root / ".venv" / "bin" / "python")
    done = subprocess.run(
        [python, "-m", "kg.cli", "serve", "--help"],
        cwd=root,
        capture_output=True,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    return done.stdout


def run_clients(
    name: str,
    clients: int,
    total: int | None,
    seconds: float | None,
    work: Callable[[int, object], tuple[str, str]],
    connect: Callable[[], object],
) -> Sample:
    """Run ``work(i, conn)`` for i = 0, 1, ... from ``clients`` threads until ``total``
    requests are done or ``seconds`` have passed; ``work`` returns (label, status)."""
    sample = Sample(name)
    counter = itertools.count()
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds if seconds else None

    def client() -> None:
        conn = connect()
        while True:
            i = next(counter)
            if total is not None and i >= total:
                break
            if deadline is not None and time.perf_counter() >= deadline:
                break
            start = time.perf_counter()
            try:
                label, status = work(i, conn)
            except (OSError, http.client.HTTPException) as error:
                label, status = "?", type(error).__name__
                conn = connect()
            elapsed = time.perf_counter() - start
            with lock:
                sample.statuses[status] += 1
                if status == "200":  # latencies of answers only: a fast 429 is no answer
                    sample.latencies.append(elapsed)
                    sample.per_query.setdefault(label, []).append(elapsed)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    cpu = time.process_time()
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    sample.wall = time.perf_counter() - start
    sample.client_cpu = time.process_time() - cpu
    return sample


def http_get(conn: http.client.HTTPConnection, path: str, accept: str) -> tuple[int, bytes]:
    """One GET on a keep-alive connection; the whole body is read."""
    conn.request("GET", path, headers={"Accept": accept})
    response = conn.getresponse()
    body = response.read()
    return response.status, body


def api_path(name: str, params: dict[str, str]) -> str:
    query = urlencode(params)
    return f"/api/queries/{name}" + (f"?{query}" if query else "")


def check_catalogue(server: Server, work: list[tuple[str, dict[str, str]]]) -> None:
    """Every query once through the API: 200 with SPARQL JSON, else stop with the answer."""
    conn = http.client.HTTPConnection(server.host, server.port, timeout=120)
    for name, params in work:
        status, body = http_get(conn, api_path(name, params), JSON_RESULTS)
        if status != 200:
            raise SystemExit(f"{name}: HTTP {status}: {body[:500].decode(errors='replace')}")
        rows = len(json.loads(body)["results"]["bindings"])
        print(f"  {name:<28} {rows:>4} rows")
    conn.close()


# pyoxigraph and the catalogue code are imported where they are used: the locust child
# (bench/locustfile.py, under gevent) imports this module for its names only.


@functools.cache
def bare_store(dist: Path):  # noqa: ANN201 - a pyoxigraph.Store (imported on use)
    """``dist/govsm.nq`` bulk-loaded into a bare in-memory pyoxigraph store (once)."""
    import pyoxigraph

    store = pyoxigraph.Store()
    store.bulk_load(path=str(dist / "govsm.nq"), format=pyoxigraph.RdfFormat.N_QUADS)
    return store


def bound_texts(work: list[tuple[str, dict[str, str]]]) -> list[tuple[str, str]]:
    """(name, query text with its parameters bound) of each catalogue query of ``work``."""
    from kg.web.endpoint.catalogue import bind, load_catalogue

    named = load_catalogue(CQ_DIR)
    return [(name, bind(named[name], params, {})) for name, params in work]


def bare_times(
    dist: Path, work: list[tuple[str, dict[str, str]]], limit_ms: float, runs: int = 3
) -> dict[str, float]:
    """Each query's wall time (ms), evaluated and written as SPARQL JSON on the bare
    store, one at a time: the median of ``runs``, or the first run alone when that is
    over 10 times ``limit_ms`` (a query of seconds at scale is not run again)."""
    import pyoxigraph

    store, found = bare_store(dist), {}
    for name, text in bound_texts(work):
        times: list[float] = []
        while len(times) < runs and (not times or times[0] < 10 * limit_ms):
            start = time.perf_counter()
            results = store.query(text, use_default_graph_as_union=True)
            results.serialize(format=pyoxigraph.QueryResultsFormat.JSON)
            times.append((time.perf_counter() - start) * 1000)
        found[name] = statistics.median(times)
        print(f"  bare {name:<32} {found[name]:9.1f} ms", flush=True)
    return found


def bare_baseline(
    dist: Path, work: list[tuple[str, dict[str, str]]], clients: int, total: int
) -> Sample:
    """The same bound queries in this process on a bare pyoxigraph store, ``clients``
    threads (1: the cost of one query with no queueing)."""
    import pyoxigraph

    store = bare_store(dist)
    # The endpoint queries the union of the named graphs as its default graph.
    texts = bound_texts(work)

    def work_one(i: int, _conn: object) -> tuple[str, str]:
        name, text = texts[i % len(texts)]
        results = store.query(text, use_default_graph_as_union=True)
        results.serialize(format=pyoxigraph.QueryResultsFormat.JSON)
        return name, "200"

    name = f"bare pyoxigraph, {clients} thread{'s' if clients > 1 else ''}"
    return run_clients(name, clients, total, None, work_one, lambda: None)


def report(samples: list[Sample], api: Sample) -> None:
    """Print the scenarios, their ratios to the baselines, and the per-query figures."""
    print()
    print(
        f"{'scenario':<32}{'requests':>9}{'errors':>8}{'req/s':>9}{'p50 ms':>9}"
        f"{'p95 ms':>9}{'p99 ms':>9}"
    )
    for s in samples:
        print(
            f"{s.name:<32}{s.count:>9}{s.errors:>8}{s.throughput:>9.1f}"
            f"{percentile(s.latencies, 50) * 1e3:>9.1f}{percentile(s.latencies, 95) * 1e3:>9.1f}"
            f"{percentile(s.latencies, 99) * 1e3:>9.1f}"
        )
    print()
    for s in samples:
        print(
            f"statuses, {s.name}: " + ", ".join(f"{k}: {v}" for k, v in sorted(s.statuses.items()))
        )
    for s in samples:
        server = (
            f"server {s.server_cpu / s.count * 1e3:.2f} ms, "
            if s.server_cpu is not None and s.count
            else ""
        )
        print(
            f"CPU per request, {s.name}: {server}this process "
            f"{s.client_cpu / max(s.count, 1) * 1e3:.2f} ms (wall {s.wall:.2f} s)"
        )
    print()
    for s in samples:
        if s is api:
            continue
        p50 = percentile(api.latencies, 50) / percentile(s.latencies, 50)
        p95 = percentile(api.latencies, 95) / percentile(s.latencies, 95)
        tput = api.throughput / s.throughput if s.throughput else float("nan")
        line = f"API vs {s.name}: p50 x{p50:.1f}, p95 x{p95:.1f}, throughput x{tput:.2f}"
        # CPU per request is the figure least disturbed by other load on the machine.
        base_cpu = s.server_cpu if s.server_cpu is not None else s.client_cpu
        if api.server_cpu and base_cpu and s.count:
            ratio = (api.server_cpu / api.count) / (base_cpu / s.count)
            line += f", CPU per request x{ratio:.1f}"
        print(line)
    print()
    print(f"{'query (API)':<30}{'n':>6}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}")
    for name, lat in sorted(api.per_query.items()):
        print(
            f"{name:<30}{len(lat):>6}{percentile(lat, 50) * 1e3:>9.1f}"
            f"{percentile(lat, 95) * 1e3:>9.1f}{max(lat) * 1e3:>9.1f}"
        )


def run_locust(
    name: str,
    url: str,
    scenario: str,
    clients: int,
    total: int | None,
    seconds: float | None,
    encoding: str,
) -> Sample:
    """One scenario (``api`` or ``static``) from ``clients`` locust users against ``url``
    (bench/locustfile.py, headless, a child process): ``total`` requests, and at most
    ``seconds`` (default: 10 minutes) whichever comes first."""
    limit = max(1, math.ceil(seconds)) if seconds else 600
    with tempfile.TemporaryDirectory(prefix="govsm-load-") as tmp:
        out = Path(tmp) / "records.json"
        env = {
            **os.environ,
            "GOVSM_LOAD_OUT": str(out),
            "GOVSM_LOAD_REQUESTS": str(total if total is not None else 10**9),
            "GOVSM_LOAD_SCENARIO": scenario,
            "GOVSM_LOAD_ACCEPT_ENCODING": encoding,
            "PYTHONPATH": str(ROOT),
        }
        cmd = [
            sys.executable,
            "-m",
            "locust",
            "-f",
            str(ROOT / "bench" / "locustfile.py"),
            "--headless",
            "--users",
            str(clients),
            "--spawn-rate",
            str(clients),
            "--host",
            url.rstrip("/"),
            "--run-time",
            f"{limit}s",
            "--stop-timeout",
            "10",
            "--only-summary",
            "--loglevel",
            "ERROR",
        ]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(
            cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=limit + 120
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if not out.is_file():
            raise SystemExit(f"locust wrote no results (exit {done.returncode}):\n{done.stderr}")
        records = json.loads(out.read_text(encoding="utf-8"))
    sample = Sample(name)
    for label, status, _start, elapsed in records:
        sample.statuses[status] += 1
        if status == "200":
            sample.latencies.append(elapsed)
            sample.per_query.setdefault(label, []).append(elapsed)
    if records:
        sample.wall = max(s + e for _, _, s, e in records) - min(s for _, _, s, _ in records)
    sample.client_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return sample


def merged(name: str, samples: list[Sample]) -> Sample:
    """One sample of several runs of a scenario (their walls added)."""
    out = Sample(name)
    for s in samples:
        out.latencies += s.latencies
        out.statuses.update(s.statuses)
        for label, values in s.per_query.items():
            out.per_query.setdefault(label, []).extend(values)
        out.wall += s.wall
        out.client_cpu += s.client_cpu
        if s.server_cpu is not None:
            out.server_cpu = (out.server_cpu or 0.0) + s.server_cpu
    return out


def limit_options(root: Path, clients: int) -> list[str]:
    """The per-client limits raised to the number of clients (they share one address),
    for the options that checkout's ``govsm serve`` has."""
    options = serve_options(root)
    extra = []
    if "--max-concurrent" in options:
        extra += ["--max-concurrent", str(clients)]
    if "--max-running" in options:
        extra += ["--max-running", str(clients)]  # capped at the worker count
    return extra


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.load", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--dist", type=Path, default=ROOT / "dist", help="build output (default dist/)"
    )
    parser.add_argument("--rebuild", action="store_true", help="build dist/ even if it exists")
    parser.add_argument("--clients", type=int, default=20, help="concurrent clients (default 20)")
    parser.add_argument(
        "--requests", type=int, default=1000, help="requests per scenario (default 1000)"
    )
    parser.add_argument("--seconds", type=float, help="run the API scenario this long instead")
    parser.add_argument(
        "--tool",
        choices=("locust", "threads"),
        default="locust" if importlib.util.find_spec("locust") else "threads",
        help="the clients: locust (default when installed: pip install -e '.[bench]') "
        "or stdlib threads",
    )
    parser.add_argument(
        "--accept-encoding",
        default="identity",
        help="the clients' Accept-Encoding with --tool locust (default identity)",
    )
    parser.add_argument(
        "--versus", type=Path, help="another checkout whose govsm serve is measured alternately"
    )
    parser.add_argument(
        "--rounds", type=int, default=1, help="API runs per server (alternating with --versus)"
    )
    parser.add_argument(
        "--keep-limits", action="store_true", help="keep the server's per-client limit"
    )
    parser.add_argument(
        "--bare-under",
        type=float,
        metavar="MS",
        help="only the catalogue queries whose bare evaluation (one at a time, median of "
        "3) takes under MS milliseconds",
    )
    parser.add_argument("serve_args", nargs="*", help="extra `govsm serve` options (after --)")
    args = parser.parse_args(argv)
    if args.clients < 1 or args.requests < 1 or args.rounds < 1:
        parser.error("--clients, --requests and --rounds must be at least 1")

    dist = args.dist.resolve()
    ensure_dist(dist, args.rebuild)
    work = catalogue()
    if args.bare_under is not None:
        work = under(dist, work, args.bare_under)
    roots = [ROOT] + ([args.versus.resolve()] if args.versus else [])
    servers: list[Server] = []
    print(f"load average (1, 5, 15 min) at the start: {os.getloadavg()}")
    try:
        for root in roots:
            extra = list(args.serve_args)
            if not args.keep_limits:
                extra += limit_options(root, args.clients)
            servers.append(Server(dist, extra, root))
            print(
                f"govsm serve {' '.join(extra)} ({root}) on {servers[-1].url}; "
                f"{len(work)} catalogue queries; {args.clients} clients ({args.tool}); "
                f"{os.cpu_count()} CPUs"
            )
        for server in servers:
            check_catalogue(server, work)
        total = None if args.seconds else args.requests
        runs: list[list[Sample]] = [[] for _ in servers]
        for _ in range(args.rounds):
            for k, server in enumerate(servers):
                label = "API /api/queries/NAME" + (" (versus)" if k else "")
                runs[k].append(measure(server, args, "api", label, total, work))
        static = measure(
            servers[0], args, "static", f"static GET {STATIC_PATH}", runs[0][0].count, work
        )
    finally:
        for server in servers:
            server.stop()
    api = merged(runs[0][0].name, runs[0])
    count = api.count // args.rounds
    bare = bare_baseline(dist, work, args.clients, count)
    single = bare_baseline(dist, work, 1, count)
    others = [merged(r[0].name, r) for r in runs[1:]]
    report([api, *others, bare, single, static], api)
    print(f"\nload average (1, 5, 15 min) at the end: {os.getloadavg()}")
    return 1 if api.errors or any(o.errors for o in others) else 0


def under(
    dist: Path, work: list[tuple[str, dict[str, str]]], limit_ms: float
) -> list[tuple[str, dict[str, str]]]:
    """The queries of ``work`` whose bare time is under ``limit_ms`` (printed, with those
    left out); ONLY_ENV names them for the locust child."""
    times = bare_times(dist, work, limit_ms)
    kept = [(name, params) for name, params in work if times[name] < limit_ms]
    if not kept:
        raise SystemExit(f"no catalogue query runs under {limit_ms:g} ms on the bare store")
    os.environ[ONLY_ENV] = ",".join(name for name, _ in kept)
    left = ", ".join(name for name, _ in work if times[name] >= limit_ms) or "none"
    print(f"{len(kept)} of {len(work)} queries under {limit_ms:g} ms bare; left out: {left}")
    return kept


def measure(
    server: Server,
    args: argparse.Namespace,
    scenario: str,
    name: str,
    total: int | None,
    work: list[tuple[str, dict[str, str]]],
) -> Sample:
    """One scenario against ``server`` with the chosen clients; server CPU included."""
    cpu = cpu_seconds(server.proc.pid)
    if args.tool == "locust":
        seconds = args.seconds if scenario == "api" else None
        sample = run_locust(
            name, server.url, scenario, args.clients, total, seconds, args.accept_encoding
        )
    else:

        def connect() -> http.client.HTTPConnection:
            return http.client.HTTPConnection(server.host, server.port, timeout=120)

        def one(i: int, conn: object) -> tuple[str, str]:
            if scenario == "static":
                status, _ = http_get(conn, STATIC_PATH, "text/turtle")  # type: ignore[arg-type]
                return STATIC_PATH, str(status)
            label, params = work[i % len(work)]
            status, _ = http_get(conn, api_path(label, params), JSON_RESULTS)  # type: ignore[arg-type]
            return label, str(status)

        seconds = args.seconds if scenario == "api" else None
        sample = run_clients(name, args.clients, total, seconds, one, connect)
    sample.server_cpu = cpu_seconds(server.proc.pid) - cpu
    return sample


if __name__ == "__main__":
    sys.exit(main())
