"""The fast validation path (SHACL compiled to SPARQL on pyoxigraph) gives pySHACL's report.

Differential tests: the same data and shapes through ``validator="fast"`` and
``validator="pyshacl"`` must give the same multiset of results (focus node, path,
constraint component, severity, value, named shape, message, source file; blank nodes
compared as blank nodes, since their labels differ between stores):

- every shape fixture (tests/fixtures/shapes/{valid,invalid}) with its background;
- the review's own data, with the check queries;
- a generated review (bench.generate) with every injectable violation kind;
- every case of the W3C SHACL Core test suite (vendored in tests/w3c/shacl-core/) whose shapes
  the compiler covers, compared with pySHACL *and* with the W3C expected report. The
  cases where pySHACL itself departs from the W3C report are listed in
  ``PYSHACL_DEPARTS`` (there the fast path must give the W3C report and pySHACL must
  still differ from it, so the list stays true); ``BOTH_DEPART`` lists the one case
  where the fast path follows pySHACL rather than the suite.
"""

from __future__ import annotations

import gc
import logging
import shutil
import sys
from collections import Counter
from pathlib import Path

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH
from support.projects import project_with, validate_files

import kg.validation.run as run_module
from kg.config import DEFAULT_BASE, Project
from kg.rdf.load import load
from kg.validation import ValidationReport, ValidationResult, reference, validate
from kg.validation.compiler import Compiled, compile_shapes
from kg.validation.compiler.literals import ENC_DT
from kg.validation.fast import fast_shapes
from kg.validation.inputs import load_shapes
from kg.validation.reference import run_pyshacl
from kg.validation.stores import in_place, quads_from_rdflib, stores_from_quads
from kg.validation.terms import local_name, path_str, term_str

REPO = Path(__file__).resolve().parents[1]
W3C = REPO / "tests" / "w3c" / "shacl-core" / "core" / "manifest.ttl"
SHAPES_DIR = REPO / "shapes"
FIXTURES = REPO / "tests" / "fixtures" / "shapes"
BACKGROUND = FIXTURES / "background.ttl"
FIXTURE_FILES = sorted((FIXTURES / "valid").glob("*.ttl")) + sorted(
    (FIXTURES / "invalid").glob("*.ttl")
)

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = Namespace("http://www.w3.org/ns/shacl-test#")

#: W3C cases where pySHACL 0.40 reports what the suite does not (the fast path gives
#: the suite's report): results of a blank nested shape reported on their own.
PYSHACL_DEPARTS = {
    "node/node-001": "pySHACL also reports the sh:class of the nested sh:node shape",
    "property/node-001": "pySHACL also reports the nested node shape's sh:minCount results",
    "property/node-002": "pySHACL also reports the nested node shape's sh:datatype result",
}
#: W3C cases where the fast path follows pySHACL, not the suite.
BOTH_DEPART = {
    "property/uniqueLang-002": 'sh:uniqueLang "1"^^xsd:boolean is read as true (suite: ignored)',
}


def _blank(term: str | None) -> str | None:
    return "_:" if term is not None and term.startswith("_:") else term


def full_key(r: ValidationResult) -> tuple:
    """Everything a result says, blank-node labels aside."""
    return (
        _blank(r.focus),
        r.path,
        r.component,
        r.severity,
        _blank(r.value),
        r.shape,
        r.message,
        r.source_file,
        r.constraint,
    )


def _file_unless_blank(r: ValidationResult) -> tuple:
    key = full_key(r)
    return key[:7] + key[8:] if key[0] == "_:" else key


def result_key(r: ValidationResult) -> tuple:
    """Everything but the message (for shapes without sh:message, where pySHACL and the
    fast path word their default messages differently)."""
    return full_key(r)[:6]


def w3c_key(r: ValidationResult) -> tuple:
    """What the W3C suite's reports pin: focus, path, component, severity, value."""
    return (_blank(r.focus), r.path, r.component, r.severity, _blank(r.value))


def assert_same(fast: list[ValidationResult], ref: list[ValidationResult], key=full_key) -> None:
    a, b = Counter(map(key, fast)), Counter(map(key, ref))
    assert a == b, f"fast only: {sorted(a - b, key=repr)}\npySHACL only: {sorted(b - a, key=repr)}"


def fast_results(data: Graph, shapes: Graph) -> tuple[list[ValidationResult], Compiled]:
    """The fast path over an rdflib data graph and a shapes graph (no check query)."""
    stores = stores_from_quads({"urn:x-govsm:data": quads_from_rdflib(data)})
    return fast_shapes(stores, shapes, {})


def pyshacl_results(data: Graph, shapes: Graph) -> list[ValidationResult]:
    """pySHACL over a copy of ``data``."""
    return run_pyshacl(Graph() + data, shapes, {})


def test_our_shapes_compile_entirely() -> None:
    compiled = compile_shapes(load_shapes(SHAPES_DIR))
    assert compiled.fallback == {}
    assert len(compiled.queries) > 100


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture_reports_are_equal(path: Path, tmp_path: Path) -> None:
    project = project_with(tmp_path, BACKGROUND, path)
    fast = validate(load(project, DEFAULT_BASE), project, "fast")
    ref = validate(load(project, DEFAULT_BASE), project, "pyshacl")
    assert_same(fast.results, ref.results)
    if path.parent.name == "invalid":
        assert fast.results  # the comparison is not between two empty reports


def _validate(project: Project, validator: str, copy: bool) -> ValidationReport:
    """Load and validate as the build does (``copy``: the fast path in copies of the
    engine's store instead of in the store itself); the engine's store is left as the
    load made it."""
    loaded = load(project, DEFAULT_BASE)
    before = set(loaded.engine.store)
    assert validator != "fast" or in_place(loaded)
    report = validate(loaded, project, validator, copy=copy)
    assert set(loaded.engine.store) == before
    return report


@pytest.mark.parametrize("copy", [False, True], ids=["in-place", "copied"])
def test_review_data_reports_are_equal(copy: bool) -> None:
    project = Project()
    fast = _validate(project, "fast", copy)
    ref = _validate(project, "pyshacl", False)
    assert fast.results, "the review's data gives warnings: something to compare"
    assert_same(fast.results, ref.results)


# A blank-node review with literals the Store would rewrite ("07" kept as 7, the
# ill-typed "-3", an upper-case language tag): the engine loads this file quad by quad
# and the validation store must take its quads, blank-node labels and all, from there.
_BLANK_REVIEW = """
@prefix govsm: <https://w3id.org/govsm/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
[] a govsm:Review ;
    rdfs:label "Blank review"@EN-GB ;
    govsm:reportedIncludedCount "07"^^xsd:nonNegativeInteger , "-3"^^xsd:nonNegativeInteger .
"""


# The same with a named review, which the engine bulk-loads: the validation store then
# swaps the Store's forms for the literals as written, removing each by its written form,
# and here two written forms ("07", "7"; "EN-GB", "en-gb") share one Store form.
_NAMED_REVIEW = """
@prefix govsm: <https://w3id.org/govsm/ontology#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
<https://w3id.org/govsm/id/review/zz-named> a govsm:Review ;
    rdfs:label "Named review"@EN-GB , "Named review"@en-gb ;
    govsm:reportedIncludedCount "07"^^xsd:nonNegativeInteger , "7"^^xsd:nonNegativeInteger ,
        "-3"^^xsd:nonNegativeInteger .
"""


def test_generated_review_with_every_injected_kind(tmp_path: Path) -> None:
    """In place (the build's way) against pySHACL, and copied (validate's way) the same."""
    copy = False
    generate = pytest.importorskip("bench.generate")
    inject = {kind: 1 for kind in generate.INJECTIONS}
    generated = generate.generate(tmp_path / "g", studies=40, seed=3, inject=inject)
    (generated.root / "data" / "zz-blank-review.ttl").write_text(_BLANK_REVIEW)
    (generated.root / "data" / "zz-named-review.ttl").write_text(_NAMED_REVIEW)
    project = Project(root=generated.root)
    fast = _validate(project, "fast", copy)
    ref = _validate(project, "pyshacl", False)
    assert len(fast.violations) >= len(generate.INJECTIONS)
    named = {
        (r.component.rsplit("#")[-1], r.value)
        for r in fast.results
        if r.focus.endswith("/review/zz-named")
    }
    assert {("MaxCountConstraintComponent", None), ("DatatypeConstraintComponent", "-3")} <= named
    blank = [r for r in fast.results if r.focus.startswith("_:")]
    assert {r.source_file for r in blank} == {"data/zz-blank-review.ttl"}
    assert {(r.component.rsplit("#")[-1], r.value) for r in blank} >= {
        ("NodeKindConstraintComponent", blank[0].focus),
        ("MaxCountConstraintComponent", None),
        ("DatatypeConstraintComponent", "-3"),
    }
    # pySHACL's report names no file for a blank focus node (rdflib relabels them)
    assert_same(fast.results, ref.results, key=_file_unless_blank)
    other = _validate(project, "fast", not copy)
    assert_same(fast.results, other.results)


def test_in_place_validation_puts_the_store_back_when_it_fails(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The engine's store holds the written literals, encoded, only while the shapes
    run: a failure there still leaves it as the load made it (owl:imports included)."""
    root = tmp_path / "p"
    shutil.copytree(Project().root / "ontology", root / "ontology")
    shutil.copytree(Project().root / "shapes", root / "shapes")
    (root / "data").mkdir()
    (root / "data" / "zz-named-review.ttl").write_text(_NAMED_REVIEW)
    project = Project(root=root)
    loaded = load(project, DEFAULT_BASE)
    store = loaded.engine.store
    before = set(store)
    assert any(q.predicate.value.endswith("#imports") for q in before)
    seen: list[set[str]] = []

    def failing(stores, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        assert stores.encoded is store
        seen.append({q.object.datatype.value for q in store if hasattr(q.object, "datatype")})
        assert not any(q.predicate.value.endswith("#imports") for q in store)
        raise RuntimeError("a compiled query failed")

    monkeypatch.setattr(run_module, "fast_shapes", failing)
    with pytest.raises(RuntimeError, match="a compiled query failed"):
        validate(loaded, project)
    assert any(dt.startswith(ENC_DT) for dt in seen[0])  # it was encoded meanwhile
    assert set(store) == before


def test_check_queries_see_the_values_as_the_store_has_them(tmp_path: Path) -> None:
    """The check queries compare values: they run on the engine's store before it holds
    the written literals encoded for the shapes ("07"^^xsd:nonNegativeInteger is 7)."""
    root = tmp_path / "p"
    shutil.copytree(Project().root / "ontology", root / "ontology")
    shutil.copytree(Project().root / "shapes", root / "shapes")
    (root / "data").mkdir()
    (root / "data" / "zz-named-review.ttl").write_text(_NAMED_REVIEW)
    (root / "queries" / "checks").mkdir(parents=True)
    (root / "queries" / "checks" / "count-seven-violation.rq").write_text(
        "# title: A count of seven\n"
        "PREFIX govsm: <https://w3id.org/govsm/ontology#>\n"
        "SELECT ?focus ?n WHERE { ?focus govsm:reportedIncludedCount ?n FILTER (?n = 7) }\n"
    )
    project = Project(root=root)
    loaded = load(project, DEFAULT_BASE)
    for copy in (False, True):
        report = validate(loaded, project, copy=copy)
        seven = [r for r in report.results if r.shape.endswith("count-seven-violation.rq")]
        assert {r.focus for r in seven} == {DEFAULT_BASE + "id/review/zz-named"}, copy


# ---------------------------------------------------------------------------
# Literals kept as written; shapes left to pySHACL
# ---------------------------------------------------------------------------

_LITERALS_DATA = """
@prefix ex: <http://example.org/> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:a a ex:C ;
    ex:n "05"^^xsd:integer , "5"^^xsd:integer ;
    ex:d "1.50"^^xsd:decimal ;
    ex:p "7"^^xsd:positiveInteger , "0"^^xsd:positiveInteger ;
    ex:l "Hallo"@DE-at , "Hi"@EN-us , "Hey"@en-US .
"""
_LITERALS_SHAPES = """
@prefix ex: <http://example.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:S a sh:NodeShape ; sh:targetClass ex:C ;
    sh:property [ sh:path ex:n ; sh:maxCount 1 ; sh:pattern "^[1-9]" ] ;
    sh:property [ sh:path ex:d ; sh:datatype xsd:decimal ; sh:maxLength 3 ] ;
    sh:property [ sh:path ex:p ; sh:datatype xsd:positiveInteger ; sh:in ( 7 ) ] ;
    sh:property [ sh:path ex:l ; sh:languageIn ( "en" ) ; sh:uniqueLang true ] .
"""


_GROUPED_DATA = """
@prefix ex: <http://example.org/> .
ex:a a ex:C ; ex:p 1 , 2 ; ex:q 1 .
ex:b a ex:C ; ex:q 1 , 2 ; ex:r 1 , 2 .
ex:c a ex:D ; ex:p 1 , 2 .
ex:d a ex:C ; ex:p 1 ; ex:q 1 ; ex:r 1 .
"""
_GROUPED_SHAPES = """
@prefix ex: <http://example.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
ex:S a sh:NodeShape ; sh:targetClass ex:C ;
    sh:property [ sh:path ex:p ; sh:minCount 1 ; sh:maxCount 1 ] ;
    sh:property [ sh:path ex:q ; sh:minCount 1 ; sh:maxCount 1 ] ;
    sh:property [ sh:path ex:r ; sh:minCount 1 ; sh:maxCount 1 ; sh:severity sh:Warning ] ;
    sh:property [ sh:path [ sh:inversePath ex:p ] ; sh:maxCount 1 ] .
ex:T a sh:NodeShape ; sh:targetClass ex:D ;
    sh:property [ sh:path ex:p ; sh:maxCount 1 ; sh:message "one p on a D" ] .
"""


def test_grouped_min_and_max_count_queries_report_as_apart() -> None:
    """minCount 1 and maxCount 1 on several predicates of one target run as one query
    each (the targets enumerated once): every result still names its own constraint,
    path, severity and message, as pySHACL and the queries run apart do."""
    data = Graph().parse(data=_GROUPED_DATA, format="turtle")
    shapes = Graph().parse(data=_GROUPED_SHAPES, format="turtle")
    fast, compiled = fast_results(data, shapes)
    groups = Counter(cq.group for cq in compiled.queries if cq.group)
    # ex:C's three minCounts and three maxCounts; ex:T's alone (runs apart, as does the
    # inverse path, which has no group)
    assert sorted(groups.values()) == [1, 3, 3]
    ref = pyshacl_results(data, shapes)
    assert_same(fast, ref, key=result_key)
    for cq in compiled.queries:
        cq.group = None
    stores = stores_from_quads({"urn:x-govsm:data": quads_from_rdflib(data)})
    apart, _ = fast_shapes(stores, shapes, {}, compiled)
    assert_same(fast, apart, key=full_key)
    assert len(fast) == 6


def test_literals_are_validated_as_written() -> None:
    """The pyoxigraph Store would turn "05" into 5, xsd:positiveInteger into xsd:integer
    and language tags into lower case; the encoded validation store must not."""
    data = Graph().parse(data=_LITERALS_DATA, format="turtle")
    shapes = Graph().parse(data=_LITERALS_SHAPES, format="turtle")
    fast, compiled = fast_results(data, shapes)
    assert compiled.fallback == {}
    ref = pyshacl_results(data, shapes)
    assert_same(fast, ref, key=result_key)
    got = {(r.component.rsplit("#", 1)[-1], r.value) for r in fast}
    assert ("MaxLengthConstraintComponent", "1.50") in got
    assert ("DatatypeConstraintComponent", "0") in got  # ill-typed positiveInteger
    assert ("InConstraintComponent", "0") in got
    assert ("LanguageInConstraintComponent", "Hallo") in got
    assert ("UniqueLangConstraintComponent", None) in got


def test_non_canonical_lexical_forms_are_distinct_terms() -> None:
    """Read by pyoxigraph (as the pipeline reads files), "05"^^xsd:integer and
    "5"^^xsd:integer are two terms and sh:pattern sees "05", as SHACL says. (rdflib, and
    so pySHACL, rewrites "05" to "5" when it builds the literal: there the two collapse.)"""
    import pyoxigraph as ox

    quads = list(ox.parse(_LITERALS_DATA.encode(), format=ox.RdfFormat.TURTLE))
    stores = stores_from_quads({"urn:x-test:data": quads})
    shapes = Graph().parse(data=_LITERALS_SHAPES, format="turtle")
    fast, _ = fast_shapes(stores, shapes, {})
    got = {(r.component.rsplit("#", 1)[-1], r.value) for r in fast}
    assert ("MaxCountConstraintComponent", None) in got
    assert ("PatternConstraintComponent", "05") in got
    assert ("LanguageInConstraintComponent", "Hallo") in got  # tag written DE-at
    assert ("DatatypeConstraintComponent", "0") in got


def test_uncompiled_shape_falls_back_to_pyshacl() -> None:
    shapes = Graph().parse(
        data="""
        @prefix ex: <http://example.org/> .
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        ex:Lookahead a sh:NodeShape ; sh:targetClass ex:C ;
            sh:property [ sh:path ex:l ; sh:pattern "^(?!Hallo)" ] .
        ex:Plain a sh:NodeShape ; sh:targetClass ex:C ;
            sh:property [ sh:path ex:l ; sh:maxCount 1 ] .
        """,
        format="turtle",
    )
    data = Graph().parse(data=_LITERALS_DATA, format="turtle")
    fast, compiled = fast_results(data, shapes)
    assert set(compiled.fallback) == {"http://example.org/Lookahead"}
    assert "sh:pattern" in compiled.fallback["http://example.org/Lookahead"]
    ref = pyshacl_results(data, shapes)
    assert_same(fast, ref, key=result_key)
    assert {r.shape for r in fast} == {"http://example.org/Lookahead", "http://example.org/Plain"}


def test_the_reference_parses_a_sparql_constraint_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """pySHACL runs a SPARQL-based constraint once per focus node (passing rdflib's
    ``initNs`` by position): the reference validator parses its text once, not per node."""
    import rdflib.plugins.sparql.processor as processor

    shapes = Graph().parse(
        data="""
        @prefix ex: <http://example.org/> .
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        ex:S a sh:NodeShape ; sh:targetClass ex:C ;
            sh:sparql [ sh:select "SELECT $this WHERE { $this <http://example.org/bad> ?x }" ] .
        """,
        format="turtle",
    )
    data = Graph().parse(
        data="@prefix ex: <http://example.org/> .\n"
        + "".join(f"ex:n{i} a ex:C ; ex:bad {i} .\n" for i in range(6)),
        format="turtle",
    )
    parsed: list[str] = []
    real = processor.parseQuery

    def counting(text: str):  # noqa: ANN202 - rdflib's parse tree
        parsed.append(text)
        return real(text)

    monkeypatch.setattr(processor, "parseQuery", counting)
    reference._prepared.cache_clear()
    report = reference.validate_reference(data, Graph(), shapes, [], {})
    assert len(report.results) == 6
    assert sum("<http://example.org/bad>" in text for text in parsed) == 1, parsed


def test_query_solutions_are_freed_in_the_thread_that_made_them() -> None:
    """pyoxigraph's solutions iterator must be freed in the thread that made it. rdflib
    logs an ill-typed literal's conversion error with its traceback, which keeps the
    frames of the query's thread alive: records kept (as a log handler may) and freed
    later in another thread must not free an iterator with them."""
    data = Graph().parse(
        data="@prefix ex: <http://example.org/> ."
        " @prefix xsd: <http://www.w3.org/2001/XMLSchema#> ."
        ' ex:a ex:p "aldi"^^xsd:integer .',
        format="turtle",
    )
    shapes = Graph().parse(
        data="@prefix ex: <http://example.org/> . @prefix sh: <http://www.w3.org/ns/shacl#> ."
        " @prefix xsd: <http://www.w3.org/2001/XMLSchema#> ."
        " ex:S a sh:NodeShape ; sh:targetSubjectsOf ex:p ;"
        " sh:property [ sh:path ex:p ; sh:datatype xsd:integer ] .",
        format="turtle",
    )
    kept = logging.Handler(logging.WARNING)
    records: list[logging.LogRecord] = []
    kept.emit = records.append  # type: ignore[method-assign]
    rdflib_log = logging.getLogger("rdflib")
    unraisable: list[object] = []
    hook, sys.unraisablehook = sys.unraisablehook, unraisable.append
    rdflib_log.addHandler(kept)
    rdflib_log.propagate = False  # only this handler keeps them (not pytest's)
    try:
        results, _ = fast_results(data, shapes)
        assert len(results) == 1  # the ill-typed value is reported
        assert any(r.exc_info for r in records), "rdflib logged no traceback"
        records.clear()  # the tracebacks, and the frames they hold, freed here
        gc.collect()
    finally:
        rdflib_log.removeHandler(kept)
        rdflib_log.propagate = True
        sys.unraisablehook = hook
    assert unraisable == []


def test_recursive_shapes_fall_back_to_pyshacl() -> None:
    """A shape that nests itself (here through sh:node and sh:property) cannot be
    inlined: it is left to pySHACL, with the reason, and the report is pySHACL's (SHACL
    leaves the meaning of recursive shapes open: pySHACL's is the reference)."""
    shapes = Graph().parse(
        data="""
        @prefix ex: <http://example.org/> .
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        ex:A a sh:NodeShape ; sh:targetClass ex:C ; sh:node ex:B .
        ex:B a sh:NodeShape ; sh:property [ sh:path ex:p ; sh:minCount 1 ; sh:node ex:A ] .
        """,
        format="turtle",
    )
    data = Graph().parse(
        data="""
        @prefix ex: <http://example.org/> .
        ex:a a ex:C ; ex:p ex:b . ex:b ex:p ex:c . ex:d a ex:C ; ex:p ex:d .
        """,
        format="turtle",
    )
    fast, compiled = fast_results(data, shapes)
    assert compiled.fallback == {"http://example.org/A": "recursive shapes"}
    ref = pyshacl_results(data, shapes)
    assert_same(fast, ref, key=result_key)


def test_a_property_pair_with_two_properties_on_a_node_shape() -> None:
    """sh:disjoint naming two properties on a node shape: each is checked once, one
    result per property the focus node is a value of (as pySHACL reports)."""
    shapes = Graph().parse(
        data="""
        @prefix ex: <http://example.org/> .
        @prefix sh: <http://www.w3.org/ns/shacl#> .
        ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:disjoint ex:p , ex:q .
        """,
        format="turtle",
    )
    data = Graph().parse(
        data="""
        @prefix ex: <http://example.org/> .
        ex:a a ex:C ; ex:p ex:a ; ex:q ex:a . ex:b a ex:C ; ex:p ex:a .
        """,
        format="turtle",
    )
    fast, _ = fast_results(data, shapes)
    ref = pyshacl_results(data, shapes)
    assert_same(fast, ref, key=result_key)
    assert len(fast) == 2


# ---------------------------------------------------------------------------
# The W3C SHACL Core test suite
# ---------------------------------------------------------------------------


def _local_path(node: URIRef) -> Path:
    return Path(str(node).removeprefix("file://"))


def _w3c_cases() -> list:
    out = []

    def walk(manifest: Path) -> None:
        g = Graph().parse(manifest, format="turtle", publicID=manifest.as_uri())
        for inc in g.objects(None, MF.include):
            walk(_local_path(inc))
        for m in g.subjects(RDF.type, MF.Manifest):
            for head in g.objects(m, MF.entries):
                for entry in Collection(g, head):
                    name = "/".join(str(entry).rsplit("/", 2)[-2:])
                    out.append(pytest.param(g, entry, id=name))

    walk(W3C)
    return out


W3C_CASES = _w3c_cases()


def _expected(g: Graph, entry: URIRef) -> Counter:
    report = g.value(entry, MF.result)
    out: Counter = Counter()
    for r in g.objects(report, SH.result):
        path, value = g.value(r, SH.resultPath), g.value(r, SH.value)
        out[
            (
                _blank(term_str(g.value(r, SH.focusNode))),
                path_str(g, path) if path is not None else None,
                str(g.value(r, SH.sourceConstraintComponent)),
                local_name(g.value(r, SH.resultSeverity)),
                _blank(term_str(value)) if value is not None else None,
            )
        ] += 1
    return out


def test_w3c_suite_is_found_and_mostly_compiled() -> None:
    assert len(W3C_CASES) >= 90


@pytest.mark.parametrize(("manifest", "entry"), W3C_CASES)
def test_w3c_case(manifest: Graph, entry: URIRef) -> None:
    name = "/".join(str(entry).rsplit("/", 2)[-2:])
    action = manifest.value(entry, MF.action)
    data = Graph().parse(_local_path(manifest.value(action, SHT.dataGraph)), format="turtle")
    shapes = Graph().parse(_local_path(manifest.value(action, SHT.shapesGraph)), format="turtle")
    compiled = compile_shapes(shapes)
    if compiled.fallback:
        pytest.skip(f"not compiled: {sorted(set(compiled.fallback.values()))}")
    fast, _ = fast_results(data, shapes)
    ref = pyshacl_results(data, shapes)
    expected = _expected(manifest, entry)
    got = Counter(map(w3c_key, fast))
    if name in PYSHACL_DEPARTS:
        assert got == expected
        assert Counter(map(w3c_key, ref)) != expected, "pySHACL now agrees: update the list"
        return
    assert_same(fast, ref, key=w3c_key)
    if name in BOTH_DEPART:
        assert got != expected, "the suite is now followed: update the list"
    else:
        assert got == expected


def test_fallback_is_said_in_the_report(tmp_path: Path) -> None:
    """A shape left to pySHACL is named, with the reason, in the report's notes."""
    shapes_dir = tmp_path / "shapes"
    shapes_dir.mkdir()
    for path in sorted(SHAPES_DIR.glob("*.ttl")):
        (shapes_dir / path.name).write_bytes(path.read_bytes())
    (shapes_dir / "zz-extra.ttl").write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n"
        "@prefix govsm: <https://w3id.org/govsm/ontology#> .\n"
        "<https://w3id.org/govsm/shapes#LookaheadShape> a sh:NodeShape ;\n"
        "    sh:targetClass govsm:Study ;\n"
        '    sh:property [ sh:path <http://purl.org/dc/terms/title> ; sh:pattern "^(?!x)" ] .\n',
        encoding="utf-8",
    )
    fast = validate_files(tmp_path / "p", BACKGROUND, shapes=shapes_dir, checks=False)
    ref = validate_files(
        tmp_path / "p", BACKGROUND, validator="pyshacl", shapes=shapes_dir, checks=False
    )
    assert_same(fast.results, ref.results)
    assert fast.notes == [
        "shape:LookaheadShape: validated by pySHACL (not compiled: sh:pattern '^(?!x)' "
        "(regex syntax beyond the portable subset))"
    ]
    assert ref.notes == []


_SHARED_SHAPES = """
@prefix ex: <http://example.org/> .
@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
ex:A a sh:NodeShape ; sh:targetClass ex:C ;
    sh:property ex:NameRequired , ex:KindIsE ; sh:sparql ex:NoSelfLink .
ex:B a sh:NodeShape ; sh:targetClass ex:D ;
    sh:property ex:NameRequired , ex:PartIsE ; sh:sparql ex:NoSelfLink .
ex:NameRequired a sh:PropertyShape ; sh:path ex:name ; sh:minCount 1 ;
    sh:message "a name is required" .
ex:KindIsE a sh:PropertyShape ; sh:path ex:kind ; sh:or ( ex:IsE ex:IsF ) ;
    sh:message "a kind is an E or an F" .
ex:PartIsE a sh:PropertyShape ; sh:path ex:part ; sh:or ( ex:IsE ex:IsF ) ;
    sh:message "a part is an E or an F" .
ex:IsE sh:class ex:E .
ex:IsF sh:class ex:F .
ex:NoSelfLink a sh:SPARQLConstraint ; sh:message "links to itself" ;
    sh:select "SELECT $this ?value WHERE { $this ex:link ?value FILTER (?value = $this) }" ;
    sh:prefixes ex:Prefixes .
ex:Prefixes sh:declare [ sh:prefix "ex" ; sh:namespace "http://example.org/"^^xsd:anyURI ] .
"""
_SHARED_DATA = """
@prefix ex: <http://example.org/> .
ex:c a ex:C ; ex:kind ex:x ; ex:link ex:c .
ex:d a ex:D ; ex:name "d" ; ex:part ex:e .
ex:cd a ex:C , ex:D ; ex:kind ex:e ; ex:part ex:x ; ex:link ex:cd .
ex:e a ex:E .
"""


def test_shapes_with_iris_shared_by_two_node_shapes() -> None:
    """A property shape, a value shape (sh:or operand) and a SPARQL constraint, each an
    IRI used by two node shapes: compiled once per node shape that uses it, reported
    with the IRI as sh:sourceShape / sh:sourceConstraint, as pySHACL reports them."""
    data = Graph().parse(data=_SHARED_DATA, format="turtle")
    shapes = Graph().parse(data=_SHARED_SHAPES, format="turtle")
    fast, compiled = fast_results(data, shapes)
    assert compiled.fallback == {}
    assert_same(fast, pyshacl_results(data, shapes))
    ex = "http://example.org/"
    found = Counter((r.focus[len(ex) :], r.shape[len(ex) :], r.constraint) for r in fast)
    assert found == {
        # ex:cd is a C and a D: the shared property shape checks it once for each
        ("c", "NameRequired", None): 1,
        ("cd", "NameRequired", None): 2,
        ("c", "KindIsE", None): 1,
        ("cd", "PartIsE", None): 1,
        ("c", "A", ex + "NoSelfLink"): 1,
        ("cd", "A", ex + "NoSelfLink"): 1,
        ("cd", "B", ex + "NoSelfLink"): 1,
    }


def test_a_literal_focus_node_is_reported_not_a_traceback(tmp_path: Path) -> None:
    """A quote written as a literal (govsm:hasQuote "…") makes the literal a check query's
    focus node: both validators report it; the one naming the file it is in skips it (a
    literal is never a subject)."""
    data = tmp_path / "review" / "bad.ttl"
    data.parent.mkdir()
    data.write_text(
        "@prefix govsm: <https://w3id.org/govsm/ontology#> .\n"
        "<https://w3id.org/govsm/id/evidence/x> a govsm:EvidenceItem ;\n"
        '    govsm:hasQuote "a quote written as a literal" .\n',
        encoding="utf-8",
    )
    fast = validate_files(tmp_path / "fast", data)
    ref = validate_files(tmp_path / "ref", data, validator="pyshacl")
    assert_same(fast.results, ref.results)
    literal = [r for r in fast.results if r.focus == "a quote written as a literal"]
    assert literal and all(r.source_file is None for r in literal)
    item = [r for r in fast.results if r.focus.endswith("/evidence/x")]
    assert item and all(r.source_file == "data/review/bad.ttl" for r in item)
