"""Query evaluation in worker processes, so that a time limit really stops the work.

pyoxigraph cannot interrupt a running query from Python, so each query runs in a
worker process holding its own in-memory, read-only copy of the build's store (loaded
from ``govsm.nq`` at start: a bulk parse, milliseconds for the review). A query that
overruns its limit gets its worker killed (SIGKILL) and replaced; the other workers
keep answering meanwhile.

Workers are a second lock against outbound access: on Linux each one moves itself into
a new network namespace (no interfaces but a down loopback) before it loads anything,
so even a query the guard let through could not open a connection; and its address
space is capped (``Limits.worker_memory_mb``). Whether the sandbox took effect is
reported (``WorkerPool.sandboxed``) and stated in the service description.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import os
import queue
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.prefixes import PREFIXES
from kg.rdf.jsonld import Context, usage_of_nquads
from kg.web.endpoint.formats import write_boolean, write_graph, write_solutions
from kg.web.endpoint.limits import Limits

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000
_START_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Job:
    """One query for a worker."""

    query: str
    base: str
    max_rows: int
    tabular_format: str | None
    boolean_format: str | None
    graph_format: str | None
    default_graphs: tuple[str, ...] | None = None  # None: the query's own (or the union)
    named_graphs: tuple[str, ...] | None = None
    union_default_graph: bool = True


@dataclass(frozen=True)
class Outcome:
    """A worker's answer: ``kind`` is tabular/boolean/graph (then ``body`` is written in
    ``format``), ``syntax`` (``message`` is the parser's), ``not-acceptable`` or
    ``error``."""

    kind: str
    format: str | None = None
    body: bytes = b""
    count: int = 0
    truncated: bool = False
    message: str = ""
    seconds: float = 0.0


class QueryTimeout(Exception):
    """The query overran its time limit; its worker was replaced."""


class WorkerLost(Exception):
    """The worker died during the query (e.g. out of memory); it was replaced."""


class Busy(Exception):
    """No worker became free in time."""


# --- inside a worker -------------------------------------------------------------------


def _sandbox() -> bool:
    """Leave the network (a new, empty network namespace); True if it worked."""
    if not hasattr(os, "fork") or not Path("/proc/self/ns/net").exists():
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
    except OSError:
        return False
    if libc.unshare(_CLONE_NEWNET) == 0:
        return True
    # Unprivileged: a user namespace first makes us root inside it.
    return libc.unshare(_CLONE_NEWUSER | _CLONE_NEWNET) == 0


def _limit_memory(megabytes: int) -> None:
    if megabytes <= 0:
        return
    import resource  # POSIX only: imported here so that the module loads everywhere

    cap = megabytes * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_AS, (cap, cap))


def _evaluate(store: ox.Store, job: Job, context: Context) -> Outcome:
    started = time.perf_counter()
    kwargs: dict[str, Any] = {}
    if job.default_graphs is not None:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs]
    if job.named_graphs is not None:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    if job.union_default_graph and job.default_graphs is None:
        kwargs["use_default_graph_as_union"] = True
    try:
        result = store.query(job.query, base_iri=job.base, **kwargs)
    except SyntaxError as exc:
        return Outcome("syntax", message=str(exc))
    if isinstance(result, ox.QueryBoolean):
        if job.boolean_format is None:
            return Outcome("not-acceptable", message="boolean")
        body = write_boolean(job.boolean_format, bool(result))
        return Outcome("boolean", job.boolean_format, body, 1, False, "", _since(started))
    if isinstance(result, ox.QuerySolutions):
        if job.tabular_format is None:
            return Outcome("not-acceptable", message="tabular")
        variables = [v.value for v in result.variables]
        rows: list[list[Any]] = []
        truncated = False
        for solution in result:
            if len(rows) >= job.max_rows:
                truncated = True  # stop reading: the rest is never computed
                break
            rows.append([solution[v] for v in variables])
        body = write_solutions(job.tabular_format, variables, rows)
        return Outcome(
            "tabular", job.tabular_format, body, len(rows), truncated, "", _since(started)
        )
    if job.graph_format is None:
        return Outcome("not-acceptable", message="graph")
    triples = []
    truncated = False
    for triple in result:
        if len(triples) >= job.max_rows:
            truncated = True
            break
        triples.append(triple)
    # Slash namespaces of our own IRIs would give local names like id:factor\/human.
    prefixes = {k: v for k, v in PREFIXES.items() if k not in ("id", "rule", "shape")}
    body = write_graph(job.graph_format, triples, prefixes, context)
    return Outcome("graph", job.graph_format, body, len(triples), truncated, "", _since(started))


def _since(started: float) -> float:
    return time.perf_counter() - started


def worker_main(
    conn: Connection, store_path: str, memory_mb: int, sandbox: bool, context: Context
) -> None:
    """A worker's life: sandbox itself, load the store, then answer jobs until EOF
    (``context``: the JSON-LD context of graph results)."""
    sandboxed = _sandbox() if sandbox else False
    _limit_memory(memory_mb)
    store = ox.Store()
    store.load(path=store_path, format=ox.RdfFormat.N_QUADS)
    conn.send(("ready", sandboxed, len(store)))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            outcome = _evaluate(store, job, context)
        except MemoryError:
            outcome = Outcome("error", message="the query needed more memory than allowed")
        except Exception as exc:  # an engine or writer error is the query's, not ours
            outcome = Outcome("error", message=f"{type(exc).__name__}: {exc}")
        conn.send(outcome)


# --- the pool, in the server process ---------------------------------------------------


class Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, store_path: Path, limits: Limits, sandbox: bool, context: Context) -> None:
        ctx = multiprocessing.get_context("spawn")  # no fork of a threaded server
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=worker_main,
            args=(child, str(store_path), limits.worker_memory_mb, sandbox, context),
            daemon=True,
            name="govsm-sparql-worker",
        )
        self.process.start()
        child.close()
        if not self.conn.poll(_START_TIMEOUT_S):
            self.kill()
            raise RuntimeError("a SPARQL worker did not start")
        try:
            _, self.sandboxed, self.size = self.conn.recv()
        except EOFError as exc:
            self.kill()
            raise RuntimeError(
                f"a SPARQL worker could not load {store_path} (exit code {self.process.exitcode})"
            ) from exc

    def kill(self) -> None:
        """Stop the process now."""
        with contextlib.suppress(Exception):
            self.process.kill()
        self.process.join(5)
        with contextlib.suppress(Exception):
            self.conn.close()


class WorkerPool:
    """``workers`` processes; ``run`` hands a job to a free one, with a time limit.

    ``run`` blocks (call it from a thread): it waits for a free worker, sends the job,
    waits for the answer until the limit, and on overrun kills the worker, starts a
    replacement in the background and raises :class:`QueryTimeout`."""

    def __init__(
        self,
        store_path: Path,
        limits: Limits,
        sandbox: bool = True,
        context: Context | None = None,
    ) -> None:
        """``context``: the JSON-LD context of graph results (None: made from the
        store's N-Quads, as the build makes the site's)."""
        self.store_path = Path(store_path)
        self.limits = limits
        self.sandbox = sandbox
        self.context = context or Context.build(usage_of_nquads(self.store_path))
        self._idle: queue.Queue[Worker] = queue.Queue()
        self._all: set[Worker] = set()
        self._lock = threading.Lock()
        self._closed = False
        self.restarts = 0
        starters = [
            threading.Thread(target=self._start_one, daemon=True) for _ in range(limits.workers)
        ]
        for t in starters:
            t.start()
        for t in starters:
            t.join()
        if len(self._all) != limits.workers:
            self.close()
            raise RuntimeError(f"could not start {limits.workers} SPARQL workers")
        self.sandboxed = all(w.sandboxed for w in self._all)
        self.size = next(iter(self._all)).size

    def _start_one(self) -> None:
        try:
            worker = Worker(self.store_path, self.limits, self.sandbox, self.context)
        except RuntimeError:
            return
        with self._lock:
            if self._closed:
                worker.kill()
                return
            self._all.add(worker)
        self._idle.put(worker)

    def _replace(self, worker: Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.discard(worker)
            self.restarts += 1
            if self._closed:
                return
        threading.Thread(target=self._start_one, daemon=True).start()

    def run(self, job: Job, timeout_s: float, wait_s: float) -> Outcome:
        """Evaluate ``job`` within ``timeout_s`` once a worker is free (within ``wait_s``)."""
        try:
            worker = self._idle.get(timeout=wait_s)
        except queue.Empty as exc:
            raise Busy() from exc
        try:
            worker.conn.send(job)
            if not worker.conn.poll(timeout_s):
                self._replace(worker)
                raise QueryTimeout()
            outcome = worker.conn.recv()
        except (EOFError, OSError, BrokenPipeError) as exc:
            self._replace(worker)
            raise WorkerLost() from exc
        self._idle.put(worker)
        return outcome

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.kill()
