"""The shapes as linked data: every IRI a validation report names (sh:sourceShape,
sh:sourceConstraint, the node shapes of the focus nodes) dereferences on ``govsm serve``
(303, then 200 as HTML with the IRI's fragment as an anchor, and as Turtle describing
it); the build publishes the shapes (site, dumps, endpoint graphs, VoID/DCAT link).

The report comes from the review's data with every invalid shape fixture injected
(violations and warnings of every node shape), validated by pySHACL: its report graph
is read as W3C SHACL writes it. The server is a live uvicorn over a fresh build of the
review (the shapes it publishes are the ones validation used).
"""

from __future__ import annotations

import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from pyshacl import validate as pyshacl_validate
from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import DCTERMS, RDF, SH
from starlette.testclient import TestClient
from support import LiveServer, built_dist, site_of, started

from kg.prefixes import DEFAULT_BASE, PREFIXES
from kg.rdf.load import shapes_graph_iri
from kg.stages.ontology import load_ontology
from kg.validation.inputs import load_shapes
from kg.web.server import make_app, make_server
from kg.web.site.ondemand import OnDemandSite

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "shapes"
SHAPES = PREFIXES["shape"]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_OPENER = urllib.request.build_opener(_NoRedirect)


def _get(url: str, accept: str) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with _OPENER.open(request, timeout=10) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


@pytest.fixture(scope="module")
def report_iris() -> dict[str, set[str]]:
    """The IRIs a pySHACL report names, on the review with the invalid fixtures."""
    data = Graph()
    for path in sorted((REPO / "data").rglob("*.ttl")):
        data.parse(path, format="turtle")
    data.parse(FIXTURES / "background.ttl", format="turtle")
    for path in sorted((FIXTURES / "invalid").glob("*.ttl")):
        data.parse(path, format="turtle")
    shapes = load_shapes(REPO / "shapes")
    ontology = load_ontology(REPO / "ontology").graph
    conforms, report, _ = pyshacl_validate(
        data, shacl_graph=shapes, ont_graph=ontology, inference="none", do_owl_imports=False
    )
    assert not conforms
    results = list(report.subjects(RDF.type, SH.ValidationResult))
    severities = {report.value(r, SH.resultSeverity) for r in results}
    assert {SH.Violation, SH.Warning} <= severities  # violations and warnings
    sources = {report.value(r, SH.sourceShape) for r in results}
    constraints = {c for r in results if (c := report.value(r, SH.sourceConstraint))}
    components = {str(report.value(r, SH.sourceConstraintComponent)) for r in results}
    # the focus nodes' node shapes: the reported shape itself, or the node shapes whose
    # sh:property it is
    nodes = {n for s in sources for n in shapes.subjects(SH.property, s)}
    nodes |= {s for s in sources if (s, RDF.type, SH.NodeShape) in shapes}
    named = sources | constraints | nodes
    assert all(isinstance(n, URIRef) for n in named), "a blank shape in the report"
    return {
        "shapes": {str(s) for s in sources},
        "constraints": {str(c) for c in constraints},
        "nodes": {str(n) for n in nodes},
        "components": components,
    }


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_dist(tmp_path_factory)


@pytest.fixture(scope="module")
def live(dist: Path) -> Iterator[LiveServer]:
    with started(make_server(site_of(dist), "127.0.0.1", 0)) as server:
        yield server


def test_the_report_is_broad(report_iris: dict[str, set[str]]) -> None:
    """Not a report of two shapes: property shapes, node shapes and SPARQL constraints,
    in both files."""
    assert len(report_iris["shapes"]) > 60
    assert len(report_iris["nodes"]) >= 25
    assert len(report_iris["constraints"]) >= 4
    assert any(s.endswith("-minCount") for s in report_iris["shapes"])  # a warning's


def test_every_report_iri_dereferences(live: LiveServer, report_iris: dict[str, set[str]]) -> None:
    iris = sorted(report_iris["shapes"] | report_iris["constraints"] | report_iris["nodes"])
    pages: dict[str, tuple[str, Graph]] = {}
    for iri in iris:
        assert iri.startswith(DEFAULT_BASE), iri
        resource, _, fragment = iri[len(DEFAULT_BASE) :].partition("#")
        url = live.url + resource  # the IRI on this server (its fragment is not sent)
        for accept in ("text/html", "text/turtle"):
            status, headers, _ = _get(url, accept)
            assert status == 303, (iri, accept, status)
            location = headers["location"]
            assert location.endswith(".html" if accept == "text/html" else ".ttl"), location
            document = live.url.rstrip("/") + location
            if document not in pages:
                status, headers, body = _get(document, accept)
                assert status == 200, (document, status)
                assert headers["content-type"].startswith(accept), headers["content-type"]
                text = body.decode("utf-8")
                graph = Graph()
                if accept == "text/turtle":
                    graph.parse(data=text, format="turtle")
                pages[document] = (text, graph)
            text, graph = pages[document]
            if accept == "text/html":
                assert f'id="{fragment}"' in text, (iri, document)
            else:
                assert (URIRef(iri), None, None) in graph, (iri, document)


def test_the_shapes_page_links_the_components_to_the_spec(
    dist: Path, report_iris: dict[str, set[str]]
) -> None:
    """Constraint components are W3C IRIs: the page links each to the SHACL spec."""
    page = (site_of(dist) / "shapes.html").read_text(encoding="utf-8")
    for component in report_iris["components"]:
        name = component.rsplit("#", 1)[-1]
        # the spec's sections: one for SPARQL-based constraints, one for both qualified
        # components, one per other component, named as it is
        section = {
            "SPARQLConstraintComponent": "sparql-constraints",
            "QualifiedMinCountConstraintComponent": "QualifiedValueShapeConstraintComponent",
            "QualifiedMaxCountConstraintComponent": "QualifiedValueShapeConstraintComponent",
        }.get(name, name)
        assert f'href="https://www.w3.org/TR/shacl/#{section}"' in page, name


def test_every_shape_iri_has_its_section(dist: Path) -> None:
    """Not only the reported ones: every shape: IRI of the shapes files."""
    page = (site_of(dist) / "shapes.html").read_text(encoding="utf-8")
    shapes = load_shapes(REPO / "shapes")
    iris = {str(t) for t in shapes.all_nodes() if str(t).startswith(SHAPES)}
    assert len(iris) > 190
    missing = [i for i in sorted(iris) if f'id="{i[len(SHAPES) :]}"' not in page]
    assert missing == []


def test_the_build_publishes_the_shapes_graphs(dist: Path) -> None:
    """Named graphs BASE graph/shapes/FILE in the dump (so in the endpoint), equal to
    the files; the dataset description links the shapes and their documents."""
    dataset = Dataset()
    dataset.parse(dist / "govsm.nq", format="nquads")
    for path in sorted((REPO / "shapes").glob("*.ttl")):
        graph = dataset.graph(URIRef(shapes_graph_iri(DEFAULT_BASE, path.name)))
        assert len(graph) == len(Graph().parse(path, format="turtle")), path.name
    void = Graph().parse(site_of(dist) / ".well-known" / "void", format="turtle")
    shapes_iri = URIRef(SHAPES.removesuffix("#"))
    assert (URIRef(DEFAULT_BASE + "dataset"), DCTERMS.conformsTo, shapes_iri) in void
    formats = {str(o) for o in void.objects(shapes_iri, DCTERMS.hasFormat)}
    assert formats == {
        f"{DEFAULT_BASE}shapes.{ext}" for ext in ("html", "ttl", "jsonld", "nt", "rdf")
    }
    for url in formats:
        assert (site_of(dist) / url[len(DEFAULT_BASE) :]).is_file(), url
    sitemap = (site_of(dist) / "sitemap.xml").read_text(encoding="utf-8")
    assert f"<loc>{DEFAULT_BASE}shapes.html</loc>" in sitemap


def test_shapes_documents_parse_to_the_same_triples(dist: Path) -> None:
    site = site_of(dist)
    turtle = Graph().parse(site / "shapes.ttl", format="turtle")
    assert len(turtle) > 1000
    for ext, fmt in (("nt", "nt"), ("rdf", "xml"), ("jsonld", "json-ld")):
        other = Graph().parse(site / f"shapes.{ext}", format=fmt)
        assert len(other) == len(turtle), ext


def test_on_demand_without_a_static_site_serves_the_shapes(dist: Path, tmp_path: Path) -> None:
    """``govsm serve --on-demand`` over a build with no site/ renders /shapes itself."""
    nquads = tmp_path / "govsm.nq"
    shutil.copyfile(dist / "govsm.nq", nquads)
    on_demand = OnDemandSite.from_nquads(nquads, DEFAULT_BASE, REPO / "queries")
    client = TestClient(make_app(tmp_path / "site", DEFAULT_BASE, on_demand=on_demand))
    answer = client.get("/shapes", headers={"Accept": "text/html"}, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/shapes.html"
    page = client.get("/shapes.html")
    assert page.status_code == 200 and 'id="StudyShape-title-maxCount"' in page.text
    turtle = client.get("/shapes.ttl")
    assert turtle.status_code == 200
    static = Graph().parse(site_of(dist) / "shapes.ttl", format="turtle")
    rendered = Graph().parse(data=turtle.text, format="turtle")
    assert len(rendered) == len(static)
    assert client.get("/shapes.nt").status_code == 200
