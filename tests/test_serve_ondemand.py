"""govsm serve with pages rendered on demand (make_app(..., on_demand=...)): a build too
large for a static site (here: the review built with --no-site) is still served as
linked data — 303 negotiation for a resource IRI, its page and RDF documents rendered
from dist/govsm.nq, 404 for what the store does not describe, read-only."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from starlette.testclient import TestClient
from support import built_dist
from typer.testing import CliRunner

from kg.cli.app import app
from kg.config import Project
from kg.prefixes import DEFAULT_BASE
from kg.web.server import make_app
from kg.web.site.ondemand import OnDemandSite

SUBFACTOR = "/id/subfactor/legal-infrastructure"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A build of the review without its site: the dump of the session's shared build
    (support.built_dist) alone in a folder (that --no-site writes no site is
    test_site_ondemand.py's test_cli_no_site)."""
    out = tmp_path_factory.mktemp("serve-ondemand") / "dist"
    out.mkdir()
    shutil.copyfile(built_dist(tmp_path_factory) / "govsm.nq", out / "govsm.nq")
    assert not (out / "site").exists()
    return out


@pytest.fixture(scope="module")
def client(dist: Path) -> TestClient:
    pages = OnDemandSite.from_nquads(dist / "govsm.nq", DEFAULT_BASE, Project().queries)
    return TestClient(make_app(dist / "site", DEFAULT_BASE, on_demand=pages))


def test_resource_iri_negotiates_to_a_rendered_document(client: TestClient) -> None:
    answer = client.get(SUBFACTOR, headers={"Accept": "text/turtle"}, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == SUBFACTOR + ".ttl"
    assert answer.headers["vary"] == "Accept"
    turtle = client.get(SUBFACTOR + ".ttl")
    assert turtle.status_code == 200
    assert turtle.headers["content-type"].startswith("text/turtle")
    subject = ox.NamedNode(DEFAULT_BASE + SUBFACTOR[1:])
    assert any(t.subject == subject for t in ox.parse(turtle.content, format=ox.RdfFormat.TURTLE))
    page = client.get(SUBFACTOR, follow_redirects=True)
    assert page.status_code == 200 and "<h1>legal infrastructure</h1>" in page.text


def test_conditional_request_and_errors(client: TestClient) -> None:
    first = client.get(SUBFACTOR + ".jsonld")
    assert first.status_code == 200
    again = client.get(SUBFACTOR + ".jsonld", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert client.get("/id/subfactor/no-such-thing").status_code == 404
    assert client.get("/id/subfactor/no-such-thing.html").status_code == 404
    assert client.get(SUBFACTOR + ".exe").status_code == 404
    assert client.get("/id/../etc/passwd").status_code == 404
    assert client.post(SUBFACTOR + ".ttl").status_code == 405


def test_cli_on_demand_needs_the_dump(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["serve", "--on-demand", "--dist", str(tmp_path)])
    assert result.exit_code == 2
    assert "govsm.nq not found" in result.output


def test_root_without_a_static_site_is_rendered(client: TestClient) -> None:
    root = client.get("/")
    assert root.status_code == 200 and root.headers["content-type"].startswith("text/html")
    assert "no static site" in root.text
    assert 'href="id/review/social-media-service-delivery.html"' in root.text
    assert 'href="id/scheme/social-media-service-delivery-factors.html"' in root.text
    assert root.text.count("<rect") >= 16  # the figure, one box per sub-factor
    assert client.get("/index.html").text == root.text
    style = client.get("/style.css")
    assert style.status_code == 200 and style.headers["content-type"].startswith("text/css")
    page = client.get(SUBFACTOR + ".html").text
    # nothing links to the site-level pages this build does not have
    for missing in ("dataset.html", "ontology.html", "report.html"):
        assert missing not in root.text and missing not in page
    # ontology terms are shown by their IRIs (no ontology page is served)
    assert '<code class="iri">https://w3id.org/govsm/ontology#SubFactor</code>' in page
