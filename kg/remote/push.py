"""Push: upload every named graph of a build to an external SPARQL engine, then verify it.

``govsm push --endpoint URL`` reads the build's N-Quads (``dist/govsm.nq``: every named
graph, canonical blank-node labels) and sends each named graph with the SPARQL 1.1 Graph
Store HTTP Protocol: the first request is a ``PUT ?graph=G`` (it *replaces* the graph, so
a second push never duplicates anything), and a graph larger than ``chunk_size`` triples
continues with ``POST ?graph=G`` requests (append). The body is N-Triples sent as
``text/turtle`` (N-Triples is a subset of Turtle, and every Graph Store implementation
reads Turtle). Afterwards every graph is counted on the remote with ``SELECT (COUNT(*) AS
?n) WHERE { GRAPH <G> { ?s ?p ?o } }`` and compared with the local count.

Blank nodes: a Graph Store request is its own document, so the server mints fresh blank
nodes for each request. By default (``keep``) blank nodes therefore stay blank and are
kept *per graph*: a graph holding blank nodes is always sent in one request (never
chunked), so its blank-node structure (e.g. author lists) arrives intact; a blank node
shared by two graphs would be split in two, and the push refuses that case. With
``skolemize`` every blank node becomes the IRI ``BASE.well-known/genid/LABEL`` (RDF 1.1
Concepts §3.5); the labels are the canonical ones of the build, so the IRIs are the same on
every push and graphs can then be chunked freely.

Credentials come from ``GOVSM_ENDPOINT_USER`` / ``GOVSM_ENDPOINT_PASSWORD`` only.
"""

from __future__ import annotations

import base64
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

import pyoxigraph as ox
from rdflib import Literal

from kg.prefixes import DEFAULT_BASE
from kg.remote.client import Credentials, Remote, RemoteError, count_triples, select
from kg.sparql.files import serialize_term

BLANK_NODE_MODES = ("keep", "skolemize")
DEFAULT_CHUNK = 50_000
CONTENT_TYPE = "text/turtle"


class PushError(RuntimeError):
    """The push could not be done as asked (bad input or options)."""


class RemoteFailure(PushError):
    """The remote refused or failed (HTTP error, timeout, refused connection)."""


@dataclass
class GraphUpload:
    """One named graph ready to send: its name and its N-Triples chunks."""

    name: str
    triples: int
    chunks: list[tuple[int, bytes]] = field(default_factory=list)  # (triples, body)
    blank_nodes: bool = False


@dataclass(frozen=True)
class CountRow:
    """Local and remote triple counts of one graph."""

    graph: str
    local: int
    remote: int

    @property
    def ok(self) -> bool:
        return self.local == self.remote


@dataclass
class PushReport:
    """What a push sent and what the remote holds afterwards."""

    graph_store: str
    counts: list[CountRow] = field(default_factory=list)
    requests: int = 0
    bytes_sent: int = 0
    upload_seconds: float = 0.0
    verify_seconds: float = 0.0
    graph_prefix: str | None = None  # the namespace of the pushed graph names
    stale: list[str] = field(default_factory=list)  # remote graphs there, not pushed now
    pruned: list[str] = field(default_factory=list)  # stale graphs deleted (--prune)

    @property
    def ok(self) -> bool:
        return all(row.ok for row in self.counts)

    @property
    def triples(self) -> int:
        return sum(row.local for row in self.counts)


Progress = Callable[[str, int, int], None]  # graph, triples just sent, triples in the graph


# --- reading the build ---------------------------------------------------------------------


def read_graphs(path: Path) -> dict[str, list[ox.Triple]]:
    """The named graphs of an N-Quads file (triples in file order), by graph IRI."""
    if not path.is_file():
        raise PushError(f"{path} not found: run `govsm build` first (or pass --from FILE.nq)")
    graphs: dict[str, list[ox.Triple]] = {}
    try:
        for quad in ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS):
            if not isinstance(quad.graph_name, ox.NamedNode):
                raise PushError(
                    f"{path}: a triple in the default graph ({quad.subject} {quad.predicate} …): "
                    "only named graphs are pushed"
                )
            triple = ox.Triple(quad.subject, quad.predicate, quad.object)
            graphs.setdefault(quad.graph_name.value, []).append(triple)
    except SyntaxError as exc:
        raise PushError(f"{path}:{exc.lineno or 0}:{exc.offset or 0}: {exc.msg}") from exc
    if not graphs:
        raise PushError(f"{path}: no named graph to push")
    return graphs


def _blank_labels(triples: Iterable[ox.Triple]) -> set[str]:
    return {
        term.value
        for t in triples
        for term in (t.subject, t.object)
        if isinstance(term, ox.BlankNode)
    }


def shared_blank_nodes(graphs: dict[str, list[ox.Triple]]) -> dict[str, list[str]]:
    """Blank-node labels used in more than one graph, with the graphs using them."""
    seen: dict[str, list[str]] = {}
    for name, triples in graphs.items():
        for label in _blank_labels(triples):
            seen.setdefault(label, []).append(name)
    return {label: names for label, names in seen.items() if len(names) > 1}


def skolemize(triples: list[ox.Triple], base: str) -> list[ox.Triple]:
    """Replace every blank node by ``BASE.well-known/genid/LABEL``."""

    def fix(term):  # noqa: ANN001, ANN202 - pyoxigraph terms
        if isinstance(term, ox.BlankNode):
            return ox.NamedNode(f"{base}.well-known/genid/{term.value}")
        return term

    return [ox.Triple(fix(t.subject), t.predicate, fix(t.object)) for t in triples]


def prepare(
    graphs: dict[str, list[ox.Triple]],
    chunk_size: int = DEFAULT_CHUNK,
    blank_nodes: str = "keep",
    base: str = DEFAULT_BASE,
) -> list[GraphUpload]:
    """Split every graph into request bodies (N-Triples), honouring the blank-node mode."""
    if blank_nodes not in BLANK_NODE_MODES:
        raise PushError(f"unknown blank-node mode {blank_nodes!r}; choose keep or skolemize")
    if chunk_size < 1:
        raise PushError("--chunk-size must be at least 1")
    if blank_nodes == "keep":
        shared = shared_blank_nodes(graphs)
        if shared:
            label, names = next(iter(sorted(shared.items())))
            raise PushError(
                f"{len(shared)} blank node(s) are shared between graphs (e.g. _:{label} in "
                f"{', '.join(names)}); a Graph Store request cannot keep them one node: "
                "use --blank-nodes skolemize"
            )
    uploads = []
    for name in sorted(graphs):
        triples = graphs[name]
        if blank_nodes == "skolemize":
            triples = skolemize(triples, base)
        has_blank = bool(_blank_labels(triples))
        # Blank nodes are scoped to one request: such a graph travels whole.
        size = len(triples) if has_blank else chunk_size
        upload = GraphUpload(name, len(triples), blank_nodes=has_blank)
        for start in range(0, max(1, len(triples)), max(1, size)):
            part = triples[start : start + size]
            upload.chunks.append((len(part), ox.serialize(part, format=ox.RdfFormat.N_TRIPLES)))
        uploads.append(upload)
    return uploads


# --- the Graph Store client ----------------------------------------------------------------


def default_graph_store(endpoint: str, authenticated: bool) -> str:
    """The Graph Store URL that goes with a query endpoint, for the engines we know.

    Virtuoso ``/sparql`` -> ``/sparql-graph-crud-auth`` (or ``/sparql-graph-crud`` without
    credentials); Fuseki ``/DS/sparql`` or ``/DS/query`` -> ``/DS/data``; GraphDB / RDF4J
    ``/repositories/ID`` -> ``/repositories/ID/rdf-graphs/service``; Neptune ``/sparql`` on
    ``*.neptune.amazonaws.com`` -> ``/sparql/gsp/``. Anything else: the endpoint itself."""
    parts = urlsplit(endpoint)
    path = parts.path.rstrip("/")
    host = parts.hostname or ""

    def with_path(new: str) -> str:
        return urlunsplit((parts.scheme, parts.netloc, new, "", ""))

    if host.endswith(".neptune.amazonaws.com") and path == "/sparql":
        return with_path("/sparql/gsp/")
    if "/repositories/" in path + "/":
        repo = path[: path.index("/repositories/") + len("/repositories/")]
        rest = path[len(repo) :].split("/")[0]
        return with_path(f"{repo}{rest}/rdf-graphs/service")
    if path == "/sparql":
        return with_path("/sparql-graph-crud-auth" if authenticated else "/sparql-graph-crud")
    if path.endswith(("/sparql", "/query")) and path.count("/") >= 2:
        return with_path(path.rsplit("/", 1)[0] + "/data")
    return endpoint


class GraphStore:
    """A SPARQL 1.1 Graph Store HTTP Protocol endpoint (indirect graph identification)."""

    def __init__(
        self, url: str, credentials: Credentials | None = None, timeout: float = 300.0
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise PushError(f"graph store {url!r} is not an http(s) URL")
        if parts.username or parts.password:
            raise PushError("the graph-store URL carries credentials: use the environment")
        self.url = url
        self.credentials = credentials
        self.timeout = timeout
        # A plain opener: digest is answered here, before the body is sent (see _digest).
        self.opener = urllib.request.build_opener()
        self._digest: urllib.request.HTTPDigestAuthHandler | None = None
        self._challenge: dict[str, str] | None = None
        if credentials and credentials.scheme == "digest":
            manager = urllib.request.HTTPPasswordMgrWithDefaultRealm()
            manager.add_password(None, url, credentials.user, credentials.password)
            self._digest = urllib.request.HTTPDigestAuthHandler(manager)

    def target(self, graph: str) -> str:
        sep = "&" if urlsplit(self.url).query else "?"
        return f"{self.url}{sep}graph={quote(graph, safe='')}"

    def _probe(self) -> None:
        """Fetch the server's digest challenge with a bodiless request.

        urllib's digest handler first sends the request without credentials and answers
        the 401 afterwards; with a large body the server (Virtuoso) refuses and closes the
        connection while the body is still being sent (a broken pipe). So the challenge is
        fetched once with an empty request, and every upload carries its Authorization."""
        request = urllib.request.Request(self.url, method="HEAD")
        request.add_header("User-Agent", "govsm-kg push")
        try:
            with self.opener.open(request, timeout=self.timeout):
                self._challenge = {}
                return
        except urllib.error.HTTPError as exc:
            header = exc.headers.get("WWW-Authenticate", "") if exc.headers else ""
            if exc.code == 401 and header.lower().startswith("digest "):
                items = urllib.request.parse_http_list(header[len("digest ") :])
                self._challenge = urllib.request.parse_keqv_list(items)
                return
            if exc.code == 401:
                raise RemoteFailure(
                    f"{self.url}: 401 Unauthorized without a digest challenge "
                    f"(WWW-Authenticate: {header or 'none'}); try --auth basic"
                ) from exc
            self._challenge = {}  # no authentication asked for HEAD: send without
        except urllib.error.URLError as exc:
            raise RemoteFailure(self._explain_url(exc.reason)) from exc
        except (TimeoutError, ConnectionError, OSError) as exc:
            raise RemoteFailure(self._explain_url(exc)) from exc

    def _request(self, method: str, graph: str, body: bytes) -> urllib.request.Request:
        request = urllib.request.Request(self.target(graph), data=body, method=method)
        request.add_header("Content-Type", CONTENT_TYPE)
        request.add_header("User-Agent", "govsm-kg push")
        if self.credentials and self.credentials.scheme == "basic":
            token = f"{self.credentials.user}:{self.credentials.password}".encode()
            request.add_header("Authorization", "Basic " + base64.b64encode(token).decode())
        if self._digest is not None:
            if self._challenge is None:
                self._probe()
            if self._challenge:
                answer = self._digest.get_authorization(request, self._challenge)
                if answer:
                    request.add_unredirected_header("Authorization", "Digest " + answer)
        return request

    def delete(self, graph: str) -> int:
        """DELETE a graph (Graph Store Protocol); the HTTP status."""
        return self.send("DELETE", graph, b"")

    def send(self, method: str, graph: str, body: bytes) -> int:
        """PUT (replace) or POST (append) one body into a graph; the HTTP status."""
        for attempt in (1, 2):
            request = self._request(method, graph, body)
            try:
                with self.opener.open(request, timeout=self.timeout) as response:
                    response.read()
                    return response.status
            except urllib.error.HTTPError as exc:
                # A digest nonce can go stale: fetch a new challenge and send once more.
                if exc.code == 401 and self._digest is not None and attempt == 1:
                    self._challenge = None
                    continue
                raise RemoteFailure(self._explain_http(exc, method, graph)) from exc
            except urllib.error.URLError as exc:
                raise RemoteFailure(self._explain_url(exc.reason)) from exc
            except (TimeoutError, ConnectionError, OSError) as exc:
                raise RemoteFailure(self._explain_url(exc)) from exc
        raise AssertionError("unreachable")

    def _explain_http(self, exc: urllib.error.HTTPError, method: str, graph: str) -> str:
        try:
            body = " ".join(exc.read().decode("utf-8", "replace").split())[:300]
        except Exception:  # noqa: BLE001 - the body is only a hint
            body = ""
        where = f"{method} {self.url} (graph <{graph}>)"
        retry = exc.headers.get("Retry-After") if exc.headers else None
        hints = {
            401: "401 Unauthorized: set GOVSM_ENDPOINT_USER / GOVSM_ENDPOINT_PASSWORD and "
            "--auth basic|digest (Virtuoso's /sparql-graph-crud-auth wants digest)",
            403: "403 Forbidden: the user may not write this graph (Virtuoso: grant "
            "SPARQL_UPDATE and graph write permission)",
            404: "404 Not Found: not a Graph Store endpoint; pass --graph-store URL",
            405: "405 Method Not Allowed: the endpoint does not accept Graph Store writes "
            "(read-only, or not a Graph Store URL)",
            413: "413 Payload Too Large: lower --chunk-size",
            415: "415 Unsupported Media Type: the store does not read text/turtle",
            429: "429 Too Many Requests"
            + (f"; retry after {retry} (Retry-After)" if retry else ""),
        }
        text = hints.get(exc.code, f"HTTP {exc.code} {exc.reason}")
        if exc.code >= 500:
            text = f"{exc.code} {exc.reason}: the server failed" + (
                f"; retry after {retry}" if retry else ""
            )
        return f"{where}: {text}" + (f" — server said: {body}" if body else "")

    def _explain_url(self, reason: object) -> str:
        if isinstance(reason, TimeoutError):
            return f"{self.url}: timed out after {self.timeout:g} s"
        if isinstance(reason, ConnectionRefusedError):
            return f"{self.url}: connection refused (is the server running?)"
        return f"{self.url}: cannot connect: {reason}"


# --- the push itself -------------------------------------------------------------------


def upload(
    store: GraphStore, uploads: list[GraphUpload], progress: Progress | None = None
) -> tuple[int, int]:
    """Send every graph (PUT, then POST for further chunks); requests and bytes sent."""
    requests = sent = 0
    for item in uploads:
        for index, (count, body) in enumerate(item.chunks):
            store.send("PUT" if index == 0 else "POST", item.name, body)
            requests += 1
            sent += len(body)
            if progress:
                progress(item.name, count, item.triples)
    return requests, sent


def verify_counts(remote: Remote, uploads: list[GraphUpload]) -> list[CountRow]:
    """COUNT every pushed graph on the remote, next to the local count."""
    try:
        return [CountRow(u.name, u.triples, count_triples(remote, u.name)) for u in uploads]
    except RemoteError as exc:
        raise RemoteFailure(f"verification failed: {exc}") from exc


def graph_prefix(names: Iterable[str]) -> str | None:
    """The ``BASE graph/`` namespace all graph names share (None if they do not)."""
    names = list(names)
    prefixes = {n[: n.index("/graph/") + len("/graph/")] for n in names if "/graph/" in n}
    if len(prefixes) == 1:
        prefix = next(iter(prefixes))
        if all(name.startswith(prefix) for name in names):
            return prefix
    return None


def remote_graphs(remote: Remote, prefix: str) -> list[str]:
    """Named graphs on the remote whose names start with ``prefix``."""
    literal = serialize_term(Literal(prefix))
    rows = select(
        remote,
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } "
        f"FILTER (STRSTARTS(STR(?g), {literal})) }}",
    )
    return sorted(str(row[0]) for row in rows.rows if row[0] is not None)


def push(
    source: Path,
    store: GraphStore,
    remote: Remote,
    chunk_size: int = DEFAULT_CHUNK,
    blank_nodes: str = "keep",
    base: str = DEFAULT_BASE,
    progress: Progress | None = None,
    on_prepared: Callable[[list[GraphUpload]], None] | None = None,
    prune: bool = False,
) -> PushReport:
    """Read ``source`` (N-Quads), upload every named graph, verify the counts.

    Graphs already on the remote under the same ``BASE graph/`` namespace that this push
    does not contain (a source file renamed or removed since an earlier push) are
    listed in ``report.stale``; with ``prune`` they are deleted (Graph Store DELETE)."""
    uploads = prepare(read_graphs(source), chunk_size, blank_nodes, base)
    if on_prepared:
        on_prepared(uploads)
    report = PushReport(store.url)
    started = time.perf_counter()
    report.requests, report.bytes_sent = upload(store, uploads, progress)
    report.upload_seconds = time.perf_counter() - started
    started = time.perf_counter()
    report.counts = verify_counts(remote, uploads)
    report.graph_prefix = graph_prefix(u.name for u in uploads)
    if report.graph_prefix:
        pushed = {u.name for u in uploads}
        try:
            found = remote_graphs(remote, report.graph_prefix)
        except RemoteError as exc:
            raise RemoteFailure(f"listing the remote graphs failed: {exc}") from exc
        report.stale = [name for name in found if name not in pushed]
        if prune:
            for name in report.stale:
                store.delete(name)
                report.pruned.append(name)
            if report.pruned:
                left = set(remote_graphs(remote, report.graph_prefix)) - pushed
                if left:
                    raise RemoteFailure(f"graphs still on the remote after DELETE: {sorted(left)}")
    report.verify_seconds = time.perf_counter() - started
    return report
