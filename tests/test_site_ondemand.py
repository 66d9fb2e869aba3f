"""Pages rendered on demand from the store (kg.web.site.ondemand) are the static site's pages.

The review is built once with its static site; every resource page is then rendered on
demand from the dump (dist/govsm.nq bulk-loaded into a store) and compared. The only
differences allowed are the two documented ones: literals as the store holds them
(derived integer types read back as xsd:integer) and the dataset description's links
(VoID/DCAT metadata the static site adds, not part of the dump).
"""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from support import built_dist, site_of

from bench.generate import generate
from kg.build import pipeline
from kg.config import BuildOptions, Project
from kg.prefixes import DEFAULT_BASE
from kg.web.site import pages
from kg.web.site.ondemand import OnDemandSite

REPO_ROOT = Path(__file__).resolve().parents[1]

RULE = DEFAULT_BASE + "rule/classification-from-assessment"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's `govsm build` of the review (tests/support: the one the other modules
    read; below the threshold, so with every resource page); these tests only read it."""
    return site_of(built_dist(tmp_path_factory)).parent


@pytest.fixture(scope="module")
def site(built: Path) -> OnDemandSite:
    return OnDemandSite.from_nquads(built / "govsm.nq", DEFAULT_BASE, Project().queries, RULE)


def test_every_page_matches_the_static_page(built: Path, site: OnDemandSite) -> None:
    static_pages = sorted((built / "site" / "id").rglob("*.html"))
    assert len(static_pages) > 400
    differ = []
    for file in static_pages:
        path = file.relative_to(built / "site").as_posix()[: -len(".html")]
        page = site.page(path)
        assert page is not None, path
        if page != file.read_text(encoding="utf-8"):
            differ.append(path)
    unexplained = []
    for path in differ:
        static = (built / "site" / f"{path}.html").read_text(encoding="utf-8")
        folded = static.replace("(xsd:positiveInteger)", "(xsd:integer)").replace(
            "(xsd:nonNegativeInteger)", "(xsd:integer)"
        )
        if folded != site.page(path) and "dataset.html" not in static:
            unexplained.append(path)
    assert not unexplained, unexplained[:5]
    assert len(differ) < len(static_pages) / 5
    # pages with a trace, a scheme tree or a sub-factor section are identical
    for path in (
        "id/classification/classification-from-assessment/iran/legal-infrastructure",
        "id/scheme/social-media-service-delivery-factors",
        "id/subfactor/legal-infrastructure",
        "id/evidence/mergel-2016-routinization",
    ):
        assert path not in differ


def test_documents_and_unknown_paths(site: OnDemandSite) -> None:
    turtle = site.document("id/subfactor/legal-infrastructure", "ttl")
    assert turtle is not None
    subject = ox.NamedNode(DEFAULT_BASE + "id/subfactor/legal-infrastructure")
    assert any(t.subject == subject for t in ox.parse(turtle, format=ox.RdfFormat.TURTLE))
    assert site.page("id/subfactor/no-such-thing") is None
    assert site.page("dataset") is None  # the static pages are not rendered here
    assert site.document("id/subfactor/legal-infrastructure", "exe") is None


def test_build_writes_the_site_level_pages_above_the_threshold(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pipeline, "SITE_MAX_RESOURCES", 10)
    said: list[str] = []
    out = tmp_path / "dist"
    pipeline.build(Project(), BuildOptions(out=out, reason=False), log=said.append)
    assert (out / "govsm.nq").is_file() and (out / "govsm.ttl").is_file()
    assert (out / "site" / "index.html").is_file() and (out / "site" / "ontology.html").is_file()
    assert not (out / "site" / "id").exists()
    assert any("static site without resource pages" in line for line in said)
    # --site writes them above the threshold too (a review of 8 studies: cheaper than the
    # first review's whole site again)
    small = Project(root=generate(tmp_path / "small", studies=8, seed=1).root)
    pipeline.build(small, BuildOptions(out=out, reason=False, site=True))
    assert (out / "site" / "id" / "subfactor" / "legal-infrastructure.html").is_file()


def test_the_reviews_pages_are_not_cut(built: Path, site: OnDemandSite) -> None:
    """LINKS_PER_PAGE is above every count of the review: its pages list every link."""
    store = site.engine.store
    incoming = (
        "SELECT ?x (COUNT(DISTINCT *) AS ?n) WHERE { SELECT DISTINCT ?x ?p ?s "
        "WHERE { ?s ?p ?x FILTER isIRI(?s) } } GROUP BY ?x ORDER BY DESC(?n) LIMIT 1"
    )
    values = (
        "SELECT ?s ?p (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o } "
        "GROUP BY ?s ?p ORDER BY DESC(?n) LIMIT 1"
    )
    for query in (incoming, values):
        most = int(next(iter(store.query(query, use_default_graph_as_union=True)))["n"].value)
        assert 50 < most < pages.LINKS_PER_PAGE
    for file in (built / "site").rglob("*.html"):
        text = file.read_text(encoding="utf-8")
        # (a catalogue query's page links its own text into the editor: not a cut list)
        assert "incoming links shown" not in text and "all of them in SPARQL" not in text, file


def test_cli_no_site(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from kg.cli.app import app

    out = tmp_path / "dist"
    result = CliRunner().invoke(app, ["publish", "--no-site", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "no static site" in result.output
    assert (out / "govsm.nq").is_file() and not (out / "site").exists()


def test_cli_publish_above_the_threshold(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from kg.cli.app import app

    monkeypatch.setattr(pipeline, "SITE_MAX_RESOURCES", 10)
    out = tmp_path / "dist"
    result = CliRunner().invoke(app, ["publish", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "static site without resource pages" in result.output
    # the landing page, dataset, ontology, its version (ontology/0.1.0), report, shapes
    said = " ".join(result.output.split())
    assert "6 HTML pages" in said and "(resource pages: on demand, govsm serve)" in said
    assert not (out / "site" / "id").exists()


def test_the_first_review_and_examples_keep_their_pages(site: OnDemandSite) -> None:
    """The default cap (pipeline.SITE_MAX_RESOURCES) keeps every resource page of the first
    review built with examples/ (the same count want_site makes, on the built dump) with
    room to spare, and stops short of a 10^3-study review (7,000 resources at load)."""
    store = site.engine.store
    resources = {
        row["s"].value
        for row in store.query(
            pipeline.RESOURCE_SUBJECTS.replace("?base", f'"{DEFAULT_BASE}"'),
            use_default_graph_as_union=True,
        )
    }
    for path in (REPO_ROOT / "examples").rglob("*.ttl"):
        for t in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
            if isinstance(t.subject, ox.NamedNode) and t.subject.value.startswith(DEFAULT_BASE):
                resources.add(t.subject.value)
    assert 1_000 < len(resources) <= 0.75 * pipeline.SITE_MAX_RESOURCES < 7_000
