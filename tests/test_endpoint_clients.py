"""Interoperability: the endpoint used by the clients researchers use — SPARQLWrapper
(every return format, GET and POST) and rdflib's SPARQLStore — over a live server."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import rdflib
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, RDFXML, TSV, TURTLE, XML, SPARQLWrapper
from support import built_dist, live_server

SUBFACTORS = (
    "PREFIX govsm: <https://w3id.org/govsm/ontology#>\n"
    "SELECT ?s WHERE { ?s a govsm:SubFactor } ORDER BY ?s"
)
DESCRIBE = "DESCRIBE <https://w3id.org/govsm/id/subfactor/legal-infrastructure>"


@pytest.fixture(scope="module")
def endpoint(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    dist: Path = built_dist(tmp_path_factory)
    with live_server(dist, workers=1, timeout_s=30) as (running, _):
        yield running.url + "sparql"


def wrapper(endpoint: str, query: str, fmt: str, post: bool) -> SPARQLWrapper:
    sparql = SPARQLWrapper(endpoint)
    sparql.setQuery(query)
    sparql.setReturnFormat(fmt)
    if post:
        sparql.setMethod(POST)
    return sparql


@pytest.mark.parametrize("post", [False, True], ids=["GET", "POST"])
def test_sparqlwrapper_select_in_every_format(endpoint: str, post: bool) -> None:
    doc = wrapper(endpoint, SUBFACTORS, JSON, post).query().convert()
    subjects = [b["s"]["value"] for b in doc["results"]["bindings"]]
    assert len(subjects) == 16
    xml_doc = wrapper(endpoint, SUBFACTORS, XML, post).query().convert()
    assert [u.firstChild.data for u in xml_doc.getElementsByTagName("uri")] == subjects
    text = wrapper(endpoint, SUBFACTORS, CSV, post).query().convert().decode()
    assert [row[0] for row in csv.reader(io.StringIO(text))][1:] == subjects
    text = wrapper(endpoint, SUBFACTORS, TSV, post).query().convert().decode()
    assert text.splitlines()[1:] == [f"<{s}>" for s in subjects]


@pytest.mark.parametrize("post", [False, True], ids=["GET", "POST"])
def test_sparqlwrapper_ask(endpoint: str, post: bool) -> None:
    assert wrapper(endpoint, "ASK { ?s ?p ?o }", JSON, post).query().convert()["boolean"] is True
    doc = wrapper(endpoint, "ASK { <urn:x:none> ?p ?o }", XML, post).query().convert()
    assert doc.getElementsByTagName("boolean")[0].firstChild.data == "false"


@pytest.mark.parametrize("fmt", [TURTLE, N3, RDFXML, JSONLD, XML])
@pytest.mark.parametrize("post", [False, True], ids=["GET", "POST"])
def test_sparqlwrapper_describe(endpoint: str, fmt: str, post: bool) -> None:
    result = wrapper(endpoint, DESCRIBE, fmt, post).query()
    converted = result.convert()
    if isinstance(converted, bytes):  # Turtle, N3 and JSON-LD come back as bytes
        parser = "json-ld" if fmt == JSONLD else "turtle"
        if fmt == JSONLD:
            json.loads(converted)
        graph = rdflib.Graph().parse(data=converted, format=parser)
    else:
        graph = converted  # RDF/XML: SPARQLWrapper parsed it into an rdflib Graph
    subject = rdflib.URIRef("https://w3id.org/govsm/id/subfactor/legal-infrastructure")
    assert (subject, rdflib.RDF.type, None) in graph


def test_rdflib_sparqlstore(endpoint: str) -> None:
    graph = rdflib.Graph(store=SPARQLStore(endpoint, returnFormat="json"))
    rows = list(graph.query(SUBFACTORS))
    assert len(rows) == 16
    assert all(isinstance(row[0], rdflib.URIRef) for row in rows)
    assert graph.query("ASK { ?s ?p ?o }").askAnswer is True
