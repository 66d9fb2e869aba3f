"""Serve: the read-only linked-data server over the static site (``dist/site``).

The site generator writes, for every IRI ``BASE + P`` it describes, the documents
``P.html``, ``P.ttl``, ``P.jsonld``, ``P.nt`` and ``P.rdf``. This server maps request
paths to those files, so it does not matter which base the site was built with: a site
built for ``https://w3id.org/govsm/`` works on ``http://127.0.0.1:8000/`` because its
page links are relative.

- ``GET`` / ``HEAD`` only; any other method gets 405 with ``Allow: GET, HEAD``.
- Cool URIs: an extensionless resource path (``/id/study/mergel-2016``, ``/ontology``,
  ``/dataset``) answers ``303 See Other`` to the document negotiated from ``Accept``
  (q-values, wildcards; ``application/json`` means JSON-LD; ties go to HTML, so a browser
  gets the page), with ``Vary: Accept``; nothing acceptable is ``406`` with the list of
  what there is. A document path (``….ttl``) answers 200 with its media type.
- ``/`` is the landing page, ``/.well-known/void`` is Turtle; no directory listings,
  no hidden files, nothing outside the site folder (``..``, encoded or not, symlinks out).
- Every file response has ``Content-Length``, a content-hash ``ETag``, ``Last-Modified``
  and ``Cache-Control``, and answers conditional requests with 304; data responses
  carry ``Access-Control-Allow-Origin: *``.
- With a :class:`kg.web.endpoint.service.SparqlService`, ``/sparql`` is the SPARQL 1.1
  Protocol endpoint, ``/graph-store`` the read-only Graph Store, ``/api/...`` the
  named-query API and ``/editor/...`` the query editor's assets (:mod:`kg.web.endpoint`);
  without one, those paths are 404 like any other missing file.

With an :class:`kg.web.site.ondemand.OnDemandSite`, what the site folder lacks is rendered
from a store: a resource's page (``?page=N``: its N-th page of incoming links) and RDF
documents, and, when there is no static site at all, ``/`` and ``/style.css``.

The base IRI is used only to also accept requests under its path (``/govsm/id/…`` for
the default base), as a server answering for the base's own host would receive them.

The stack is uvicorn with its h11 protocol, subclassed in :mod:`kg.web.connections` for
what uvicorn lacks: header and body read timeouts, a cap on open connections below the
descriptor limit (closing idle connections first), a request-head limit answered 414/431
with a message, and rate-limited logging of ``accept()`` errors. Those are a few hooks on
the protocol uvicorn already runs (``Config(http=...)``); hypercorn's read timeout is per
read (a trickled head never trips it) and it has no connection cap, and another server
would have been a new stack under every test of the serving layer (README, Connections).
``X-Forwarded-For`` is honoured only from the addresses listed in
:class:`~kg.web.connections.ConnectionLimits` (none by default), so the peer is the client
of the per-client cap and of the access log.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import socket
import threading
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, quote, urlsplit

import uvicorn
from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect
from starlette.responses import FileResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from kg.prefixes import DEFAULT_BASE
from kg.web.compression import Compression, compressible, precompressed
from kg.web.connections import (
    MAX_HEAD,
    AcceptErrorLog,
    CappedListener,
    ConnectionLimits,
    protocol_class,
)
from kg.web.endpoint.api import api_routes
from kg.web.endpoint.editor import editor_routes
from kg.web.endpoint.protocol import GraphStore, SparqlEndpoint
from kg.web.mediatypes import (
    DATA_TYPES,
    DOCUMENT_TYPES,
    NAMED_TYPES,
    OTHER_TYPES,
    REPRESENTATIONS,
)
from kg.web.negotiation import preferred

if TYPE_CHECKING:
    from kg.web.endpoint.service import SparqlService
    from kg.web.site.ondemand import OnDemandSite

ALLOWED_METHODS = "GET, HEAD"

CACHE_CONTROL = "public, max-age=300"
# Files up to this size are read in the event loop and sent from memory; larger ones
# (dumps) stream from a thread (FileResponse), which also serves byte ranges.
SMALL_FILE = 256 * 1024
_PATH_SAFE = "-._~!$&'()*+,;=:@"  # RFC 3986 pchar, left as is in Location and Link


# --- content negotiation -------------------------------------------------------------


def negotiate(accept: str | None, available: list[str]) -> str | None:
    """The extension (of ``available``) the client prefers, or None if none is acceptable."""
    offers = [(ext, names) for ext, _, names in REPRESENTATIONS if ext in available]
    return preferred(accept, offers)


# --- files ---------------------------------------------------------------------------


def media_type(path: Path) -> str:
    """The Content-Type of a site file."""
    if path.name in NAMED_TYPES:
        return NAMED_TYPES[path.name]
    ext = path.suffix[1:].lower()
    return DOCUMENT_TYPES.get(ext) or OTHER_TYPES.get(ext) or "application/octet-stream"


_etags: dict[tuple[str, int, int], str] = {}
_etags_lock = threading.Lock()


def etag(path: Path, stat: os.stat_result) -> str:
    """A strong ETag from the file's content (a rebuilt, identical file keeps its tag)."""
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    with _etags_lock:
        if key in _etags:
            return _etags[key]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:32]
    tag = f'"{digest}"'
    with _etags_lock:
        if len(_etags) > 4096:
            _etags.clear()
        _etags[key] = tag
    return tag


def not_modified(request: Headers, tag: str, mtime: float) -> bool:
    """Whether a conditional GET/HEAD may be answered 304 (RFC 9110 §13.1)."""
    inm = request.get("if-none-match")
    if inm is not None:
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return "*" in tags or tag in tags
    ims = request.get("if-modified-since")
    if ims is not None:
        try:
            since = parsedate_to_datetime(ims).timestamp()
        except (TypeError, ValueError):
            return False
        return int(mtime) <= since
    return False


class HeadlessResponse(Response):
    """A small response that sends no body to HEAD but keeps the GET's Content-Length."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers}
        )
        body = b"" if scope.get("method") == "HEAD" else self.body
        await send({"type": "http.response.body", "body": body})


def _text(status: int, body: str, headers: dict[str, str] | None = None) -> Response:
    return HeadlessResponse(
        body, status_code=status, headers=headers, media_type="text/plain; charset=utf-8"
    )


# --- the application -----------------------------------------------------------------


class Site:
    """The ASGI endpoint: maps a request path to a file of the site or a negotiation."""

    def __init__(
        self,
        site_dir: Path,
        base: str = DEFAULT_BASE,
        on_demand: OnDemandSite | None = None,
        sparql: bool = False,
    ) -> None:
        self.root = site_dir.resolve()
        prefix = urlsplit(base).path or "/"
        self.prefix = prefix if prefix.endswith("/") else prefix + "/"
        # Pages and documents the static site does not have, rendered from a store.
        self.on_demand = on_demand
        self.sparql = sparql  # whether /sparql is served (linked from a rendered index)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = self.respond(scope)
        response.headers.setdefault("x-content-type-options", "nosniff")
        await response(scope, receive, send)

    def respond(self, scope: Scope) -> Response:
        method = scope["method"].upper()
        if method not in ("GET", "HEAD"):
            return _text(
                405, "Method Not Allowed: this server is read-only.\n", {"Allow": ALLOWED_METHODS}
            )
        path = scope["path"]
        headers = Headers(scope=scope)
        found = self.lookup(path)
        if found is None and self.prefix != "/" and path.startswith(self.prefix):
            found = self.lookup("/" + path[len(self.prefix) :])
        if found is None and self.on_demand is not None:
            return self.rendered(path, headers, scope.get("query_string", b""))
        if found is None:
            return _text(404, "Not Found\n")
        kind, target = found
        if kind == "file":
            return self.file(target, headers)
        return self.negotiated(path, target, headers)

    def segments(self, path: str) -> list[str] | None:
        """The path's segments, or None when it is not a plain path inside the site:
        '.'/'..' segments, hidden names (but .well-known), empty segments, NUL,
        backslashes."""
        if not path.startswith("/"):
            return None
        parts = path[1:].split("/")
        if parts[-1] == "":
            parts = parts[:-1]  # a trailing slash names a folder
        for part in parts:
            if part in ("", ".", "..") or "\x00" in part or "\\" in part:
                return None
            if part.startswith(".") and part != ".well-known":
                return None
        return parts

    def inside(self, candidate: Path) -> Path | None:
        """The real path of ``candidate`` if it is a regular file under the site root."""
        # Any OSError (ENAMETOOLONG from a 256-byte segment, EINVAL...) means no such
        # file: a 404, never a 500.
        try:
            real = candidate.resolve()
            if not real.is_relative_to(self.root) or not real.is_file():
                return None
        except (OSError, RuntimeError, ValueError):
            return None
        return real

    def lookup(self, path: str) -> tuple[str, object] | None:
        """("file", Path) or ("resource", {ext: Path}) for a request path, else None."""
        parts = self.segments(path)
        if parts is None:
            return None
        candidate = self.root.joinpath(*parts)
        if path.endswith("/") or not parts:
            # A folder: its index.html (the landing page at /), never a listing.
            index = self.inside(candidate / "index.html")
            return ("file", index) if index else None
        real = self.inside(candidate)
        if real is not None:
            return ("file", real)
        documents = {}
        for ext in DOCUMENT_TYPES:
            doc = self.inside(candidate.with_name(f"{candidate.name}.{ext}"))
            if doc is not None:
                documents[ext] = doc
        return ("resource", documents) if documents else None

    def rendered(self, path: str, request: Headers, query: bytes = b"") -> Response:
        """A resource's page (``?page=N``: its N-th page of incoming links) or document
        rendered on demand (kg.web.site.ondemand), or the 303 negotiation for a resource the
        store describes; without a static site, ``/`` (``/index.html``) is an index
        rendered from the store and ``/style.css`` the site's style; 404 otherwise."""
        assert self.on_demand is not None
        if self.prefix != "/" and path.startswith(self.prefix):
            path = "/" + path[len(self.prefix) :]
        parts = self.segments(path)
        if parts == [] and path == "/" or parts == ["index.html"]:
            return self.generated(self.on_demand.index_page(self.sparql), "html", request)
        if parts == ["style.css"]:
            return self.generated(self.on_demand.style(), "css", request)
        if not parts or path.endswith("/"):
            return _text(404, "Not Found\n")
        rel = "/".join(parts)
        stem, dot, ext = rel.rpartition(".")
        if dot and ext in DOCUMENT_TYPES and "/" not in ext:
            number = page_number(query) if ext == "html" else 1
            if number is None:
                return _text(400, "Bad Request: page must be a positive integer\n")
            body = (
                self.on_demand.page(stem, number)
                if ext == "html"
                else self.on_demand.document(stem, ext)
            )
            if body is None:
                return _text(404, "Not Found\n")
            return self.generated(body, ext, request)
        if self.on_demand.subject(rel) is None:
            return _text(404, "Not Found\n")
        return self.negotiated(path, dict.fromkeys(DOCUMENT_TYPES), request)

    def generated(self, body: str, ext: str, request: Headers) -> Response:
        """A rendered page or document, with a content-hash ETag (304 when it matches)."""
        data = body.encode("utf-8")
        tag = '"' + hashlib.sha256(data).hexdigest()[:32] + '"'
        headers = {"ETag": tag, "Cache-Control": CACHE_CONTROL}
        if ext != "html":
            headers["Access-Control-Allow-Origin"] = "*"
        if request.get("if-none-match") == tag:
            return HeadlessResponse(b"", status_code=304, headers=headers)
        return Response(
            data, headers=headers, media_type=DOCUMENT_TYPES.get(ext) or OTHER_TYPES[ext]
        )

    def file(self, path: Path, request: Headers) -> Response:
        try:
            stat = path.stat()
        except OSError:  # removed since the lookup (a rebuild swapped the folder)
            return _text(404, "Not Found\n")
        ctype = media_type(path)
        headers = {
            "Last-Modified": formatdate(stat.st_mtime, usegmt=True),
            "Cache-Control": CACHE_CONTROL,
        }
        if ctype.split(";")[0] in DATA_TYPES:
            headers["Access-Control-Allow-Origin"] = "*"
        # A dump's .br/.gz beside it goes out as is (kg.web.compression): no work per request.
        coded = precompressed(path, request.get("accept-encoding")) if compressible(ctype) else None
        if coded is not None:
            path, coding = coded
            with contextlib.suppress(OSError):
                stat = path.stat()
                headers |= {"Content-Encoding": coding, "Vary": "Accept-Encoding"}
        headers["ETag"] = etag(path, stat)
        if not_modified(request, headers["ETag"], stat.st_mtime):
            return HeadlessResponse(b"", status_code=304, headers=headers)
        if stat.st_size <= SMALL_FILE and "range" not in request:
            # Read here, in one go: FileResponse opens, reads and closes in a thread each
            # (three hand-offs, most of a small file's CPU per request).
            with contextlib.suppress(OSError):
                body = path.read_bytes()
                headers["Accept-Ranges"] = "bytes"
                return HeadlessResponse(body, headers=headers, media_type=ctype)
        return FileResponse(path, headers=headers, media_type=ctype, stat_result=stat)

    def negotiated(self, path: str, documents: object, request: Headers) -> Response:
        assert isinstance(documents, dict)
        available = [ext for ext in DOCUMENT_TYPES if ext in documents]
        # Header values carry the path percent-encoded again (it arrives decoded).
        name = quote(path.rsplit("/", 1)[-1], safe=_PATH_SAFE)
        links = ", ".join(
            f'<{name}.{ext}>; rel="alternate"; type="{DOCUMENT_TYPES[ext].split(";")[0]}"'
            for ext in available
        )
        headers = {
            "Vary": "Accept",
            "Cache-Control": CACHE_CONTROL,
            "Access-Control-Allow-Origin": "*",
            "Link": links,
        }
        chosen = negotiate(request.get("accept"), available)
        if chosen is None:
            lines = [f"{DOCUMENT_TYPES[e].split(';')[0]}: {name}.{e}" for e in available]
            body = "Not Acceptable. Available representations:\n" + "\n".join(lines) + "\n"
            return _text(406, body, headers)
        location = quote(f"{path}.{chosen}", safe="/" + _PATH_SAFE)
        headers["Location"] = location
        return _text(303, f"See Other: {location}\n", headers)


def page_number(query: bytes) -> int | None:
    """The ``page`` parameter of a query string (1 when absent), None when malformed."""
    values = parse_qs(query.decode("latin-1")).get("page")
    if not values:
        return 1
    value = values[-1]
    if not (value.isascii() and value.isdigit() and len(value) < 10 and int(value) >= 1):
        return None
    return int(value)


def make_app(
    site_dir: Path,
    base: str = DEFAULT_BASE,
    service: SparqlService | None = None,
    on_demand: OnDemandSite | None = None,
) -> Starlette:
    """The linked-data server over ``site_dir`` (a folder built by ``govsm build``), with
    the SPARQL endpoint, the named-query API and the editor when ``service`` is given,
    and resource pages the static site lacks rendered from a store by ``on_demand``
    (kg.web.site.ondemand; for builds too large for a static page per resource)."""
    site = Site(Path(site_dir), base, on_demand, sparql=service is not None)
    if on_demand is not None and not (Path(site_dir) / "index.html").is_file():
        on_demand.without_site(sparql=service is not None)
    routes: list = []
    if service is not None:
        sparql = SparqlEndpoint(service)
        # ASGI endpoints, so every method reaches them and 403/405 are theirs.
        routes += [
            Route("/sparql", endpoint=sparql),
            Route("/sparql/", endpoint=sparql),
            Route("/graph-store", endpoint=GraphStore(service)),
        ]
        routes += api_routes(service)
        routes += editor_routes(service)
    # One catch-all route with an ASGI endpoint, so that every method reaches it and
    # the 405 answer (with its Allow header) is ours.
    routes.append(Route("/{path:path}", endpoint=site))
    # gzip/br of large answers (kg.web.compression), after every route's own headers.
    return Starlette(routes=routes, middleware=[Middleware(Compression)])


# --- running it ----------------------------------------------------------------------


class QuietDisconnect:
    """ASGI wrapper: a client gone before its body arrived (it hung up, or the body
    timeout closed it) can get no answer, so that is not an application error to log."""

    def __init__(self, app: Starlette) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        with contextlib.suppress(ClientDisconnect):
            await self.app(scope, receive, send)


class GuardedServer(uvicorn.Server):
    """uvicorn's server with accept() errors logged at most once per interval."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        asyncio.get_running_loop().set_exception_handler(AcceptErrorLog())
        await super().startup(sockets=sockets)


def uvicorn_config(
    app: Starlette, access_log: bool, connections: ConnectionLimits
) -> uvicorn.Config:
    """uvicorn's settings for ``app`` under ``connections`` (kg.web.connections)."""
    trusted = list(connections.forwarded_allow)
    return uvicorn.Config(
        QuietDisconnect(app),
        http=protocol_class(connections),
        h11_max_incomplete_event_size=MAX_HEAD,
        timeout_keep_alive=connections.keep_alive,  # type: ignore[arg-type]
        # uvicorn trusts X-Forwarded-For from 127.0.0.1 by default: only the listed
        # proxies here, and none unless some are listed.
        proxy_headers=bool(trusted),
        forwarded_allow_ips=trusted or None,
        log_level="info" if access_log else "warning",
        access_log=access_log,
        lifespan="off",
        server_header=False,
    )


class SiteServer:
    """uvicorn serving :func:`make_app` on a socket bound at construction (port 0 picks
    a free port), with the connection hygiene of ``connections`` (defaults of
    :class:`~kg.web.connections.ConnectionLimits` when None): ``serve_forever()`` runs
    it, ``shutdown()`` (from another thread) stops it."""

    def __init__(
        self,
        site_dir: Path,
        host: str = "127.0.0.1",
        port: int = 8000,
        base: str = DEFAULT_BASE,
        access_log: bool = False,
        service: SparqlService | None = None,
        on_demand: OnDemandSite | None = None,
        connections: ConnectionLimits | None = None,
    ) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.socket = CappedListener(family, socket.SOCK_STREAM)
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit it: without it, Nagle's algorithm and the client's
        # delayed ACK hold a response's body ~40 ms on a kept-alive connection.
        self.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self.socket.bind((host, port))
        except OSError:
            self.socket.close()
            raise
        self.socket.listen(128)
        self.server_address = self.socket.getsockname()[:2]
        self.connections = connections or ConnectionLimits()
        app = make_app(site_dir, base, service, on_demand)
        config = uvicorn_config(app, access_log, self.connections)
        self.socket.registry = config.http.registry  # type: ignore[union-attr]
        self.server = GuardedServer(config)
        self.service = service
        self._stopped = threading.Event()

    @property
    def url(self) -> str:
        host, port = self.server_address
        return f"http://{f'[{host}]' if ':' in host else host}:{port}/"

    def serve_forever(self) -> None:
        try:
            self.server.run(sockets=[self.socket])
        finally:
            self._stopped.set()

    def shutdown(self, timeout: float = 10.0) -> None:
        self.server.should_exit = True
        self._stopped.wait(timeout)

    def server_close(self) -> None:
        self.socket.close()
        if self.service is not None:
            self.service.close()


def make_server(
    site_dir: Path,
    host: str = "127.0.0.1",
    port: int = 8000,
    base: str = DEFAULT_BASE,
    access_log: bool = False,
    service: SparqlService | None = None,
    on_demand: OnDemandSite | None = None,
    connections: ConnectionLimits | None = None,
) -> SiteServer:
    """A server for ``site_dir`` (not yet serving; call ``serve_forever``); ``service``
    adds the SPARQL endpoint (and is closed with the server); ``on_demand`` renders the
    resource pages the static site lacks (then ``site_dir`` may be missing or partial);
    ``connections``: timeouts, connection cap, trusted proxies (kg.web.connections)."""
    if on_demand is None and not (Path(site_dir) / "index.html").is_file():
        raise FileNotFoundError(f"{site_dir}/index.html not found: run `govsm build` first")
    return SiteServer(Path(site_dir), host, port, base, access_log, service, on_demand, connections)
