"""The SPARQL 1.1 Protocol at /sparql over a fresh build (ASGI, real worker processes):
the three query methods, every result format (each body parsed), content negotiation,
the service description, datasets, the read-only Graph Store, and malformed requests."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from starlette.testclient import TestClient
from support import built_dist, service_over

from kg.web.endpoint import formats
from kg.web.endpoint.service import SparqlService
from kg.web.server import make_app

SRX = "{http://www.w3.org/2005/sparql-results#}"
GOVSM = "https://w3id.org/govsm/ontology#"
SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
SUBFACTORS = (
    "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
    "SELECT ?s ?label WHERE { ?s skos:inScheme ?scheme ; skos:prefLabel ?label . "
    "FILTER(STRSTARTS(STR(?s), 'https://w3id.org/govsm/id/subfactor/')) } ORDER BY ?s"
)
TAXONOMY = "https://w3id.org/govsm/graph/data/social-media-service-delivery/taxonomy.ttl"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_dist(tmp_path_factory)


@pytest.fixture(scope="module")
def service(dist: Path) -> Iterator[SparqlService]:
    # a row cap above the whole union graph, which test_graph_store_get reads in full
    with service_over(dist, workers=1, max_rows=100_000, timeout_s=20) as svc:
        yield svc


@pytest.fixture(scope="module")
def client(dist: Path, service: SparqlService) -> Iterator[TestClient]:
    with TestClient(make_app(dist / "site", service=service)) as c:
        yield c


@pytest.fixture(scope="module")
def store(dist: Path) -> ox.Store:
    """The build's store, read directly: the reference the endpoint must agree with."""
    s = ox.Store()
    s.load(path=str(dist / "govsm.nq"), format=ox.RdfFormat.N_QUADS)
    return s


def expected_subfactors(store: ox.Store) -> list[tuple[str, str]]:
    rows = store.query(SUBFACTORS, use_default_graph_as_union=True)
    return [(r["s"].value, r["label"].value) for r in rows]


def json_rows(body: bytes) -> list[tuple[str, str]]:
    doc = json.loads(body)
    assert doc["head"]["vars"] == ["s", "label"]
    return [(b["s"]["value"], b["label"]["value"]) for b in doc["results"]["bindings"]]


# --- the three methods ------------------------------------------------------------------


def test_get_form_post_and_direct_post_agree_with_the_store(
    client: TestClient, store: ox.Store
) -> None:
    expected = expected_subfactors(store)
    assert len(expected) == 16
    accept = {"accept": "application/sparql-results+json"}
    by_get = client.get("/sparql", params={"query": SUBFACTORS}, headers=accept)
    by_form = client.post("/sparql", data={"query": SUBFACTORS}, headers=accept)
    by_direct = client.post(
        "/sparql",
        content=SUBFACTORS.encode(),
        headers={**accept, "content-type": "application/sparql-query"},
    )
    for response in (by_get, by_form, by_direct):
        assert response.status_code == 200, response.text
        assert response.headers["content-type"] == "application/sparql-results+json"
        assert json_rows(response.content) == expected
        assert response.headers["x-result-row-limit"] == "100000"
        assert "x-result-truncated" not in response.headers
        assert response.headers["access-control-allow-origin"] == "*"


def test_trailing_slash_is_the_same_endpoint(client: TestClient) -> None:
    response = client.get("/sparql/", params={"query": "ASK {}"})
    assert response.status_code == 200 and json.loads(response.content)["boolean"] is True


# --- every result format, parsed ----------------------------------------------------------


def test_select_as_xml(client: TestClient, store: ox.Store) -> None:
    r = client.get("/sparql", params={"query": SUBFACTORS, "format": "xml"})
    assert r.headers["content-type"] == "application/sparql-results+xml"
    root = ET.fromstring(r.content)
    names = [v.get("name") for v in root.iter(f"{SRX}variable")]
    assert names == ["s", "label"]
    rows = []
    for result in root.iter(f"{SRX}result"):
        cells = {b.get("name"): b[0] for b in result.iter(f"{SRX}binding")}
        assert cells["s"].tag == f"{SRX}uri" and cells["label"].tag == f"{SRX}literal"
        assert cells["label"].get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
        rows.append((cells["s"].text, cells["label"].text))
    assert rows == expected_subfactors(store)


def test_select_as_csv(client: TestClient, store: ox.Store) -> None:
    r = client.get("/sparql", params={"query": SUBFACTORS}, headers={"accept": "text/csv"})
    assert r.headers["content-type"] == "text/csv; charset=utf-8"
    assert r.content.endswith(b"\r\n")
    rows = list(csv.reader(io.StringIO(r.text)))
    assert rows[0] == ["s", "label"]
    assert [tuple(row) for row in rows[1:]] == expected_subfactors(store)


def test_select_as_tsv(client: TestClient, store: ox.Store) -> None:
    r = client.get(
        "/sparql", params={"query": SUBFACTORS}, headers={"accept": "text/tab-separated-values"}
    )
    assert r.headers["content-type"] == "text/tab-separated-values; charset=utf-8"
    lines = r.text.rstrip("\n").split("\n")
    assert lines[0] == "?s\t?label"
    rows = [line.split("\t") for line in lines[1:]]
    expected = expected_subfactors(store)
    assert [(s, lab) for s, lab in rows] == [(f"<{s}>", f'"{lab}"@en') for s, lab in expected]


def test_select_json_term_types(client: TestClient) -> None:
    query = (
        "SELECT ?i ?l ?t ?b ?u WHERE { BIND(42 AS ?i) BIND('x'@en AS ?l) BIND('p' AS ?t) "
        "BIND(BNODE() AS ?b) }"
    )
    doc = client.get("/sparql", params={"query": query}).json()
    assert doc["head"]["vars"] == ["i", "l", "t", "b", "u"]
    (row,) = doc["results"]["bindings"]
    assert row["i"] == {
        "type": "literal",
        "value": "42",
        "datatype": "http://www.w3.org/2001/XMLSchema#integer",
    }
    assert row["l"] == {"type": "literal", "value": "x", "xml:lang": "en"}
    assert row["t"] == {"type": "literal", "value": "p"}
    assert row["b"]["type"] == "bnode"
    assert "u" not in row  # unbound


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_ask_formats(client: TestClient, fmt: str) -> None:
    for query, expected in (("ASK { ?s ?p ?o }", True), ("ASK { <urn:x:nothing> ?p ?o }", False)):
        r = client.get("/sparql", params={"query": query, "format": fmt})
        assert r.status_code == 200
        if fmt == "json":
            assert r.json() == {"head": {}, "boolean": expected}
        else:
            assert ET.fromstring(r.content).find(f"{SRX}boolean").text == str(expected).lower()


def test_ask_has_no_csv(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": "ASK {}"}, headers={"accept": "text/csv"})
    assert r.status_code == 406
    assert "application/sparql-results+json" in r.text


GRAPH_FORMATS = [
    ("text/turtle", "text/turtle; charset=utf-8", "turtle"),
    ("application/ld+json", "application/ld+json", "json-ld"),
    ("application/n-triples", "application/n-triples", "nt"),
    ("application/rdf+xml", "application/rdf+xml", "xml"),
]


@pytest.mark.parametrize(("accept", "ctype", "parser"), GRAPH_FORMATS)
def test_construct_formats(
    client: TestClient, store: ox.Store, accept: str, ctype: str, parser: str
) -> None:
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{TAXONOMY}> {{ ?s ?p ?o }} }}"
    r = client.get("/sparql", params={"query": query}, headers={"accept": accept})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == ctype
    graph = rdflib.Graph().parse(data=r.content, format=parser)
    expected = len(list(store.quads_for_pattern(None, None, None, ox.NamedNode(TAXONOMY))))
    assert len(graph) == expected > 0
    assert r.headers["x-result-count"] == str(expected)


@pytest.mark.parametrize(("accept", "ctype", "parser"), GRAPH_FORMATS)
def test_describe_formats(client: TestClient, accept: str, ctype: str, parser: str) -> None:
    subject = "https://w3id.org/govsm/id/subfactor/legal-infrastructure"
    r = client.get("/sparql", params={"query": f"DESCRIBE <{subject}>"}, headers={"accept": accept})
    assert r.status_code == 200 and r.headers["content-type"] == ctype
    graph = rdflib.Graph().parse(data=r.content, format=parser)
    assert (rdflib.URIRef(subject), None, None) in graph


# --- content negotiation ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("application/json", "application/sparql-results+json"),
        ("application/xml", "application/sparql-results+xml"),
        ("text/*", "text/csv; charset=utf-8"),
        ("text/csv;q=0.5, application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/csv;q=0.5, application/sparql-results+xml;q=0.4", "text/csv; charset=utf-8"),
        (
            "application/sparql-results+json;q=0, */*;q=0.1",
            "application/sparql-results+xml",
        ),
        ("text/tab-separated-values, text/csv", "text/csv; charset=utf-8"),  # tie: our order
    ],
)
def test_negotiation_select(client: TestClient, accept: str | None, expected: str) -> None:
    headers = {"accept": accept} if accept is not None else {}
    r = client.get("/sparql", params={"query": "SELECT * {}"}, headers=headers)
    assert r.status_code == 200
    assert r.headers["content-type"] == expected
    assert "Accept" in r.headers["vary"]


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "text/turtle; charset=utf-8"),
        ("application/json", "application/ld+json"),
        ("text/plain", "application/n-triples"),
        ("application/xml;q=0.9, text/turtle;q=0.8", "application/rdf+xml"),
    ],
)
def test_negotiation_construct(client: TestClient, accept: str | None, expected: str) -> None:
    headers = {"accept": accept} if accept is not None else {}
    query = "CONSTRUCT { <urn:x:s> <urn:x:p> 1 } WHERE {}"
    r = client.get("/sparql", params={"query": query}, headers=headers)
    assert r.status_code == 200 and r.headers["content-type"] == expected


def test_not_acceptable_lists_the_formats(client: TestClient) -> None:
    r = client.get(
        "/sparql", params={"query": "SELECT * {}"}, headers={"accept": "application/n-triples"}
    )
    assert r.status_code == 406
    for media in ("application/sparql-results+json", "text/csv", "text/tab-separated-values"):
        assert media in r.text


def test_format_parameter_overrides_accept(client: TestClient) -> None:
    r = client.get(
        "/sparql", params={"query": "SELECT * {}", "format": "tsv"}, headers={"accept": "text/csv"}
    )
    assert r.headers["content-type"].startswith("text/tab-separated-values")
    r = client.get("/sparql", params={"query": "SELECT * {}", "format": "text/csv"})
    assert r.headers["content-type"].startswith("text/csv")
    # One short name for every query of a catalogue: json on a CONSTRUCT is JSON-LD.
    r = client.get(
        "/sparql",
        params={"query": "CONSTRUCT { <urn:x:s> <urn:x:p> 1 } WHERE {}", "format": "json"},
    )
    assert r.headers["content-type"] == "application/ld+json"
    r = client.get("/sparql", params={"query": "SELECT * {}", "format": "ttl"})
    assert r.status_code == 406
    r = client.get("/sparql", params={"query": "SELECT * {}", "format": "yaml"})
    assert r.status_code == 400 and "unknown format 'yaml'" in r.text


def test_browser_gets_the_editor_with_the_query(client: TestClient) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    r = client.get("/sparql", params={"query": "SELECT ?marker {}"}, headers={"accept": browser})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert "?marker" in r.text
    bare = client.get("/sparql", headers={"accept": browser})
    assert bare.status_code == 200 and bare.headers["content-type"].startswith("text/html")


# --- the service description --------------------------------------------------------------


def sd_graph(client: TestClient, accept: str | None = None, parser: str = "turtle") -> rdflib.Graph:
    r = client.get("/sparql", headers={"accept": accept} if accept else {})
    assert r.status_code == 200, r.text
    return rdflib.Graph().parse(data=r.content, format=parser)


def test_service_description(client: TestClient, service: SparqlService) -> None:
    r = client.get("/sparql")
    assert r.headers["content-type"] == "text/turtle; charset=utf-8"
    g = rdflib.Graph().parse(data=r.content, format="turtle")
    me = rdflib.URIRef("http://testserver/sparql")
    assert (me, rdflib.RDF.type, SD.Service) in g
    assert (me, SD.endpoint, me) in g
    assert (me, SD.supportedLanguage, SD.SPARQL11Query) in g
    formats = {str(o) for o in g.objects(me, SD.resultFormat)}
    assert formats == {
        "http://www.w3.org/ns/formats/" + name
        for name in (
            "SPARQL_Results_JSON",
            "SPARQL_Results_XML",
            "SPARQL_Results_CSV",
            "SPARQL_Results_TSV",
            "Turtle",
            "JSON-LD",
            "N-Triples",
            "RDF_XML",
        )
    }
    limits = service.limits
    value = {
        p: g.value(me, rdflib.URIRef(GOVSM + p)).toPython()
        for p in (
            "queryTimeLimit",
            "resultRowLimit",
            "requestBodyLimit",
            "concurrentQueryLimit",
            "queryWorkerCount",
            "runningQueryLimit",
            "queueWaitLimit",
            "workerMemoryLimit",
            "workerEndCooldown",
        )
    }
    assert float(value["queryTimeLimit"]) == limits.timeout_s
    assert value["resultRowLimit"] == limits.max_rows
    assert value["requestBodyLimit"] == limits.max_body_bytes
    assert value["concurrentQueryLimit"] == limits.max_concurrent_per_client
    assert value["queryWorkerCount"] == limits.workers
    assert value["runningQueryLimit"] == limits.running_cap
    assert float(value["queueWaitLimit"]) == limits.queue_wait_s
    assert value["workerMemoryLimit"] == service.pool.memory_mb > 0
    assert float(value["workerEndCooldown"]) == limits.kill_cooldown_s
    names = set(str(n) for n in g.objects(None, SD.name))
    assert names == set(service.graphs) and TAXONOMY in names


def test_service_description_terms_are_in_the_ontology(client: TestClient, repo_root: Path) -> None:
    ontology = rdflib.Graph().parse(repo_root / "ontology" / "govsm.ttl")
    used = {p for p in sd_graph(client).predicates() if str(p).startswith(GOVSM)}
    assert len(used) == 9
    for term in used:
        assert (term, rdflib.RDF.type, rdflib.OWL.DatatypeProperty) in ontology, term


@pytest.mark.parametrize(
    ("accept", "parser"),
    [
        ("application/ld+json", "json-ld"),
        ("application/rdf+xml", "xml"),
        ("application/n-triples", "nt"),
    ],
)
def test_service_description_in_other_syntaxes(
    client: TestClient, accept: str, parser: str
) -> None:
    g = sd_graph(client, accept, parser)
    assert (None, rdflib.RDF.type, SD.Service) in g


# --- datasets ------------------------------------------------------------------------------

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"


def count(client: TestClient, query: str = COUNT, **params: object) -> int:
    r = client.get("/sparql", params={"query": query, **params})
    assert r.status_code == 200, r.text
    return int(r.json()["results"]["bindings"][0]["n"]["value"])


def test_default_graph_is_the_union(client: TestClient, service: SparqlService) -> None:
    assert count(client) == sum(service.graph_sizes.values()) == service.triples


def test_default_graph_uri_and_from_choose_graphs(
    client: TestClient, service: SparqlService
) -> None:
    size = service.graph_sizes[TAXONOMY]
    assert count(client, **{"default-graph-uri": TAXONOMY}) == size
    assert count(client, f"SELECT (COUNT(*) AS ?n) FROM <{TAXONOMY}> WHERE {{ ?s ?p ?o }}") == size
    named = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
    assert count(client, named, **{"named-graph-uri": TAXONOMY}) == size
    # Only the named graphs given: the default graph is then empty.
    assert count(client, **{"named-graph-uri": TAXONOMY}) == 0
    # The protocol's dataset replaces the query's FROM.
    other = next(g for g in service.graphs if g != TAXONOMY)
    from_taxonomy = f"SELECT (COUNT(*) AS ?n) FROM <{TAXONOMY}> WHERE {{ ?s ?p ?o }}"
    assert (
        count(client, from_taxonomy, **{"default-graph-uri": other}) == service.graph_sizes[other]
    )


@pytest.mark.parametrize(
    ("params", "where"),
    [
        (
            {"query": "ASK {}", "default-graph-uri": "http://example.org/elsewhere"},
            "default-graph-uri",
        ),
        ({"query": "ASK {}", "named-graph-uri": "http://example.org/elsewhere"}, "named-graph-uri"),
        ({"query": "ASK FROM <http://example.org/elsewhere> {}"}, "FROM"),
        ({"query": "ASK FROM NAMED <http://example.org/elsewhere> {}"}, "FROM NAMED"),
        (
            {"query": "PREFIX ex: <http://example.org/> ASK FROM ex:elsewhere {}"},
            "FROM",
        ),
    ],
)
def test_graphs_not_held_are_refused_by_name(client: TestClient, params: dict, where: str) -> None:
    r = client.get("/sparql", params=params)
    assert r.status_code == 400
    assert f"{where} names the graph <http://example.org/elsewhere>" in r.text


def test_relative_iris_resolve_against_the_base(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": "ASK { <id/subfactor/usability> ?p ?o }"})
    assert r.json()["boolean"] is True


# --- the read-only graph store ---------------------------------------------------------------


def test_graph_store_get(client: TestClient, service: SparqlService, store: ox.Store) -> None:
    r = client.get("/graph-store", params={"graph": TAXONOMY})
    assert r.status_code == 200 and r.headers["content-type"] == "text/turtle; charset=utf-8"
    assert (
        len(rdflib.Graph().parse(data=r.content, format="turtle")) == service.graph_sizes[TAXONOMY]
    )
    r = client.get("/graph-store?default", headers={"accept": "application/n-triples"})
    assert r.status_code == 200
    # the union: a triple two graphs hold (the node shapes' heads, stated in both shapes
    # files) is one triple of it; service.triples counts quads
    distinct = {(q.subject, q.predicate, q.object) for q in store}
    assert len(distinct) < service.triples
    assert len(rdflib.Graph().parse(data=r.content, format="nt")) == len(distinct)


def test_graph_store_errors(client: TestClient) -> None:
    assert client.get("/graph-store", params={"graph": "http://example.org/g"}).status_code == 404
    assert client.get("/graph-store").status_code == 400
    assert client.get(f"/graph-store?default&graph={TAXONOMY}").status_code == 400
    r = client.request("PROPFIND", "/graph-store")
    assert r.status_code == 405 and r.headers["allow"] == "GET, HEAD, OPTIONS"


# --- malformed requests ---------------------------------------------------------------------


def test_syntax_error_gives_the_parsers_message_and_position(client: TestClient) -> None:
    r = client.get("/sparql", params={"query": "SELECT ?x\nWHERE { ?x ?y }"})
    assert r.status_code == 400
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert "Syntax error" in r.text and "error at 2:" in r.text
    assert "   2 | WHERE { ?x ?y }" in r.text and "^" in r.text


def test_wrong_method_is_405_with_allow(client: TestClient) -> None:
    for method in ("PROPFIND", "TRACE"):
        r = client.request(method, "/sparql")
        assert r.status_code == 405
        assert r.headers["allow"] == "GET, HEAD, POST, OPTIONS"


def test_options_is_a_cors_preflight(client: TestClient) -> None:
    r = client.options("/sparql")
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert "POST" in r.headers["access-control-allow-methods"]
    assert "Content-Type" in r.headers["access-control-allow-headers"]


def test_row_headers_are_exposed_to_browsers(client: TestClient) -> None:
    exposed = client.get("/sparql", params={"query": "SELECT * {}"}).headers[
        "access-control-expose-headers"
    ]
    assert "X-Result-Row-Limit" in exposed and "X-Result-Truncated" in exposed


@pytest.mark.parametrize(
    ("kwargs", "status", "text"),
    [
        (
            {"content": b"ASK {}", "headers": {"content-type": "text/plain"}},
            415,
            "not a SPARQL query",
        ),
        ({"content": b"ASK {}"}, 415, "no Content-Type"),
        (
            {
                "content": "ASK {}".encode("utf-16"),
                "headers": {"content-type": "application/sparql-query; charset=UTF-16"},
            },
            400,
            "UTF-8",
        ),
        (
            {
                "content": b"ASK { <urn:\xff> ?p ?o }",
                "headers": {"content-type": "application/sparql-query"},
            },
            400,
            "not valid UTF-8",
        ),
        (
            {
                "content": b"query=ASK%20%7B%FF%7D",
                "headers": {"content-type": "application/x-www-form-urlencoded"},
            },
            400,
            "not valid UTF-8",
        ),
        (
            {
                "content": b"query=ASK%20%7B%7D&query=ASK%20%7B%7D",
                "headers": {"content-type": "application/x-www-form-urlencoded"},
            },
            400,
            "given 2 times",
        ),
        (
            {"content": b"", "headers": {"content-type": "application/x-www-form-urlencoded"}},
            400,
            "No query",
        ),
    ],
)
def test_bad_posts(client: TestClient, kwargs: dict, status: int, text: str) -> None:
    r = client.post("/sparql", **kwargs)
    assert r.status_code == status, r.text
    assert text in r.text


def test_query_in_url_and_body_is_ambiguous(client: TestClient) -> None:
    r = client.post(
        "/sparql?query=ASK%20%7B%7D",
        content=b"ASK {}",
        headers={"content-type": "application/sparql-query"},
    )
    assert r.status_code == 400 and "Two queries" in r.text


def test_non_utf8_query_string(client: TestClient) -> None:
    r = client.get("/sparql?query=ASK%20%7B%FF%7D")
    assert r.status_code == 400 and "not valid UTF-8" in r.text


@pytest.mark.parametrize("value", ["abc", "0", "-1", "nan", "inf"])
def test_bad_timeout_parameter(client: TestClient, value: str) -> None:
    r = client.get("/sparql", params={"query": "ASK {}", "timeout": value})
    assert r.status_code == 400 and "timeout" in r.text


def test_site_still_served_next_to_the_endpoint(client: TestClient) -> None:
    r = client.get("/", headers={"accept": "text/html"})
    assert r.status_code == 200 and "GovSM-KG" in r.text
    r = client.get(
        "/id/subfactor/usability", headers={"accept": "text/turtle"}, follow_redirects=False
    )
    assert r.status_code == 303


def test_head_answers_like_get_without_a_body(client: TestClient) -> None:
    r = client.head("/sparql", params={"query": "ASK {}"})
    assert r.status_code == 200 and r.content == b""
    assert r.headers["content-type"] == "application/sparql-results+json"
    r = client.head("/sparql")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/turtle")


def test_limits_validate_and_clamp() -> None:
    from kg.web.endpoint.limits import Limits

    limits = Limits(timeout_s=10)
    assert limits.clamp_timeout(None) == 10
    assert limits.clamp_timeout(2.5) == 2.5
    assert limits.clamp_timeout(99) == 10
    for bad in ({"timeout_s": 0}, {"max_rows": 0}, {"workers": 0}, {"max_body_bytes": -5}):
        with pytest.raises(ValueError):
            Limits(**bad)


def test_format_aliases_and_repeats(client: TestClient) -> None:
    graph_query = "CONSTRUCT { <urn:x:s> <urn:x:p> 1 } WHERE {}"
    for alias, ctype in (
        ("turtle", "text/turtle"),
        ("n3", "text/turtle"),
        ("json-ld", "application/ld+json"),
        ("rdf+xml", "application/rdf+xml"),
        ("ntriples", "application/n-triples"),
    ):
        r = client.get("/sparql", params={"query": graph_query, "format": alias})
        assert r.headers["content-type"].startswith(ctype), alias
    # SPARQLWrapper repeats it: format=tsv&format=text/tab-separated-values.
    r = client.get("/sparql?query=SELECT%20*%20%7B%7D&format=yaml&format=tsv&format=text/csv")
    assert r.headers["content-type"].startswith("text/tab-separated-values")


def test_a_browser_following_a_download_link_gets_the_format(client: TestClient) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    r = client.get(
        "/sparql", params={"query": "SELECT * {}", "format": "csv"}, headers={"accept": browser}
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")


# --- native result writers (kg.web.endpoint.formats) ----------------------------------------

RESULT_FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}


@pytest.mark.parametrize("fmt", sorted(RESULT_FORMATS))
def test_select_results_are_pyoxigraph_s_own_serialisation(
    client: TestClient, store: ox.Store, fmt: str
) -> None:
    r = client.get("/sparql", params={"query": SUBFACTORS, "format": fmt})
    assert r.status_code == 200
    expected = store.query(SUBFACTORS, use_default_graph_as_union=True)
    assert r.content == expected.serialize(format=RESULT_FORMATS[fmt])
    assert r.headers["x-result-count"] == "16"


def test_queries_an_appended_limit_does_not_fit_are_answered_as_before(
    client: TestClient, store: ox.Store
) -> None:
    """A query's own LIMIT or trailing VALUES: the Python writers, the same rows."""
    trailing_values = SUBFACTORS.replace(" ORDER BY ?s", "") + " VALUES ?x { 1 }"
    for query in (SUBFACTORS + " LIMIT 5", trailing_values):
        r = client.get("/sparql", params={"query": query, "format": "json"})
        assert r.status_code == 200, r.text
        rows = store.query(query, use_default_graph_as_union=True)
        expected = sorted((row["s"].value, row["label"].value) for row in rows)
        assert sorted(json_rows(r.content)) == expected
        assert r.headers["x-result-count"] == str(len(expected))
    bad = client.get("/sparql", params={"query": "SELECT * WHERE { ?s ?p }"})
    assert bad.status_code == 400 and "1 | SELECT * WHERE { ?s ?p }" in bad.text


def test_a_large_result_is_compressed(client: TestClient) -> None:
    query = "SELECT * WHERE { ?s ?p ?o } LIMIT 2000"
    plain = client.get("/sparql", params={"query": query}, headers={"Accept-Encoding": ""})
    assert "content-encoding" not in plain.headers
    assert "accept-encoding" in plain.headers["vary"].lower()
    for coding in ("gzip", "br"):
        r = client.get("/sparql", params={"query": query}, headers={"Accept-Encoding": coding})
        assert r.headers["content-encoding"] == coding
        assert r.content == plain.content
        assert r.num_bytes_downloaded < len(plain.content) / 3
        assert r.headers["x-result-count"] == "2000"
    small = client.get("/sparql", params={"query": "ASK {}"}, headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in small.headers


# Literals that look like the structure of each format: the row count and the cut row
# must come from the structure, never from a literal's text.
TRICKY = ['a},{"x":{"type":"', ",{", "[{", "{}", 'x,{"', "\n", "\r\n", '"', "é", "<result>"]


def tricky_store() -> ox.Store:
    store = ox.Store()
    for i, text in enumerate(TRICKY + [t + ",{" for t in TRICKY]):
        subject = ox.NamedNode(f"http://example.org/s{i}")
        store.add(ox.Quad(subject, ox.NamedNode("http://example.org/p"), ox.Literal(text)))
    return store


@pytest.mark.parametrize("fmt", sorted(RESULT_FORMATS))
@pytest.mark.parametrize("cap", [0, 1, 7, 19, 20, 21, 100])
def test_native_rows_are_counted_and_cut_exactly(fmt: str, cap: int) -> None:
    store = tricky_store()
    for query in (
        "SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?s",
        "SELECT ?x ?o WHERE { ?s ?p ?o OPTIONAL { ?s <urn:none> ?x } } ORDER BY ?o",
        "SELECT ?x WHERE { ?s ?p ?o OPTIONAL { ?s <urn:none> ?x } }",  # empty solutions
    ):
        body, rows, truncated = formats.native_solutions(
            store.query(formats.limited(query, cap)), fmt, cap
        )
        assert (rows, truncated) == (min(cap, 20), cap < 20), query
        expected = store.query(f"{query} LIMIT {cap}").serialize(format=RESULT_FORMATS[fmt])
        if fmt == "csv":  # the cut of a quoted CSV is rewritten by Python's csv module
            body, expected = body.replace(b'"', b""), expected.replace(b'"', b"")
        assert body == expected, query
