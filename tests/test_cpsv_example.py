"""The CPSV-AP interoperability example (examples/cpsv-ap/).

It validates against the pinned CPSV-AP 3.2.0 SHACL shapes (vendored in
tests/vocab/) and, loaded next to the review's data, against our own shapes and checks;
it stays out of the review's default build; and its catalogue query joins the service to
the review's classifications with evidence and source papers.
"""

from __future__ import annotations

import json
from pathlib import Path

import pyshacl
import pytest
from rdflib import RDF, Graph, Namespace, URIRef
from typer.testing import CliRunner

from kg.build.pipeline import load_and_derive
from kg.cli.app import app
from kg.config import BuildOptions, Project
from kg.rdf.load import discover_sources, load
from kg.sparql.files import read_query
from kg.stages.query import declared_data, run
from kg.validation import validate

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "cpsv-ap"
QUERY = REPO / "queries" / "cq" / "service-channel-preventers.rq"
SERVICE = "https://w3id.org/govsm/id/service/example-building-permit-enquiries"
PLATFORM = URIRef("https://w3id.org/govsm/id/platform/example-telegram")
CHANNEL = URIRef("https://w3id.org/govsm/id/channel/example-municipality-telegram")
GOVSM = Namespace("https://w3id.org/govsm/ontology#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
FABIO = Namespace("http://purl.org/spar/fabio/")


def example_graph() -> Graph:
    graph = Graph()
    for path in sorted(EXAMPLE.glob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def cpsv_shapes(vocab_dir: Path) -> Graph:
    return Graph().parse(vocab_dir / "cpsv-ap-3.2.0-SHACL.ttl", format="turtle")


def test_example_conforms_to_the_cpsv_ap_shapes(cpsv_shapes: Graph) -> None:
    conforms, _, text = pyshacl.validate(example_graph(), shacl_graph=cpsv_shapes)
    assert conforms, text


def test_cpsv_ap_shapes_do_check_the_example(cpsv_shapes: Graph) -> None:
    # The shapes target the example's nodes: remove what CPSV-AP requires, and it fails.
    broken = example_graph()
    broken.remove((None, DCTERMS.identifier, None))
    broken.remove((None, DCTERMS.spatial, None))
    conforms, report, _ = pyshacl.validate(broken, shacl_graph=cpsv_shapes)
    assert not conforms
    sh = Namespace("http://www.w3.org/ns/shacl#")
    focus = {str(o) for o in report.objects(None, sh.focusNode)}
    assert SERVICE in focus
    assert "https://w3id.org/govsm/id/channel/example-municipality-telegram" in focus
    assert "https://w3id.org/govsm/id/organization/example-municipality" in focus


def test_example_with_the_review_conforms_to_our_shapes() -> None:
    project = Project(data_dirs=(REPO / "data", EXAMPLE))
    loaded = load(project, BuildOptions().base)
    assert any(s.rel.startswith("examples/cpsv-ap/") for s in loaded.sources)
    report = validate(loaded, project)
    assert report.conforms, [(v.focus, v.message) for v in report.violations][:5]


@pytest.mark.parametrize(
    ("broken", "focus", "shape"),
    [
        ("unnamed platform", PLATFORM, "SocialMediaPlatformShape"),
        ("channel without sub-factors", CHANNEL, "SocialMediaChannelShape"),
    ],
)
def test_our_shapes_check_the_example(
    tmp_path: Path, broken: str, focus: URIRef, shape: str
) -> None:
    graph = example_graph()
    if broken == "unnamed platform":
        graph.remove((PLATFORM, None, None))
        graph.add((PLATFORM, RDF.type, GOVSM.SocialMediaPlatform))
    else:
        graph.remove((CHANNEL, GOVSM.subjectToSubFactor, None))
    folder = tmp_path / "cpsv-ap"
    folder.mkdir()
    graph.serialize(folder / "example.ttl", format="turtle")
    project = Project(data_dirs=(REPO / "data", folder))
    report = validate(load(project, BuildOptions().base), project)
    assert not report.conforms
    # the result's source shape is the node shape or one of its property shapes
    # (shape:NODESHAPE-PATH...)
    assert any(
        v.focus == str(focus) and v.shape.rsplit("#", 1)[-1].split("-")[0] == shape
        for v in report.violations
    )


def test_example_is_not_part_of_the_review_build() -> None:
    sources = discover_sources(Project(), BuildOptions().base)
    assert sources and not any("examples/" in s.rel for s in sources)
    assert declared_data(read_query(QUERY)) == ("examples/cpsv-ap",)


def test_query_returns_preventers_with_evidence_and_source_papers() -> None:
    project = Project(data_dirs=(REPO / "data", EXAMPLE))
    loaded, _, _ = load_and_derive(project, BuildOptions())
    rows = run(loaded.engine, read_query(QUERY), {"service": SERVICE}).rows.dicts()
    assert rows
    labels = {str(r["subfactorLabel"]) for r in rows}
    # Preventers only: the channel's two drivers do not appear.
    assert labels == {"legal infrastructure", "transparency", "usability", "user resistance"}
    assert all(r["evidenceQuote"] and r["source"] for r in rows)
    papers = {str(r["source"]) for r in rows if r["year"] is not None}
    assert len(papers) >= 3, papers  # studies (papers), not only the review itself
    assert all("/id/study/" in p for p in papers)


def test_query_command_loads_the_declared_example() -> None:
    result = CliRunner().invoke(
        app,
        [
            "query",
            "service-channel-preventers",
            "-p",
            "service=id:service/example-building-permit-enquiries",
            "--format",
            "json",
        ],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["results"]["bindings"]
