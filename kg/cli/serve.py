"""``govsm serve``: the built site as linked data, with the SPARQL endpoint beside it."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Annotated

import typer

from kg.build.store import open_engine, prefer_disk, read_stamp, ready_store, site_context
from kg.cli import exits, options
from kg.cli.exits import OK, USAGE, fail
from kg.cli.options import ProjectDir
from kg.cli.output import console, err
from kg.config import ConfigError, Project
from kg.prefixes import DEFAULT_BASE
from kg.rdf.jsonld import Context, usage_of_nquads
from kg.sparql.files import QueryError
from kg.web.endpoint.limits import Limits, physical_memory_mb
from kg.web.site import has_resource_pages
from kg.web.site.ondemand import OnDemandSite

if TYPE_CHECKING:
    from kg.web.connections import ConnectionLimits
    from kg.web.endpoint.service import SparqlService
    from kg.web.server import SiteServer

Host = Annotated[str, typer.Option("--host", help="Address to bind.")]
Port = Annotated[int, typer.Option("--port", help="Port (0 picks a free one).")]
Dist = Annotated[
    Path | None,
    typer.Option(
        "--dist",
        help="Build output folder; its site/ is served (default: the project's dist/, as "
        "govsm build writes it).",
    ),
]
Base = Annotated[
    str,
    typer.Option("--base", help="Base IRI the site was built with (its path is also served)."),
]
AccessLog = Annotated[bool, typer.Option("--access-log", help="Print one line per request.")]
Sparql = Annotated[
    bool, typer.Option("--sparql/--no-sparql", help="Serve the SPARQL endpoint at /sparql.")
]
Timeout = Annotated[float, typer.Option("--timeout", help="Longest a query may run, in seconds.")]
MaxRows = Annotated[
    int, typer.Option("--max-rows", help="Result rows (or triples) returned at most.")
]
MaxBody = Annotated[
    int, typer.Option("--max-body", help="Largest request body accepted, in bytes.")
]
MaxConcurrent = Annotated[
    int,
    typer.Option(
        "--max-concurrent", help="Queries one client may have at once, running or waiting."
    ),
]
MaxRunning = Annotated[
    int,
    typer.Option(
        "--max-running",
        help="Of those, queries one client may have running (0: half the workers, "
        "rounded up); the rest wait behind its own.",
    ),
]
Workers = Annotated[int, typer.Option("--workers", help="Worker processes evaluating queries.")]
WorkerMemory = Annotated[
    int | None,
    typer.Option(
        "--worker-memory",
        help="Address space of each worker, in MB (0: no cap; default: a quarter of the "
        "machine's memory shared by the workers, at least what the store needs).",
    ),
]
Queries = Annotated[
    Path | None,
    typer.Option(
        "--queries", help="Catalogue of named queries (default: the project's queries/cq)."
    ),
]
HeaderTimeout = Annotated[
    float,
    typer.Option(
        "--header-timeout",
        help="Seconds a connection has to send its request line and headers (408 after).",
    ),
]
BodyTimeout = Annotated[
    float,
    typer.Option("--body-timeout", help="Seconds a request body has to arrive whole (408 after)."),
]
KeepAlive = Annotated[
    float,
    typer.Option("--keep-alive", help="Seconds an idle kept-alive connection is held open."),
]
MaxConnections = Annotated[
    int,
    typer.Option(
        "--max-connections",
        help="Open connections at most (0: derived from the descriptor limit); past it "
        "the longest-idle connection is closed.",
    ),
]
ForwardedAllow = Annotated[
    str,
    typer.Option(
        "--forwarded-allow",
        help="Comma-separated proxy addresses/CIDRs whose X-Forwarded-For is trusted "
        "(default: none; the peer is the client).",
    ),
]
OnDemand = Annotated[
    bool,
    typer.Option(
        "--on-demand",
        help="Render resource pages missing from dist/site from dist/govsm.nq (the "
        "default when the build wrote its site without resource pages, or no site).",
    ),
]

StoreMode = Annotated[
    str,
    typer.Option(
        "--store",
        help="Where the workers read the data: disk (the build's dist/store/, opened "
        "read-only by all: memory does not grow with the workers; made from govsm.nq when "
        "missing or stale), memory (govsm.nq loaded by each: scans several times faster, "
        "a copy each) or auto (memory while the W copies fit in a quarter of the "
        "machine's memory, else disk).",
    ),
]


@exits.documented(
    {
        OK: "stopped (Ctrl-C)",
        USAGE: "no build to serve, a bad limit or query catalogue, or the port cannot be bound",
    }
)
def serve(
    host: Host = "127.0.0.1",
    port: Port = 8000,
    dist: Dist = None,
    base: Base = DEFAULT_BASE,
    access_log: AccessLog = False,
    sparql: Sparql = True,
    timeout: Timeout = 30.0,
    max_rows: MaxRows = 10_000,
    max_body: MaxBody = 1_000_000,
    max_concurrent: MaxConcurrent = 4,
    max_running: MaxRunning = 0,
    workers: Workers = 2,
    worker_memory: WorkerMemory = None,
    queries: Queries = None,
    on_demand: OnDemand = False,
    store: StoreMode = "auto",
    header_timeout: HeaderTimeout = 10.0,
    body_timeout: BodyTimeout = 30.0,
    keep_alive: KeepAlive = 5.0,
    max_connections: MaxConnections = 0,
    forwarded_allow: ForwardedAllow = "",
    project_dir: ProjectDir = None,
) -> None:
    """Serve dist/site as linked data (content negotiation, 303 for resources) and the
    read-only SPARQL endpoint at /sparql over dist/govsm.nq, with its limits."""
    try:
        project = options.project(None, None, None, project_dir)
    except ConfigError as exc:
        fail(str(exc), USAGE)
    dist = options.output(dist, project)
    site = dist / "site"
    conns = _connections(header_timeout, body_timeout, keep_alive, max_connections, forwarded_allow)
    on_demand = _rendered_on_demand(site, on_demand)
    store_missing = sparql and not (dist / "govsm.nq").is_file()
    wanted = _on_disk(store, dist, workers) and (sparql or on_demand)
    database = ready_store(dist, _note) if wanted else None
    context = site_context(dist, base)
    pages = _on_demand_pages(dist, base, project, database, context) if on_demand else None
    service = None
    if sparql and not store_missing:
        limits = _limits(
            timeout, max_rows, max_body, (max_concurrent, max_running), workers, worker_memory
        )
        context = pages.graph.context if pages is not None else context
        service = _sparql_service(dist, limits, base, queries, project, context, database)
    server = _listen(site, host, port, base, access_log, service, pages, conns)
    _serve_until_stopped(server, lambda: _announce(server, dist, store_missing, service))


def _announce(
    server: SiteServer, dist: Path, store_missing: bool, service: SparqlService | None
) -> None:
    """The server's lines on the console: where it serves, and the endpoint's URL, size
    and limits (or why there is none)."""
    console.print(
        f"serving {dist / 'site'}/ on [bold]{server.url}[/] (Ctrl-C stops)",
        highlight=False,
        soft_wrap=True,
    )
    if store_missing:
        err.print(
            f"[bold yellow]warning:[/] {dist}/govsm.nq not found: no SPARQL endpoint "
            "(run `govsm build`)",
            highlight=False,
        )
    if service is None:
        return
    limits = service.limits
    console.print(
        f"SPARQL endpoint: {server.url}sparql ({len(service.graphs)} graphs, "
        f"{service.triples} triples; timeout {limits.timeout_s:g} s, {limits.max_rows} rows, "
        f"{limits.workers} workers of {service.pool.memory_mb or 'unlimited'} MB)",
        highlight=False,
        soft_wrap=True,
    )


def _on_disk(mode: str, dist: Path, workers: int) -> bool:
    """Whether the workers read the store on disk (``--store``; never without a dump)."""
    if mode not in ("auto", "disk", "memory"):
        fail(f"--store must be auto, disk or memory, not {mode!r}", USAGE)
    if not (dist / "govsm.nq").is_file():
        return False
    if mode != "auto":
        return mode == "disk"
    return prefer_disk((dist / "govsm.nq").stat().st_size, workers, physical_memory_mb())


def _note(message: str) -> None:
    """A line about the store on the error console (warnings in yellow)."""
    if message.startswith("warning: "):
        message = "[bold yellow]warning:[/] " + message.removeprefix("warning: ")
    err.print(message, highlight=False, soft_wrap=True, markup=True)


def _rendered_on_demand(site: Path, asked: bool) -> bool:
    """Whether resource pages are rendered on demand: when asked (--on-demand, also
    without any site), or for a site the build wrote without them (its warning says so);
    a missing site is otherwise a usage error."""
    if asked:
        return True
    if not (site / "index.html").is_file():
        fail(f"{site}/index.html not found: run `govsm build` first", USAGE)
    return not has_resource_pages(site)


def _on_demand_pages(
    dist: Path, base: str, project: Project, database: Path | None, context: Context | None
) -> OnDemandSite:
    """The resource pages rendered on request: from the store on disk (``database``,
    read-only), else from the build's N-Quads loaded into memory."""
    if not (dist / "govsm.nq").is_file():
        fail(f"{dist}/govsm.nq not found: run `govsm build` first", USAGE)
    if database is None:
        return OnDemandSite.from_nquads(
            dist / "govsm.nq", base, project.queries, templates=project.templates
        )
    if context is None:
        context = Context.build(usage_of_nquads(dist / "govsm.nq"), base)
    engine = open_engine(database)
    return OnDemandSite(engine, base, project.queries, templates=project.templates, context=context)


def _limits(
    timeout: float,
    max_rows: int,
    max_body: int,
    per_client: tuple[int, int],
    workers: int,
    worker_memory: int | None,
) -> Limits:
    """The endpoint's limits from the options; a value out of range is a usage error."""
    try:
        return Limits(
            timeout_s=timeout,
            max_rows=max_rows,
            max_body_bytes=max_body,
            max_concurrent_per_client=per_client[0],
            running_per_client=per_client[1],
            workers=workers,
            worker_memory_mb=worker_memory,
        )
    except ValueError as exc:
        fail(f"bad limit: {exc}", USAGE)


def _connections(
    header_timeout: float,
    body_timeout: float,
    keep_alive: float,
    max_connections: int,
    forwarded_allow: str,
) -> ConnectionLimits:
    """The connection limits from the options; a value out of range is a usage error."""
    # Imported when used, as the server is (below): kg.web.connections loads uvicorn.
    from kg.web.connections import ConnectionLimits, trusted_proxies

    try:
        return ConnectionLimits(
            header_timeout=header_timeout,
            body_timeout=body_timeout,
            keep_alive=keep_alive,
            max_connections=max_connections,
            forwarded_allow=trusted_proxies(forwarded_allow),
        )
    except ValueError as exc:
        fail(f"bad limit: {exc}", USAGE)


def _sparql_service(
    dist: Path,
    limits: Limits,
    base: str,
    queries: Path | None,
    project: Project,
    context: Context | None = None,
    database: Path | None = None,
) -> SparqlService:
    """The SPARQL endpoint over the build's N-Quads, with its named-query catalogue
    (``queries``, default the project's queries/cq)."""
    # Imported when used: the endpoint (its worker pool, starlette) takes a noticeable
    # part of a second to load, which `govsm --help` and the other commands need not pay.
    from kg.web.endpoint.service import SparqlService

    queries = queries or project.queries / "cq"
    if not queries.is_dir():
        fail(f"{queries} is not a folder of .rq queries", USAGE)
    try:
        return SparqlService(
            dist,
            limits,
            base,
            queries,
            templates=project.templates,
            context=context,
            store=database,
            sizes=stamp.graphs if database is not None and (stamp := read_stamp(dist)) else None,
        )
    except (FileNotFoundError, RuntimeError) as exc:
        fail(str(exc), USAGE)


def _listen(
    site: Path,
    host: str,
    port: int,
    base: str,
    access_log: bool,
    service: SparqlService | None,
    pages: OnDemandSite | None,
    connections: ConnectionLimits,
) -> SiteServer:
    """The server bound to host:port; on failure the service is closed and the command
    ends with a usage error."""
    # Imported when used: the server (starlette, uvicorn) takes a noticeable part of a
    # second to load, which `govsm --help` and the other commands need not pay.
    from kg.web.server import make_server

    try:
        return make_server(site, host, port, base, access_log, service, pages, connections)
    except OSError as exc:
        if service is not None:
            service.close()
        fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", USAGE)
    except QueryError as exc:  # a catalogue query whose header or text is wrong
        if service is not None:
            service.close()
        fail(f"query catalogue: {exc}", USAGE)


def _serve_until_stopped(server: SiteServer, announce: Callable[[], None]) -> None:
    """Announce the server, serve until Ctrl-C or SIGTERM, then release the port and
    stop the workers.

    uvicorn shuts down gracefully on either signal, then raises it again with the
    handler it found: for SIGTERM the default one would end the process there, before
    the workers are stopped and multiprocessing's temporary folder is removed. The
    handler is in place before the announcement, which is what a supervisor waits for
    before it may stop the server."""

    def stop(_signum: int, _frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, stop) if main else None
    try:
        announce()
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        if main:
            signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)
        server.server_close()
