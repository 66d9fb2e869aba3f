"""The SPARQL 1.1 Protocol at ``/sparql`` and a read-only Graph Store at ``/graph-store``.

``/sparql``:

- query by ``GET ?query=``, by ``POST`` of an HTML form (``application/x-www-form-urlencoded``,
  parameters in the body and/or the URL) and by ``POST`` of ``application/sparql-query``
  (parameters in the URL); ``default-graph-uri`` / ``named-graph-uri`` (repeatable),
  ``timeout`` (seconds, at most the server's limit) and ``format`` (a short name or a
  media type, overriding ``Accept``);
- a bare ``GET`` (no ``query``) answers the SPARQL Service Description (Turtle unless
  ``Accept`` asks for another RDF syntax); a ``GET`` whose ``Accept`` prefers HTML gets the
  query editor (with the ``query`` filled in, if any), unless it names a ``format``;
- read-only: every form of SPARQL Update (``application/sparql-update``, an ``update``
  parameter, ``using-graph-uri``, an update sent as ``query``) and ``PUT``/``DELETE``/
  ``PATCH`` answer 403; other unknown methods 405 with ``Allow``;
- malformed requests answer 4xx with a message: several queries (400), a body that is
  not UTF-8 or declares another charset (400), a missing or wrong Content-Type (415), a
  body over the cap (413), a URL over the cap (414).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Receive, Scope, Send

from kg.web.endpoint import description, formats
from kg.web.endpoint.editor import editor_page
from kg.web.endpoint.service import CORS, SparqlService, error_response
from kg.web.negotiation import prefers_html

ALLOW = "GET, HEAD, POST, OPTIONS"
WRITE_METHODS = {"PUT", "DELETE", "PATCH", "POST"}
# What /sparql offers beside the editor: every result and RDF format.
DATA_TYPES = tuple(fmt.media_types for fmt in formats.TABULAR + formats.GRAPH)
FORM = "application/x-www-form-urlencoded"
QUERY = "application/sparql-query"
UPDATE = "application/sparql-update"
UPDATE_PARAMETERS = ("update", "using-graph-uri", "using-named-graph-uri")
READ_ONLY = "This SPARQL service is read-only: updates and graph writes are not accepted."


class BadRequest(Exception):
    """A request the protocol layer refuses: status, message, extra headers."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


def parse_params(raw: bytes, where: str) -> dict[str, list[str]]:
    """``name=value&...`` into lists of values, strictly UTF-8 (else 400)."""
    try:
        text = raw.decode("ascii")
        pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadRequest(400, f"The {where} is not valid UTF-8 (percent-encoded): {exc}") from exc
    params: dict[str, list[str]] = {}
    for name, value in pairs:
        params.setdefault(name, []).append(value)
    return params


def one(params: dict[str, list[str]], name: str) -> str | None:
    """The single value of ``name`` (400 if it is given more than once)."""
    values = params.get(name, [])
    if len(values) > 1:
        raise BadRequest(
            400, f"The parameter {name!r} was given {len(values)} times; give it once."
        )
    return values[0] if values else None


async def read_body(request: Request, cap: int) -> bytes:
    """The request body, refusing (413) one larger than ``cap`` bytes without reading it all."""
    declared = request.headers.get("content-length")
    too_large = BadRequest(413, f"The request body is larger than the limit of {cap} bytes.")
    if declared is not None and declared.isdigit() and int(declared) > cap:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def content_type(request: Request) -> tuple[str | None, str | None]:
    """The media type and charset of the request body (lower case), None if absent."""
    header = request.headers.get("content-type")
    if header is None or not header.strip():
        return None, None
    parts = [p.strip() for p in header.split(";")]
    charset = None
    for part in parts[1:]:
        name, _, value = part.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
    return parts[0].lower(), charset


def _common_headers(response: Response) -> Response:
    for name, value in CORS.items():
        response.headers.setdefault(name, value)
    response.headers.setdefault("x-content-type-options", "nosniff")
    return response


class _ServiceEndpoint:
    """An ASGI endpoint over the service: ``handle`` answers, a BadRequest it raises
    becomes its error response, and every response gets the common headers."""

    def __init__(self, service: SparqlService) -> None:
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await self.handle(request)
        except BadRequest as exc:
            response = error_response(exc.status, exc.message, exc.headers)
        await _common_headers(response)(scope, receive, send)

    async def handle(self, request: Request) -> Response:
        raise NotImplementedError


class SparqlEndpoint(_ServiceEndpoint):
    """The ASGI endpoint of ``/sparql``."""

    async def handle(self, request: Request) -> Response:
        """Answer one protocol request."""
        method = request.method.upper()
        if method == "OPTIONS":
            return preflight(ALLOW)
        if method in ("PUT", "DELETE", "PATCH"):
            raise BadRequest(403, READ_ONLY, {"Allow": ALLOW})
        if method not in ("GET", "HEAD", "POST"):
            raise BadRequest(405, f"Method {method} is not allowed here.", {"Allow": ALLOW})
        limits = self.service.limits
        raw_query = request.scope.get("query_string", b"")
        if len(raw_query) > limits.max_body_bytes:
            raise BadRequest(
                414,
                f"The URL is longer than the limit of {limits.max_body_bytes} bytes; "
                "POST the query.",
            )
        params = parse_params(raw_query, "query string")
        if method == "POST":
            await self._read_post(request, params)
        for name in UPDATE_PARAMETERS:
            if name in params:
                raise BadRequest(403, READ_ONLY)
        query = one(params, "query")
        accept = request.headers.get("accept")
        # A browser gets the editor, unless it asked for a format (a download link).
        if (
            method in ("GET", "HEAD")
            and "format" not in params
            and prefers_html(accept, DATA_TYPES)
        ):
            return editor_page(request, self.service)
        if query is None:
            if method == "POST":
                raise BadRequest(
                    400, "No query: send a 'query' parameter or an application/sparql-query body."
                )
            return self.service_description(request, formats.first_known(params.get("format", [])))
        timeout = one(params, "timeout")
        timeout_s = None
        if timeout is not None:
            try:
                timeout_s = float(timeout)
            except ValueError as exc:
                raise BadRequest(
                    400, f"timeout must be a number of seconds, got {timeout!r}"
                ) from exc
            if not 0 < timeout_s < float("inf"):
                raise BadRequest(
                    400, f"timeout must be a positive number of seconds, got {timeout!r}"
                )
        return await self.service.answer(
            request,
            query,
            default_graph_uris=params.get("default-graph-uri", []),
            named_graph_uris=params.get("named-graph-uri", []),
            timeout_s=timeout_s,
            result_format=formats.first_known(params.get("format", [])),
        )

    async def _read_post(self, request: Request, params: dict[str, list[str]]) -> None:
        """Merge a POST's body into ``params`` (the query, or the form's parameters)."""
        media, charset = content_type(request)
        if media == UPDATE:
            raise BadRequest(403, READ_ONLY)
        if media not in (FORM, QUERY):
            what = "no Content-Type" if media is None else f"Content-Type {media}"
            raise BadRequest(
                415,
                f"A POST with {what} is not a SPARQL query: use {QUERY} (the query as the "
                f"body) or {FORM} (a 'query' parameter).",
                {"Accept-Post": f"{QUERY}, {FORM}"},
            )
        if charset is not None and charset not in ("utf-8", "utf8"):
            raise BadRequest(400, f"The body must be UTF-8; charset={charset} is not accepted.")
        body = await read_body(request, self.service.limits.max_body_bytes)
        if media == FORM:
            for name, values in parse_params(body, "form body").items():
                params.setdefault(name, []).extend(values)
            return
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadRequest(400, f"The query is not valid UTF-8: {exc}") from exc
        if "query" in params:
            raise BadRequest(400, "Two queries: one in the body and one in the URL; send one.")
        params["query"] = [text]

    def service_description(self, request: Request, format_param: str | None) -> Response:
        """The service description, negotiated among the RDF syntaxes."""
        try:
            fmt = formats.choose("graph", request.headers.get("accept"), format_param)
        except formats.UnknownFormat as exc:
            raise BadRequest(400, str(exc)) from exc
        if fmt is None:
            types = ", ".join(f.content_type.split(";")[0] for f in formats.GRAPH)
            raise BadRequest(
                406,
                f"Not Acceptable: the service description is available as {types}.",
                {"Vary": "Accept"},
            )
        endpoint = str(request.url.replace(query="", fragment=""))
        graph = description.describe(self.service, endpoint)
        body = description.serialize(graph, fmt.name)
        return Response(body, media_type=fmt.content_type, headers={"Vary": "Accept", **CORS})


def preflight(allow: str) -> Response:
    """The answer to OPTIONS (CORS preflight included)."""
    return Response(
        b"",
        status_code=204,
        headers={
            "Allow": allow,
            **CORS,
            "Access-Control-Allow-Methods": allow,
            "Access-Control-Allow-Headers": "Accept, Content-Type",
            "Access-Control-Max-Age": "86400",
        },
    )


class GraphStore(_ServiceEndpoint):
    """The ASGI endpoint of ``/graph-store``: the SPARQL 1.1 Graph Store HTTP Protocol,
    read side only (``GET``/``HEAD`` with ``?graph=IRI`` or ``?default``)."""

    async def handle(self, request: Request) -> Response:
        """Answer one graph-store request."""
        allow = "GET, HEAD, OPTIONS"
        method = request.method.upper()
        if method == "OPTIONS":
            return preflight(allow)
        if method in WRITE_METHODS:
            raise BadRequest(403, READ_ONLY, {"Allow": allow})
        if method not in ("GET", "HEAD"):
            raise BadRequest(405, f"Method {method} is not allowed here.", {"Allow": allow})
        params = parse_params(request.scope.get("query_string", b""), "query string")
        graph = one(params, "graph")
        default = "default" in params
        if (graph is None) == (not default):
            raise BadRequest(400, "Name one graph: ?graph=IRI or ?default.")
        if graph is not None:
            if graph not in self.service.graphs:
                raise BadRequest(404, f"This service holds no graph <{graph}>.")
            # Only IRIs of graphs we hold reach the query text (no injection possible).
            query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
        else:
            query = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
        fmt = formats.first_known(params.get("format", []))
        return await self.service.answer(request, query, result_format=fmt)
