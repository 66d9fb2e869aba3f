"""The SPARQL service: one per server, built from the build output (``dist/``).

:meth:`SparqlService.answer` is the one way a query is run over HTTP (the protocol
endpoint, the named-query API and the editor all call it): it checks the query (the
guard), checks the dataset against the graphs held, negotiates the result format,
queues it with the scheduler (per-client caps, fair turns, the cool-down after a query
that ended a worker: ``kg.web.endpoint.scheduler``), runs it in a worker with the time
limit and the row cap, and returns the response, errors included.

Who is at fault decides the status: the query's (a syntax or evaluation error: 400; a
worker's time, memory or stack exceeded, or no worker free in time: 503 with a
message; the client's caps or cool-down: 429 with Retry-After) or ours (a failure of
our result writers, a worker dying for no reason we can name: 500).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyoxigraph as ox
from starlette.requests import Request
from starlette.responses import Response

from kg.background import in_background
from kg.config import Project
from kg.prefixes import DEFAULT_BASE, for_base
from kg.rdf.jsonld import Context, usage_of_nquads
from kg.sparql.files import QueryError, read_query
from kg.web.endpoint import formats
from kg.web.endpoint.catalogue import (
    declared_examples,
    example_candidates,
    example_subjects,
    examples_from_subjects,
)
from kg.web.endpoint.executor import QueryTimeout, WorkerLost, WorkerPool, graph_sizes
from kg.web.endpoint.guard import Refused, inspect
from kg.web.endpoint.limits import Limits
from kg.web.endpoint.scheduler import Busy, Cooldown, TooMany
from kg.web.endpoint.worker import Job, Outcome, open_store

STORE_FILE = "govsm.nq"
log = logging.getLogger("govsm.sparql")
EXPOSED_HEADERS = "X-Result-Row-Limit, X-Result-Truncated, X-Result-Count, Retry-After"
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": EXPOSED_HEADERS}


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    """A plain-text error answer with the CORS headers (browsers may read it)."""
    all_headers = {**CORS, **(headers or {})}
    return Response(
        message.rstrip("\n") + "\n",
        status_code=status,
        headers=all_headers,
        media_type="text/plain; charset=utf-8",
    )


def syntax_message(query: str, message: str) -> str:
    """The parser's message, with the offending line and a caret under the column when
    the message gives a position (``error at LINE:COLUMN: ...``)."""
    out = f"Syntax error in the query: {message}"
    match = re.search(r"at (\d+):(\d+)", message)
    if match:
        line_no, column = int(match.group(1)), int(match.group(2))
        lines = query.splitlines()
        if 1 <= line_no <= len(lines):
            line = lines[line_no - 1]
            out += f"\n\n{line_no:>4} | {line}\n     | {' ' * max(column - 1, 0)}^"
    return out


def _one_line(query: str, size: int = 200) -> str:
    """The query on one line, shortened, for the log."""
    flat = " ".join(query.split())
    return flat if len(flat) <= size else flat[: size - 1] + "…"


class SparqlService:
    """The read-only SPARQL service over a build output folder."""

    def __init__(
        self,
        dist: Path,
        limits: Limits | None = None,
        base: str = DEFAULT_BASE,
        queries_dir: Path | None = None,
        sandbox: bool = True,
        templates: Path | None = None,
        context: Context | None = None,
        store: Path | None = None,
        sizes: dict[str, int] | None = None,
    ) -> None:
        """``context``: the build's JSON-LD context when the caller has it already (the
        on-demand pages made it from the same N-Quads); None makes it here. ``store``: a
        store folder on disk the workers open read-only (kg.build.store's); None: each
        loads ``dist/govsm.nq`` into memory. ``sizes``: quads per named graph, when known
        (the store's stamp)."""
        self.dist = Path(dist)
        self.store_path = Path(store) if store is not None else self.dist / STORE_FILE
        if not self.store_path.exists():
            raise FileNotFoundError(f"{self.store_path} not found: run `govsm build` first")
        self.limits = limits or Limits()
        self.base = base
        self.queries_dir = queries_dir or Project().queries / "cq"
        # A project's templates folder: its catalogue.html or editor.html replace ours.
        self.templates = templates
        store = open_store(self.store_path)
        # on disk (a scan of it takes minutes at 10^5 studies): the sizes its stamp says
        self.graph_sizes: dict[str, int] = sizes if sizes is not None else graph_sizes(store)
        self.graphs: frozenset[str] = frozenset(self.graph_sizes)
        # the catalogue's parameter examples, taken from this build's data (a scan of a
        # large store when they are not in it: in the background, see examples)
        self._examples = in_background(self._find_examples, store)
        del store
        # the site's JSON-LD context (kg.rdf.jsonld), made from the same N-Quads
        self.context = context or Context.build(usage_of_nquads(self.dist / STORE_FILE), base)
        self.pool = WorkerPool(self.store_path, self.limits, sandbox=sandbox, context=self.context)
        self.triples = self.pool.size if self.pool.size >= 0 else sum(self.graph_sizes.values())
        # One thread per running query (waiting for a worker takes none); the spare
        # ones cover workers being replaced.
        self._threads = ThreadPoolExecutor(
            max_workers=self.limits.workers + 8, thread_name_prefix="sparql"
        )

    @property
    def examples(self) -> dict[str, str | None]:
        """Declared example -> one from the data (kg.web.endpoint.catalogue); none when
        the catalogue cannot be read (the API reports that itself)."""
        return self._examples.result()

    def _find_examples(self, store: ox.Store) -> dict[str, str | None]:
        try:
            files = [read_query(p) for p in sorted(Path(self.queries_dir).glob("*.rq"))]
        except (QueryError, OSError):
            return {}
        prefixes = for_base(self.base)
        candidates = example_candidates(declared_examples(files), prefixes)
        if not candidates:
            return {}
        # on disk, a data example missing from the store is not looked for (a scan)
        subjects = example_subjects(store, candidates, scan=not self.store_path.is_dir())
        return examples_from_subjects(candidates, subjects, prefixes)

    def close(self) -> None:
        """Stop the workers."""
        self.pool.close()
        self._threads.shutdown(wait=False, cancel_futures=True)

    # --- answering -------------------------------------------------------------------

    def check_graphs(self, graphs: Sequence[str], where: str) -> None:
        """Refuse (400) any graph we do not hold, naming it."""
        for graph in graphs:
            if graph not in self.graphs:
                raise Refused(
                    400,
                    f"{where} names the graph <{graph}>, which this service does not hold "
                    "(it never fetches graphs; GET /sparql lists the graphs held).",
                )

    async def answer(
        self,
        request: Request,
        query: str,
        *,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        timeout_s: float | None = None,
        result_format: str | None = None,
    ) -> Response:
        """Check, run and serialise ``query`` for ``request`` (see the module doc)."""
        try:
            job = self._job(request, query, default_graph_uris, named_graph_uris, result_format)
        except Refused as exc:
            return error_response(exc.status, exc.message)
        except formats.UnknownFormat as exc:
            return error_response(400, str(exc))
        if isinstance(job, Response):
            return job
        if timeout_s is not None and not timeout_s > 0:
            return error_response(
                400, f"timeout must be a positive number of seconds, got {timeout_s}"
            )
        limit = self.limits.clamp_timeout(timeout_s)
        client = request.client.host if request.client else "unknown"
        try:
            outcome = await self._run(client, job, limit)
        except (TooMany, Cooldown, Busy, QueryTimeout, WorkerLost) as exc:
            return self._refused(exc, client, query, limit)
        return self._response(request, query, outcome)

    async def _run(self, client: str, job: Job, limit: float) -> Outcome:
        """Queue ``job`` for ``client``, wait for its turn, run it in a worker."""
        scheduler = self.pool.scheduler
        ticket = scheduler.admit(client)
        worker = await scheduler.wait_async(ticket)
        try:
            work = self._threads.submit(self.pool.execute, ticket, worker, job, limit)
        except BaseException:
            scheduler.withdraw(ticket)
            raise
        # The worker is given back when it is done, not when this coroutine ends: a
        # client that hangs up keeps its place while its query still runs.
        return await asyncio.wrap_future(work)

    def _refused(self, exc: Exception, client: str, query: str, limit: float) -> Response:
        """The answer to a query that got no result: a cap, no worker, or a worker ended."""
        limits = self.limits
        if isinstance(exc, TooMany):
            return error_response(
                429,
                f"Too many queries at once from {client}: at most "
                f"{limits.max_concurrent_per_client} may be in the service together "
                f"({limits.running_cap} running). Retry when one has finished.",
                {"Retry-After": "1"},
            )
        if isinstance(exc, Cooldown):
            return error_response(
                429,
                f"Refused for {exc.seconds} s more: {exc.why}, which ended a query "
                "worker; an address may kill at most one worker (memory, stack), or have "
                f"{limits.stops_before_cooldown} queries stopped at a time limit, every "
                f"{limits.kill_cooldown_s:g} s.",
                {"Retry-After": str(exc.seconds)},
            )
        if isinstance(exc, Busy):
            return error_response(
                503,
                f"Every query worker is busy with other clients' queries (waited "
                f"{exc.waited:.1f} s, the most a query waits); retry in {exc.retry_after} s.",
                {"Retry-After": str(exc.retry_after)},
            )
        if not (isinstance(exc, WorkerLost) and exc.cause == "stopping"):
            log.warning("query from %s ended its worker (%s): %s", client, exc, _one_line(query))
        return _ended_response(exc, limits, limit, self.pool)

    def _job(
        self,
        request: Request,
        query: str,
        default_graph_uris: Sequence[str],
        named_graph_uris: Sequence[str],
        result_format: str | None,
    ) -> Job | Response:
        info = inspect(query, self.base)
        self.check_graphs(default_graph_uris, "default-graph-uri")
        self.check_graphs(named_graph_uris, "named-graph-uri")
        self.check_graphs(info.from_graphs, "FROM")
        self.check_graphs(info.from_named_graphs, "FROM NAMED")
        accept = request.headers.get("accept")
        chosen = {
            kind: formats.choose(kind, accept, result_format)
            for kind in ("tabular", "boolean", "graph")
        }
        if info.form is not None and chosen[info.form] is None:
            return self._not_acceptable(info.form)
        protocol_dataset = bool(default_graph_uris or named_graph_uris)
        return Job(
            query=query,
            base=self.base,
            max_rows=self.limits.max_rows,
            tabular_format=chosen["tabular"].name if chosen["tabular"] else None,
            boolean_format=chosen["boolean"].name if chosen["boolean"] else None,
            graph_format=chosen["graph"].name if chosen["graph"] else None,
            # The protocol's dataset replaces the query's FROM (SPARQL 1.1 Protocol §2.1.4).
            default_graphs=tuple(default_graph_uris) if protocol_dataset else None,
            named_graphs=tuple(named_graph_uris) if protocol_dataset else None,
            union_default_graph=not protocol_dataset and not info.has_dataset,
            form=info.form,
        )

    def _not_acceptable(self, kind: str) -> Response:
        types = ", ".join(f.content_type.split(";")[0] for f in formats.KINDS[kind])
        return error_response(
            406,
            f"Not Acceptable: a {'boolean' if kind == 'boolean' else kind} result is "
            f"available as {types} (Accept header, or the format parameter).",
            {"Vary": "Accept"},
        )

    def _response(self, request: Request, query: str, outcome: Outcome) -> Response:
        if outcome.kind == "syntax":
            return error_response(400, syntax_message(query, outcome.message))
        if outcome.kind == "not-acceptable":
            return self._not_acceptable(outcome.message)
        if outcome.kind == "query-error":
            return error_response(400, f"The query cannot be evaluated: {outcome.message}")
        if outcome.kind == "memory":
            return error_response(
                503,
                f"The query needed more memory than a worker has ({outcome.message}). "
                "Narrow it or add a LIMIT.",
            )
        if outcome.kind == "error":
            return error_response(500, f"The query failed: {outcome.message}")
        fmt = formats.by_name(outcome.format or "")
        headers = {**CORS, "Vary": "Accept", "Cache-Control": "no-store"}
        if outcome.kind in ("tabular", "graph"):
            headers["X-Result-Row-Limit"] = str(self.limits.max_rows)
            headers["X-Result-Count"] = str(outcome.count)
            if outcome.truncated:
                headers["X-Result-Truncated"] = "true"
        return Response(outcome.body, headers=headers, media_type=fmt.content_type)


def _ended_response(exc: Exception, limits: Limits, limit: float, pool: WorkerPool) -> Response:
    """503 (or 500, for a worker death we cannot explain) for a query that ended its
    worker: what happened, and the cool-down when it brought one (``Retry-After``); a
    query stopped to keep the reserve worker may retry when a long query has ended."""
    after, headers = "", {}
    if getattr(exc, "barred", False):
        cooldown = round(limits.kill_cooldown_s)
        after = f" This address may not run queries for the next {cooldown} s."
        headers = {"Retry-After": str(cooldown)}
    elif isinstance(exc, QueryTimeout) and exc.reserved:
        headers = {"Retry-After": str(pool.scheduler.retry_after())}
    memory_mb = pool.memory_mb
    if isinstance(exc, QueryTimeout) and exc.reserved:
        message = (
            f"The query was stopped after {exc.seconds:g} s: the other workers are busy "
            "with long queries, and the last one is kept for short queries. Retry later, "
            "or narrow the query."
        )
    elif isinstance(exc, QueryTimeout):
        message = (
            f"The query was stopped after its time limit of {limit:g} s "
            f"(server limit {limits.timeout_s:g} s). Narrow it, add a LIMIT, "
            "or avoid patterns that multiply (cartesian products)."
        )
    elif isinstance(exc, WorkerLost) and exc.cause == "memory":
        cap = f"{memory_mb} MB" if memory_mb else "the machine's memory"
        message = (
            f"The query needed more memory than a worker has ({cap}); its worker was "
            "replaced. Narrow it, add a LIMIT, or avoid sorting or grouping a product of "
            "patterns."
        )
    elif isinstance(exc, WorkerLost) and exc.cause == "stack":
        message = (
            "The query overflowed the engine's stack (nested too deeply?); its worker was replaced."
        )
    elif isinstance(exc, WorkerLost) and exc.cause == "stopping":
        return error_response(503, "The server is stopping; the query was not finished.")
    else:
        code = exc.exitcode if isinstance(exc, WorkerLost) else None
        return error_response(
            500, f"A query worker ended unexpectedly (exit code {code}); it was replaced."
        )
    return error_response(503, message + after, headers)
