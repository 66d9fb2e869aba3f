"""Every query in queries/ gives the same results on oxigraph and on rdflib.

Run on the real review data (skipped if absent) with both rule sets derived, so the
catalogue queries see derived classifications. Rows are compared as multisets, and in
order where the query has ORDER BY. Parameters get a value from PARAMETER_VALUES; a query
declaring a parameter not listed there is skipped with the reason.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import cache
from pathlib import Path

import pytest

from kg.config import BuildOptions, Project
from kg.prefixes import DEFAULT_BASE
from kg.rdf.engine import ENGINES, Engine
from kg.rdf.load import load
from kg.sparql.files import read_query, strip_for_scan
from kg.stages.derive import derive, rule_sets
from kg.stages.query import declared_data, run

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "data" / "social-media-service-delivery"
QUERY_FILES = sorted((ROOT / "queries").rglob("*.rq"))
ID = DEFAULT_BASE + "id/"
PARAMETER_VALUES = {
    "subfactor": ID + "subfactor/legal-infrastructure",
    "context": ID + "context/iran",
    "study": ID + "study/reddick-2017",
    "work": ID + "study/reddick-2017",
    "rule": DEFAULT_BASE + "rule/classification-from-assessment",
    "classification": ID
    + "classification/classification-from-assessment/iran/legal-infrastructure",
    "factor": ID + "factor/infrastructural",
    "service": ID + "service/example-building-permit-enquiries",
}


@cache
def engine(name: str, extra: tuple[str, ...] = ()) -> Engine:
    # A query's '# data:' folders (e.g. examples/cpsv-ap) are loaded next to data/.
    project = Project(data_dirs=(ROOT / "data", *(ROOT / d for d in extra))) if extra else Project()
    loaded = load(project, DEFAULT_BASE, name)
    for rules in rule_sets(ROOT / "queries").values():
        derive(loaded.engine, rules, DEFAULT_BASE)
    return loaded.engine


def key(row: tuple) -> tuple:
    # Blank-node labels differ between engines; everything else must be identical.
    return tuple(
        "_:b"
        if t is not None and t.__class__.__name__ == "BNode"
        else (None if t is None else t.n3())
        for t in row
    )


@pytest.mark.skipif(not REAL.is_dir(), reason="real review data not present")
@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: str(p.relative_to(ROOT / "queries")))
def test_same_results_on_both_engines(path: Path) -> None:
    query = read_query(path)
    unknown = [p.name for p in query.parameters if p.name not in PARAMETER_VALUES]
    if unknown:
        pytest.skip(f"no test value for parameter(s) {unknown}: add them to PARAMETER_VALUES")
    params = {p.name: PARAMETER_VALUES[p.name] for p in query.parameters}
    extra = declared_data(query)
    results = {name: run(engine(name, extra), query, params).rows for name in ENGINES}
    a, b = results["oxigraph"], results["rdflib"]
    assert a.variables == b.variables
    rows_a, rows_b = [key(r) for r in a.rows], [key(r) for r in b.rows]
    assert Counter(rows_a) == Counter(rows_b)
    order = re.search(r"\bORDER\s+BY\b(.*)$", strip_for_scan(query.text), re.IGNORECASE | re.S)
    if order:
        # Ties may come in any order: compare the sequence of the projected sort keys.
        sort_vars = [v for v in re.findall(r"\?(\w+)", order.group(1)) if v in a.variables]
        positions = [a.variables.index(v) for v in sort_vars]
        assert [tuple(r[i] for i in positions) for r in rows_a] == [
            tuple(r[i] for i in positions) for r in rows_b
        ]


@pytest.mark.skipif(not REAL.is_dir(), reason="real review data not present")
def test_same_derived_graph_on_both_engines() -> None:
    for rules in rule_sets(ROOT / "queries").values():
        for rule in rules:
            graph = f"{DEFAULT_BASE}graph/derived/{rule.stem}"
            a = {key(t) for t in engine("oxigraph").triples(graph)}
            b = {key(t) for t in engine("rdflib").triples(graph)}
            assert a == b and a, rule.stem


def test_options_default() -> None:
    assert BuildOptions().engine == "oxigraph" and BuildOptions().rules == "auto"
