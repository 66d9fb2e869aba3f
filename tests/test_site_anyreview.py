"""Nothing about the first review is written in kg/: a project whose review has another
IRI, title, scheme and context builds a site, VoID, figure, landing page, report and
editor/API examples that name its own and never the first review's; a build of two
reviews names both, and each classification page its review."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import rdflib
from rdflib.namespace import DCTERMS
from starlette.applications import Starlette
from starlette.testclient import TestClient

from kg.build import pipeline
from kg.build.pipeline import load_and_derive
from kg.config import BuildOptions, Project
from kg.prefixes import DEFAULT_BASE, PREFIXES
from kg.rdf.engine import OxigraphEngine
from kg.sparql.files import read_query
from kg.stages.about import NEUTRAL_TITLE, about
from kg.web.endpoint.api import api_routes
from kg.web.endpoint.editor import render_page
from kg.web.endpoint.service import SparqlService
from kg.web.site.ondemand import OnDemandSite

REPO = Path(__file__).resolve().parents[1]
FIRST = REPO / "data" / "social-media-service-delivery"
VOID = rdflib.Namespace(PREFIXES["void"])
TITLE = "Telehealth adoption in primary care"
SCHEME = "Factors of telehealth adoption"
REVIEW = DEFAULT_BASE + "id/review/telehealth-adoption"
# What names the first review in its data; none of it may reach the other one's output
# (the ontology's own "social-media platform" class is the project's vocabulary, not it).
FOREIGN = ("social-media-service-delivery", "social media for service delivery", "Iran", "iran")
# Replacements that make the first review's data another review's (order matters: the
# labels before the slugs they contain).
RENAME = (
    (
        "Meta-synthesis of the factors driving and preventing government use of social "
        "media for service delivery",
        TITLE,
    ),
    ("Factors affecting government use of social media for service delivery", SCHEME),
    ("social media for service delivery", "telehealth in primary care"),
    ("social-media-service-delivery", "telehealth-adoption"),
    ("social-media", "telehealth"),
    ("Iran", "Chile"),
    ("iran", "chile"),
)


def renamed_review(folder: Path, beside_first: bool = False) -> Path:
    """The first review's data, every name and IRI of it replaced (another review);
    ``beside_first``: its studies, evidence and the rest get IRIs of their own too (the
    taxonomy's concepts are shared), so that it can be built with the first review."""
    target = folder / "data" / "telehealth-adoption"
    target.mkdir(parents=True)
    for path in sorted(FIRST.glob("*.ttl")):
        text = path.read_text(encoding="utf-8")
        for old, new in RENAME:
            # the taxonomy's concepts are shared beside the first review: their quotes stay
            if not (beside_first and old.startswith("social media ")):
                text = text.replace(old, new)
        if beside_first:
            text = re.sub(r"/id/(?!subfactor/|factor/|review/)([a-z-]+)/", r"/id/\1/th-", text)
        (target / path.name).write_text(text, encoding="utf-8")
    return target


def build(root: Path, *data: Path) -> Path:
    """Build a project of ``data`` folders with the repository's ontology, shapes, queries."""
    project = Project(
        root=root,
        ontology_dir=REPO / "ontology",
        shapes_dir=REPO / "shapes",
        queries_dir=REPO / "queries",
        data_dirs=data,
    )
    out = root / "dist"
    pipeline.build(project, BuildOptions(out=out, reason=False))
    return out


@pytest.fixture(scope="module")
def other(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("other")
    return build(root, renamed_review(root))


@pytest.fixture(scope="module")
def both(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("both")
    return build(root, FIRST, renamed_review(root, beside_first=True))


def _void(dist: Path) -> rdflib.Graph:
    return rdflib.Graph().parse(dist / "site" / "dataset.ttl", format="turtle")


def test_site_level_pages_name_the_review_of_the_data(other: Path) -> None:
    site = other / "site"
    for rel in ("index.html", "figure.svg", "dataset.ttl", "dataset.html", "report.html"):
        text = (site / rel).read_text(encoding="utf-8")
        for word in FOREIGN:
            assert word not in text, f"{rel} names the first review ({word!r})"
    for rel in ("report.md", "index.html"):
        text = (other / rel).read_text(encoding="utf-8")
        assert TITLE in text and not any(word in text for word in FOREIGN), rel
    assert TITLE in (site / "index.html").read_text(encoding="utf-8")
    assert SCHEME in (site / "figure.svg").read_text(encoding="utf-8")
    void = _void(other)
    dataset = rdflib.URIRef(DEFAULT_BASE + "dataset")
    assert TITLE in str(void.value(dataset, DCTERMS.title))
    assert TITLE in str(void.value(dataset, DCTERMS.description))


def test_on_demand_index_names_the_review_of_the_data(other: Path) -> None:
    site = OnDemandSite.from_nquads(other / "govsm.nq", DEFAULT_BASE, REPO / "queries")
    index = site.index_page(sparql=True)
    assert f"<h1>GovSM-KG: {TITLE}</h1>" in index
    assert SCHEME in index
    assert not any(word in index for word in FOREIGN)


def test_every_page_of_the_other_review_is_free_of_the_first(other: Path) -> None:
    """The resource pages and documents too; left out: the ontology, the shapes and the
    query catalogue's pages (query/), which show the project's own files (not kg/), the
    ontology's under its version IRI (ontology/VERSION.*), and the dumps, which hold them."""
    skipped = {"ontology", "shapes"}
    for path in sorted((other / "site").rglob("*")):
        rel = path.relative_to(other / "site")
        if (
            path.is_file()
            and path.name.split(".")[0] not in skipped
            and rel.parts[0] not in ("query", "dumps", "ontology")
        ):
            text = path.read_text(encoding="utf-8")
            assert not any(w in text for w in FOREIGN), rel


def test_root_resource_is_the_review_and_dereferences(other: Path) -> None:
    roots = set(_void(other).objects(None, VOID.rootResource))
    assert roots == {rdflib.URIRef(REVIEW)}
    path = REVIEW[len(DEFAULT_BASE) :]
    for ext in ("html", "ttl"):
        assert (other / "site" / f"{path}.{ext}").is_file(), f"{path}.{ext}"


def test_editor_and_api_examples_come_from_the_data(other: Path) -> None:
    service = SparqlService(other, sandbox=False, queries_dir=REPO / "queries" / "cq")
    try:
        assert service.examples["id:context/iran"] == "id:context/chile"
        # the parameters the editor shows (the query texts are the files', as written)
        page = render_page(service, "")
        shown = " ".join(re.findall(r"<span class='desc'>([^<]*)</span>", page))
        assert "id:context/chile" in shown and "context/iran" not in shown
        client = TestClient(Starlette(routes=api_routes(service)))
        listing = client.get("/api/queries", headers={"Accept": "text/html"}).text
        assert 'placeholder="id:context/chile"' in listing
        assert 'placeholder="id:context/iran"' not in listing
        document = client.get("/api/openapi.json").json()
        parameters = json.dumps(
            [
                p
                for item in document["paths"].values()
                for operation in item.values()
                for p in operation.get("parameters", [])
            ]
        )
        assert '"example": "id:context/chile"' in parameters
        assert "context/iran" not in parameters
        # an example the data has nothing like is dropped, not shown
        assert "example-building-permit-enquiries" not in parameters
    finally:
        service.close()


def test_a_build_of_two_reviews_names_both(both: Path) -> None:
    site = both / "site"
    roots = {str(r) for r in _void(both).objects(None, VOID.rootResource)}
    first = DEFAULT_BASE + "id/review/social-media-service-delivery"
    assert roots == {first, REVIEW}
    index = (site / "index.html").read_text(encoding="utf-8")
    assert "review/telehealth-adoption.html" in index
    assert "review/social-media-service-delivery.html" in index
    assert "2 reviews" in index
    figure = (site / "figure.svg").read_text(encoding="utf-8")
    assert SCHEME in figure and "Factors affecting government use of social media" in figure
    pages = site / "id" / "classification" / "classification-from-assessment"
    chile = (pages / "th-chile" / "legal-infrastructure.html").read_text(encoding="utf-8")
    iran = (pages / "iran" / "legal-infrastructure.html").read_text(encoding="utf-8")
    assert 'Review: <a href="../../../review/telehealth-adoption.html">' in chile
    assert 'Review: <a href="../../../review/social-media-service-delivery.html">' in iran


def test_the_table_of_two_reviews_says_whose_each_row_is(both: Path, other: Path) -> None:
    """Review and Context columns where the rows differ in them (not for one review)."""
    lines = (both / "report.md").read_text(encoding="utf-8").splitlines()
    header = next(line for line in lines if line.startswith("| Review | Factor | Sub-factor"))
    assert header.startswith("| Review | Factor | Sub-factor | Context | Derived |")
    rows = [line for line in lines if "| legal infrastructure |" in line]
    assert len(rows) == 2
    first = "Meta-synthesis of the factors driving and preventing government use of social media"
    assert any(r.startswith(f"| {first}") and "| Iran |" in r for r in rows)
    assert any(r.startswith(f"| {TITLE} |") and "| Chile |" in r for r in rows)
    single = (other / "report.md").read_text(encoding="utf-8")
    assert "| Factor | Sub-factor | Derived |" in single and "| Review |" not in single


def test_no_review_gives_the_neutral_title() -> None:
    engine = OxigraphEngine()
    described = about(engine)
    assert described.reviews == []
    assert described.title == NEUTRAL_TITLE
    assert "social" not in described.description


def test_catalogue_rows_are_not_repeated_by_a_shared_taxonomy(tmp_path: Path) -> None:
    """Two reviews that share a taxonomy state its triples in two files: pyoxigraph's
    union of the named graphs matches such a triple once per graph, so every catalogue
    query must still give each row once."""
    data = renamed_review(tmp_path, beside_first=True)
    project = Project(
        root=tmp_path,
        ontology_dir=REPO / "ontology",
        shapes_dir=REPO / "shapes",
        queries_dir=REPO / "queries",
        data_dirs=(FIRST, data),
    )
    loaded, _, _ = load_and_derive(project, BuildOptions(), standard_view=True)
    for path in sorted((REPO / "queries" / "cq").glob("*.rq")):
        params = json.loads((REPO / "tests/expected/cq" / f"{path.stem}.params.json").read_text())
        bindings = {k: rdflib.URIRef(v) for k, v in params.items()}
        rows = loaded.engine.select(read_query(path).text, bindings).rows
        assert len(rows) == len(set(rows)), f"{path.name}: {len(rows) - len(set(rows))} repeated"
