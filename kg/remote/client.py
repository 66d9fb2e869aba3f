"""Remote SPARQL endpoints: run catalogue queries on an external engine through SPARQLWrapper.

``govsm query --endpoint URL NAME`` binds the query's declared parameters exactly as the
local command does (one ``VALUES`` row, never pasted into the text), refuses ``SERVICE``,
``FROM`` and ``LOAD`` as the local engines do, and sends the query with the SPARQL 1.1
Protocol: ``GET`` for short queries, ``POST`` (URL-encoded form) for long ones. SELECT
results are asked for as SPARQL 1.1 Query Results JSON, CONSTRUCT results as Turtle; both
come back as rdflib terms, so the local output formats apply unchanged.

Timeouts: the client enforces a total deadline (``timeout`` seconds, whatever the server
does) and also asks the engine to stop where the engine has a known parameter for it
(Virtuoso ``timeout`` in milliseconds, Fuseki ``timeout`` in seconds, GraphDB / RDF4J
``timeout`` in seconds; Neptune takes a query hint we do not add, so only the client
deadline applies there).

Credentials come from the environment only (``GOVSM_ENDPOINT_USER`` /
``GOVSM_ENDPOINT_PASSWORD``), never from the command line.
"""

from __future__ import annotations

import ast
import json
import os
import socket
import threading
import urllib.error
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import XSD
from SPARQLWrapper import GET, JSON, POST, TURTLE, URLENCODED, SPARQLWrapper
from SPARQLWrapper import SPARQLExceptions as sw_errors

from kg.rdf.engine import Rows, Triple
from kg.sparql.files import (
    QueryFile,
    Term,
    bind_parameters,
    check_offline,
    inject_values,
    query_form,
    serialize_term,
)
from kg.stages.query import QueryResult, _is_construct

USER_ENV = "GOVSM_ENDPOINT_USER"
PASSWORD_ENV = "GOVSM_ENDPOINT_PASSWORD"
AUTH_SCHEMES = ("basic", "digest")
SERVERS = ("auto", "virtuoso", "fuseki", "graphdb", "neptune", "generic")
# Longer queries go by POST: GET URLs beyond a few KB are refused by many servers/proxies.
POST_THRESHOLD = 1500
DEFAULT_TIMEOUT = 60.0

T = TypeVar("T")


class RemoteError(RuntimeError):
    """The remote endpoint could not be reached or answered with an error."""

    def __init__(
        self,
        message: str,
        status: int | None = None,
        retry_after: str | None = None,
        usage: bool = False,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after
        self.usage = usage  # a usage error (bad URL, options, missing credentials)


@dataclass(frozen=True)
class Credentials:
    """User and password for an endpoint, with the HTTP scheme to send them with."""

    user: str
    password: str
    scheme: str = "digest"


def credentials_from_env(
    scheme: str | None, env: Mapping[str, str] | None = None
) -> Credentials | None:
    """Credentials from GOVSM_ENDPOINT_USER / GOVSM_ENDPOINT_PASSWORD (None without --auth).

    Asking for a scheme without both variables set is an error: it would otherwise
    silently send anonymous requests."""
    if scheme is None:
        return None
    if scheme not in AUTH_SCHEMES:
        raise RemoteError(
            f"unknown auth scheme {scheme!r}; choose one of {', '.join(AUTH_SCHEMES)}", usage=True
        )
    source = os.environ if env is None else env
    user, password = source.get(USER_ENV), source.get(PASSWORD_ENV)
    if not user or password is None:
        raise RemoteError(
            f"--auth {scheme} needs the environment variables {USER_ENV} and {PASSWORD_ENV} "
            "(credentials are never taken from the command line)",
            usage=True,
        )
    return Credentials(user, password, scheme)


def detect_server(endpoint: str) -> str:
    """Guess the engine from the endpoint URL (only to pick its timeout parameter)."""
    parts = urlsplit(endpoint)
    host, path = parts.hostname or "", parts.path.rstrip("/")
    if host.endswith(".neptune.amazonaws.com"):
        return "neptune"
    if "/repositories/" in path + "/":
        return "graphdb"
    if path == "/sparql":
        return "virtuoso"
    if path.endswith(("/sparql", "/query")) and path.count("/") >= 2:
        return "fuseki"
    return "generic"


def engine_timeout_parameter(server: str, seconds: float) -> tuple[str, str] | None:
    """The query parameter that asks the engine itself to stop after ``seconds``."""
    if server == "virtuoso":
        return ("timeout", str(max(1, int(seconds * 1000))))  # milliseconds
    if server in ("fuseki", "graphdb"):
        return ("timeout", str(max(1, int(seconds))))  # seconds
    return None


@dataclass(frozen=True)
class Remote:
    """A SPARQL query endpoint and how to talk to it."""

    endpoint: str
    credentials: Credentials | None = None
    timeout: float = DEFAULT_TIMEOUT
    server: str = "auto"

    def __post_init__(self) -> None:
        parts = urlsplit(self.endpoint)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise RemoteError(f"endpoint {self.endpoint!r} is not an http(s) URL", usage=True)
        if parts.username or parts.password:
            raise RemoteError(
                f"endpoint URL carries credentials: put them in {USER_ENV} / {PASSWORD_ENV}",
                usage=True,
            )
        if self.server not in SERVERS:
            raise RemoteError(
                f"unknown server {self.server!r}; choose one of {', '.join(SERVERS)}", usage=True
            )
        if self.timeout <= 0:
            raise RemoteError("timeout must be positive", usage=True)

    @property
    def kind(self) -> str:
        return detect_server(self.endpoint) if self.server == "auto" else self.server


# --- sending a query ---------------------------------------------------------------------


def _wrapper(remote: Remote, text: str, return_format: str) -> SPARQLWrapper:
    sw = SPARQLWrapper(remote.endpoint, agent="govsm-kg (SPARQLWrapper)")
    sw.setQuery(text)
    # SPARQLWrapper guesses the form with a regex that reads words in comments ("asked",
    # "loaded", "described" in a header made SELECTs ASK, LOAD, DESCRIBE): ours reads code
    sw.queryType = query_form(text)
    sw.setReturnFormat(return_format)
    sw.setOnlyConneg(True)  # no non-standard format/output parameters
    if len(text.encode("utf-8")) > POST_THRESHOLD:
        sw.setMethod(POST)
        sw.setRequestMethod(URLENCODED)
    else:
        sw.setMethod(GET)
    # Per socket operation, one second beyond the total deadline that _with_deadline
    # enforces: the deadline decides, the socket timeout only ends the abandoned thread.
    sw.setTimeout(int(remote.timeout + 0.999) + 1)
    param = engine_timeout_parameter(remote.kind, remote.timeout)
    if param:
        sw.addParameter(*param)
    if remote.credentials:
        sw.setHTTPAuth(remote.credentials.scheme.upper())
        sw.setCredentials(remote.credentials.user, remote.credentials.password)
    return sw


def _with_deadline(remote: Remote, call: Callable[[], T]) -> T:
    """Run ``call`` in a worker thread; give up after the remote's timeout."""
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=work, name="govsm-remote-query", daemon=True)
    worker.start()
    worker.join(remote.timeout)
    if worker.is_alive():
        raise RemoteError(
            f"{remote.endpoint}: no complete answer within {remote.timeout:g} s (client timeout)"
        )
    if "error" in box:
        raise box["error"]
    return box["value"]


def _body(exc: sw_errors.SPARQLWrapperException | urllib.error.HTTPError) -> str:
    """The server's own words (a short, single-line excerpt of the response body)."""
    raw: object = None
    if isinstance(exc, sw_errors.SPARQLWrapperException):
        # SPARQLWrapper keeps the body only inside its message, as a bytes repr.
        _, sep, tail = str(exc).partition("Response:\n")
        if sep:
            try:
                raw = ast.literal_eval(tail.strip())
            except (ValueError, SyntaxError):
                raw = tail
    if isinstance(exc, urllib.error.HTTPError):
        try:
            raw = exc.read()
        except Exception:  # noqa: BLE001 - the body is only a hint
            raw = b""
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8", "replace")
    text = " ".join((raw or "").split())
    return text[:400] + ("…" if len(text) > 400 else "")


def _explain(remote: Remote, exc: BaseException) -> RemoteError:
    """One clear message per failure: status, what it means, the server's words."""
    where = remote.endpoint
    statuses = {
        sw_errors.QueryBadFormed: (400, "the endpoint rejected the query (400 Bad Request)"),
        sw_errors.Unauthorized: (
            401,
            f"401 Unauthorized: set {USER_ENV} / {PASSWORD_ENV} and --auth basic|digest",
        ),
        sw_errors.EndPointNotFound: (404, "404 Not Found: is this the query endpoint's URL?"),
        sw_errors.URITooLong: (414, "414 URI Too Long"),
        sw_errors.EndPointInternalError: (500, "500 Internal Server Error"),
    }
    for cls, (status, text) in statuses.items():
        if isinstance(exc, cls):
            body = _body(exc)
            return RemoteError(f"{where}: {text}" + (f": {body}" if body else ""), status)
    if isinstance(exc, urllib.error.HTTPError):
        body = _body(exc)
        retry = exc.headers.get("Retry-After") if exc.headers else None
        if exc.code == 429:
            text = "429 Too Many Requests" + (
                f"; the server asks to retry after {retry} (Retry-After)" if retry else ""
            )
        elif exc.code == 403:
            text = "403 Forbidden: the user lacks the rights for this operation"
        elif exc.code == 503:
            text = "503 Service Unavailable" + (f"; Retry-After: {retry}" if retry else "")
        else:
            text = f"HTTP {exc.code} {exc.reason}"
        return RemoteError(f"{where}: {text}" + (f": {body}" if body else ""), exc.code, retry)
    if isinstance(exc, TimeoutError | socket.timeout):
        return RemoteError(f"{where}: timed out after {remote.timeout:g} s")
    if isinstance(exc, urllib.error.URLError):
        reason = exc.reason
        if isinstance(reason, TimeoutError | socket.timeout):
            return RemoteError(f"{where}: timed out after {remote.timeout:g} s")
        if isinstance(reason, ConnectionRefusedError):
            return RemoteError(f"{where}: connection refused (is the server running?)")
        return RemoteError(f"{where}: cannot connect: {reason}")
    if isinstance(exc, ConnectionError | OSError):
        return RemoteError(f"{where}: connection failed: {exc}")
    return RemoteError(f"{where}: {exc}")


def _send(remote: Remote, text: str, return_format: str) -> tuple[bytes, str]:
    """Send a query; the raw body and its content type."""
    check_offline(text)
    sw = _wrapper(remote, text, return_format)

    def call() -> tuple[bytes, str]:
        result = sw.query()
        headers = result.response.headers
        body = result.response.read()
        # Virtuoso's "anytime" queries answer 200 with *partial* results when its timeout
        # fires, flagged only in these headers: incomplete results are an error here.
        state = headers.get("X-SQL-State", "")
        if state:
            message = headers.get("X-SQL-Message", "")
            raise RemoteError(
                f"{remote.endpoint}: the engine stopped the query at its timeout "
                f"({remote.timeout:g} s) and returned incomplete results "
                f"(X-SQL-State {state}: {message})"
            )
        return body, headers.get("Content-Type", "")

    try:
        return _with_deadline(remote, call)
    except RemoteError:
        raise
    except Exception as exc:  # noqa: BLE001 - every transport failure gets one message
        raise _explain(remote, exc) from exc


# --- reading answers ---------------------------------------------------------------------


def json_term(term: Mapping[str, str]) -> Term:
    """One SPARQL-JSON term as an rdflib term (plain literals without xsd:string)."""
    kind = term.get("type")
    value = term.get("value", "")
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    if kind in ("literal", "typed-literal"):
        lang = term.get("xml:lang")
        if lang:
            return Literal(value, lang=lang)
        datatype = term.get("datatype")
        if datatype and datatype != str(XSD.string):
            return Literal(value, datatype=URIRef(datatype))
        return Literal(value)
    raise RemoteError(f"unexpected term in the results: {dict(term)!r}")


def parse_json_results(body: bytes, where: str) -> Rows:
    """SPARQL 1.1 Query Results JSON -> Rows."""
    try:
        doc = json.loads(body.decode("utf-8"))
        variables = list(doc["head"]["vars"])
        rows = [
            tuple(json_term(b[v]) if v in b else None for v in variables)
            for b in doc["results"]["bindings"]
        ]
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        snippet = body[:200].decode("utf-8", "replace")
        raise RemoteError(f"{where}: not SPARQL JSON results ({exc}): {snippet!r}") from exc
    return Rows(variables, rows)


def select(remote: Remote, text: str, bindings: Mapping[str, Term] | None = None) -> Rows:
    """Run a SELECT on the endpoint (parameters bound as a VALUES row)."""
    body, _ = _send(remote, inject_values(text, bindings or {}), JSON)
    return parse_json_results(body, remote.endpoint)


def construct(
    remote: Remote, text: str, bindings: Mapping[str, Term] | None = None
) -> list[Triple]:
    """Run a CONSTRUCT on the endpoint; the triples as rdflib terms."""
    body, ctype = _send(remote, inject_values(text, bindings or {}), TURTLE)
    fmt = "nt" if "n-triples" in ctype else "turtle"
    graph = Graph()
    try:
        # Parsed from the bytes received; the parser never fetches anything.
        graph.parse(data=body.decode("utf-8"), format=fmt)
    except Exception as exc:  # noqa: BLE001 - rdflib raises parser-specific errors
        raise RemoteError(f"{remote.endpoint}: cannot read the CONSTRUCT answer: {exc}") from exc
    return [(s, p, _plain(o)) for s, p, o in graph]


def _plain(term: Term) -> Term:
    if isinstance(term, Literal) and term.datatype == XSD.string and not term.language:
        return Literal(str(term))
    return term


def run_remote(
    remote: Remote,
    query: QueryFile,
    params: Mapping[str, str],
    prefixes: Mapping[str, str] | None = None,
) -> QueryResult:
    """Bind the parameters (checked against the header; prefixed names by ``prefixes``)
    and run the query remotely."""
    bindings = bind_parameters(query, params, prefixes)
    if _is_construct(query.text):
        triples = construct(remote, query.text, bindings)
        return QueryResult(query, Rows(["subject", "predicate", "object"], sorted(triples)))
    return QueryResult(query, select(remote, query.text, bindings))


def count_triples(remote: Remote, graph: str) -> int:
    """Number of triples in one named graph of the endpoint."""
    name = serialize_term(URIRef(graph))  # refuses anything that is not one IRI
    rows = select(remote, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {name} {{ ?s ?p ?o }} }}")
    if len(rows.rows) != 1 or rows.rows[0][0] is None:
        raise RemoteError(f"{remote.endpoint}: unexpected COUNT answer for <{graph}>: {rows.rows}")
    try:
        return int(str(rows.rows[0][0]))
    except ValueError as exc:
        raise RemoteError(f"{remote.endpoint}: COUNT is not a number: {rows.rows[0][0]}") from exc


def query_endpoint(
    endpoint: str,
    query: QueryFile,
    params: Mapping[str, str],
    auth: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    server: str = "auto",
    prefixes: Mapping[str, str] | None = None,
) -> QueryResult:
    """``govsm query --endpoint``: credentials from the environment, then run_remote."""
    remote = Remote(endpoint, credentials_from_env(auth), timeout=timeout, server=server)
    return run_remote(remote, query, params, prefixes)
