"""The site's pages as templates: a link whose target comes from the data is shown as
text unless its scheme may be followed, and a project's templates folder overrides the
pages and the stylesheet (static site, on-demand pages and the report alike)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kg.build import pipeline
from kg.config import BuildOptions, Project
from kg.prefixes import DEFAULT_BASE
from kg.web.site.ondemand import OnDemandSite

#: Data with IRIs whose scheme must never become a link: as the object of a property
#: (rdfs:seeAlso, dcterms:references) and as a homepage-like link (foaf:homepage).
UNSAFE_DATA = """\
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix dcterms: <http://purl.org/dc/terms/> .

<https://w3id.org/govsm/id/study/unsafe>
    rdfs:label "<script>alert('label')</script>" ;
    rdfs:seeAlso <javascript:alert(1)> ;
    foaf:homepage <JavaScript:alert(2)> ;
    dcterms:relation <https://example.org/fine> , <https://w3id.org/govsm/id/study/other> .

<https://w3id.org/govsm/id/study/other>
    rdfs:label "other" ;
    dcterms:references <vbscript:msgbox(1)> ;
    dcterms:source <data:text/html;base64,PHNjcmlwdD5hbGVydCgzKTwvc2NyaXB0Pg==> .
"""
UNSAFE_HREF = re.compile(r"""href\s*=\s*["']?\s*(?:javascript|vbscript|data):""", re.IGNORECASE)
REPO = Path(__file__).resolve().parents[1]
MARKER = '<p class="our-project">Our own resource page</p>'


def _project(root: Path) -> Project:
    """A project of its own (the data above, and templates/ when the test writes one)
    with the repository's ontology, shapes and queries."""
    (root / "data").mkdir(parents=True, exist_ok=True)
    (root / "data" / "unsafe.ttl").write_text(UNSAFE_DATA, encoding="utf-8")
    return Project(
        root=root,
        ontology_dir=REPO / "ontology",
        shapes_dir=REPO / "shapes",
        data_dirs=(root / "data",),
        queries_dir=REPO / "queries",
    )


def _build(project: Project) -> Path:
    out = project.root / "dist"
    # the data is not meant to pass the review's shapes: only its pages are looked at
    pipeline.build(project, BuildOptions(out=out, reason=False), validate_stage=False)
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return _build(_project(tmp_path_factory.mktemp("unsafe")))


def _html(dist: Path) -> dict[str, str]:
    files = [*dist.glob("*.html"), *(dist / "site").rglob("*.html"), dist / "site/figure.svg"]
    return {str(f.relative_to(dist)): f.read_text(encoding="utf-8") for f in files}


def test_unsafe_iris_are_shown_as_text(built: Path) -> None:
    pages = _html(built)
    assert "site/id/study/unsafe.html" in pages and len(pages) > 5
    assert [name for name, text in pages.items() if UNSAFE_HREF.search(text)] == []
    page = pages["site/id/study/unsafe.html"]
    assert '<span class="iri">javascript:alert(1)</span>' in page
    assert '<span class="iri">JavaScript:alert(2)</span>' in page
    assert '<a href="https://example.org/fine">https://example.org/fine</a>' in page
    assert "&lt;script&gt;alert(&#39;label&#39;)&lt;/script&gt;" in page
    assert "<script" not in page
    other = pages["site/id/study/other.html"]
    assert '<span class="iri">vbscript:msgbox(1)</span>' in other
    assert '<span class="iri">data:text/html;base64,' in other


def test_unsafe_iris_are_shown_as_text_on_demand(built: Path) -> None:
    site = OnDemandSite.from_nquads(built / "govsm.nq", DEFAULT_BASE, REPO / "queries")
    for path in ("id/study/unsafe", "id/study/other"):
        page = site.page(path)
        assert page is not None and not UNSAFE_HREF.search(page), path
        assert page == (built / "site" / f"{path}.html").read_text(encoding="utf-8")


def test_project_templates_change_the_site(tmp_path: Path, built: Path) -> None:
    project = _project(tmp_path / "project")
    templates = project.templates
    (templates / "site").mkdir(parents=True)
    (templates / "style.css").write_text("body{color:#123456}\n", encoding="utf-8")
    package = Path(pipeline.__file__).parents[1] / "web" / "templates" / "site" / "resource.html"
    ours = package.read_text(encoding="utf-8").replace(
        "{% block content %}\n", "{% block content %}\n" + MARKER + "\n"
    )
    assert MARKER in ours
    (templates / "site" / "resource.html").write_text(ours, encoding="utf-8")
    dist = _build(project)

    assert (dist / "site" / "style.css").read_text(encoding="utf-8") == "body{color:#123456}\n"
    assert (built / "site" / "style.css").read_text(encoding="utf-8") != "body{color:#123456}\n"
    page = (dist / "site" / "id/study/unsafe.html").read_text(encoding="utf-8")
    assert MARKER in page and "<h1>&lt;script&gt;" in page
    assert MARKER not in (built / "site" / "id/study/unsafe.html").read_text(encoding="utf-8")
    # pages the folder does not override are the package's; the report inlines the style
    index = (dist / "site" / "index.html").read_text(encoding="utf-8")
    assert MARKER not in index and "<h2>Browse</h2>" in index
    assert "<style>body{color:#123456}\n</style>" in (dist / "report.html").read_text(
        encoding="utf-8"
    )
    # the same folder for pages rendered on demand
    site = OnDemandSite.from_nquads(
        dist / "govsm.nq", DEFAULT_BASE, REPO / "queries", templates=templates
    )
    assert site.page("id/study/unsafe") == page
    assert site.style() == "body{color:#123456}\n"
