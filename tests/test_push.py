"""govsm push and govsm query --endpoint against a small in-process SPARQL server.

The fake server (http.server on a free port of 127.0.0.1) implements what the client
relies on: the Graph Store Protocol's PUT (replace) and POST (append) with ``?graph=``,
and the SPARQL Protocol's query operation (GET or URL-encoded POST) answered by a
pyoxigraph Store. Each test can make it fail in one way (status, Retry-After, delay,
lost triples, required credentials) and read the log of the requests it received. No
external engine is needed; tests/test_virtuoso.py runs the same client against Virtuoso.
"""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

from kg.cli.app import app
from kg.remote.client import (
    Credentials,
    Remote,
    RemoteError,
    credentials_from_env,
    detect_server,
    engine_timeout_parameter,
    select,
)
from kg.remote.push import (
    GraphStore,
    PushError,
    RemoteFailure,
    default_graph_store,
    prepare,
    push,
    read_graphs,
)

GRAPH_A = "https://w3id.org/govsm/graph/a"
GRAPH_B = "https://w3id.org/govsm/graph/b"
XSD = "http://www.w3.org/2001/XMLSchema#"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
NQ = f"""\
<http://ex.org/s1> <http://ex.org/p> "one"@en <{GRAPH_A}> .
<http://ex.org/s1> <http://ex.org/q> "2"^^<{XSD}positiveInteger> <{GRAPH_A}> .
<http://ex.org/s2> <http://ex.org/p> <http://ex.org/s1> <{GRAPH_A}> .
<http://ex.org/s3> <http://ex.org/p> "three" <{GRAPH_A}> .
<http://ex.org/s4> <http://ex.org/author> _:list <{GRAPH_B}> .
_:list <{RDF}first> "Ann" <{GRAPH_B}> .
_:list <{RDF}rest> <{RDF}nil> <{GRAPH_B}> .
"""


@dataclass
class Behaviour:
    """How the fake server answers: failures to inject, and what it saw."""

    status: int | None = None  # answer every request with this status
    retry_after: str | None = None
    delay: float = 0.0  # seconds to wait before answering
    drip: float = 0.0  # seconds between the bytes of a query answer (a slow stream)
    drop_one_triple: bool = False  # lose the last triple of every write
    user: str | None = None  # require Basic credentials
    password: str | None = None
    log: list[tuple[str, str, dict[str, list[str]], dict[str, str]]] = field(default_factory=list)


class FakeEngine:
    """A Graph Store + SPARQL endpoint over a pyoxigraph Store."""

    def __init__(self) -> None:
        self.store = ox.Store()
        self.behaviour = Behaviour()
        engine = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                pass

            def _answer(self, status: int, body: bytes = b"", ctype: str = "text/plain") -> None:
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                if status in (429, 503) and engine.behaviour.retry_after:
                    self.send_header("Retry-After", engine.behaviour.retry_after)
                self.end_headers()
                if engine.behaviour.drip and status == 200:
                    for i in range(len(body)):
                        self.wfile.write(body[i : i + 1])
                        self.wfile.flush()
                        time.sleep(engine.behaviour.drip)
                    return
                self.wfile.write(body)

            def _handle(self, method: str) -> None:
                b = engine.behaviour
                url = urllib.parse.urlsplit(self.path)
                params = urllib.parse.parse_qs(url.query)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if method == "POST" and url.path == "/sparql":
                    params.update(urllib.parse.parse_qs(body.decode()))
                b.log.append((method, url.path, params, dict(self.headers)))
                if b.delay:
                    time.sleep(b.delay)
                if b.user is not None:
                    token = base64.b64encode(f"{b.user}:{b.password}".encode()).decode()
                    if self.headers.get("Authorization") != f"Basic {token}":
                        return self._answer(401, b"credentials required")
                if b.status:
                    return self._answer(b.status, b"injected failure")
                if url.path == "/sparql":
                    return self._query(params["query"][0])
                if url.path == "/store" and method in ("PUT", "POST"):
                    return self._write(method, params["graph"][0], body)
                if url.path == "/store" and method == "DELETE":
                    name = ox.NamedNode(params["graph"][0])
                    if name not in set(engine.store.named_graphs()):
                        return self._answer(404, b"no such graph")
                    engine.store.remove_graph(name)
                    return self._answer(204)
                return self._answer(404, b"no such path")

            def _write(self, method: str, graph: str, body: bytes) -> None:
                name = ox.NamedNode(graph)
                triples = list(ox.parse(body, format=ox.RdfFormat.TURTLE))
                if engine.behaviour.drop_one_triple:
                    triples = triples[:-1]
                if method == "PUT" and name in set(engine.store.named_graphs()):
                    engine.store.remove_graph(name)
                engine.store.extend(
                    ox.Quad(t.subject, t.predicate, t.object, name) for t in triples
                )
                self._answer(201 if method == "PUT" else 204)

            def _query(self, text: str) -> None:
                result = engine.store.query(text)
                if isinstance(result, ox.QuerySolutions):
                    out = result.serialize(format=ox.QueryResultsFormat.JSON)
                    return self._answer(200, out, "application/sparql-results+json")
                out = result.serialize(format=ox.RdfFormat.TURTLE)
                return self._answer(200, out, "text/turtle")

            def do_GET(self) -> None:  # noqa: N802
                self._handle("GET")

            def do_POST(self) -> None:  # noqa: N802
                self._handle("POST")

            def do_PUT(self) -> None:  # noqa: N802
                self._handle("PUT")

            def do_DELETE(self) -> None:  # noqa: N802
                self._handle("DELETE")

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/sparql"

    @property
    def graph_store(self) -> str:
        return f"http://127.0.0.1:{self.port}/store"

    def count(self, graph: str) -> int:
        return len(list(self.store.quads_for_pattern(None, None, None, ox.NamedNode(graph))))

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake() -> Iterator[FakeEngine]:
    engine = FakeEngine()
    yield engine
    engine.close()


@pytest.fixture
def nq(tmp_path: Path) -> Path:
    path = tmp_path / "govsm.nq"
    path.write_text(NQ, encoding="utf-8")
    return path


def _push(fake: FakeEngine, nq: Path, **kwargs: object) -> object:
    return push(
        nq, GraphStore(fake.graph_store, timeout=5), Remote(fake.endpoint, timeout=5), **kwargs
    )


# --- push: replace, chunks, counts, blank nodes -------------------------------------------


def test_push_uploads_every_graph_and_verifies_the_counts(fake: FakeEngine, nq: Path) -> None:
    report = _push(fake, nq)
    assert report.ok
    assert [(r.graph, r.local, r.remote) for r in report.counts] == [
        (GRAPH_A, 4, 4),
        (GRAPH_B, 3, 3),
    ]
    writes = [(m, p["graph"][0]) for m, path, p, _ in fake.behaviour.log if path == "/store"]
    assert writes == [("PUT", GRAPH_A), ("PUT", GRAPH_B)]
    # Terms arrive as they were: language tag, datatype, plain string.
    lit = ox.Literal("2", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#positiveInteger"))
    assert list(fake.store.quads_for_pattern(None, None, lit, ox.NamedNode(GRAPH_A)))


def test_second_push_replaces_never_duplicates(fake: FakeEngine, nq: Path) -> None:
    _push(fake, nq)
    report = _push(fake, nq, chunk_size=2)
    assert report.ok
    assert fake.count(GRAPH_A) == 4 and fake.count(GRAPH_B) == 3


def test_large_graphs_go_in_chunks_put_then_post(fake: FakeEngine, nq: Path) -> None:
    report = _push(fake, nq, chunk_size=1)
    writes = [(m, p["graph"][0]) for m, path, p, _ in fake.behaviour.log if path == "/store"]
    # Graph A (no blank nodes): one PUT, then a POST per further triple. Graph B holds
    # blank nodes: sent whole, whatever the chunk size.
    assert writes == [("PUT", GRAPH_A)] + [("POST", GRAPH_A)] * 3 + [("PUT", GRAPH_B)]
    assert report.requests == 5 and report.ok


def test_a_lost_triple_is_a_count_mismatch_exit_1_with_a_table(fake: FakeEngine, nq: Path) -> None:
    fake.behaviour.drop_one_triple = True
    result = CliRunner().invoke(
        app,
        ["push", "--endpoint", fake.endpoint, "--graph-store", fake.graph_store, "--from", str(nq)],
    )
    assert result.exit_code == 1, result.output
    assert "MISMATCH" in result.output and GRAPH_A in result.output
    assert "2 graph(s) differ" in result.output


def test_push_command_prints_counts_per_graph(fake: FakeEngine, nq: Path) -> None:
    result = CliRunner().invoke(
        app,
        ["push", "--endpoint", fake.endpoint, "--graph-store", fake.graph_store, "--from", str(nq)],
    )
    assert result.exit_code == 0, result.output
    assert GRAPH_A in result.output and GRAPH_B in result.output
    assert "pushed 2 graphs, 7 triples" in result.output


def test_stale_remote_graphs_are_listed_and_pruned_on_request(fake: FakeEngine, nq: Path) -> None:
    stale = "https://w3id.org/govsm/graph/data/renamed-since.ttl"
    other = "https://example.org/not-ours"
    for graph in (stale, other):
        fake.store.add(
            ox.Quad(
                ox.NamedNode("http://ex.org/x"),
                ox.NamedNode("http://ex.org/p"),
                ox.Literal("old"),
                ox.NamedNode(graph),
            )
        )
    args = ["push", "--endpoint", fake.endpoint, "--graph-store", fake.graph_store]
    listed = CliRunner().invoke(app, [*args, "--from", str(nq)])
    assert listed.exit_code == 0, listed.output
    assert "1 graph(s)" in listed.output and stale in listed.output and "--prune" in listed.output
    assert fake.count(stale) == 1  # only listed
    pruned = CliRunner().invoke(app, [*args, "--from", str(nq), "--prune"])
    assert pruned.exit_code == 0, pruned.output
    assert fake.count(stale) == 0 and fake.count(other) == 1  # outside the namespace: kept
    assert fake.count(GRAPH_A) == 4 and fake.count(GRAPH_B) == 3


def test_blank_nodes_shared_between_graphs_are_refused_unless_skolemized(tmp_path: Path) -> None:
    path = tmp_path / "shared.nq"
    path.write_text(
        f'_:b <http://ex.org/p> "x" <{GRAPH_A}> .\n_:b <http://ex.org/p> "y" <{GRAPH_B}> .\n',
        encoding="utf-8",
    )
    graphs = read_graphs(path)
    with pytest.raises(PushError, match="shared between graphs"):
        prepare(graphs)
    uploads = prepare(graphs, blank_nodes="skolemize", base="https://example.org/kg/")
    bodies = b"".join(body for u in uploads for _, body in u.chunks)
    assert b"<https://example.org/kg/.well-known/genid/" in bodies and b"_:" not in bodies
    assert not any(u.blank_nodes for u in uploads)


def test_default_graph_triples_and_missing_files_are_usage_errors(tmp_path: Path) -> None:
    path = tmp_path / "default.nq"
    path.write_text('<http://ex.org/s> <http://ex.org/p> "x" .\n', encoding="utf-8")
    with pytest.raises(PushError, match="default graph"):
        read_graphs(path)
    with pytest.raises(PushError, match="govsm build"):
        read_graphs(tmp_path / "absent.nq")
    bad = tmp_path / "bad.nq"
    bad.write_text("<http://ex.org/s> <http://ex.org/p> .\n", encoding="utf-8")
    with pytest.raises(PushError, match=r"bad\.nq:1:"):
        read_graphs(bad)


# --- push: failures are clear and exit 3 ------------------------------------------------


@pytest.mark.parametrize(
    ("status", "retry", "words"),
    [
        (401, None, "401 Unauthorized"),
        (403, None, "403 Forbidden"),
        (404, None, "--graph-store"),
        (500, None, "500"),
        (503, "120", "retry after 120"),
        (429, "30", "Retry-After"),
    ],
)
def test_http_failures_exit_3_with_a_clear_message(
    fake: FakeEngine, nq: Path, status: int, retry: str | None, words: str
) -> None:
    fake.behaviour.status, fake.behaviour.retry_after = status, retry
    result = CliRunner().invoke(
        app,
        ["push", "--endpoint", fake.endpoint, "--graph-store", fake.graph_store, "--from", str(nq)],
    )
    assert result.exit_code == 3, result.output
    assert words in " ".join(result.output.split()), result.output


def test_connection_refused_and_timeouts_exit_3(fake: FakeEngine, nq: Path) -> None:
    port = fake.port
    fake.close()
    result = CliRunner().invoke(
        app, ["push", "--endpoint", f"http://127.0.0.1:{port}/sparql", "--from", str(nq)]
    )
    assert result.exit_code == 3 and "connection refused" in result.output, result.output
    slow = FakeEngine()
    try:
        slow.behaviour.delay = 3
        with pytest.raises(RemoteFailure, match="timed out"):
            push(nq, GraphStore(slow.graph_store, timeout=0.5), Remote(slow.endpoint, timeout=1))
    finally:
        slow.behaviour.delay = 0
        slow.close()


# --- credentials: environment only ---------------------------------------------------------


def test_credentials_come_from_the_environment_only(
    fake: FakeEngine, nq: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake.behaviour.user, fake.behaviour.password = "alice", "s3cret"
    args = ["push", "--endpoint", fake.endpoint, "--graph-store", fake.graph_store]
    runner = CliRunner()
    monkeypatch.delenv("GOVSM_ENDPOINT_USER", raising=False)
    monkeypatch.delenv("GOVSM_ENDPOINT_PASSWORD", raising=False)
    missing = runner.invoke(app, [*args, "--auth", "basic", "--from", str(nq)])
    assert missing.exit_code == 2 and "GOVSM_ENDPOINT_USER" in missing.output
    anonymous = runner.invoke(app, [*args, "--from", str(nq)])
    assert anonymous.exit_code == 3 and "401" in anonymous.output
    # There is no command-line option for a password.
    refused = runner.invoke(app, [*args, "--password", "s3cret", "--from", str(nq)])
    assert refused.exit_code == 2
    monkeypatch.setenv("GOVSM_ENDPOINT_USER", "alice")
    monkeypatch.setenv("GOVSM_ENDPOINT_PASSWORD", "s3cret")
    ok = runner.invoke(app, [*args, "--auth", "basic", "--from", str(nq)])
    assert ok.exit_code == 0, ok.output
    assert "s3cret" not in ok.output
    # Credentials in the URL are refused too (they would end up in logs and shell history).
    in_url = runner.invoke(
        app, ["push", "--endpoint", f"http://alice:s3cret@127.0.0.1:{fake.port}/sparql"]
    )
    assert in_url.exit_code == 2 and "GOVSM_ENDPOINT_USER" in in_url.output


def test_credentials_from_env_needs_both_variables() -> None:
    assert credentials_from_env(None, {}) is None
    with pytest.raises(RemoteError, match="GOVSM_ENDPOINT_PASSWORD"):
        credentials_from_env("digest", {"GOVSM_ENDPOINT_USER": "u"})
    with pytest.raises(RemoteError, match="unknown auth"):
        credentials_from_env("kerberos", {})
    assert credentials_from_env(
        "digest", {"GOVSM_ENDPOINT_USER": "u", "GOVSM_ENDPOINT_PASSWORD": "p"}
    ) == Credentials("u", "p", "digest")


# --- endpoints of the known engines ---------------------------------------------------------


@pytest.mark.parametrize(
    ("endpoint", "authenticated", "store", "kind"),
    [
        ("http://h:8890/sparql", True, "http://h:8890/sparql-graph-crud-auth", "virtuoso"),
        ("http://h:8890/sparql", False, "http://h:8890/sparql-graph-crud", "virtuoso"),
        ("http://h:3030/govsm/sparql", False, "http://h:3030/govsm/data", "fuseki"),
        ("http://h:3030/govsm/query", True, "http://h:3030/govsm/data", "fuseki"),
        (
            "http://h:7200/repositories/govsm",
            False,
            "http://h:7200/repositories/govsm/rdf-graphs/service",
            "graphdb",
        ),
        (
            "https://db.cluster-x.eu-west-1.neptune.amazonaws.com:8182/sparql",
            False,
            "https://db.cluster-x.eu-west-1.neptune.amazonaws.com:8182/sparql/gsp/",
            "neptune",
        ),
        ("http://h/other/endpoint/x", False, "http://h/other/endpoint/x", "generic"),
    ],
)
def test_graph_store_and_engine_from_the_endpoint(
    endpoint: str, authenticated: bool, store: str, kind: str
) -> None:
    assert default_graph_store(endpoint, authenticated) == store
    assert detect_server(endpoint) == kind


def test_engine_timeout_parameters() -> None:
    assert engine_timeout_parameter("virtuoso", 2.5) == ("timeout", "2500")
    assert engine_timeout_parameter("fuseki", 2.5) == ("timeout", "2")
    assert engine_timeout_parameter("graphdb", 30) == ("timeout", "30")
    assert engine_timeout_parameter("neptune", 30) is None
    assert engine_timeout_parameter("generic", 30) is None


# --- remote queries -----------------------------------------------------------------------


def test_remote_query_get_for_short_post_for_long_with_timeout(fake: FakeEngine, nq: Path) -> None:
    _push(fake, nq)
    fake.behaviour.log.clear()
    remote = Remote(fake.endpoint, timeout=7, server="virtuoso")
    short = select(
        remote, "SELECT ?o WHERE { GRAPH ?g { <http://ex.org/s1> <http://ex.org/p> ?o } }"
    )
    assert [str(r[0]) for r in short.rows] == ["one"] and short.rows[0][0].language == "en"
    padding = "# " + "x" * 3000 + "\n"
    long = select(remote, padding + "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert int(str(long.rows[0][0])) == 7
    (m1, _, p1, h1), (m2, _, p2, h2) = fake.behaviour.log
    assert (m1, m2) == ("GET", "POST")
    assert p1["timeout"] == ["7000"] and p2["timeout"] == ["7000"]  # Virtuoso: milliseconds
    assert "application/sparql-results+json" in h1["Accept"]
    assert "format" not in p1 and "output" not in p1  # content negotiation only


def test_remote_query_values_are_bound_not_pasted(fake: FakeEngine, nq: Path) -> None:
    _push(fake, nq)
    from kg.sparql.files import QueryError

    text = "SELECT ?o WHERE { GRAPH ?g { ?s <http://ex.org/p> ?o } }"
    from rdflib import URIRef

    rows = select(Remote(fake.endpoint), text, {"s": URIRef("http://ex.org/s2")})
    assert [str(r[0]) for r in rows.rows] == ["http://ex.org/s1"]
    with pytest.raises(QueryError):
        select(Remote(fake.endpoint), text, {"s": URIRef("http://ex.org/x> } ; DROP ALL #")})
    with pytest.raises(QueryError, match="SERVICE"):
        select(Remote(fake.endpoint), "SELECT * WHERE { SERVICE <http://x/> { ?s ?p ?o } }")


@pytest.mark.parametrize(
    ("status", "retry", "words"),
    [
        (400, None, "rejected the query"),
        (401, None, "GOVSM_ENDPOINT_USER"),
        (403, None, "403 Forbidden"),
        (404, None, "404 Not Found"),
        (500, None, "500"),
        (429, "17", "retry after 17"),
    ],
)
def test_remote_query_errors_exit_3(
    fake: FakeEngine, status: int, retry: str | None, words: str
) -> None:
    fake.behaviour.status, fake.behaviour.retry_after = status, retry
    result = CliRunner().invoke(app, ["query", "review-method", "--endpoint", fake.endpoint])
    assert result.exit_code == 3, result.output
    assert words in " ".join(result.output.split()), result.output


def test_remote_query_timeouts(fake: FakeEngine, nq: Path) -> None:
    _push(fake, nq)
    # A server that does not answer: the socket timeout.
    fake.behaviour.delay = 5
    started = time.monotonic()
    with pytest.raises(RemoteError, match=r"timed out after 1 s|client timeout"):
        select(Remote(fake.endpoint, timeout=1), "SELECT * WHERE { ?s ?p ?o }")
    assert time.monotonic() - started < 4
    # A server that answers a byte at a time: no socket timeout ever fires, the total
    # deadline does.
    fake.behaviour.delay, fake.behaviour.drip = 0, 0.05
    started = time.monotonic()
    with pytest.raises(RemoteError, match="client timeout"):
        select(Remote(fake.endpoint, timeout=1), "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }")
    assert time.monotonic() - started < 4
    fake.behaviour.drip = 0


def test_query_command_remote_json_has_the_local_shape(fake: FakeEngine) -> None:
    fake.store.add(
        ox.Quad(
            ox.NamedNode("https://w3id.org/govsm/id/review/social-media-service-delivery"),
            ox.NamedNode("http://purl.org/dc/terms/title"),
            ox.Literal("A review", language="en"),
            ox.NamedNode(GRAPH_A),
        )
    )
    result = CliRunner().invoke(
        app,
        ["query", "review-method", "--endpoint", fake.endpoint, "--format", "json"],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) == {"head", "results"} and "vars" in doc["head"]
    bad = CliRunner().invoke(app, ["query", "review-method", "--endpoint", "ftp://x/sparql"])
    assert bad.exit_code == 2 and "http(s)" in bad.output
