"""Issue 17's acceptance: a review made from an empty folder with govsm commands only, by
two routes — BibTeX + a REFI-QDA project (.qdpx), and RIS + a CSV — each validates,
builds, derives its directions from the evidence, traces every classification to titled
studies and verbatim quotes, and serves; the two graphs are equal up to the evidence
items' own IRIs.

The fixtures (tests/fixtures/acceptance/): the same three studies as BibTeX and RIS, the
same eleven codings as a hand-made REFI-QDA project (qdpx/: project.qde + sources/, valid
against Project.xsd) and as a CSV. The directions expected are counted here from the CSV
in Python (the majority of each sub-factor's directed codings), not read from a build.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from xml.etree import ElementTree

import pytest
import rdflib
from rdflib import URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, RDF
from starlette.testclient import TestClient
from support.evidence import evidence_difference, folder_graph, without_evidence_iris
from support.importing import qdpx_of
from typer.testing import CliRunner

from kg.build.pipeline import load_and_derive
from kg.cli.app import app
from kg.config import BuildOptions, Project
from kg.prefixes import DEFAULT_BASE, GOVSM, PREFIXES
from kg.stages.trace import trace
from kg.web.endpoint.service import SparqlService
from kg.web.server import make_app

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures" / "acceptance"
TITLE = "Chatbots in public service delivery"
SLUG = "chatbots-in-public-service-delivery"
ROUTES = {"bibtex+qdpx": ("refs.bib", "coding.qdpx"), "ris+csv": ("refs.ris", "coding.csv")}
EVIDENCE = DEFAULT_BASE + "id/evidence/"
OA = rdflib.Namespace(PREFIXES["oa"])
BIBO = rdflib.Namespace(PREFIXES["bibo"])
runner = CliRunner()


def _qdpx(target: Path) -> Path:
    """The hand-made project as the archive a QDA program exports."""
    return qdpx_of(FIXTURES / "qdpx", target)


def _govsm(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, f"govsm {' '.join(args)}:\n{result.output}"
    return result.output


@pytest.fixture(scope="module")
def projects(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Per route: a project from `govsm init`, `govsm import` (references, then codings)
    and `govsm build`, in a folder of its own."""
    made = {}
    for route, (references, codings) in ROUTES.items():
        root = tmp_path_factory.mktemp(route.replace("+", "-"))
        coding = _qdpx(root / codings) if codings.endswith(".qdpx") else FIXTURES / codings
        project = root / "review"
        _govsm("init", str(project), "--title", TITLE)
        _govsm("import", str(FIXTURES / references), "--project", str(project))
        _govsm("import", str(coding), "--project", str(project))
        _govsm(
            "build", "--no-reason", "--data", str(project / "data"), "--out", str(project / "dist")
        )
        made[route] = project
    return made


def _expected_directions() -> dict[str, str]:
    """The majority direction of each sub-factor's directed codings in the CSV."""
    votes: dict[str, Counter] = {}
    with (FIXTURES / "coding.csv").open(encoding="utf-8") as f:
        for row in csv.DictReader(f):
            word = row["direction"].lower()
            if word:
                direction = {"facilitator": "driver", "barrier": "preventer"}[word]
                votes.setdefault(row["subfactor"], Counter())[direction] += 1
    found = {}
    for subfactor, count in votes.items():
        drivers, preventers = count["driver"], count["preventer"]
        found[subfactor] = (
            "driver" if drivers > preventers else "preventer" if preventers > drivers else "mixed"
        )
    return found


def _data_graph(project: Path) -> rdflib.Graph:
    return folder_graph(project / "data" / SLUG)


@pytest.mark.parametrize("route", ROUTES)
def test_each_route_validates_with_every_check(projects: dict[str, Path], route: str) -> None:
    output = _govsm("validate", "--data", str(projects[route] / "data"), "--full")
    assert "conforms" in output


def test_the_two_routes_give_the_same_graph(projects: dict[str, Path]) -> None:
    graphs = {route: _data_graph(p) for route, p in projects.items()}
    items = {
        route: set(g.subjects(RDF.type, URIRef(GOVSM + "EvidenceItem")))
        for route, g in graphs.items()
    }
    assert [len(found) for found in items.values()] == [11, 11]
    first, second = (without_evidence_iris(g) for g in graphs.values())
    assert isomorphic(first, second), evidence_difference(first, second)
    # the test can fail: one changed quote is a different graph
    changed = without_evidence_iris(graphs["ris+csv"])
    exact = next(changed.triples((None, OA.exact, None)))
    changed.set((exact[0], OA.exact, rdflib.Literal(str(exact[2]) + " ")))
    assert not isomorphic(first, changed)


@pytest.mark.parametrize("route", ROUTES)
def test_directions_come_from_the_evidence(projects: dict[str, Path], route: str) -> None:
    data = projects[route] / "data"
    loaded, rules, _ = load_and_derive(Project(data_dirs=(data,)), BuildOptions())
    assert [r.stem for r in rules] == ["classification-from-evidence-majority"]
    rows = loaded.engine.select(
        f"""PREFIX govsm: <{GOVSM}> PREFIX skos: <{PREFIXES["skos"]}>
        SELECT ?label ?direction WHERE {{
          ?c a govsm:DerivedClassification ; govsm:classifiedSubFactor ?s ;
             govsm:hasDirection ?direction .
          ?s skos:prefLabel ?label .
        }}"""
    ).dicts()
    derived = {str(r["label"]): str(r["direction"]).rsplit("#", 1)[-1] for r in rows}
    assert derived == _expected_directions()
    assert "Leadership" not in derived  # coded with no direction: nothing to count


def _source_texts() -> dict[str, str]:
    """Source name (citation key or DOI, as the QDA project names it) -> its plain text,
    read from the fixture's files, not through the importer."""
    ns = {"q": "urn:QDA-XML:project:1.0"}
    root = ElementTree.parse(FIXTURES / "qdpx" / "project.qde").getroot()  # a trusted fixture
    texts = {}
    for source in root.iterfind(".//q:TextSource", ns):
        member = source.get("plainTextPath", "").removeprefix("internal://")
        name = source.get("name", "").removesuffix(".txt")
        texts[name] = (FIXTURES / "qdpx" / "sources" / member).read_text(encoding="utf-8")
    return texts


@pytest.mark.parametrize("route", ROUTES)
def test_every_classification_traces_to_titled_studies_and_verbatim_quotes(
    projects: dict[str, Path], route: str
) -> None:
    data = projects[route] / "data"
    loaded, _, _ = load_and_derive(Project(data_dirs=(data,)), BuildOptions())
    graph = _data_graph(projects[route])
    texts = _source_texts()
    for subfactor in _expected_directions():
        found = trace(loaded.engine, REPO / "queries", subfactor)
        (step,) = found.classifications
        assert step.context is None and step.evidence
        for item in step.evidence:
            assert item.source is not None and item.source.title, item.iri
            study = URIRef(item.source.iri)
            names = {
                str(v) for p in (DCTERMS.identifier, BIBO.doi) for v in graph.objects(study, p)
            }
            (text,) = [texts[n] for n in names if n in texts]
            quote = graph.value(URIRef(item.iri), URIRef(GOVSM + "hasQuote"))
            start = graph.value(quote, OA.start).toPython()
            end = graph.value(quote, OA.end).toPython()
            assert item.quote == text[start:end], item.iri


@pytest.mark.parametrize("route", ROUTES)
def test_each_route_serves_its_pages_and_sparql(projects: dict[str, Path], route: str) -> None:
    dist = projects[route] / "dist"
    service = SparqlService(dist, sandbox=False, queries_dir=REPO / "queries" / "cq")
    try:
        client = TestClient(make_app(dist / "site", DEFAULT_BASE, service=service))
        home = client.get("/", headers={"Accept": "text/html"})
        assert home.status_code == 200 and TITLE in home.text
        page = client.get(
            "/id/classification/classification-from-evidence-majority/usability",
            headers={"Accept": "text/html"},
        )
        assert page.status_code == 200 and "for the whole review" in page.text
        answer = client.get(
            "/sparql",
            params={"query": f"ASK {{ ?c a <{GOVSM}DerivedClassification> }}"},
            headers={"Accept": "application/sparql-results+json"},
        )
        assert answer.status_code == 200 and answer.json()["boolean"] is True
    finally:
        service.close()
