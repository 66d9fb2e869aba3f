"""Query evaluation in worker processes, so that a time limit really stops the work.

pyoxigraph cannot interrupt a running query from Python, so each query runs in a
worker process (kg.web.endpoint.worker) that opens the build's store on disk read-only
(the workers share its pages through the OS page cache), or loads ``govsm.nq`` into
memory (a copy per worker). A query that overruns its limit gets its worker killed
(SIGKILL) and replaced; the other workers keep answering meanwhile.

Workers are a second lock against outbound access: on Linux each one moves itself into
a new network namespace (no interfaces but a down loopback) before it loads anything,
so even a query the guard let through could not open a connection; and its address
space is capped (``Limits.worker_memory_mb``). Whether the sandbox took effect is
reported (``WorkerPool.sandboxed``) and stated in the service description.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import signal
import threading
import time
from pathlib import Path

import pyoxigraph as ox

from kg.rdf.jsonld import Context, usage_of_nquads
from kg.web.endpoint import worker as worker_process
from kg.web.endpoint.limits import Limits, default_worker_memory_mb, physical_memory_mb
from kg.web.endpoint.scheduler import Scheduler, Ticket
from kg.web.endpoint.worker import Job, Outcome

_START_TIMEOUT_S = 120.0


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


# --- the pool, in the server process ---------------------------------------------------

#: Workers are forked from a fork server (a process of its own, started once, that has
#: imported the worker's module and nothing else): never a fork of the threaded server,
#: and no interpreter start-up and imports per worker as with "spawn" (W workers start in
#: about the time of one, and a replacement after a timeout is ready at once).
_PROCESSES = multiprocessing.get_context("forkserver")
_PROCESSES.set_forkserver_preload([worker_process.__name__])


class Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, store_path: Path, memory_mb: int, sandbox: bool, context: Context) -> None:
        self.conn, child = _PROCESSES.Pipe()
        self.process = _PROCESSES.Process(
            target=worker_process.worker_main,
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
