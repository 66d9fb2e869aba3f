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
import signal
import threading
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.prefixes import PREFIXES
from kg.rdf.jsonld import Context, usage_of_nquads
from kg.web.endpoint.formats import (
    limited,
    native_solutions,
    write_boolean,
    write_graph,
    write_solutions,
)
from kg.web.endpoint.limits import Limits, default_worker_memory_mb, physical_memory_mb
from kg.web.endpoint.scheduler import Scheduler, Ticket

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
    form: str | None = None  # the guard's: tabular, boolean, graph (None: not known)


@dataclass(frozen=True)
class Outcome:
    """A worker's answer: ``kind`` is tabular/boolean/graph (then ``body`` is written in
    ``format``), ``syntax`` (``message`` is the parser's), ``query-error`` (the engine
    refused to evaluate it: the query's fault), ``memory`` (Python ran out of the
    worker's memory; the worker lives on), ``not-acceptable`` or ``error`` (ours)."""

    kind: str
    format: str | None = None
    body: bytes = b""
    count: int = 0
    truncated: bool = False
    message: str = ""
    seconds: float = 0.0


class QueryTimeout(Exception):
    """The query overran its time limit (``seconds``); its worker was replaced.
    ``reserved``: it was stopped at ``reserve_after_s`` because W-1 other long queries
    were running."""

    def __init__(self, seconds: float, reserved: bool = False) -> None:
        super().__init__(f"stopped after {seconds:g} s")
        self.seconds = seconds
        self.reserved = reserved
        self.barred = False  # whether the stop barred its client (the scheduler's call)


class WorkerLost(Exception):
    """The worker died during the query; it was replaced. ``cause``: ``memory`` (the
    engine could not allocate: it aborts the process), ``stack`` (it overflowed its
    stack: a query nested too deeply), ``stopping`` (the pool was closed) or ``crash``
    (anything else: ``exitcode``)."""

    def __init__(self, cause: str, exitcode: int | None) -> None:
        super().__init__(f"worker ended ({cause}, exit code {exitcode})")
        self.cause = cause
        self.exitcode = exitcode
        self.barred = False  # whether the death barred its client (the scheduler's call)


# What a worker's death during a query means, by the signal that ended it: Rust's
# allocation failure aborts (the address-space cap), the kernel's OOM killer sends
# SIGKILL (we never kill a worker before we hear from it), a stack overflow is SIGSEGV.
DEATHS = {-signal.SIGABRT: "memory", -signal.SIGKILL: "memory", -signal.SIGSEGV: "stack"}


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


def _results(store: ox.Store, job: Job) -> tuple[str, Any, bool]:
    """Evaluate ``job``: its kind (boolean/tabular/graph, or ``written``: a SELECT whose
    body pyoxigraph wrote), the result (a QueryBoolean, the variables and rows, the
    triples, or the body and its row count) and whether it was cut at ``max_rows``.
    Whatever the engine raises here is the query's fault (the caller answers 400)."""
    kwargs: dict[str, Any] = {}
    if job.default_graphs is not None:
        kwargs["default_graph"] = [ox.NamedNode(g) for g in job.default_graphs]
    if job.named_graphs is not None:
        kwargs["named_graphs"] = [ox.NamedNode(g) for g in job.named_graphs]
    if job.union_default_graph and job.default_graphs is None:
        kwargs["use_default_graph_as_union"] = True
    if job.form == "tabular" and job.tabular_format is not None:
        try:  # the engine stops one row past the cap (kg.web.endpoint.formats.limited)
            capped = store.query(limited(job.query, job.max_rows), base_iri=job.base, **kwargs)
        except SyntaxError:
            capped = None  # its own LIMIT, a trailing VALUES, or a syntax error: as sent
        if isinstance(capped, ox.QuerySolutions):
            body, count, truncated = native_solutions(capped, job.tabular_format, job.max_rows)
            return "written", (body, count), truncated
    result = store.query(job.query, base_iri=job.base, **kwargs)
    if isinstance(result, ox.QueryBoolean):
        return "boolean", result, False
    items: list[Any] = []
    truncated = False
    solutions = isinstance(result, ox.QuerySolutions)
    variables = [v.value for v in result.variables] if solutions else []
    for item in result:
        if len(items) >= job.max_rows:
            truncated = True  # stop reading: the rest is never computed
            break
        items.append([item[v] for v in variables] if solutions else item)
    if solutions:
        return "tabular", (variables, items), truncated
    return "graph", items, truncated


def _evaluate(store: ox.Store, job: Job, context: Context) -> Outcome:
    started = time.perf_counter()
    try:
        kind, result, truncated = _results(store, job)
    except SyntaxError as exc:
        return Outcome("syntax", message=str(exc))
    except MemoryError:
        raise
    except Exception as exc:  # unknown function, a type error the engine raises...
        return Outcome("query-error", message=str(exc) or type(exc).__name__)
    if kind == "written":
        body, count = result
        return Outcome("tabular", job.tabular_format, body, count, truncated, "", _since(started))
    fmt = {"boolean": job.boolean_format, "tabular": job.tabular_format}.get(kind, job.graph_format)
    if fmt is None:
        return Outcome("not-acceptable", message=kind)
    if kind == "boolean":
        return Outcome("boolean", fmt, write_boolean(fmt, result), 1, False, "", _since(started))
    if kind == "tabular":
        variables, rows = result
        body = write_solutions(fmt, variables, rows)
        return Outcome("tabular", fmt, body, len(rows), truncated, "", _since(started))
    # Slash namespaces of our own IRIs would give local names like id:factor\/human.
    prefixes = {k: v for k, v in PREFIXES.items() if k not in ("id", "rule", "shape")}
    body = write_graph(fmt, result, prefixes, context)
    return Outcome("graph", fmt, body, len(result), truncated, "", _since(started))


def _since(started: float) -> float:
    return time.perf_counter() - started


def open_store(path: Path) -> ox.Store:
    """The store a worker queries: a store folder on disk (the build's ``store/db``,
    kg.build.store) opened read-only, its pages shared with the other workers through
    the OS page cache; else an N-Quads file loaded into memory (a copy per worker)."""
    if path.is_dir():
        return ox.Store.read_only(str(path))
    store = ox.Store()
    store.load(path=str(path), format=ox.RdfFormat.N_QUADS)
    return store


def graph_sizes(store: ox.Store) -> dict[str, int]:
    """Quads per named graph (those named by an IRI), by graph IRI; one query, counted
    inside the engine (a Python loop over a large store's quads takes many seconds)."""
    sizes = {}
    query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
    for row in store.query(query):
        graph, count = row[0], row[1]
        if isinstance(graph, ox.NamedNode) and isinstance(count, ox.Literal):
            sizes[graph.value] = int(count.value)
    return dict(sorted(sizes.items()))


def worker_main(
    conn: Connection, store_path: str, memory_mb: int, sandbox: bool, context: Context
) -> None:
    """A worker's life: sandbox itself, load the store, then answer jobs until EOF
    (``context``: the JSON-LD context of graph results)."""
    sandboxed = _sandbox() if sandbox else False
    _limit_memory(memory_mb)
    store = open_store(Path(store_path))
    # counting a store on disk reads every key (seconds at 10^5 studies): -1, unknown
    conn.send(("ready", sandboxed, -1 if Path(store_path).is_dir() else len(store)))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        try:
            outcome = _evaluate(store, job, context)
        except MemoryError:  # Python's own allocations; the engine's abort the process
            cap = f"{memory_mb} MB" if memory_mb > 0 else "the machine's memory"
            outcome = Outcome("memory", message=cap)
        except (KeyboardInterrupt, SystemExit):
            raise
        except BaseException as exc:  # a writer's error, or an engine panic: ours (500)
            outcome = Outcome("error", message=f"{type(exc).__name__}: {exc}")
        conn.send(outcome)


# --- the pool, in the server process ---------------------------------------------------


class Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, store_path: Path, memory_mb: int, sandbox: bool, context: Context) -> None:
        ctx = multiprocessing.get_context("spawn")  # no fork of a threaded server
        self.conn, child = ctx.Pipe()
        self.process = ctx.Process(
            target=worker_main,
            args=(child, str(store_path), memory_mb, sandbox, context),
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

    def cause_of_death(self) -> WorkerLost:
        """Why the process ended (it has, or is ending: its pipe is closed)."""
        self.process.join(5)
        code = self.process.exitcode
        return WorkerLost(DEATHS.get(code or 0, "crash"), code)


class WorkerPool:
    """``workers`` processes and the :class:`Scheduler` that hands them out.

    :meth:`execute` runs a job on the worker a ticket was given, with the time limit: on
    overrun it kills the worker, starts a replacement in the background and raises
    :class:`QueryTimeout`; a worker that dies raises :class:`WorkerLost`."""

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
        self.memory_mb = (
            limits.worker_memory_mb
            if limits.worker_memory_mb is not None
            else default_worker_memory_mb(
                _bytes(self.store_path),
                limits.workers,
                physical_memory_mb(),
                on_disk=self.store_path.is_dir(),
            )
        )
        self.scheduler = Scheduler(limits)
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
            worker = Worker(self.store_path, self.memory_mb, self.sandbox, self.context)
        except RuntimeError:
            return
        with self._lock:
            if self._closed:
                worker.kill()
                return
            self._all.add(worker)
        self.scheduler.add_worker(worker)

    def _replace(self, worker: Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.discard(worker)
            self.restarts += 1
            if self._closed:
                return
        threading.Thread(target=self._start_one, daemon=True).start()

    def run(self, job: Job, timeout_s: float, client: str = "local") -> Outcome:
        """Queue ``job`` for ``client``, wait for a worker (blocking) and evaluate it
        within ``timeout_s``; raises as :meth:`Scheduler.admit`, ``wait`` and
        :meth:`execute` do."""
        ticket = self.scheduler.admit(client)
        worker = self.scheduler.wait(ticket)
        return self.execute(ticket, worker, job, timeout_s)

    def execute(self, ticket: Ticket, worker: Worker, job: Job, timeout_s: float) -> Outcome:
        """Evaluate ``job`` on ``worker`` (``ticket``'s) within ``timeout_s``; the
        worker goes back to the scheduler, or is replaced if the query ended it."""
        ticket.deadline = time.monotonic() + timeout_s
        if not worker.process.is_alive():  # died while idle (OOM killer?): not this query's
            self._replace(worker)
            self.scheduler.finish(ticket, None, None)
            raise WorkerLost("crash", worker.process.exitcode)
        try:
            worker.conn.send(job)
            outcome = self._answer(ticket, worker, timeout_s)
        except QueryTimeout as exc:
            self._replace(worker)
            why = "was stopped at the reserve limit" if exc.reserved else "overran its time limit"
            exc.barred = self.scheduler.finish(
                ticket, None, f"a query from this address {why}", stopped=True
            )
            raise
        except (EOFError, OSError) as exc:
            lost = WorkerLost("stopping", None) if self._closed else worker.cause_of_death()
            self._replace(worker)
            why = None if lost.cause == "stopping" else _ENDED[lost.cause]
            lost.barred = self.scheduler.finish(
                ticket, None, why and f"a query from this address {why}"
            )
            raise lost from exc
        except BaseException:
            self._replace(worker)  # we do not know what the worker is doing: start anew
            self.scheduler.finish(ticket, None, None)
            raise
        self.scheduler.finish(ticket, worker, None)
        return outcome

    def _answer(self, ticket: Ticket, worker: Worker, timeout_s: float) -> Outcome:
        """The worker's answer; past ``reserve_after_s`` the query goes on only if fewer
        than W-1 others already have (the last worker is kept for short queries)."""
        first = self.limits.reserve_after_s
        if self.limits.long_running_cap < self.limits.workers and first < timeout_s:
            if worker.conn.poll(first):
                return worker.conn.recv()
            if not self.scheduler.may_run_long(ticket):
                raise QueryTimeout(first, reserved=True)
            timeout_s -= first
        if not worker.conn.poll(timeout_s):
            raise QueryTimeout(timeout_s)
        return worker.conn.recv()

    def close(self) -> None:
        """Stop every worker."""
        with self._lock:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
        self.scheduler.close()
        for worker in workers:
            worker.kill()


def _bytes(path: Path) -> int:
    """The size of a file, or of the files in a folder (a store on disk)."""
    if path.is_dir():
        return sum(p.stat().st_size for p in path.iterdir() if p.is_file())
    return path.stat().st_size


_ENDED = {
    "memory": "needed more memory than a worker has",
    "stack": "overflowed a worker's stack",
    "crash": "ended its worker",
    "stopping": "was running when the server stopped",
}
