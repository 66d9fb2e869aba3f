"""SHACL shapes: fixtures with exact expected reports, shape hygiene, the real data.

Fixtures live in tests/fixtures/shapes/{valid,invalid}/, W3C data-shapes style: a data
file ``STEM.ttl`` and ``STEM.expected.json`` listing every expected result as
``{focus, path, component, severity, shape}`` (compact names use the prefix table).
Each fixture is validated together with ``background.ttl`` (a minimal clean review
graph it can point to) and the ontology. The set of (focus, path, component,
severity) must match exactly; the named shapes behind the results must match too.

- valid/: no result at all (not even a warning); ``shapes`` names the node shapes the
  fixture exercises, and each of them targets a node the fixture defines.
- invalid/: at least one result, a violation or (for what a careful reviewer should
  look at) a warning.
"""

from __future__ import annotations

import json
import shutil
import socket
import time
from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL, RDF, RDFS, SH
from support.projects import project_with, validate_files

from kg.config import DEFAULT_BASE, Project
from kg.prefixes import PREFIXES
from kg.rdf.load import load
from kg.stages.ontology import load_ontology
from kg.validation import (
    CHECK_COMPONENT,
    VIOLATION,
    WARNING,
    ValidationReport,
    ValidationResult,
    render_table,
    render_text,
    validate,
)
from kg.validation.inputs import load_shapes

REPO = Path(__file__).resolve().parents[1]
SHAPES_DIR = REPO / "shapes"
FIXTURES = REPO / "tests" / "fixtures" / "shapes"
BACKGROUND = FIXTURES / "background.ttl"
DATA_DIR = REPO / "data" / "social-media-service-delivery"
SHAPE_NS = PREFIXES["shape"]

VALID = sorted((FIXTURES / "valid").glob("*.ttl"))
INVALID = sorted((FIXTURES / "invalid").glob("*.ttl"))

# Parameters that make a shape a constraint (SHACL Core and SHACL-SPARQL).
_PARAMETER_NAMES = """
    class datatype nodeKind minCount maxCount minExclusive minInclusive maxExclusive
    maxInclusive minLength maxLength pattern languageIn uniqueLang equals disjoint lessThan
    lessThanOrEquals not and or xone node property qualifiedValueShape closed hasValue in select
"""
CONSTRAINT_PARAMETERS = {SH[name] for name in _PARAMETER_NAMES.split()}  # noqa: SIM905


def expand(name: str | None) -> str | None:
    """``govsm:x`` -> full IRI with the project's prefix table; other strings unchanged."""
    if name is None:
        return None
    prefix, sep, rest = name.partition(":")
    if sep and prefix in PREFIXES:
        return PREFIXES[prefix] + rest
    return name


@pytest.fixture(scope="session")
def ontology() -> Graph:
    """The ontology with its (offline) import closure."""
    return load_ontology(REPO / "ontology").graph


@pytest.fixture(scope="session")
def background() -> Graph:
    """The minimal clean review graph every shape fixture is read with."""
    return Graph().parse(BACKGROUND, format="turtle")


@pytest.fixture(scope="session")
def shapes() -> Graph:
    """All shapes files in one graph."""
    return load_shapes(SHAPES_DIR)


def run_fixture(path: Path, folder: Path) -> ValidationReport:
    """The fixture with the background, validated by the shapes (no check query)."""
    return validate_files(folder, BACKGROUND, path, checks=False)


def expected_of(path: Path) -> dict:
    return json.loads(path.with_suffix(".expected.json").read_text(encoding="utf-8"))


def key_set(results: list[ValidationResult]) -> set[tuple]:
    return {(r.focus, r.path, r.component, r.severity) for r in results}


def expected_key_set(expected: dict) -> set[tuple]:
    return {
        (
            expand(e["focus"]),
            expand(e["path"]),
            expand(e["component"]),
            expand(e["severity"]).rsplit("#", 1)[-1],
        )
        for e in expected["results"]
    }


# ---------------------------------------------------------------------------
# Fixtures: exact expected reports
# ---------------------------------------------------------------------------


def test_fixture_folders_are_populated() -> None:
    assert VALID and INVALID
    for path in VALID + INVALID:
        assert path.with_suffix(".expected.json").is_file(), f"{path.name}: no expected report"


def test_background_alone_gives_no_result(tmp_path: Path) -> None:
    report = validate_files(tmp_path, BACKGROUND)
    assert report.results == [], render_text(report, warnings="all")


@pytest.mark.parametrize("path", VALID + INVALID, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_fixture_report_matches_expected(path: Path, tmp_path: Path) -> None:
    expected = expected_of(path)
    report = run_fixture(path, tmp_path)
    actual = key_set(report.results)
    wanted = expected_key_set(expected)
    assert actual == wanted, (
        f"\nunexpected: {sorted(actual - wanted, key=str)}"
        f"\nmissing:    {sorted(wanted - actual, key=str)}"
        f"\n{render_text(report, warnings='all')}"
    )
    assert {r.shape for r in report.results} == {expand(e["shape"]) for e in expected["results"]}
    for e in expected["results"]:
        if "message" in e:  # pins which constraint's message is reported
            key = (expand(e["focus"]), expand(e["path"]), expand(e["component"]))
            messages = [r.message for r in report.results if (r.focus, r.path, r.component) == key]
            assert any(e["message"] in m for m in messages), (e["message"], messages)
    if path.parent.name == "valid":
        assert report.results == []
    else:
        assert report.results, "an invalid fixture must give at least one result"
    # Every result speaks to a researcher.
    assert all(r.message.strip() for r in report.results)


def _named_node_shapes(shapes: Graph) -> set[str]:
    return {str(s) for s in shapes.subjects(RDF.type, SH.NodeShape) if isinstance(s, URIRef)}


def _node_shapes_of(shapes: Graph, name: str) -> set[str]:
    """The node shapes a result's source shape belongs to: itself, or the node shapes
    whose sh:property it is."""
    shape = URIRef(expand(name))
    if (shape, RDF.type, SH.NodeShape) in shapes:
        return {str(shape)}
    return {str(s) for s in shapes.subjects(SH.property, shape)}


def test_every_shape_has_a_valid_and_an_invalid_fixture(shapes: Graph) -> None:
    all_shapes = _named_node_shapes(shapes)
    in_valid = {expand(s) for p in VALID for s in expected_of(p).get("shapes", [])}
    in_invalid = {
        node
        for p in INVALID
        for e in expected_of(p)["results"]
        for node in _node_shapes_of(shapes, e["shape"])
    }
    assert all_shapes - in_valid == set(), "node shapes without a valid fixture"
    assert all_shapes - in_invalid == set(), "node shapes without an invalid fixture"
    assert in_valid <= all_shapes and in_invalid <= all_shapes


def test_every_shape_fires_as_violation_somewhere(shapes: Graph) -> None:
    """Each node shape has at least one fixture that makes it report a violation."""
    fired = {
        node
        for p in INVALID
        for e in expected_of(p)["results"]
        if e["severity"] == "sh:Violation"
        for node in _node_shapes_of(shapes, e["shape"])
    }
    assert _named_node_shapes(shapes) - fired == set()


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_fixture_exercises_the_shapes_it_names(
    path: Path, shapes: Graph, background: Graph, ontology: Graph
) -> None:
    own = Graph().parse(path, format="turtle")
    union = Graph()
    union += background
    union += own
    union += ontology
    defined = set(own.subjects(RDF.type, None))
    for name in expected_of(path)["shapes"]:
        shape = URIRef(expand(name))
        classes = list(shapes.objects(shape, SH.targetClass))
        assert classes, f"{name} has no sh:targetClass"
        targeted = {
            node
            for cls in classes
            for node in defined
            if any(
                (node, RDF.type, sub) in union
                for sub in union.transitive_subjects(RDFS.subClassOf, cls)
            )
        }
        assert targeted, f"{path.name} names {name} but defines no node it targets"


# ---------------------------------------------------------------------------
# Shape hygiene
# ---------------------------------------------------------------------------


def _operand_shapes(shapes: Graph) -> set:
    """Shapes used only as operands (sh:or/and/xone members, sh:not, sh:node,
    sh:qualifiedValueShape): their results are reported through the outer shape."""
    operands: set = set()
    for prop in (SH["or"], SH["and"], SH.xone):
        for head in shapes.objects(None, prop):
            operands.update(Collection(shapes, head))
    for prop in (SH["not"], SH.node, SH.qualifiedValueShape):
        operands.update(shapes.objects(None, prop))
    return operands


def test_every_node_shape_has_a_readable_iri(shapes: Graph) -> None:
    for node in shapes.subjects(RDF.type, SH.NodeShape):
        assert isinstance(node, URIRef), f"blank node shape {node}"
        assert str(node).startswith(SHAPE_NS) and str(node).endswith("Shape"), node
    for node in shapes.subjects(SH.targetClass, None):
        assert (node, RDF.type, SH.NodeShape) in shapes, f"{node} targets but is no NodeShape"


def test_one_node_shape_per_class(shapes: Graph) -> None:
    seen: dict = {}
    for node, cls in shapes.subject_objects(SH.targetClass):
        assert cls not in seen or seen[cls] == node, f"{cls}: {seen.get(cls)} and {node}"
        seen[cls] = node


def test_every_constraint_has_an_english_message(shapes: Graph) -> None:
    operands = _operand_shapes(shapes)
    candidates = set(shapes.subjects(RDF.type, SH.NodeShape))
    candidates |= set(shapes.objects(None, SH.property))
    missing = []
    for shape in candidates - operands:
        own = {p for p in shapes.predicates(shape, None) if p in CONSTRAINT_PARAMETERS}
        own.discard(SH.property)  # nested property shapes carry their own message
        if not own:
            continue
        langs = {m.language for m in shapes.objects(shape, SH.message) if isinstance(m, Literal)}
        if "en" not in langs:
            missing.append((shape, sorted(str(p) for p in own)))
    for constraint in shapes.objects(None, SH.sparql):
        langs = {m.language for m in shapes.objects(constraint, SH.message)}
        if "en" not in langs:
            missing.append((constraint, ["sh:sparql"]))
    assert missing == []


def _all_shapes(shapes: Graph) -> set:
    """Every node the shapes graph uses as a shape (SHACL 2.1: typed, targeting, with
    a path, or the value of a shape-valued parameter) and every SPARQL constraint."""
    found = set(shapes.subjects(RDF.type, SH.NodeShape))
    found |= set(shapes.subjects(RDF.type, SH.PropertyShape))
    found |= set(shapes.subjects(SH.path, None))
    for prop in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf):
        found |= set(shapes.subjects(prop, None))
    for prop in (SH.property, SH.node, SH["not"], SH.qualifiedValueShape, SH.sparql):
        found |= set(shapes.objects(None, prop))
    return found | _operand_shapes(shapes)


def test_no_shape_or_sparql_constraint_is_a_blank_node(shapes: Graph) -> None:
    """Every shape and SPARQL constraint has an IRI in shape:, so that every
    sh:sourceShape / sh:sourceConstraint of a report dereferences (shapes.html#...)."""
    found = _all_shapes(shapes)
    assert len(found) > 150  # the 27 node shapes, their property shapes, the operands
    blank = sorted(str(n) for n in found if isinstance(n, BNode))
    assert blank == [], f"{len(blank)} blank shape(s) or constraint(s)"
    assert all(str(n).startswith(SHAPE_NS) for n in found), sorted(
        str(n) for n in found if not str(n).startswith(SHAPE_NS)
    )
    # the check does find a blank property shape where there is one
    dummy = Graph()
    dummy.parse(data=f"<urn:n> <{SH.property}> [ <{SH.path}> <urn:p> ] .", format="turtle")
    assert any(isinstance(n, BNode) for n in _all_shapes(dummy))


def test_property_shapes_are_named_after_their_node_shape(shapes: Graph) -> None:
    """A property shape listed by a node shape: typed, IRI NODESHAPE-PATH[-CONSTRAINT],
    its path's local name in the IRI, and an English sh:name."""
    listed = list(shapes.subject_objects(SH.property))
    assert len(listed) > 150
    for node, ps in listed:
        assert isinstance(ps, URIRef), ps
        assert (ps, RDF.type, SH.PropertyShape) in shapes, ps
        local = str(ps)[len(SHAPE_NS) :]
        node_local = str(node)[len(SHAPE_NS) :]
        path = shapes.value(ps, SH.path)
        assert isinstance(path, URIRef), ps
        path_local = str(path).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        assert local in (f"{node_local}-{path_local}",) or local.startswith(
            f"{node_local}-{path_local}-"
        ), (node, ps)


def test_every_property_shape_has_an_english_name(shapes: Graph) -> None:
    property_shapes = set(shapes.subjects(SH.path, None))
    assert property_shapes
    for ps in property_shapes:
        names = [n for n in shapes.objects(ps, SH.name) if isinstance(n, Literal)]
        assert [n.language for n in names] == ["en"], (ps, names)
    for constraint in shapes.objects(None, SH.sparql):
        assert shapes.value(constraint, RDFS.label) is not None, constraint


def test_severity_matches_the_file() -> None:
    for name, severity in (
        ("govsm-violations.ttl", SH.Violation),
        ("govsm-warnings.ttl", SH.Warning),
    ):
        graph = Graph().parse(SHAPES_DIR / name, format="turtle")
        constraints = list(graph.objects(None, SH.property)) + list(graph.objects(None, SH.sparql))
        assert constraints, name
        for node in constraints:
            assert graph.value(node, SH.severity) == severity, f"{name}: {node}"
        # Node shapes carry no severity (node-level constraints are violations) and
        # each file states its shapes' targets, so that it can be used alone.
        for node in graph.subjects(RDF.type, SH.NodeShape):
            assert graph.value(node, SH.severity) is None
            assert graph.value(node, SH.targetClass) is not None, f"{name}: {node}"


def test_shape_files_open_with_a_banner() -> None:
    files = sorted(SHAPES_DIR.glob("*.ttl"))
    assert [f.name for f in files] == ["govsm-violations.ttl", "govsm-warnings.ttl"]
    for path in files:
        head = path.read_text(encoding="utf-8").splitlines()[:6]
        assert head[0].startswith("# ====="), path.name
        assert any("sh:Violation" in line or "sh:Warning" in line for line in head), path.name
        assert "What it covers" in path.read_text(encoding="utf-8"), path.name


def test_shapes_use_the_prefix_table() -> None:
    for path in SHAPES_DIR.glob("*.ttl"):
        graph = Graph().parse(path, format="turtle")
        for prefix, ns in graph.namespace_manager.namespaces():
            if prefix in PREFIXES:
                assert str(ns) == PREFIXES[prefix], f"{path.name}: {prefix}"


def test_target_classes_are_declared_in_the_ontology(shapes: Graph, ontology: Graph) -> None:
    for cls in set(shapes.objects(None, SH.targetClass)):
        declared = (cls, RDF.type, OWL.Class) in ontology or (cls, RDF.type, RDFS.Class) in ontology
        assert declared, f"sh:targetClass {cls} is not a class of the ontology or its imports"


def test_shapes_graph_is_well_formed_shacl(shapes: Graph) -> None:
    """The shapes validate against SHACL-for-SHACL (pySHACL's meta-shacl)."""
    from pyshacl import validate

    conforms, _graph, text = validate(
        Graph(), shacl_graph=shapes, meta_shacl=True, inference="none", do_owl_imports=False
    )
    assert conforms, text


# ---------------------------------------------------------------------------
# The library: report helpers, sources, no network
# ---------------------------------------------------------------------------


def test_report_helpers(tmp_path: Path) -> None:
    path = FIXTURES / "invalid" / "study-without-doi-venue-year-entry.ttl"
    report = validate_files(tmp_path, BACKGROUND, path)
    assert report.conforms and report.violations == [] and len(report.warnings) == 4
    # each result names the file that defines its focus node
    assert {r.focus for r in report.warnings} == {expand("id:study/fixture-sparse")}
    assert {r.source_file for r in report.warnings} == {f"data/invalid/{path.name}"}
    groups = report.by_shape(WARNING)
    names = ("doi", "hasPublicationYear", "publishedIn", "referenceText")
    assert list(groups) == [f"{SHAPE_NS}StudyShape-{name}-minCount" for name in names]
    assert all(len(found) == 1 for found in groups.values())
    assert sum(n for _s, _m, n in report.summary()) == 4
    text = render_text(report)
    assert text.startswith("conforms: yes (0 violation(s), 4 warning(s))")
    assert "shape:StudyShape-doi-minCount" in text
    assert render_table(report).row_count == 4


def test_check_rows_are_violations(tmp_path: Path) -> None:
    data = FIXTURES / "checks" / "invalid" / "subfactor-without-evidence.ttl"
    report = validate_files(tmp_path, data)
    rows = [r for r in report.violations if r.component == CHECK_COMPONENT]
    assert [(r.focus, r.shape) for r in rows] == [
        (expand("id:subfactor/b"), "subfactor-without-evidence-violation.rq")
    ]
    assert not report.conforms
    assert rows[0].message.startswith("Sub-factor without coded evidence")


@pytest.mark.parametrize("validator", ["fast", "pyshacl"])
def test_validation_never_touches_the_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, validator: str
) -> None:
    """owl:imports in the data or ontology are not followed; no socket is opened."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("validation tried to open a network connection")

    ontology = tmp_path / "ontology"
    shutil.copytree(REPO / "ontology", ontology)
    (ontology / "zz-import.ttl").write_text(
        f"<{PREFIXES['govsm'][:-1]}> <{OWL.imports}> <https://example.org/y> .\n"
    )
    imports = tmp_path / "extra" / "imports.ttl"
    imports.parent.mkdir()
    imports.write_text(f"<https://example.org/data> <{OWL.imports}> <https://example.org/x> .\n")
    project = project_with(tmp_path / "p", BACKGROUND, imports, ontology=ontology, checks=False)
    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    report = validate(load(project, DEFAULT_BASE), project, validator)
    assert report.conforms


@pytest.mark.parametrize("validator", ["fast", "pyshacl"])
def test_the_engine_is_not_modified(tmp_path: Path, validator: str) -> None:
    project = project_with(tmp_path, BACKGROUND)
    loaded = load(project, DEFAULT_BASE)
    before = set(loaded.engine.store), sorted(map(str, loaded.engine.dataset))
    validate(loaded, project, validator)
    assert (set(loaded.engine.store), sorted(map(str, loaded.engine.dataset))) == before


# ---------------------------------------------------------------------------
# The review's data
# ---------------------------------------------------------------------------


def test_review_data_has_no_violation() -> None:
    if not DATA_DIR.is_dir() or not any(DATA_DIR.glob("*.ttl")):
        pytest.skip(f"{DATA_DIR.relative_to(REPO)} is absent (the review data is not written yet)")
    project = Project()
    loaded = load(project, DEFAULT_BASE)
    start = time.perf_counter()
    report = validate(loaded, project)
    elapsed = time.perf_counter() - start
    assert report.violations == [], render_text(report, warnings="none")
    assert report.conforms
    assert elapsed < 20, f"validation of the review data took {elapsed:.1f} s"
    # Warnings are expected (title-only evidence, inferred assessments, missing DOIs);
    # each names the file its focus node comes from.
    for result in report.warnings:
        assert result.severity == WARNING and result.shape.startswith(SHAPE_NS)
        if not result.focus.startswith("_:"):
            assert result.source_file, result
    assert VIOLATION not in {r.severity for r in report.results}
