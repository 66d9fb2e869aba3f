"""A client that knows only the standard vocabularies: with every ``govsm:`` property and
class dropped from the published dump, the standard-vocabulary questions of the catalogue
(``queries/cq/*.rq`` marked ``# vocabularies: standard``) give the same rows as on the
whole dump (and those rows are the expected ones: tests/test_cq_catalogue.py)."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from rdflib.namespace import OWL, RDF
from starlette.testclient import TestClient
from support import built_dist, service_over

from kg.prefixes import GOVSM
from kg.sparql.files import read_query, strip_for_scan
from kg.web.server import make_app

REPO = Path(__file__).resolve().parents[1]
STANDARD = sorted(
    path
    for path in (REPO / "queries" / "cq").glob("*.rq")
    if read_query(path).header.get("vocabularies") == "standard"
)
TYPE = ox.NamedNode(str(RDF.type))


def _is_own_term(quad: ox.Quad) -> bool:
    """A triple stated with one of the project's own properties or classes."""
    if quad.predicate.value.startswith(GOVSM):
        return True
    return (
        quad.predicate == TYPE
        and isinstance(quad.object, ox.NamedNode)
        and quad.object.value.startswith(GOVSM)
    )


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_dist(tmp_path_factory)


@pytest.fixture(scope="module")
def dump(dist: Path) -> Path:
    return dist / "govsm.nq"


@pytest.fixture(scope="module")
def stores(dump: Path) -> dict[str, ox.Store]:
    whole, stripped = ox.Store(), ox.Store()
    quads = list(ox.parse(path=str(dump), format=ox.RdfFormat.N_QUADS))
    whole.extend(quads)
    kept = [q for q in quads if not _is_own_term(q)]
    assert len(kept) < len(quads) - 1000  # the project's own terms are many
    stripped.extend(kept)
    return {"whole": whole, "stripped": stripped}


def _rows(store: ox.Store, query: str) -> Counter:
    result = store.query(query, use_default_graph_as_union=True)
    variables = result.variables
    return Counter(tuple(str(solution[v]) for v in variables) for solution in result)


def test_the_standard_questions_are_marked() -> None:
    assert len(STANDARD) >= 5


@pytest.mark.parametrize("path", STANDARD, ids=lambda p: p.stem)
def test_standard_questions_use_no_property_or_class_of_the_ontology(path: Path) -> None:
    ontology = rdflib.Graph().parse(REPO / "ontology" / "govsm.ttl")
    kinds = {OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty}
    text = strip_for_scan(read_query(path).text)
    used = set(re.findall(r"\bgovsm:(\w+)", text)) | set(
        re.findall(re.escape("<" + GOVSM) + r"(\w+)>", text)
    )
    for local in used:
        types = set(ontology.objects(rdflib.URIRef(GOVSM + local), RDF.type))
        assert types and not types & kinds, f"{path.name} uses govsm:{local}"


@pytest.mark.parametrize("path", STANDARD, ids=lambda p: p.stem)
def test_same_rows_without_the_ontology_terms(path: Path, stores: dict[str, ox.Store]) -> None:
    query = read_query(path).text
    whole = _rows(stores["whole"], query)
    assert whole, f"{path.name} answers nothing"
    assert _rows(stores["stripped"], query) == whole


def test_the_stripping_bites(stores: dict[str, ox.Store]) -> None:
    """Without the project's terms a question asked in them finds nothing."""
    query = f"SELECT ?c ?d WHERE {{ ?c <{GOVSM}hasDirection> ?d }}"
    assert len(_rows(stores["whole"], query)) >= 16
    assert not _rows(stores["stripped"], query)


def test_the_endpoint_answers_them_from_its_union_graph(
    dist: Path, stores: dict[str, ox.Store]
) -> None:
    """The entailed and view graphs are in what govsm serve's /sparql answers from."""
    with (
        service_over(dist, workers=1, max_rows=10_000, timeout_s=20) as service,
        TestClient(make_app(dist / "site", service=service)) as client,
    ):
        for path in STANDARD:
            query = read_query(path).text
            response = client.post(
                "/sparql",
                data={"query": query},
                headers={"Accept": "application/sparql-results+json"},
            )
            assert response.status_code == 200, path.name
            bindings = response.json()["results"]["bindings"]
            assert len(bindings) == sum(_rows(stores["whole"], query).values()), path.name
