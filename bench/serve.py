"""Start-up and memory of ``govsm serve`` by worker count: ``python -m bench.serve``.

``python -m bench.serve --dist DIST [--workers 1,4] [--rounds 2] [-- SERVE OPTIONS]``
starts ``govsm serve`` over one build (``dist/`` by default; a build of
``python -m bench`` data, say ``--dist /tmp/b/dist`` of a 10^5-study review, for the
issue's scale) once per worker count and round, the counts alternating, and for each:

- **first answer**: seconds from the process start to the first answered query (an ASK
  through ``/sparql``, which a worker evaluates over the data);
- **memory**: after every worker has answered queries (as many concurrent clients as
  workers, each sending ``--requests`` small queries through ``/sparql``: an ASK and a
  SELECT of 100 rows; with ``--catalogue``, the whole catalogue through ``/api/queries``
  instead, which at 10^5 studies takes minutes), the resident set
  of the server's process tree (RSS, what ``ps`` shows, pages shared by processes
  counted in each) and its proportional set (PSS, from ``/proc/PID/smaps_rollup``:
  shared pages divided among the processes that share them, so the sum is the memory
  the tree takes).

Printed: one line per run, then the median per worker count and its ratio to the first
count's (the target: 4 workers at most 1.5x the RSS of 1, first answer within 5 s).
"""

from __future__ import annotations

import argparse
import http.client
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import quote

from bench.command import tree_pids, tree_rss_kb
from bench.load import JSON_RESULTS, ROOT, Server, api_path, catalogue

FIRST_QUERY = "/sparql?query=" + quote("ASK { ?s ?p ?o }")
SMALL_QUERIES = [FIRST_QUERY, "/sparql?query=" + quote("SELECT * { ?s ?p ?o } LIMIT 100")]


def tree_pss_kb(root: int) -> int:
    """The proportional set of ``root`` and every descendant, in kB (0 without /proc)."""
    total = 0
    for pid in tree_pids(root):
        try:
            with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as f:
                total += next((int(line.split()[1]) for line in f if line.startswith("Pss:")), 0)
        except OSError:  # the process ended meanwhile
            continue
    return total


def first_answer(server: Server, started: float, limit: float = 300) -> float:
    """Seconds from ``started`` to the first 200 answer to FIRST_QUERY."""
    while time.perf_counter() - started < limit:
        try:
            conn = http.client.HTTPConnection(server.host, server.port, timeout=limit)
            conn.request("GET", FIRST_QUERY, headers={"Accept": JSON_RESULTS})
            response = conn.getresponse()
            response.read()
            conn.close()
            if response.status == 200:
                return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.05)
    raise SystemExit(f"no answer to {FIRST_QUERY} within {limit:g} s")


def exercise(server: Server, clients: int, requests: int, whole: bool) -> tuple[int, int]:
    """From each of ``clients`` concurrent clients, ``requests`` small queries (or, with
    ``whole``, every catalogue query): (answered, not)."""
    if whole:
        paths = [api_path(name, params) for name, params in catalogue()]
    else:
        paths = [SMALL_QUERIES[k % len(SMALL_QUERIES)] for k in range(requests)]

    def client(_: int) -> tuple[int, int]:
        conn = http.client.HTTPConnection(server.host, server.port, timeout=120)
        done = failed = 0
        for path in paths:
            conn.request("GET", path, headers={"Accept": JSON_RESULTS})
            response = conn.getresponse()
            response.read()
            done, failed = (done + 1, failed) if response.status == 200 else (done, failed + 1)
        conn.close()
        return done, failed

    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(client, range(clients)))
    return sum(r[0] for r in results), sum(r[1] for r in results)


def measure(
    dist: Path, workers: int, extra: list[str], requests: int = 20, whole: bool = False
) -> dict[str, float]:
    """One run of ``govsm serve --workers N`` over ``dist`` (see :func:`exercise`)."""
    started = time.perf_counter()
    server = Server(dist, ["--workers", str(workers), "--max-concurrent", "64", *extra])
    try:
        first = first_answer(server, started)
        answered, failed = exercise(server, workers, requests, whole)
        time.sleep(0.5)  # the workers settle after their last answer
        rss, pss = tree_rss_kb(server.proc.pid) / 1024, tree_pss_kb(server.proc.pid) / 1024
    finally:
        server.stop()
    return {"first": first, "rss": rss, "pss": pss, "answered": answered, "failed": failed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.serve", description=__doc__)
    parser.add_argument("--dist", type=Path, default=ROOT / "dist", help="build output")
    parser.add_argument("--workers", default="1,4", help="worker counts (default 1,4)")
    parser.add_argument("--rounds", type=int, default=2, help="runs per worker count")
    parser.add_argument("--requests", type=int, default=20, help="small queries per client")
    parser.add_argument(
        "--catalogue", action="store_true", help="each client runs the whole catalogue instead"
    )
    parser.add_argument("serve_args", nargs="*", help="extra `govsm serve` options (after --)")
    args = parser.parse_args(argv)
    if not (args.dist / "govsm.nq").is_file():
        parser.error(f"{args.dist} holds no build (no govsm.nq): run govsm build first")
    counts = [int(n) for n in args.workers.split(",")]
    runs: dict[int, list[dict[str, float]]] = {n: [] for n in counts}
    print(f"govsm serve over {args.dist}: workers {counts}, {args.rounds} round(s)")
    for round_no in range(1, args.rounds + 1):
        for n in counts:
            run = measure(args.dist, n, args.serve_args, args.requests, args.catalogue)
            runs[n].append(run)
            print(
                f"round {round_no}, {n} worker(s): first answer {run['first']:.2f} s, "
                f"RSS {run['rss']:.0f} MB, PSS {run['pss']:.0f} MB "
                f"({run['answered']:.0f} answered, {run['failed']:.0f} not)",
                flush=True,
            )
    base = {k: statistics.median(r[k] for r in runs[counts[0]]) for k in ("rss", "pss")}
    print("\nworkers  first answer s  RSS MB  PSS MB  RSS ratio  PSS ratio")
    for n in counts:
        med = {k: statistics.median(r[k] for r in runs[n]) for k in ("first", "rss", "pss")}
        print(
            f"{n:>7}  {med['first']:>14.2f}  {med['rss']:>6.0f}  {med['pss']:>6.0f}  "
            f"{med['rss'] / base['rss']:>8.2f}x  {med['pss'] / base['pss']:>8.2f}x"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
