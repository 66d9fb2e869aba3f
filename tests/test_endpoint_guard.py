"""The guard against the real engine: whatever the guard lets through, bare pyoxigraph
evaluates without opening a connection (checked with a counting listener, over
adversarial spellings of SERVICE); the catalogue's own queries all pass; update
keywords are recognised; FROM graphs are read with prefixes and BASE."""

from __future__ import annotations

import time
from pathlib import Path

import pyoxigraph as ox
import pytest
from support import listener

from kg.sparql.files import QueryError, check_offline, code_words
from kg.web.endpoint.guard import Refused, inspect

BASE = "https://w3id.org/govsm/"
ROOT = Path(__file__).resolve().parents[1]

# {u} is the listener's URL. Each spelling is tried on the engine: if the guard lets it
# through, the engine must not connect.
SPELLINGS = [
    "SELECT * {{ SERVICE <{u}> {{}} }}",
    "SELECT * {{ service <{u}> {{}} }}",
    "SELECT * {{ SeRvIcE SILENT <{u}> {{}} }}",
    "SELECT * {{ SERVICESILENT<{u}>{{}} }}",
    "SELECT*{{SERVICE<{u}>{{}}}}",
    "SELECT * {{ ?s ?p ?o.SERVICE<{u}>{{}} }}",
    "SELECT * {{ ?s ?p 1.SERVICE <{u}> {{}} }}",
    "SELECT * {{ ?s ?p 1e1SERVICE <{u}> {{}} }}",
    "SELECT * {{ ?s ?p true.SERVICE <{u}> {{}} }}",
    'SELECT * {{ ?s ?p "x"@en.SERVICE <{u}> {{}} }}',
    'SELECT * {{ ?s ?p "x"@en-SERVICE <{u}> {{}} }}',
    "SELECT * {{ ?s ?p _:b.SERVICE <{u}> {{}} }}",
    "PREFIX ex: <{u}> SELECT * {{ SERVICEex:x{{}} }}",
    "PREFIX ex: <{u}> SELECT * {{ ?s ?p ?o SERVICE ex:x {{}} }}",
    "PREFIX ex: <{u}> SELECT * {{ ?s ex:a.SERVICE<{u}>{{}} }}",
    "SELECT * {{ SERVICE#comment\n<{u}>{{}} }}",
    "SELECT * {{ SERVICE\t<{u}>\n{{}} }}",
    "SELECT * {{ ?s ?p ?o FILTER(?s<?o)SERVICE<{u}>{{}} FILTER(?o>?s) }}",
    "SELECT * {{ VALUES ?e {{ <{u}> }} SERVICE ?e {{}} }}",
    "SELECT * {{ {{ SELECT * {{ SERVICE <{u}> {{}} }} }} }}",
    "SELECT * {{ OPTIONAL {{ SERVICE <{u}> {{}} }} }}",
    "SELECT * {{ FILTER EXISTS {{ SERVICE <{u}> {{}} }} }}",
    "SELECT * {{ \\u0053ERVICE <{u}> {{}} }}",
    "SELECT * {{ BIND('''x''' AS ?x)SERVICE<{u}>{{}} }}",
    'SELECT * {{ BIND("a\\"" AS ?x) SERVICE <{u}> {{}} }}',
    "ASK {{ SERVICE <{u}> {{}} }}",
    "CONSTRUCT {{ ?s ?p ?o }} WHERE {{ SERVICE <{u}> {{ ?s ?p ?o }} }}",
    "DESCRIBE ?s WHERE {{ SERVICE <{u}> {{ ?s ?p ?o }} }}",
]


def guard_allows(query: str) -> bool:
    try:
        inspect(query, BASE)
    except Refused:
        return False
    return True


def evaluate_unguarded(query: str) -> None:
    """Run ``query`` on bare pyoxigraph (no guard), its errors ignored (only connections
    count), then give a connection, had one been opened, time to reach the listener."""
    try:
        result = ox.Store().query(query, base_iri=BASE)
        if not isinstance(result, ox.QueryBoolean):
            list(result)
    except (SyntaxError, OSError, RuntimeError):
        pass
    time.sleep(0.2)


@pytest.mark.parametrize("template", SPELLINGS)
def test_what_the_guard_allows_never_connects(template: str) -> None:
    with listener() as counting:
        query = template.format(u=f"http://127.0.0.1:{counting.port}/x")
        if not guard_allows(query):
            return  # refused before evaluation: nothing to prove on the engine
        evaluate_unguarded(query)
        assert counting.accepted == 0, f"the guard let through a connecting query: {query!r}"


def test_the_adversarial_spellings_that_connect_are_all_refused() -> None:
    """Every spelling the engine would call is refused (and there are such spellings, so
    the previous test is not vacuous)."""
    connecting = 0
    for template in SPELLINGS:
        with listener() as counting:
            query = template.format(u=f"http://127.0.0.1:{counting.port}/x")
            evaluate_unguarded(query)
            if counting.accepted:
                connecting += 1
                assert not guard_allows(query), query
    assert connecting >= 15


@pytest.mark.parametrize(
    "path", sorted((ROOT / "queries" / "cq").glob("*.rq")), ids=lambda p: p.stem
)
def test_catalogue_queries_pass_the_guard(path: Path) -> None:
    info = inspect(path.read_text(encoding="utf-8"), BASE)
    assert info.form in ("tabular", "boolean", "graph")
    check_offline(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    "query",
    [
        "INSERT DATA { <a> <b> <c> }",
        "delete where { ?s ?p ?o }",
        "PREFIX ex: <http://e/> WITH ex:g DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }",
        "CLEAR ALL",
        "DROP SILENT GRAPH <g>",
        "CREATE GRAPH <g>",
        "LOAD <http://e/x> INTO GRAPH <g>",
        "ADD DEFAULT TO <g>",
        "MOVE <a> TO <b>",
        "COPY <a> TO <b>",
        "ASK {} ; CLEAR ALL",
    ],
)
def test_updates_are_recognised(query: str) -> None:
    with pytest.raises(Refused) as caught:
        inspect(query, BASE)
    assert caught.value.status == 403 and "read-only" in caught.value.message


@pytest.mark.parametrize(
    "query",
    [
        'SELECT ?insert ?delete WHERE { ?insert <urn:x:load> "DROP ALL" } # CLEAR ALL',
        "PREFIX drop: <urn:x:> SELECT * WHERE { ?s drop:with ?o ; <urn:x:using> ?x }",
        'SELECT * WHERE { ?s ?p "copy"@add }',
        "SELECT * WHERE { ?s <http://example.org/service> ?o }",
    ],
)
def test_update_and_service_words_as_data_are_fine(query: str) -> None:
    assert inspect(query, BASE).form == "tabular"


def test_from_graphs_are_read_with_prefixes_and_base() -> None:
    info = inspect(
        "BASE <http://b.example/> PREFIX g: <graphs/> "
        "SELECT * FROM g:one FROM <two> FROM NAMED <http://other.example/three> "
        "# FROM <http://not.a.graph/>\n FROM NAMED g:four WHERE { ?s ?p ?o }",
        BASE,
    )
    assert info.from_graphs == ["http://b.example/graphs/one", "http://b.example/two"]
    assert info.from_named_graphs == ["http://other.example/three", "http://b.example/graphs/four"]
    assert inspect("ASK FROM <id/g> {}", BASE).from_graphs == [BASE + "id/g"]


def test_code_words_skip_names_strings_and_comments() -> None:
    words = [
        w
        for w, _ in code_words(
            'PREFIX ex: <http://e/SERVICE> SELECT ?service WHERE { ?s ex:SERVICE "SERVICE"@en ; '
            "_:SERVICE 1 } # SERVICE",
            prefixes=False,
        )
    ]
    assert words == ["PREFIX", "SELECT", "WHERE"]
    assert [w for w, _ in code_words("PREFIX service: <x:> ASK { ?s service:x ?o }")] == [
        "PREFIX",
        "SERVICE",
        "ASK",
        "SERVICE",
    ]  # a prefix's letters count: SERVICEex:x is SERVICE and ex:x to Oxigraph


def test_check_offline_refuses_glued_keywords() -> None:
    for query in ("SELECT * { SERVICESILENT<http://e/>{} }", "SELECT * { ?s ?p 1SERVICE <x> {} }"):
        with pytest.raises(QueryError, match="SERVICE is not allowed"):
            check_offline(query)
