"""Check queries (queries/checks/*-violation.rq): zero rows expected, same on both engines.

Fixtures: tests/fixtures/shapes/checks/invalid/STEM.ttl with the rows the query
``STEM-violation.rq`` must return in STEM.srj (SPARQL 1.1 JSON results), and
checks/valid/STEM.ttl, a near miss on which it must return none. Every query runs on
rdflib and on pyoxigraph and both must give exactly the expected rows.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import BNode, Graph, Literal, URIRef

from kg.prefixes import PREFIXES
from kg.sparql.files import parse_header
from kg.validation.inputs import load_checks

REPO = Path(__file__).resolve().parents[1]
CHECKS_DIR = REPO / "queries" / "checks"
FIXTURES = REPO / "tests" / "fixtures" / "shapes" / "checks"
DATA_DIR = REPO / "data" / "social-media-service-delivery"

QUERIES = sorted(CHECKS_DIR.glob("*.rq"))
STEMS = [q.name.removesuffix("-violation.rq") for q in QUERIES]

Row = frozenset[tuple[str, str, str]]


def rdflib_rows(graph: Graph, text: str) -> set[Row]:
    rows: set[Row] = set()
    result = graph.query(text)
    for sol in result:
        row = set()
        for var in result.vars or []:
            value = sol[var]
            if value is None:
                continue
            if isinstance(value, URIRef):
                row.add((str(var), "uri", str(value)))
            elif isinstance(value, BNode):
                row.add((str(var), "bnode", ""))
            else:
                assert isinstance(value, Literal)
                row.add((str(var), "literal", str(value)))
        rows.add(frozenset(row))
    return rows


def oxigraph_rows(store: ox.Store, text: str) -> set[Row]:
    rows: set[Row] = set()
    solutions = store.query(text)
    variables = [v.value for v in solutions.variables]
    for sol in solutions:
        row = set()
        for var in variables:
            value = sol[var]
            if value is None:
                continue
            if isinstance(value, ox.NamedNode):
                row.add((var, "uri", value.value))
            elif isinstance(value, ox.BlankNode):
                row.add((var, "bnode", ""))
            else:
                row.add((var, "literal", value.value))
        rows.add(frozenset(row))
    return rows


def srj_rows(path: Path) -> set[Row]:
    data = json.loads(path.read_text(encoding="utf-8"))
    rows: set[Row] = set()
    for binding in data["results"]["bindings"]:
        row = set()
        for var, term in binding.items():
            kind = "literal" if term["type"] in ("literal", "typed-literal") else term["type"]
            row.add((var, kind, "" if kind == "bnode" else term["value"]))
        rows.add(frozenset(row))
    return rows


ONTOLOGY = REPO / "ontology" / "govsm.ttl"


def load_both(paths: list[Path]) -> tuple[Graph, ox.Store]:
    """The files with the ontology, as the validation runs the checks (on the union)."""
    graph = Graph()
    store = ox.Store()
    for path in [ONTOLOGY, *paths]:
        graph.parse(path, format="turtle")
        store.load(path=str(path), format=ox.RdfFormat.TURTLE)
    return graph, store


# ---------------------------------------------------------------------------
# The catalogue
# ---------------------------------------------------------------------------


def test_required_checks_exist() -> None:
    required = {
        "subfactor-without-evidence",
        "subfactor-without-assessment",
        "creator-authorlist-mismatch",
        "empty-quote",
        "reported-classification-as-input",
        "includes-without-quote",
    }
    assert required <= set(STEMS)


@pytest.mark.parametrize("query", QUERIES, ids=lambda p: p.stem)
def test_query_file_says_its_contract(query: Path) -> None:
    text = query.read_text(encoding="utf-8")
    assert query.name.endswith("-violation.rq")
    lines = text.splitlines()
    assert lines[0].startswith("# title: ") and lines[1].startswith("# question: ")
    assert lines[2] == "# parameters: none"
    header = parse_header(text)
    assert header["title"] and header["question"].endswith("?")
    body = "\n".join(line for line in lines if not line.startswith("#"))
    assert re.search(r"^\s*SELECT\b", body, re.MULTILINE), "a check is a SELECT query"
    assert "?focus" in body.split("WHERE", 1)[0], "a check selects ?focus"
    for prefix, ns in re.findall(r"^PREFIX\s+(\w+):\s*<([^>]*)>", text, re.MULTILINE):
        assert PREFIXES.get(prefix) == ns, f"{query.name}: PREFIX {prefix}: <{ns}>"
    # Plain SPARQL 1.1: no engine extension functions or service calls.
    assert "SERVICE" not in body.upper()
    assert not re.search(r"\b(afn|jena|ofn|bif|sql|fn):", body)


def test_load_checks_reads_every_query() -> None:
    checks = load_checks(CHECKS_DIR)
    assert [c.name for c in checks] == [q.name for q in QUERIES]
    assert all(c.title and c.question for c in checks)


def test_every_query_has_fixtures() -> None:
    for stem in STEMS:
        assert (FIXTURES / "invalid" / f"{stem}.ttl").is_file(), stem
        assert (FIXTURES / "invalid" / f"{stem}.srj").is_file(), stem
        assert (FIXTURES / "valid" / f"{stem}.ttl").is_file(), stem


# ---------------------------------------------------------------------------
# Fixtures, on both engines
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("stem", STEMS)
def test_check_finds_the_expected_rows(stem: str) -> None:
    text = (CHECKS_DIR / f"{stem}-violation.rq").read_text(encoding="utf-8")
    graph, store = load_both([FIXTURES / "invalid" / f"{stem}.ttl"])
    expected = srj_rows(FIXTURES / "invalid" / f"{stem}.srj")
    assert expected, "an invalid fixture must expect rows"
    assert rdflib_rows(graph, text) == expected
    assert oxigraph_rows(store, text) == expected


@pytest.mark.parametrize("stem", STEMS)
def test_check_is_silent_on_the_near_miss(stem: str) -> None:
    text = (CHECKS_DIR / f"{stem}-violation.rq").read_text(encoding="utf-8")
    graph, store = load_both([FIXTURES / "valid" / f"{stem}.ttl"])
    assert rdflib_rows(graph, text) == set()
    assert oxigraph_rows(store, text) == set()


@pytest.mark.parametrize("stem", STEMS)
def test_check_is_silent_on_the_shape_background(stem: str) -> None:
    text = (CHECKS_DIR / f"{stem}-violation.rq").read_text(encoding="utf-8")
    graph, store = load_both([FIXTURES.parent / "background.ttl"])
    assert rdflib_rows(graph, text) == set()
    assert oxigraph_rows(store, text) == set()


# ---------------------------------------------------------------------------
# The review's data
# ---------------------------------------------------------------------------


def test_review_data_passes_every_check() -> None:
    files = sorted(DATA_DIR.glob("*.ttl")) if DATA_DIR.is_dir() else []
    if not files:
        pytest.skip(f"{DATA_DIR.relative_to(REPO)} is absent (the review data is not written yet)")
    graph, store = load_both(files)
    for query in QUERIES:
        text = query.read_text(encoding="utf-8")
        assert rdflib_rows(graph, text) == set(), query.name
        assert oxigraph_rows(store, text) == set(), query.name
