"""The static linked-data site (dist/site/): layout contract, RDF documents, ontology
documentation, figure, VoID/DCAT, dumps and checksums, offline JSON-LD, a static crawl
of every relative link, determinism, and the --base option."""

from __future__ import annotations

import hashlib
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
import rdflib
from rdflib import Literal, URIRef
from rdflib.compare import isomorphic
from rdflib.namespace import DCTERMS, OWL, RDF
from support import Links, built_dist, site_of

from kg.build import pipeline
from kg.config import BuildOptions, Project
from kg.prefixes import DEFAULT_BASE, GOVSM, ONTOLOGY_IRI, PREFIXES

VOID = rdflib.Namespace(PREFIXES["void"])
SKOS = rdflib.Namespace(PREFIXES["skos"])
RDF_FORMATS = {"ttl": "turtle", "jsonld": "json-ld", "nt": "nt", "rdf": "xml"}
LOCAL = "http://127.0.0.1:8000/"
SAMPLES = [
    "id/review/social-media-service-delivery",
    "id/study/mergel-2016",
    "id/study/klievink-2009-second-entry",
    "id/person/mergel-i",
    "id/venue/government-information-quarterly",
    "id/evidence/mergel-2016-routinization",
    "id/factor/infrastructural",
    "id/subfactor/legal-infrastructure",
    "id/scheme/social-media-service-delivery-factors",
    "id/assessment/iran/legal-infrastructure",
    "id/classification/classification-from-assessment/iran/legal-infrastructure",
    "id/reported/social-media-service-delivery/iran/legal-infrastructure",
    "id/context/iran",
    "id/data-quality/norris-2001-typo",
    "id/agent/govsm-kg-project",
    "rule/classification-from-assessment",
]


def _build(out: Path, base: str = DEFAULT_BASE) -> Path:
    pipeline.build(Project(), BuildOptions(base=base, out=out, reason=False))
    return out / "site"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The session's `govsm build` of the review (default base; the tests only read it)."""
    return site_of(built_dist(tmp_path_factory))


@pytest.fixture(scope="module")
def default_view(site: Path) -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(site / "dumps" / "govsm.ttl", format="turtle")
    return graph


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site as `govsm publish` writes it."""
    from typer.testing import CliRunner

    from kg.cli.app import app

    out = tmp_path_factory.mktemp("published") / "dist"
    result = CliRunner().invoke(app, ["publish", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "published" in result.output
    return out / "site"


def _files(site: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file()
    }


# --- layout contract --------------------------------------------------------------------


def test_selector_sample_is_a_resource(site: Path, default_view: rdflib.Graph) -> None:
    # evidence quote selectors are IRIs (conventions): one of them must have its documents
    selector = next(
        o
        for o in default_view.objects(
            URIRef(DEFAULT_BASE + "id/evidence/mergel-2016-routinization"), None
        )
        if isinstance(o, URIRef)
        and o.startswith(DEFAULT_BASE + "id/evidence/mergel-2016-routinization/")
    )
    path = selector[len(DEFAULT_BASE) :]
    for ext in ("html", *RDF_FORMATS):
        assert (site / f"{path}.{ext}").is_file()


@pytest.mark.parametrize("path", SAMPLES)
def test_every_format_holds_the_resource_triples(
    site: Path, default_view: rdflib.Graph, path: str
) -> None:
    subject = URIRef(DEFAULT_BASE + path)
    own = {(p, o) for p, o in default_view.predicate_objects(subject)}
    assert own, f"{path} has no triples in the dump"
    assert (site / f"{path}.html").is_file()
    for ext, fmt in RDF_FORMATS.items():
        graph = rdflib.Graph()
        graph.parse(site / f"{path}.{ext}", format=fmt)
        got = {(p, o) for p, o in graph.predicate_objects(subject)}
        named = {(p, o) for p, o in own if not isinstance(o, rdflib.BNode)}
        assert named <= got, f"{path}.{ext} misses {sorted(named - got)[:3]}"
        assert len(got) == len(own), f"{path}.{ext}"
    page = (site / f"{path}.html").read_text(encoding="utf-8")
    assert "<h1>" in page and f'<code class="iri">{subject}</code>' in page
    name = path.rsplit("/", 1)[-1]
    for ext, mime in (
        ("ttl", "text/turtle"),
        ("jsonld", "application/ld+json"),
        ("nt", "application/n-triples"),
        ("rdf", "application/rdf+xml"),
    ):
        assert f'<link rel="alternate" type="{mime}" href="{name}.{ext}">' in page
    assert "Incoming links" in page


def test_every_subject_under_the_base_has_a_page(site: Path, default_view: rdflib.Graph) -> None:
    missing = [
        s
        for s in set(default_view.subjects())
        if isinstance(s, URIRef)
        and s.startswith(DEFAULT_BASE + "id/")
        and not (site / f"{s[len(DEFAULT_BASE) :]}.html").is_file()
    ]
    assert not missing, missing[:5]


def test_classification_page_shows_the_full_trace(site: Path) -> None:
    page = (
        site / "id/classification/classification-from-assessment/iran/legal-infrastructure.html"
    ).read_text(encoding="utf-8")
    assert "<h2>Trace</h2>" in page and "preventer" in page
    assert "Context assessment" in page and "<blockquote>" in page
    assert 'href="../../../../rule/classification-from-assessment.html"' in page
    assert "Evidence items (" in page and "Source:" in page


def test_classification_page_shows_the_confidence_profile(site: Path) -> None:
    """A summary-of-qualitative-findings row in the GRADE-CERQual layout, the component
    assessments and the robustness (the levels themselves: tests/test_confidence.py)."""
    page = (
        site / "id/classification/classification-from-assessment/iran/usability.html"
    ).read_text(encoding="utf-8")
    assert "GRADE-CERQual assessment of confidence" in page
    assert "Studies contributing to the review finding" in page
    assert "usability is a preventer in Iran." in page and "very low confidence" in page
    assert "rule confidence-coherence" in page and "moderate concerns" in page
    assert "classification-from-evidence-majority says <strong>disagree</strong> (mixed)" in page
    subfactor = (site / "id/subfactor/usability.html").read_text(encoding="utf-8")
    assert "Confidence in the findings (GRADE-CERQual)" in subfactor
    assert "<strong>very low confidence</strong>" in subfactor
    rule = (site / "rule/confidence-coherence.html").read_text(encoding="utf-8")
    assert "CONSTRUCT" in rule and "Colvin" in rule


def test_subfactor_and_rule_pages(site: Path) -> None:
    page = (site / "id/subfactor/legal-infrastructure.html").read_text(encoding="utf-8")
    assert "Derived:" in page and "Reported by the review:" in page
    assert "../classification/classification-from-assessment/iran/legal-infrastructure.html" in page
    assert "../reported/social-media-service-delivery/iran/legal-infrastructure.html" in page
    rule = (site / "rule/classification-from-assessment.html").read_text(encoding="utf-8")
    assert "CONSTRUCT" in rule
    scheme = (site / "id/scheme/social-media-service-delivery-factors.html").read_text(
        encoding="utf-8"
    )
    assert "Concept tree" in scheme and scheme.count("../subfactor/") >= 16


TRACED = "id/classification/classification-from-assessment/iran/legal-infrastructure"


def test_trace_names_its_context_and_rule_once(site: Path) -> None:
    page = (site / f"{TRACED}.html").read_text(encoding="utf-8")
    assert (
        '<p>Direction: <strong class="preventer">preventer</strong> in '
        '<a href="../../../context/iran.html">Iran</a></p>'
    ) in page
    rule = re.search(r"<p>Rule: (.*)</p>", page)
    assert rule is not None
    assert rule.group(1).count("Classification from the context assessment") == 1


def test_works_are_cited_by_what_the_data_has(site: Path) -> None:
    page = (site / f"{TRACED}.html").read_text(encoding="utf-8")
    assert "(untitled)" not in page and "name not given in the text" not in page
    # the review has no title and three authors whose names the data does not give
    assert (
        "<p>Source: 3 authors, names not given (n.d.). "
        '<a href="../../../review/social-media-service-delivery.html">Meta-synthesis of the '
    ) in page
    assert "<p>Source: Linke, A.; Zerfass, A. (2013). " in page


def test_evidence_items_are_listed_by_a_label(site: Path) -> None:
    listed_by_iri = re.compile(r">id:evidence/[^<]*</a>")
    pages = sorted(site.rglob("*.html"))
    assert [str(p.relative_to(site)) for p in pages if listed_by_iri.search(p.read_text())] == []
    page = (site / "id/evidence/mergel-2016-routinization.html").read_text(encoding="utf-8")
    assert "<h1>evidence item: “routinization involves establishing clear processes" in page


def test_subfactor_page_shows_its_quote(site: Path) -> None:
    page = (site / "id/subfactor/legal-infrastructure.html").read_text(encoding="utf-8")
    quote = "<blockquote>3-Legal infrastructure sub-factor</blockquote>"
    assert page.count(quote) == 2  # in the sub-factor's section and in its properties
    assert page.count('<a href="legal-infrastructure/quote.html">') == 2


def test_site_report_links_its_rows(site: Path) -> None:
    report = (site / "report.html").read_text(encoding="utf-8")
    assert '<link rel="stylesheet" href="style.css">' in report and "<nav>" in report
    row = re.search(r"<tr><td>[^\n]*>legal infrastructure</a></td>[^\n]*</tr>", report)
    assert row is not None
    for href in (
        "id/factor/infrastructural.html",
        "id/subfactor/legal-infrastructure.html",
        f"{TRACED}.html",
    ):
        assert f'<a href="{href}">' in row.group(0)
    # the report in dist/ stands alone: its own style, no links into the site
    standalone = (site.parent / "report.html").read_text(encoding="utf-8")
    assert "<style>" in standalone and 'href="id/' not in standalone
    assert "legal infrastructure</td>" in standalone


def test_landing_page_links_the_endpoint_relatively(site: Path) -> None:
    index = (site / "index.html").read_text(encoding="utf-8")
    assert '<a href="sparql">' in index and f'href="{DEFAULT_BASE}sparql"' not in index
    assert f'Published address: <code class="iri">{DEFAULT_BASE}sparql</code>' in index
    review = "id/review/social-media-service-delivery.html"
    scheme = "id/scheme/social-media-service-delivery-factors.html"
    assert f'Review: <a href="{review}">Meta-synthesis of the factors' in index
    assert f'Concept scheme (tree): <a href="{scheme}">' in index


# --- ontology ---------------------------------------------------------------------------


def test_ontology_documentation_has_an_anchor_per_term(site: Path) -> None:
    core = rdflib.Graph().parse(Path(__file__).resolve().parents[1] / "ontology" / "govsm.ttl")
    terms = {
        str(s)[len(GOVSM) :]
        for s in core.subjects()
        if isinstance(s, URIRef) and str(s).startswith(GOVSM)
    }
    page = (site / "ontology.html").read_text(encoding="utf-8")
    ids = set(re.findall(r'id="([^"]+)"', page))
    assert terms and terms <= ids, sorted(terms - ids)[:5]
    assert "Alignments" in page and "Instances" in page


def test_ontology_documents_are_fair(site: Path) -> None:
    onto = URIRef(ONTOLOGY_IRI)
    for ext, fmt in RDF_FORMATS.items():
        graph = rdflib.Graph().parse(site / f"ontology.{ext}", format=fmt)
        assert (onto, RDF.type, OWL.Ontology) in graph
        for prop in (DCTERMS.title, DCTERMS.description, DCTERMS.license, DCTERMS.creator):
            assert graph.value(onto, prop) is not None, f"ontology.{ext}: {prop}"
        version = graph.value(onto, OWL.versionIRI)
        assert version is not None and version != onto
        # alignments merged in
        assert any(
            str(s).startswith(ONTOLOGY_IRI + "/alignments/")
            for s in graph.subjects(RDF.type, OWL.Ontology)
        )


# --- figure -----------------------------------------------------------------------------


def test_figure_has_sixteen_boxes_coloured_by_the_derived_direction(
    site: Path, default_view: rdflib.Graph
) -> None:
    svg = (site / "figure.svg").read_text(encoding="utf-8")
    assert svg in (site / "index.html").read_text(encoding="utf-8")
    boxes = re.findall(r'<a href="([^"]+)" class="subfactor (\w+)" data-direction="(\w+)"', svg)
    assert len(boxes) == 16
    expected = {}
    for c in default_view.subjects(RDF.type, URIRef(GOVSM + "DerivedClassification")):
        sf = default_view.value(c, URIRef(GOVSM + "classifiedSubFactor"))
        direction = default_view.value(
            default_view.value(c, URIRef(GOVSM + "hasDirection")), SKOS.prefLabel
        )
        expected[str(sf)[len(DEFAULT_BASE) :] + ".html"] = str(direction)
    assert {href: d for href, d, _ in boxes} == expected
    for name in ("driver", "preventer", "mixed"):
        assert f">{name}</text>" in svg


def test_review_page_draws_the_one_prisma_box_the_review_reports(site: Path) -> None:
    """The review reports one box of its PRISMA 2020 flow (39 reports of included
    studies): its page and the file beside it draw that box alone, and say which stages
    the review does not report."""
    path = "id/review/social-media-service-delivery"
    svg = (site / path / "prisma.svg").read_text(encoding="utf-8")
    page = (site / f"{path}.html").read_text(encoding="utf-8")
    assert svg.strip() in page
    assert '<a href="social-media-service-delivery/prisma.svg">' in page
    assert svg.count('<g class="prisma-box">') == 1
    assert ">Reports of included studies (n = 39)</tspan>" in svg
    assert "Not reported by the review: identification, screening." in svg
    assert '<title id="prisma-title">PRISMA 2020 flow diagram: Meta-synthesis' in svg
    assert sorted(p.relative_to(site).as_posix() for p in site.rglob("prisma.svg")) == [
        f"{path}/prisma.svg"
    ]


# --- dataset, dumps, context --------------------------------------------------------------


def test_void_statistics_are_the_real_counts(site: Path, default_view: rdflib.Graph) -> None:
    void = rdflib.Graph().parse(site / "dataset.ttl")
    ds = URIRef(DEFAULT_BASE + "dataset")
    assert int(void.value(ds, VOID.triples)) == len(default_view)
    assert str(void.value(ds, VOID.uriSpace)) == DEFAULT_BASE
    assert void.value(ds, VOID.sparqlEndpoint) == URIRef(DEFAULT_BASE + "sparql")
    study = URIRef(GOVSM + "Study")
    part = next(
        p for p in void.objects(ds, VOID.classPartition) if void.value(p, VOID["class"]) == study
    )
    assert int(void.value(part, VOID.entities)) == len(set(default_view.subjects(RDF.type, study)))
    assert set(void.objects(ds, VOID.dataDump)) == {
        URIRef(DEFAULT_BASE + "dumps/" + n)
        for n in ("govsm.trig", "govsm.nq", "govsm.ttl", "govsm.jsonld")
    }
    assert (site / ".well-known" / "void").read_bytes() == (site / "dataset.ttl").read_bytes()
    assert not re.search(r"T\d\d:\d\d", (site / "dataset.ttl").read_text(encoding="utf-8"))


def test_dcat_distributions_match_the_files(site: Path) -> None:
    void = rdflib.Graph().parse(site / "dataset.ttl")
    dcat, spdx = rdflib.Namespace(PREFIXES["dcat"]), rdflib.Namespace(PREFIXES["spdx"])
    dists = list(void.objects(URIRef(DEFAULT_BASE + "dataset"), dcat.distribution))
    assert len(dists) == 4
    for d in dists:
        url = str(void.value(d, dcat.downloadURL))
        data = (site / url[len(DEFAULT_BASE) :]).read_bytes()
        assert int(void.value(d, dcat.byteSize)) == len(data)
        check = void.value(d, spdx.checksum)
        assert str(void.value(check, spdx.checksumValue)) == hashlib.sha256(data).hexdigest()
        assert void.value(d, dcat.mediaType) is not None
    assert (None, RDF.type, dcat.DataService) in void


def test_sha256sums(site: Path) -> None:
    lines = (site / "dumps" / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 4
    for line in lines:
        digest, name = line.split("  ")
        assert hashlib.sha256((site / "dumps" / name).read_bytes()).hexdigest() == digest


def test_dumps_agree(site: Path, default_view: rdflib.Graph) -> None:
    trig = rdflib.Dataset()
    trig.parse(site / "dumps" / "govsm.trig", format="trig")
    nq = rdflib.Dataset()
    nq.parse(site / "dumps" / "govsm.nq", format="nquads")
    assert len(list(trig.quads())) == len(list(nq.quads()))
    jsonld = rdflib.Graph().parse(site / "dumps" / "govsm.jsonld", format="json-ld")
    assert len(jsonld) == len(default_view)


def test_jsonld_is_offline_with_the_local_context(site: Path) -> None:
    context = json.loads((site / "context.jsonld").read_text(encoding="utf-8"))["@context"]
    assert context["govsm"] == GOVSM
    for path in [*SAMPLES, "dataset", "ontology"]:
        doc = json.loads((site / f"{path}.jsonld").read_text(encoding="utf-8"))
        assert isinstance(doc["@context"], dict)  # inline, never a URL
        graph = rdflib.Graph().parse(site / f"{path}.jsonld", format="json-ld")
        turtle = rdflib.Graph().parse(site / f"{path}.ttl", format="turtle")
        assert isomorphic(graph, turtle), path


# --- HTML: a static crawl ------------------------------------------------------------------


def test_every_relative_link_resolves(site: Path) -> None:
    parsed: dict[Path, Links] = {}
    pages = sorted(site.rglob("*.html")) + [site / "figure.svg"]
    for page in pages:
        parser = Links()
        parser.feed(page.read_text(encoding="utf-8"))
        parsed[page] = parser
    broken = []
    for page, parser in parsed.items():
        for link in parser.links:
            if re.match(r"^[a-z]+:", link) or link.startswith("//"):
                continue
            target, _, fragment = link.partition("#")
            target = target.partition("?")[0]  # a query string names no other file
            file = (page.parent / unquote(target)).resolve() if target else page
            path = (page.parent / unquote(target.split("?", 1)[0])).resolve()
            if path == (site / "sparql").resolve():
                continue  # the SPARQL editor, answered by govsm serve (not a site file)
            if not file.is_file() or site.resolve() not in file.parents:
                broken.append((str(page.relative_to(site)), link))
            elif fragment and file.suffix == ".html":
                ids = parsed[file].ids if file in parsed else set()
                if fragment not in ids:
                    broken.append((str(page.relative_to(site)), link))
    assert not broken, broken[:10]
    assert len(pages) > 300


def test_html_is_offline(site: Path) -> None:
    for page in [site / "index.html", site / "ontology.html", site / "id/study/mergel-2016.html"]:
        text = page.read_text(encoding="utf-8")
        assert "<script" not in text and "googleapis" not in text
        assert re.search(r'<link rel="stylesheet" href="(?!https?:)[^"]*style\.css">', text)


def test_sitemap_and_htaccess(site: Path) -> None:
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    locs = re.findall(r"<loc>([^<]+)</loc>", sitemap)
    assert len(locs) == len(list(site.rglob("*.html")))
    assert all(loc.startswith(DEFAULT_BASE) for loc in locs)
    htaccess = (site / ".htaccess").read_text(encoding="utf-8")
    assert "R=303" in htaccess and "Vary Accept" in htaccess and "text/turtle" in htaccess


# --- determinism and base -------------------------------------------------------------------


def test_two_builds_are_byte_identical(site: Path, published: Path) -> None:
    # the first build is `govsm build` in a subprocess, the second `govsm publish` in this one
    first, second = _files(site), _files(published)
    assert first.keys() == second.keys()
    assert [k for k in first if first[k] != second[k]] == []


def test_base_option_moves_everything(tmp_path: Path) -> None:
    site = _build(tmp_path / "dist", LOCAL)
    ttl = (site / "id/study/mergel-2016.ttl").read_text(encoding="utf-8")
    assert f"<{LOCAL}id/study/mergel-2016>" in ttl and DEFAULT_BASE + "id/" not in ttl
    void = rdflib.Graph().parse(site / "dataset.ttl")
    assert str(void.value(URIRef(LOCAL + "dataset"), VOID.uriSpace)) == LOCAL
    locs = re.findall(r"<loc>([^<]+)</loc>", (site / "sitemap.xml").read_text(encoding="utf-8"))
    assert locs and all(loc.startswith(LOCAL) for loc in locs)
    page = (site / "id/subfactor/legal-infrastructure.html").read_text(encoding="utf-8")
    assert f'<code class="iri">{LOCAL}id/subfactor/legal-infrastructure</code>' in page
    assert f'href="{DEFAULT_BASE}id/' not in page
    assert Literal(LOCAL) in set(void.objects())


def test_engines_give_the_same_site(site: Path, tmp_path: Path) -> None:
    out = tmp_path / "dist"
    options = BuildOptions(engine="rdflib", out=out, reason=False)
    pipeline.build(Project(), options)
    first, second = _files(site), _files(out / "site")
    # report.html names the engine in its notes; everything else must be identical
    assert [k for k in first if k != "report.html" and first[k] != second.get(k)] == []
    assert first.keys() == second.keys()


def test_publish_command(published: Path, tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from kg.cli.app import app

    assert (published / "index.html").is_file() and (published.parent / "govsm.nq").is_file()
    bad = CliRunner().invoke(app, ["publish", "--out", str(tmp_path), "--base", "not-an-iri"])
    assert bad.exit_code == 2


class _Balance(HTMLParser):
    """Tag balance and duplicate ids (a light well-formedness check, no validator offline)."""

    EMPTY = frozenset({"meta", "link", "br", "hr", "img", "input"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids += [v for k, v in attrs if k == "id" and v]
        if tag not in self.EMPTY:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids += [v for k, v in attrs if k == "id" and v]

    def handle_endtag(self, tag: str) -> None:
        if tag in self.EMPTY:
            return
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes {self.stack[-1:]}")
        else:
            self.stack.pop()


def test_pages_are_balanced_with_unique_ids(site: Path) -> None:
    bad = []
    for page in sorted(site.rglob("*.html")):
        parser = _Balance()
        text = page.read_text(encoding="utf-8")
        assert text.startswith("<!DOCTYPE html>\n"), page
        parser.feed(text)
        if parser.errors or parser.stack or len(parser.ids) != len(set(parser.ids)):
            bad.append((str(page.relative_to(site)), parser.errors[:2], parser.stack[-2:]))
    assert not bad, bad[:5]
