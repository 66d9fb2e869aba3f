"""The static site without resource pages (a build above kg.build.pipeline.SITE_MAX_RESOURCES,
here lowered), served with pages on demand; ``/`` on demand without any site; incoming
links capped per page (kg.web.site.pages.LINKS_PER_PAGE), paged on demand.

A small synthetic review (bench.generate, 40 studies) is built twice: with a page per
resource (``--site``) and above a lowered threshold (the site-level pages only).
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

import pyoxigraph as ox
import pytest
from starlette.testclient import TestClient
from support import Links

from bench.generate import generate
from kg.build import pipeline
from kg.config import BuildOptions, Project
from kg.prefixes import DEFAULT_BASE, PREFIXES
from kg.rdf.jsonld import usage_of
from kg.web.server import make_app
from kg.web.site import pages
from kg.web.site import sitemap as sitemap_files
from kg.web.site.facts import dump_file_facts
from kg.web.site.graph import SiteGraph
from kg.web.site.ondemand import OnDemandSite
from kg.web.site.void import Statistics

VOID = PREFIXES["void"]
SITE_LEVEL = {
    ".htaccess",
    ".well-known/void",
    "context.jsonld",
    "dataset.html",
    "dataset.jsonld",
    "dataset.nt",
    "dataset.rdf",
    "dataset.ttl",
    "dumps/SHA256SUMS",
    "dumps/govsm.nq",
    "dumps/govsm.ttl",
    "figure.svg",
    "index.html",
    "ontology.html",
    "ontology.jsonld",
    "ontology.nt",
    "ontology.rdf",
    "ontology.ttl",
    "ontology/0.1.0.html",  # the ontology's owl:versionIRI
    "ontology/0.1.0.jsonld",
    "ontology/0.1.0.nt",
    "ontology/0.1.0.rdf",
    "ontology/0.1.0.ttl",
    "report.html",
    "shapes.html",
    "shapes.jsonld",
    "shapes.nt",
    "shapes.rdf",
    "shapes.ttl",
    "sitemap-pages.xml",
    "sitemap-resources-1.xml",
    "sitemap.xml",
    "style.css",
}


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Project:
    return Project(root=generate(tmp_path_factory.mktemp("partial"), studies=40, seed=11).root)


@pytest.fixture(scope="module")
def full(project: Project, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("full") / "dist"
    pipeline.build(project, BuildOptions(out=out, reason=False, site=True))
    return out


@pytest.fixture(scope="module")
def partial(project: Project, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    out = tmp_path_factory.mktemp("partial-site") / "dist"
    said: list[str] = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(pipeline, "SITE_MAX_RESOURCES", 50)
        pipeline.build(project, BuildOptions(out=out, reason=False), log=said.append)
    return out, said


def _files(folder: Path) -> set[str]:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}


def _client(dist: Path, project: Project) -> TestClient:
    pages_on_demand = OnDemandSite.from_nquads(dist / "govsm.nq", DEFAULT_BASE, project.queries)
    return TestClient(make_app(dist / "site", DEFAULT_BASE, on_demand=pages_on_demand))


def _links(html: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    return parser.links


def _crawl(client: TestClient, start: str, limit: int) -> tuple[set[str], list[str]]:
    """Follow every relative link from ``start`` (pages up to ``limit``); return the
    pages visited and the links that did not resolve. /sparql (kg.web.endpoint, not served
    here) is left out."""
    seen, broken, queue = {start}, [], [start]
    visited: set[str] = set()
    while queue and len(visited) < limit:
        url = queue.pop(0)
        answer = client.get(url, follow_redirects=True)
        if answer.status_code != 200:
            broken.append(url)
            continue
        visited.add(url)
        if "text/html" not in answer.headers["content-type"]:
            continue
        for href in _links(answer.text):
            if re.match(r"^[a-z]+:", href) or href.startswith("#"):
                continue
            target = urljoin(str(answer.url), href).split("#")[0]
            path = urlsplit(target).path
            if path.endswith("/sparql"):
                continue
            key = path + ("?" + urlsplit(target).query if urlsplit(target).query else "")
            if key not in seen:
                seen.add(key)
                queue.append(key)
    return visited, broken


def test_partial_site_has_the_site_level_pages_only(
    partial: tuple[Path, list[str]], full: Path
) -> None:
    out, said = partial
    assert any("static site without resource pages" in line for line in said)
    assert _files(out / "site") == SITE_LEVEL
    assert (out / "site" / "dumps" / "govsm.nq").read_bytes() == (out / "govsm.nq").read_bytes()
    assert (out / "site" / "dumps" / "govsm.ttl").read_bytes() == (out / "govsm.ttl").read_bytes()
    sums = (out / "site" / "dumps" / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert len(sums) == 2
    for line in sums:
        digest, name = line.split("  ")
        data = (out / "site" / "dumps" / name).read_bytes()
        assert hashlib.sha256(data).hexdigest() == digest
    sitemap = (out / "site" / "sitemap-pages.xml").read_text(encoding="utf-8")
    locs = re.findall(r"<loc>([^<]*)</loc>", sitemap)
    pages = (
        "dataset.html",
        "",
        "ontology.html",
        "ontology/0.1.0.html",
        "report.html",
        "shapes.html",
    )
    assert locs == [DEFAULT_BASE + p for p in pages]
    # the site-level pages that do not depend on the resource pages are the full site's
    for name in ("ontology.html", "ontology.ttl", "figure.svg", "style.css", "context.jsonld"):
        assert (out / "site" / name).read_bytes() == (full / "site" / name).read_bytes(), name


def test_pages_say_resource_pages_are_served_on_demand(
    partial: tuple[Path, list[str]], full: Path
) -> None:
    site = partial[0] / "site"
    for name in ("index.html", "dataset.html"):
        html = (site / name).read_text(encoding="utf-8")
        assert "Resource pages on demand." in html
        assert "<code>govsm serve</code>" in html
        assert "govsm.trig" not in html.replace("TriG and JSON-LD dumps are not", "")
        assert "Resource pages on demand." not in (full / "site" / name).read_text(encoding="utf-8")
    index = (site / "index.html").read_text(encoding="utf-8")
    assert 'href="dumps/govsm.nq"' in index and 'href="dumps/govsm.jsonld"' not in index


def _void(path: Path) -> dict[str, set[str]]:
    """Every (predicate, object) of the VoID document, by subject."""
    found: dict[str, set[str]] = {}
    for t in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE):
        found.setdefault(str(t.subject), set()).add(f"{t.predicate} {t.object}")
    return found


def test_void_counts_match_the_full_site_and_omit_what_is_not_published(
    partial: tuple[Path, list[str]], full: Path
) -> None:
    small = _void(partial[0] / "site" / ".well-known" / "void")
    large = _void(full / "site" / ".well-known" / "void")
    dataset = f"<{DEFAULT_BASE}dataset>"
    stats = {f"<{VOID}{p}>" for p in ("triples", "entities", "distinctSubjects", "properties")}
    stats |= {f"<{VOID}{p}>" for p in ("distinctObjects", "classes")}
    counted = {s for s in large[dataset] if s.split(" ")[0] in stats}
    assert len(counted) == 6 and counted <= small[dataset]
    # every class and property partition with the same counts
    for subject, statements in large.items():
        if "#class-" in subject or "#property-" in subject:
            assert small[subject] == statements, subject
    dumps = {s.split(" ", 1)[1] for s in small[dataset] if s.startswith(f"<{VOID}dataDump>")}
    assert dumps == {f"<{DEFAULT_BASE}dumps/govsm.nq>", f"<{DEFAULT_BASE}dumps/govsm.ttl>"}
    comment = [s for s in small[dataset] if s.startswith(f"<{PREFIXES['rdfs']}comment>")]
    assert len(comment) == 1 and "on demand" in comment[0] and "TriG" in comment[0]
    assert not any(s.startswith(f"<{PREFIXES['rdfs']}comment>") for s in large[dataset])


def _locs(path: Path) -> list[str]:
    return re.findall(r"<loc>([^<]*)</loc>", path.read_text(encoding="utf-8"))


def _described(nquads: Path) -> set[str]:
    """Page URLs of every IRI under the base that the dump describes (computed from the
    dump, not from the store the site used)."""
    subjects = {
        q.subject.value
        for q in ox.parse(path=str(nquads), format=ox.RdfFormat.N_QUADS)
        if isinstance(q.subject, ox.NamedNode) and q.subject.value.startswith(DEFAULT_BASE)
    }
    paths = {s[len(DEFAULT_BASE) :] for s in subjects} - {"", "dataset", "ontology", "shapes"}
    return {f"{DEFAULT_BASE}{p}.html" for p in paths if "#" not in p}


def test_sitemap_lists_the_pages_rendered_on_demand(
    partial: tuple[Path, list[str]], project: Project
) -> None:
    site = partial[0] / "site"
    index = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert "<sitemapindex " in index
    assert _locs(site / "sitemap.xml") == [
        DEFAULT_BASE + "sitemap-pages.xml",
        DEFAULT_BASE + "sitemap-resources-1.xml",
    ]
    listed = _locs(site / "sitemap-resources-1.xml")
    assert listed == sorted(listed) and len(listed) == len(set(listed))
    assert set(listed) == _described(partial[0] / "govsm.nq")
    client = _client(partial[0], project)
    for url in listed[::25]:  # a sample: each is a page rendered on demand
        answer = client.get(url[len(DEFAULT_BASE) - 1 :])
        assert answer.status_code == 200, url
        assert "<h1>" in answer.text


def test_sitemap_files_hold_at_most_the_limit(
    partial: tuple[Path, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = ox.Store()
    store.bulk_load(path=str(partial[0] / "govsm.nq"), format=ox.RdfFormat.N_QUADS)
    monkeypatch.setattr(sitemap_files, "SITEMAP_MAX_URLS", 100)
    on_demand = sitemap_files.on_demand_pages(store, DEFAULT_BASE)
    files = sitemap_files.sitemap_index(DEFAULT_BASE, ["index.html"], on_demand)
    chunks = [name for name in files if name.startswith("sitemap-resources-")]
    urls = [re.findall(r"<loc>([^<]*)</loc>", files[name]) for name in chunks]
    total = sum(map(len, urls))
    assert len(chunks) == -(-total // 100) > 1
    assert all(len(u) <= 100 for u in urls) and all(len(u) == 100 for u in urls[:-1])
    assert {u for chunk in urls for u in chunk} == _described(partial[0] / "govsm.nq")
    assert re.findall(r"<loc>([^<]*)</loc>", files["sitemap.xml"]) == [
        DEFAULT_BASE + name for name in ["sitemap-pages.xml", *chunks]
    ]


def test_every_link_of_the_partial_site_resolves_on_demand(
    partial: tuple[Path, list[str]], project: Project
) -> None:
    client = _client(partial[0], project)
    visited, broken = _crawl(client, "/", limit=150)
    assert not broken, broken[:10]
    assert {"/", "/dataset.html", "/ontology.html", "/report.html"} <= visited
    # resource pages were reached through the site-level pages, rendered on demand
    resources = {v for v in visited if v.startswith("/id/") and v.endswith(".html")}
    assert len(resources) > 20
    assert "/id/review/synthetic.html" in visited


def test_root_on_demand_without_a_site(project: Project, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    pipeline.build(project, BuildOptions(out=out, reason=False, site=False))
    assert not (out / "site").exists()
    client = _client(out, project)
    root = client.get("/")
    assert root.status_code == 200 and root.headers["content-type"].startswith("text/html")
    assert "no static site" in root.text and "<svg" in root.text
    again = client.get("/", headers={"If-None-Match": root.headers["etag"]})
    assert again.status_code == 304
    assert 'href="sparql"' not in root.text  # no SPARQL service in this app
    visited, broken = _crawl(client, "/", limit=60)
    assert not broken, broken[:10]
    assert any(v.startswith("/id/subfactor/") for v in visited)
    assert client.get("/govsm/").status_code == 200  # under the base's own path too
    assert client.get("/nothing/").status_code == 404


def _most_linked(store: ox.Store) -> tuple[str, set[tuple[str, str]]]:
    """The resource under the base with the most incoming links from IRIs, and those
    links as (predicate, subject IRI)."""
    query = (
        "SELECT ?x (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?x FILTER (isIRI(?s) && isIRI(?x) "
        f'&& STRSTARTS(STR(?x), "{DEFAULT_BASE}id/")) }} GROUP BY ?x ORDER BY DESC(?n) ?x LIMIT 1'
    )
    iri = next(iter(store.query(query, use_default_graph_as_union=True)))["x"].value
    links = {
        (q.predicate.value, q.subject.value)
        for q in store.quads_for_pattern(None, None, ox.NamedNode(iri))
        if isinstance(q.subject, ox.NamedNode)
    }
    return iri, links


def _listed(html: str, page_url: str) -> list[tuple[str, str]]:
    """The (predicate, subject IRI) pairs an incoming-links list shows."""
    section = html.split("<h2>Incoming links</h2>", 1)[1]
    items = re.findall(r'<li><a href="([^"]+)">[^<]*</a> <small>([^<]+)</small> this</li>', section)
    out = []
    for href, compact in items:
        prefix, _, local = compact.partition(":")
        path = urlsplit(urljoin(page_url, unquote(href))).path
        out.append((PREFIXES[prefix] + local, DEFAULT_BASE + path[1:].removesuffix(".html")))
    return out


def test_incoming_links_are_paged_on_demand(
    partial: tuple[Path, list[str]], project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = OnDemandSite.from_nquads(partial[0] / "govsm.nq", DEFAULT_BASE, project.queries)
    iri, links = _most_linked(site.engine.store)
    per_page = max(2, len(links) // 2 - 1)  # three pages, the last one short
    assert len(links) > 2 * per_page
    monkeypatch.setattr(pages, "LINKS_PER_PAGE", per_page)
    client = TestClient(make_app(partial[0] / "site", DEFAULT_BASE, on_demand=site))
    path = "/" + iri[len(DEFAULT_BASE) :] + ".html"
    listed: list[tuple[str, str]] = []
    url, number = path, 1
    while url is not None:
        answer = client.get(url)
        assert answer.status_code == 200, url
        page_url = "http://testserver" + path
        shown = _listed(answer.text, page_url)
        assert len(shown) == (per_page if number < 3 else len(links) - 2 * per_page)
        first = (number - 1) * per_page + 1
        assert f"{first:,}–{first + len(shown) - 1:,} of {len(links):,} incoming links" in (
            answer.text
        )
        assert f"page {number} of 3" in answer.text
        listed += shown
        nxt = re.search(r'<a href="\?page=(\d+)" rel="next">', answer.text)
        prev = re.search(r'<a href="\?page=(\d+)" rel="prev">', answer.text)
        assert (prev is None) == (number == 1)
        url = f"{path}?page={nxt.group(1)}" if nxt else None
        number += 1
    assert number == 4
    assert len(listed) == len(set(listed)) and set(listed) == links
    assert client.get(path + "?page=4").status_code == 404
    assert client.get(path + "?page=0").status_code == 400
    assert client.get(path + "?page=x").status_code == 400
    # the "all of them" link runs a query that lists every incoming link
    href = re.search(r'<a href="([^"]*sparql\?query=[^"]*)">all of them', answer.text)
    assert href is not None
    query = parse_qs(urlsplit(href.group(1).replace("&amp;", "&")).query)["query"][0]
    rows = site.engine.store.query(query, use_default_graph_as_union=True)
    assert {(r["property"].value, r["subject"].value) for r in rows} == links


def test_static_pages_show_the_first_links_and_the_count(
    project: Project, full: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = OnDemandSite.from_nquads(full / "govsm.nq", DEFAULT_BASE, project.queries)
    iri, links = _most_linked(site.engine.store)
    per_page = len(links) // 2
    monkeypatch.setattr(pages, "LINKS_PER_PAGE", per_page)
    out = tmp_path / "dist"
    pipeline.build(project, BuildOptions(out=out, reason=False, site=True))
    path = iri[len(DEFAULT_BASE) :]
    html = (out / "site" / f"{path}.html").read_text(encoding="utf-8")
    shown = _listed(html, f"http://testserver/{path}.html")
    # the static page also lists the links of the site's dataset description (VoID, not
    # in the dump): the review is its root resource
    description = ox.parse(path=str(out / "site" / "dataset.nt"), format=ox.RdfFormat.N_TRIPLES)
    static = links | {
        (t.predicate.value, t.subject.value) for t in description if t.object.value == iri
    }
    assert len(shown) == per_page and set(shown) < static
    assert f"1–{per_page:,} of {len(static):,} incoming links shown" in html
    assert "?page=" not in html  # a static host cannot serve the next pages
    assert "sparql?query=" in html
    # the same resource on demand: the same first page, with the link to the next one
    on_demand = site.page(path)
    assert on_demand is not None and _listed(on_demand, f"http://testserver/{path}.html") == shown
    assert 'href="?page=2" rel="next"' in on_demand


def test_another_engine_gives_the_same_partial_site(tmp_path: Path) -> None:
    """On the rdflib engine the pages are read from a store loaded from the dump. (A review
    of 8 studies: rdflib's SPARQL takes most of a minute on the module's 40.)"""
    project = Project(root=generate(tmp_path / "project", studies=8, seed=11).root)
    sites = {}
    for engine in ("oxigraph", "rdflib"):
        out = tmp_path / engine
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(pipeline, "SITE_MAX_RESOURCES", 50)
            pipeline.build(project, BuildOptions(out=out, reason=False, engine=engine))
        sites[engine] = out / "site"
    ours, theirs = sites["oxigraph"], sites["rdflib"]
    assert _files(ours) == _files(theirs) == SITE_LEVEL
    for name in sorted(SITE_LEVEL - {"report.html"}):  # the report names the engine
        assert (theirs / name).read_bytes() == (ours / name).read_bytes(), name


def test_dump_facts_equal_a_recount_of_the_dump(partial: tuple[Path, list[str]]) -> None:
    """The statistics, JSON-LD usage and subjects the build counts from the triples as it
    writes the dumps (kg.web.site.facts) are those of a parse of the written dump."""
    nquads = partial[0] / "govsm.nq"
    triples = sorted(
        {(q.subject, q.predicate, q.object) for q in ox.parse(path=str(nquads))},
        key=lambda t: tuple(map(str, t)),
    )
    facts = dump_file_facts(nquads, DEFAULT_BASE)
    assert facts.statistics == Statistics.of(triples, DEFAULT_BASE)
    assert facts.usage == usage_of(triples)
    assert facts.usage.declared and facts.usage.ranges and facts.usage._blank_objects
    subjects = {s.value for s, _, _ in triples if isinstance(s, ox.NamedNode)}
    assert sorted(facts.subjects) == sorted(s for s in subjects if s.startswith(DEFAULT_BASE))
    assert len(facts.subjects) == facts.statistics.entities
    site = partial[0] / "site"
    sums = (site / "dumps" / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    for line in sums:  # hashed as written, the files' own digests
        digest, name = line.split("  ")
        assert hashlib.sha256((partial[0] / name).read_bytes()).hexdigest() == digest


def test_objects_of_asks_a_lazy_graph_for_one_predicate() -> None:
    """SiteGraph.objects_of (the report's links to derived classifications) gives what
    objects() gives, in its order, without reading every triple of the subject of a graph
    read lazily from a store (a classification with thousands of evidence items)."""
    store, s = ox.Store(), ox.NamedNode("urn:x:classification")
    p, q = "urn:x:p", "urn:x:q"
    for g in ("urn:x:g1", "urn:x:g2"):  # a triple in two graphs counts once
        for o in ("urn:x:b", "urn:x:a"):
            store.add(ox.Quad(s, ox.NamedNode(p), ox.NamedNode(o), ox.NamedNode(g)))
    store.add(ox.Quad(s, ox.NamedNode(q), ox.Literal("1"), ox.NamedNode("urn:x:g1")))
    graph = SiteGraph.from_store(store, DEFAULT_BASE)
    found = graph.objects_of(s, p)
    assert s not in graph.out  # the subject's triples were not read
    assert found == graph.objects(s, p) == [ox.NamedNode("urn:x:a"), ox.NamedNode("urn:x:b")]
    assert graph.objects_of(s, q) == [ox.Literal("1")] and graph.objects_of(s, "urn:x:r") == []


def test_serve_renders_the_missing_pages_without_being_asked(
    project: Project, partial: tuple[Path, list[str]], full: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`govsm serve` of a build whose site has no resource pages renders them on demand
    (no --on-demand needed), as the build's warning says; a full site is served as it is."""
    from typer.testing import CliRunner

    from kg.cli import serve as serve_cli
    from kg.cli.app import app

    served: list[OnDemandSite | None] = []

    def listen(*args: object) -> SimpleNamespace:
        served.append(args[6])  # type: ignore[arg-type]  # (site, ..., service, pages, conns)
        return SimpleNamespace(url="http://127.0.0.1:0/")

    monkeypatch.setattr(serve_cli, "_listen", listen)
    monkeypatch.setattr(serve_cli, "_serve_until_stopped", lambda server, announce: None)
    warning = [line for line in partial[1] if "without resource pages" in line]
    assert len(warning) == 1 and "`govsm serve` renders" in warning[0] and "--site" in warning[0]
    for dist in (partial[0], full):
        args = ["serve", "--dist", str(dist), "--no-sparql", "--project", str(project.root)]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
    assert isinstance(served[0], OnDemandSite) and served[1] is None
    url = _locs(partial[0] / "site" / "sitemap-resources-1.xml")[0]
    assert "<h1>" in (served[0].page(url[len(DEFAULT_BASE) : -len(".html")]) or "")
