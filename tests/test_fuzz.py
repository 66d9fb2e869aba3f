"""Property-based fuzzing (hypothesis) of what reads untrusted text: the query guard, the
build's loader and the live /sparql endpoint.

- The guard, for random text and SPARQL-ish token soups (SERVICE, updates, FROM,
  brackets, escapes spliced in, glued or spaced): ``inspect`` returns or raises
  ``Refused``, never anything else; whatever it lets through, pyoxigraph evaluates
  (on an empty store, in this process) without a connection to a counting listener
  that every IRI of the soup points at.
- The loader (kg.rdf.load.load, the build's entry point), for random bytes and mutated
  Turtle / N-Triples: it loads or raises ``ParseError`` naming the file and a line.
- /sparql on a live server over a tiny build: generated queries and parameters, GET or
  POST; every answer is 2xx, 4xx or 503 with a text body, never a 500; the server
  still answers afterwards, its workers never killed.

In the suite each test runs a fixed, small set of examples (the "suite" profile in
conftest.py); ``make fuzz`` (GOVSM_FUZZ=N) runs N random examples per test.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from support import Listener, LiveServer, listener, live_server
from support.tiny import tiny_dist

from kg.config import Project
from kg.rdf.load import ParseError, load
from kg.web.endpoint.guard import Refused, inspect
from kg.web.endpoint.service import SparqlService

BASE = "https://w3id.org/govsm/"
ROOT = Path(__file__).resolve().parents[1]
HOST = "http://127.0.0.1:{port}/"  # every IRI the soups use points at the listener

WORDS = [
    "SELECT", "ASK", "CONSTRUCT", "DESCRIBE", "WHERE", "*", "?s", "?p", "?o", "$x",
    "{", "}", "(", ")", "[", "]", ".", ";", ",", "a", "_:b", "1", "1.5e3", "-2", "true",
    "'x'", '"y"@en', '"""z"""', '"1"^^<{u}int>', "<{u}p>", "<{u}>", "ex:p", "ex:",
    "PREFIX ex: <{u}>", "BASE <{u}>", "FROM", "FROM NAMED", "NAMED", "GRAPH",
    "SERVICE", "service", "SeRvIcE", "SERVICESILENT", "SILENT", "\\u0053ERVICE",
    "INSERT", "DATA", "DELETE", "LOAD", "CLEAR", "DROP", "WITH", "USING", "INTO",
    "FILTER", "EXISTS", "NOT", "OPTIONAL", "UNION", "MINUS", "BIND", "AS", "VALUES",
    "UNDEF", "LIMIT 3", "OFFSET 1", "ORDER BY", "GROUP BY", "COUNT(*)", "DISTINCT",
    "STR(?s)", "REGEX(?o, 'a')", "IRI('{u}x')", "+", "/", "|", "^", "!", "&&", "=",
    "#c\n", "\n", "'''q'''", "<{u}f>(?o)",
]  # fmt: skip
GLUE = st.sampled_from([" ", "", "\n", "\t"])
SEEDS = [
    "SELECT * WHERE { ?s ?p ?o }",
    "ASK { ?s a ?o }",
    "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } LIMIT 2",
    "SELECT ?s (COUNT(*) AS ?n) WHERE { ?s ?p ?o OPTIONAL { ?o ?q ?r } } GROUP BY ?s",
]


@st.composite
def token_soup(draw: st.DrawFn) -> str:
    """Words of the grammar (and SERVICE, updates, FROM...), glued or spaced at random."""
    words = draw(st.lists(st.sampled_from(WORDS), max_size=40))
    return "".join(w + draw(GLUE) for w in words)


@st.composite
def spliced(draw: st.DrawFn) -> str:
    """A valid query with a few words of the grammar spliced in at random places."""
    query = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(query)))
        word = draw(st.sampled_from(WORDS))
        query = query[:at] + draw(GLUE) + word + draw(GLUE) + query[at:]
    return query


# (opening, closing) of the constructs that make the engine recurse once per level: past
# a few thousand levels (see kg.sparql.bounds) an unguarded worker dies of it.
NESTS = [  # head, one level's opening, the innermost pattern, one level's closing, tail
    ("SELECT * WHERE ", "{", " ?s ?p ?o ", "}", ""),
    ("ASK { FILTER", "(", "1", ")", " }"),
    ("SELECT * WHERE { ?s ?p ?o ", "OPTIONAL { ?s ?p ?o ", "", "}", "}"),
    ("SELECT * WHERE ", "{ SELECT * WHERE { ", "?s ?p ?o", "} }", ""),
    ("ASK { ", "FILTER EXISTS { ", "?s ?p ?o", "}", "}"),
]
CHAINS = [("ASK { FILTER(", "1", "+", ") }"), ("ASK {", "{ ?s ?p ?o }", " UNION ", "}")]


@st.composite
def deep(draw: st.DrawFn) -> str:
    """A construct nested up to 5,000 deep, or chained up to 10,000 long."""
    size = draw(st.sampled_from([1, 63, 64, 65, 399, 400, 401, 2500, 5000]) | st.integers(0, 5000))
    if draw(st.booleans()):
        head, opening, inner, closing, tail = draw(st.sampled_from(NESTS))
        return head + opening * size + inner + closing * size + tail
    head, term, link, tail = draw(st.sampled_from(CHAINS))
    return head + link.join([term] * (size * 2 + 1)) + tail


QUERIES = st.one_of(st.text(max_size=200), token_soup(), spliced(), deep(), deep())


@pytest.fixture(scope="module")
def counting() -> Iterator[Listener]:
    with listener() as running:
        yield running


def aimed(query: str, counting: Listener) -> str:
    return query.replace("{u}", HOST.format(port=counting.port))


# The issue's case: 5,000 nested groups (20 kB) killed a worker and answered 500.
ISSUE_19_NESTED = "SELECT * WHERE " + "{" * 5000 + " ?s ?p ?o " + "}" * 5000


@given(QUERIES)
@example(ISSUE_19_NESTED)
def test_the_guard_refuses_or_lets_through_and_what_it_lets_through_stays_offline(
    counting: Listener, template: str
) -> None:
    query = aimed(template, counting)
    try:
        inspect(query, BASE)
    except Refused as refused:
        assert refused.status in (400, 403) and refused.message
        return
    try:
        result = ox.Store().query(query, base_iri=BASE)
        if not isinstance(result, ox.QueryBoolean):
            list(result)
    except (SyntaxError, OSError, RuntimeError, ValueError):
        pass
    if "SERVICE" in query.upper() or "\\U" in query.upper():
        time.sleep(0.2)  # time for a connection, had one been opened, to be counted
    assert counting.accepted == 0, f"the guard let through a query that connected: {query!r}"


# --- the loader ------------------------------------------------------------------------

TURTLE = (
    b"@prefix ex: <http://example.org/> .\n"
    b'ex:s ex:p "one", "two"@en, 3, 4.5, true ;\n'
    b'  ex:q [ ex:r ( 1 2 ) ; ex:t """long\nstring""" ] .\n'
    b"<http://example.org/x> a ex:C .\n"
)
NTRIPLES = (
    b'<http://example.org/s> <http://example.org/p> "one\\u00e9"@en .\n'
    b"_:b <http://example.org/p> <http://example.org/o> .\n"
    b'<http://example.org/s> <http://example.org/q> "2"^^<http://www.w3.org/2001/XMLSchema#int> .\n'
)


SPECIAL_BYTES = st.sampled_from(
    [b"\\", b'"', b"<", b"[", b"(", b"@", b"\n", b"\xff", b"\x00", b"\xef\xbb\xbf", b"\\u0000"]
)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    """A suffix and file content: a valid Turtle or N-Triples file with bytes replaced,
    inserted or deleted, or random bytes."""
    suffix = draw(st.sampled_from([".ttl", ".nt"]))
    if draw(st.booleans()):
        return suffix, draw(st.binary(max_size=300))
    content = bytearray(TURTLE if suffix == ".ttl" else NTRIPLES)
    for _ in range(draw(st.integers(1, 6))):
        at = draw(st.integers(0, len(content)))
        change = draw(st.sampled_from(["replace", "insert", "delete"]))
        piece = draw(st.binary(min_size=1, max_size=4) | SPECIAL_BYTES)
        if change == "insert":
            content[at:at] = piece
        elif change == "replace":
            content[at : at + len(piece)] = piece
        else:
            del content[at : at + len(piece)]
    return suffix, bytes(content)


@pytest.fixture(scope="module")
def project_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fuzz-project")
    (root / "ontology").mkdir()
    (root / "data").mkdir()
    return root


@given(mutated())
def test_the_loader_loads_or_names_file_and_line(
    project_dir: Path, case: tuple[str, bytes]
) -> None:
    suffix, content = case
    data = project_dir / "data"
    for old in data.iterdir():
        old.unlink()
    path = data / f"input{suffix}"
    path.write_bytes(content)
    project = Project(ontology_dir=project_dir / "ontology", data_dirs=(data,))
    try:
        load(project, BASE)
    except ParseError as error:
        assert error.path == path and error.line >= 1, (str(error), content)
        assert str(error).startswith(f"{path}:{error.line}:")


# --- /sparql, live ---------------------------------------------------------------------

FORMATS = st.sampled_from(["json", "xml", "csv", "tsv", "turtle", "nt", "jsonld", "x", ""])
ACCEPTS = st.sampled_from(
    ["*/*", "application/sparql-results+json", "text/csv", "text/turtle", "image/png", "x", ""]
)
PARAMS = st.fixed_dictionaries(
    {},
    optional={
        "timeout": st.sampled_from(["1", "0", "-1", "nan", "inf", "1e9"]) | st.text(max_size=5),
        "format": FORMATS,
        "default-graph-uri": st.just(f"{BASE}graph/data/part0.ttl") | st.text(max_size=20),
        "named-graph-uri": st.text(max_size=20),
        "junk": st.text(max_size=10),
    },
)  # fmt: skip


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, SparqlService]]:
    dist = tiny_dist(tmp_path_factory.mktemp("tiny") / "dist")
    with live_server(dist, workers=2, timeout_s=10) as running:
        yield running


@pytest.fixture(scope="module")
def http(live: tuple[LiveServer, SparqlService]) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live[0].url, timeout=30) as client:
        yield client


@given(QUERIES, PARAMS, ACCEPTS, st.booleans())
@example(ISSUE_19_NESTED, {}, "", True)
def test_sparql_answers_every_request_without_a_500(
    http: httpx.Client,
    counting: Listener,
    template: str,
    params: dict[str, str],
    accept: str,
    post: bool,
) -> None:
    fields = {"query": aimed(template, counting), **params}
    headers = {"Accept": accept} if accept else {}
    if post or len(fields["query"]) > 8000:  # httpx refuses URLs over 64 kB itself
        answer = http.post("/sparql", data=fields, headers=headers)
    else:
        answer = http.get("/sparql", params=fields, headers=headers)
    assert answer.status_code < 500 or answer.status_code == 503, (
        answer.status_code,
        fields,
        answer.text[:300],
    )
    answer.content.decode("utf-8")  # a text body, whatever the format
    if answer.status_code >= 400:
        assert answer.headers["content-type"].startswith("text/plain") and answer.text.strip()


def test_after_the_fuzzing_the_server_answers_and_no_worker_was_killed(
    http: httpx.Client, live: tuple[LiveServer, SparqlService], counting: Listener
) -> None:
    """(Runs after the test above: same module, one worker.)"""
    answer = http.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})
    assert answer.status_code == 200 and answer.json()["boolean"] is True
    assert live[1].pool.restarts == 0
    assert counting.accepted == 0
