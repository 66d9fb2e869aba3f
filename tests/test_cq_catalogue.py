"""The competency-question catalogue: every queries/cq/*.rq against its expected results.

Each query ``queries/cq/STEM.rq`` has ``tests/expected/cq/STEM.srj`` (SPARQL 1.1 Query
Results JSON, computed independently of the query: see tests/expected/cq/README.md) and
``STEM.params.json`` (the parameter values it is run with). Every query runs on both
engines' SPARQL evaluators over the real data (ontology + data, derived with the default
rule set, built once on oxigraph; the rdflib engine gets a copy of its graphs: rdflib's own
load and derivation are compared with oxigraph's by tests/test_site.py and
tests/test_pipeline*.py) and must give the expected results on each: terms are compared
as RDF terms (kind, value, datatype, language tag; numbers by value, language tags
case-insensitively); row order counts only when the query has a top-level ORDER BY, and
then only between rows whose ORDER BY keys differ (ties may come in any order).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pytest

from kg.build.pipeline import load_and_derive
from kg.config import BuildOptions, Project
from kg.rdf.engine import Engine, Rows, make_engine
from kg.sparql.files import read_query, strip_for_scan
from kg.stages.query import declared_data, run, to_json

REPO = Path(__file__).resolve().parents[1]
CQ_DIR = REPO / "queries" / "cq"
EXPECTED_DIR = REPO / "tests" / "expected" / "cq"
STEMS = sorted(p.stem for p in CQ_DIR.glob("*.rq"))
ENGINES = ("oxigraph", "rdflib")
XSD = "http://www.w3.org/2001/XMLSchema#"
NUMERIC = {
    XSD + t
    for t in [
        "integer",
        "decimal",
        "double",
        "float",
        "long",
        "int",
        "short",
        "byte",
        "nonNegativeInteger",
        "positiveInteger",
        "nonPositiveInteger",
        "negativeInteger",
        "unsignedLong",
        "unsignedInt",
        "unsignedShort",
        "unsignedByte",
    ]
}

NormTerm = tuple[str, Any, str | None, str | None] | None
NormRow = tuple[NormTerm, ...]


# --- reading and normalising results ------------------------------------------------------


def norm_json_term(term: dict[str, str] | None) -> NormTerm:
    """One SPARQL-JSON term as (kind, value, datatype, lang); numbers by value."""
    if term is None:
        return None
    kind = term["type"]
    if kind == "typed-literal":  # the SPARQL XML-era spelling some writers still use
        kind = "literal"
    if kind in ("uri", "bnode"):
        return (kind, term["value"], None, None)
    datatype = term.get("datatype")
    lang = term.get("xml:lang")
    value: Any = term["value"]
    if lang:
        return ("literal", value, None, lang.lower())
    if datatype == XSD + "string":
        datatype = None
    if datatype in NUMERIC:
        try:
            return ("number", Decimal(value.strip()), None, None)
        except InvalidOperation:
            pass
    if datatype == XSD + "boolean":
        value = {"1": "true", "0": "false"}.get(value.strip(), value.strip())
    return ("literal", value, datatype, None)


def read_results(doc: dict[str, Any]) -> tuple[list[str], list[NormRow]]:
    """Variables and normalised rows of a SPARQL 1.1 Query Results JSON document."""
    variables = list(doc["head"]["vars"])
    rows = [
        tuple(norm_json_term(binding.get(v)) for v in variables)
        for binding in doc["results"]["bindings"]
    ]
    return variables, rows


def rows_as_json(rows: Rows) -> dict[str, Any]:
    """Engine rows as a SPARQL JSON document (the pipeline's own writer)."""
    return json.loads(to_json(rows))


# --- what a query says about order -------------------------------------------------------


def top_level_order_keys(text: str) -> list[str] | None:
    """Variables of the top-level ORDER BY (``?v``, ``ASC(?v)``, ``DESC(?v)``), or None."""
    scan = strip_for_scan(text)
    depth, last_close = 0, -1
    for i, ch in enumerate(scan):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:
                last_close = i
    tail = scan[last_close + 1 :]
    match = re.search(
        r"\bORDER\s+BY\b(.*?)(?:\bLIMIT\b|\bOFFSET\b|\bVALUES\b|$)", tail, re.I | re.S
    )
    if not match:
        return None
    keys = []
    for token in re.findall(r"(?:ASC|DESC)\s*\(\s*[?$]\w+\s*\)|[?$]\w+|\S+", match.group(1), re.I):
        var = re.search(r"[?$](\w+)", token)
        if not var:
            raise AssertionError(f"ORDER BY key {token!r} is not a variable")
        keys.append(var.group(1))
    return keys


def compare(
    variables: list[str],
    actual: list[NormRow],
    expected_vars: list[str],
    expected: list[NormRow],
    order_keys: list[str] | None,
) -> list[str]:
    """Differences between actual and expected results (empty when they agree)."""
    problems: list[str] = []
    if variables != expected_vars:
        return [f"variables {variables} != expected {expected_vars}"]
    got, want = Counter(actual), Counter(expected)
    if got != want:
        for row in (want - got).elements():
            problems.append(f"missing row: {row}")
        for row in (got - want).elements():
            problems.append(f"unexpected row: {row}")
    if order_keys and not problems:
        idx = [variables.index(k) for k in order_keys]
        got_keys = [tuple(r[i] for i in idx) for r in actual]
        want_keys = [tuple(r[i] for i in idx) for r in expected]
        if got_keys != want_keys:
            first = next(
                i for i, (a, b) in enumerate(zip(got_keys, want_keys, strict=True)) if a != b
            )
            problems.append(
                f"row order differs at row {first} (ORDER BY {order_keys}): "
                f"{got_keys[first]} != expected {want_keys[first]}"
            )
    return problems


# --- fixtures ---------------------------------------------------------------------------


_engines: dict[tuple[str, tuple[str, ...]], Engine] = {}
_cache: dict[tuple[str, str], Rows] = {}


def built(name: str, extra: tuple[str, ...] = ()) -> Engine:
    """The real graph on one engine (built once): ontology + data, default rule set derived;
    plus the extra data folders a query declares (``# data:``, e.g. examples/cpsv-ap).
    The rdflib engine holds the oxigraph build's graphs (its own pipeline takes half a
    minute per build here and is checked elsewhere)."""
    if name == "rdflib" and (name, extra) not in _engines:
        source, copy = built("oxigraph", extra), make_engine("rdflib")
        for graph in source.graphs():
            copy.add(graph, source.triples(graph))
        _engines[(name, extra)] = copy
    if (name, extra) not in _engines:
        project = (
            Project(data_dirs=(REPO / "data", *(REPO / d for d in extra))) if extra else Project()
        )
        loaded, _rules, derivations = load_and_derive(
            project, BuildOptions(engine=name), standard_view=True
        )
        assert derivations and all(d.classifications for d in derivations)
        _engines[(name, extra)] = loaded.engine
    return _engines[(name, extra)]


@pytest.fixture(scope="module", params=ENGINES)
def engine(request: pytest.FixtureRequest) -> Engine:
    """Each engine in turn, with the real graph loaded and derived."""
    return built(request.param)


def run_stem(engine: Engine, stem: str) -> Rows:
    """Run queries/cq/STEM.rq with its recorded parameters (once per engine)."""
    key = (engine.name, stem)
    if key not in _cache:
        query = read_query(CQ_DIR / f"{stem}.rq")
        extra = declared_data(query)
        if extra:
            engine = built(engine.name, extra)
        params = json.loads((EXPECTED_DIR / f"{stem}.params.json").read_text(encoding="utf-8"))
        _cache[key] = run(engine, query, params).rows
    return _cache[key]


def expected_of(stem: str) -> tuple[list[str], list[NormRow]]:
    doc = json.loads((EXPECTED_DIR / f"{stem}.srj").read_text(encoding="utf-8"))
    return read_results(doc)


# --- the catalogue itself ------------------------------------------------------------------


def test_catalogue_has_at_least_twelve_queries() -> None:
    assert len(STEMS) >= 12, STEMS


@pytest.mark.parametrize("stem", STEMS)
def test_header_and_expected_files(stem: str) -> None:
    query = read_query(CQ_DIR / f"{stem}.rq")
    for key in ("title", "question", "parameters"):
        assert query.header.get(key), f"{stem}.rq has no '# {key}:' header line"
    assert (EXPECTED_DIR / f"{stem}.srj").is_file(), f"no tests/expected/cq/{stem}.srj"
    params_file = EXPECTED_DIR / f"{stem}.params.json"
    assert params_file.is_file(), f"no tests/expected/cq/{stem}.params.json"
    params = json.loads(params_file.read_text(encoding="utf-8"))
    declared = {p.name for p in query.parameters}
    required = {p.name for p in query.parameters if not p.optional}
    assert set(params) <= declared, f"{stem}: params {sorted(params)} not declared"
    assert required <= set(params), f"{stem}: required parameters {sorted(required)} not given"


@pytest.mark.parametrize("stem", STEMS)
def test_declared_parameters_are_used(stem: str) -> None:
    query = read_query(CQ_DIR / f"{stem}.rq")
    body = strip_for_scan(query.text)
    for param in query.parameters:
        assert re.search(rf"[?$]{param.name}\b", body), (
            f"{stem}: parameter {param.name!r} is declared but ?{param.name} is never used"
        )


def test_no_orphan_expected_files() -> None:
    stems = set(STEMS)
    for path in EXPECTED_DIR.glob("*.srj"):
        assert path.stem in stems, f"{path.name} has no query in queries/cq/"


@pytest.mark.parametrize("stem", STEMS)
def test_order_keys_are_projected(stem: str) -> None:
    # Ties are compared as multisets, which needs the ORDER BY keys among the results.
    text = (CQ_DIR / f"{stem}.rq").read_text(encoding="utf-8")
    keys = top_level_order_keys(text)
    if keys:
        variables, _ = expected_of(stem)
        assert set(keys) <= set(variables), f"{stem}: ORDER BY {keys} not all in {variables}"


# --- expected results on both engines -----------------------------------------------------


@pytest.mark.parametrize("stem", STEMS)
def test_expected_results(engine: Engine, stem: str) -> None:
    rows = run_stem(engine, stem)
    variables, actual = read_results(rows_as_json(rows))
    expected_vars, expected = expected_of(stem)
    keys = top_level_order_keys((CQ_DIR / f"{stem}.rq").read_text(encoding="utf-8"))
    problems = compare(variables, actual, expected_vars, expected, keys)
    assert not problems, f"{stem} on {engine.name}:\n  " + "\n  ".join(problems[:20])


@pytest.mark.parametrize("stem", STEMS)
def test_engines_agree(stem: str) -> None:
    results = [read_results(rows_as_json(run_stem(built(name), stem))) for name in ENGINES]
    keys = top_level_order_keys((CQ_DIR / f"{stem}.rq").read_text(encoding="utf-8"))
    (variables, rows), (other_vars, other_rows) = results
    problems = compare(variables, rows, other_vars, other_rows, keys)
    assert not problems, f"{stem}: {ENGINES[0]} vs {ENGINES[1]}:\n  " + "\n  ".join(problems[:20])


# --- the comparison can fail -------------------------------------------------------------


def _alter(term: NormTerm) -> NormTerm:
    if term is None:
        return ("literal", "added", None, None)
    kind, value, datatype, lang = term
    if kind == "number":
        return (kind, value + 1, datatype, lang)
    return (kind, f"{value}-altered", datatype, lang)


@pytest.mark.parametrize("stem", STEMS)
def test_comparison_fails_when_one_expected_row_is_altered(stem: str) -> None:
    variables, expected = expected_of(stem)
    keys = top_level_order_keys((CQ_DIR / f"{stem}.rq").read_text(encoding="utf-8"))
    assert expected, f"{stem}: the expected results are empty"
    assert not compare(variables, expected, variables, expected, keys)
    for column in range(len(variables)):
        altered = list(expected)
        altered[0] = tuple(_alter(t) if i == column else t for i, t in enumerate(expected[0]))
        assert compare(variables, expected, variables, altered, keys), (stem, variables[column])
    assert compare(variables, expected, variables, expected[1:], keys), "a dropped row goes unseen"


def test_comparison_sees_order_only_where_keys_differ() -> None:
    a = ("literal", "a", None, None)
    b = ("literal", "b", None, None)
    one, two = ("number", Decimal(1), None, None), ("number", Decimal("1.0"), None, None)
    rows = [(a, one), (b, one)]
    swapped = [(b, one), (a, one)]
    assert compare(["x", "n"], swapped, ["x", "n"], rows, ["x"])  # ordered by x: fails
    assert not compare(["x", "n"], swapped, ["x", "n"], rows, ["n"])  # tie on n: passes
    assert not compare(["x", "n"], swapped, ["x", "n"], rows, None)  # no ORDER BY: multiset
    assert not compare(["x", "n"], [(a, two)], ["x", "n"], [(a, one)], None)  # 1 == 1.0
    assert norm_json_term({"type": "literal", "value": "x", "xml:lang": "EN"}) == norm_json_term(
        {"type": "literal", "value": "x", "xml:lang": "en"}
    )
    assert norm_json_term({"type": "literal", "value": "x"}) != norm_json_term(
        {"type": "literal", "value": "x", "xml:lang": "en"}
    )
    assert norm_json_term({"type": "uri", "value": "x"}) != norm_json_term(
        {"type": "literal", "value": "x"}
    )


def test_order_keys_are_read_from_the_top_level_only() -> None:
    text = "SELECT ?a WHERE { { SELECT ?a WHERE { ?a ?p ?o } ORDER BY ?o } } ORDER BY DESC(?a)"
    assert top_level_order_keys(text) == ["a"]
    assert (
        top_level_order_keys("SELECT ?a WHERE { { SELECT ?a WHERE { ?a ?p ?o } ORDER BY ?o } }")
        is None
    )
    assert (
        top_level_order_keys("# ORDER BY ?x\nSELECT ?a WHERE { ?a <urn:x#ORDER> 'ORDER BY ?b' }")
        is None
    )
