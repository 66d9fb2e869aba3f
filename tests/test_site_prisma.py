"""The PRISMA 2020 flow diagram (kg.web.site.prisma): drawn from a review's
govsm:SelectionFlow, every count as text, only the boxes reported, deterministic, no
script, accessible; shown on the review's page. No build: the site graph is made from
the shape fixture of a complete flow (tests/fixtures/shapes/valid/prisma-flow.ttl, which
the shapes accept) and its background review; the first review's diagram is checked on
the session's build in tests/test_site.py."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.prefixes import DEFAULT_BASE
from kg.web.site import pages, prisma
from kg.web.site.graph import SiteGraph
from kg.web.site.kinds import kind_sections

REPO = Path(__file__).resolve().parents[1]
SHAPES = REPO / "tests" / "fixtures" / "shapes"
FLOW = SHAPES / "valid" / "prisma-flow.ttl"
REVIEW = ox.NamedNode(DEFAULT_BASE + "id/review/fixture")
SVG = "{http://www.w3.org/2000/svg}"


def site_graph(*files: Path, drop: tuple[str, ...] = ()) -> SiteGraph:
    """A site graph of ``files`` (one named graph each), leaving out the flow counts
    whose IRI ends with one of ``drop``."""
    store = ox.Store()
    for path in files:
        store.load(path=str(path), format=ox.RdfFormat.TURTLE, to_graph=ox.NamedNode(path.as_uri()))
    for end in drop:
        node = ox.NamedNode(f"{REVIEW.value}/selection-flow/{end}")
        for q in list(store.quads_for_pattern(None, None, node, None)):
            store.remove(q)
    text = store.dump(format=ox.RdfFormat.N_QUADS).decode("utf-8")
    graph = SiteGraph.from_nquads(text, DEFAULT_BASE, set())
    graph.set_pages({r.value[len(DEFAULT_BASE) :] for r in graph.resources()})
    return graph


@pytest.fixture(scope="module")
def graph() -> SiteGraph:
    return site_graph(SHAPES / "background.ttl", FLOW)


def drawn_text(svg: str) -> list[str]:
    """Each <text> of the drawing as a reader sees it (its tspans joined by spaces)."""
    root = ET.fromstring(svg)
    return [" ".join(" ".join(t.itertext()).split()) for t in root.iter(SVG + "text")]


def test_every_count_of_a_complete_flow_is_drawn_as_text(graph: SiteGraph) -> None:
    svg = prisma.svg(graph, REVIEW)
    assert svg is not None
    text = "\n".join(drawn_text(svg))
    expected = {
        "Scopus (n = 100)": 1,
        "Web of Science (n = 40)": 1,
        "PROSPERO (n = 10)": 1,
        "Duplicate records removed (n = 15)": 1,
        "(n = 3)": 1,
        "reasons (n = 2)": 1,
        "Records screened (n = 130)": 1,
        "Records excluded (n = 90)": 1,
        "Reports sought for retrieval (n = 40)": 1,
        "Reports not retrieved (n = 4)": 1,
        "Reports assessed for eligibility (n = 36)": 1,
        "Reports excluded (n = 26):": 1,
        "no empirical data (n = 6)": 1,
        "social media (n = 20)": 1,
        "government portals (n = 5)": 1,
        "backward citation searching (n = 6)": 1,
        "contacting authors (n = 1)": 1,
        "Reports sought for retrieval (n = 12)": 1,
        "Reports not retrieved (n = 2)": 1,
        "Reports assessed for eligibility (n = 10)": 1,
        "not about service delivery (n = 6)": 1,
        "Studies included in review (n = 12)": 1,
        "Reports of included studies (n = 14)": 1,
    }
    for words, times in expected.items():
        assert text.count(words) == times, (words, text)
    root = ET.fromstring(svg)
    # 14 boxes: databases and registers 8 (identified, removed; screened, excluded;
    # sought, not retrieved; assessed, excluded), other methods 5 (no screening box in
    # the template), included 1
    assert len(root.findall(f"{SVG}g")) == 14
    assert [t.text for t in root.iter(SVG + "title")] == [
        "PRISMA 2020 flow diagram: Fixture review"
    ]
    desc = "".join(root.find(SVG + "desc").itertext())
    assert desc.count("(n = ") == 23  # every count, in words
    assert "<path" not in svg and "<script" not in svg and "Not reported" not in svg
    assert root.get("role") == "img" and root.get("aria-labelledby") == "prisma-title prisma-desc"


def test_the_drawing_is_the_same_bytes_twice(graph: SiteGraph) -> None:
    again = site_graph(FLOW, SHAPES / "background.ttl")  # another load order
    assert prisma.svg(graph, REVIEW) == prisma.svg(again, REVIEW)


def test_only_the_boxes_reported_are_drawn() -> None:
    """Without the other methods and the identification counts, their boxes, column and
    arrows are gone and the note names the stage the review does not report."""
    other = (
        "websites",
        "citations",
        "authors",
        "other-sought",
        "other-not-retrieved",
        "other-assessed",
        "other-reason-service",
    )
    ident = ("scopus", "wos", "prospero", "duplicates", "automation", "other-removed")
    svg = prisma.svg(site_graph(SHAPES / "background.ttl", FLOW, drop=other + ident), REVIEW)
    assert svg is not None
    text = drawn_text(svg)
    assert "Identification of new studies via other methods" not in text
    assert not any("Records identified" in t or "Scopus" in t for t in text)
    assert "Not reported by the review: identification." in text
    assert len(ET.fromstring(svg).findall(f"{SVG}g")) == 7  # 4 screening rows' boxes + 1
    assert svg.count("<polyline") == 3 + 3  # down the column, and to each side box


def test_no_flow_no_diagram() -> None:
    graph = site_graph(SHAPES / "background.ttl")
    assert prisma.svg(graph, REVIEW) is None
    page = pages.Page("id/review/fixture", graph)
    html = pages.resource_page(page, REVIEW, kind_sections(REPO / "queries", lambda s: None))
    assert "prisma" not in html


def test_the_review_page_shows_the_diagram_and_links_its_file(graph: SiteGraph) -> None:
    page = pages.Page("id/review/fixture", graph)
    html = pages.resource_page(page, REVIEW, kind_sections(REPO / "queries", lambda s: None))
    inline = re.search(r"<svg .*?</svg>", html, flags=re.DOTALL)
    assert inline is not None and inline.group(0) == prisma.svg(graph, REVIEW).strip()
    assert '<a href="fixture/prisma.svg">' in html
    assert prisma.file_path("id/review/fixture") == "id/review/fixture/prisma.svg"


def test_a_page_on_demand_shows_the_diagram_without_a_link_to_a_file(graph: SiteGraph) -> None:
    page = pages.Page("id/review/fixture", graph, paged=True)
    html = pages.resource_page(page, REVIEW, kind_sections(REPO / "queries", lambda s: None))
    assert "Reports of included studies (n = 14)" in html and "prisma.svg" not in html
