"""A SPARQL worker process: what it runs, and the only module its fork server imports.

A worker sandboxes itself (a new, empty network namespace), caps its address space,
opens the store read-only and answers :class:`Job` s with :class:`Outcome` s over its
pipe until the pipe closes. The pool that starts, times and replaces workers is
kg.web.endpoint.executor; this module imports only what a worker needs (pyoxigraph, the
result writers), because each worker's memory starts as a copy of its fork server's,
whose imports are this module's.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import time
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.prefixes import PREFIXES
from kg.rdf.jsonld import Context
from kg.web.endpoint.formats import (
    limited,
    native_solutions,
    write_boolean,
    write_graph,
    write_solutions,
)

_CLONE_NEWUSER = 0x10000000
_CLONE_NEWNET = 0x40000000


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
