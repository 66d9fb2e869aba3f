"""The site-level pages: the landing page (index.html), the dataset description
(dataset.html), the report with its rows linked to the site (report.html), and the
index a server renders for a build without a static site (kg.web.site.ondemand).

What they name comes from the data: the concept schemes and reviews it describes, the
dataset's description; nothing about one review is written here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyoxigraph as ox

from kg.prefixes import GOVSM, ONTOLOGY_IRI, PREFIXES, compact
from kg.stages.diff import ReleaseEntry
from kg.stages.report import COLUMNS
from kg.web.report import Report, report_context
from kg.web.site.figure import Box, context, figure_title
from kg.web.site.graph import SiteGraph, Term, sort_key
from kg.web.site.pages import Page, Value, header, incoming, property_rows
from kg.web.site.void import DUMPS

SKOS = PREFIXES["skos"]
TYPE = PREFIXES["rdf"] + "type"
HEADINGS = dict(COLUMNS)  # the report's columns: query variable -> heading
#: What the site-level pages say of a site without resource pages.
ON_DEMAND_NOTE = (
    "This build is too large for a static page per resource: its resource pages are "
    "rendered on demand from the store by govsm serve, so hosting its site "
    "folder needs that server behind it for resource pages (links to resources lead "
    "there). Its dumps are the N-Quads (every named graph) and the Turtle (default view) "
    "files; the TriG and JSON-LD dumps are not published at this size."
)
ON_DEMAND_COMMAND = "govsm serve"


@dataclass(frozen=True)
class Fragment:
    """A part of the dataset description (a partition, a distribution, the service)."""

    fragment: str
    label: str
    name: str  # compact IRI
    properties: list


def notice(note: str | None) -> tuple[str, str, str] | None:
    """The note on a site without resource pages, split around the command it names
    (shown as code); None when the site has resource pages."""
    return note.partition(ON_DEMAND_COMMAND) if note is not None else None


def browse(page: Page) -> list[tuple[str, Value]]:
    """What the data offers to browse first: its concept schemes (their trees) and its
    reviews, as (what it is, link) pairs."""
    graph = page.graph
    found = []
    kinds = (("Concept scheme (tree)", SKOS + "ConceptScheme"), ("Review", GOVSM + "Review"))
    for kind, class_iri in kinds:
        for node in graph.instances(class_iri):
            shown = page.value(node)
            if shown.href is not None:
                found.append((kind, shown))
    return found


def landing_page(
    page: Page,
    title: str,
    boxes: list[Box],
    dumps: list[str],
    note: str | None = None,
) -> str:
    """index.html (site/index.html): the description, the figure of ``boxes``, what to
    browse, the dumps (``dumps``: their file names), the SPARQL endpoint and, for a site
    without resource pages, ``note``."""
    graph = page.graph
    base = graph.base
    return page.render(
        "site/index.html",
        title,
        alternates="dataset",
        heading=title,
        description=graph.description(ox.NamedNode(base + "dataset")) or "",
        base=base,
        notice=notice(note),
        figure=figure_context(graph, boxes),
        browse=browse(page),
        ontology=graph.label(ox.NamedNode(ONTOLOGY_IRI)),
        dumps=[(name, about) for name, (_, about) in DUMPS.items() if name in dumps],
        endpoint=base + "sparql",
    )


def figure_context(graph: SiteGraph, boxes: list[Box]) -> dict:
    """The context of site/figure.svg (kg.web.site.figure), titled from the data."""
    return context(boxes, figure_title(graph))


def dataset_page(
    page: Page,
    dataset: ox.NamedNode,
    subjects: list[ox.NamedNode],
    note: str | None = None,
    releases: Sequence[ReleaseEntry] = (),
) -> str:
    """dataset.html (site/dataset.html): the dataset's properties, one section per
    VoID/DCAT fragment (``subjects``: the description's subjects), and its releases
    (newest first, each with what changed since the one before)."""
    graph = page.graph
    parts = [
        Fragment(_anchor(s), graph.label(s), compact(s.value), property_rows(page, s))
        for s in subjects
        if s != dataset
    ]
    return page.render(
        "site/dataset.html",
        graph.label(dataset),
        alternates="dataset",
        head=header(page, dataset),
        notice=notice(note),
        formats=page.formats("dataset"),
        properties=property_rows(page, dataset),
        parts=parts,
        releases=releases,
        incoming=incoming(page, dataset),
    )


def _anchor(subject: ox.NamedNode) -> str:
    """A described resource's section id: its fragment (the dataset's own parts) or,
    for a resource of its own (the shapes, their documents), its last path segment."""
    if "#" in subject.value:
        return subject.value.partition("#")[2]
    return subject.value.rstrip("/").rsplit("/", 1)[-1]


def report_page(page: Page, report: Report) -> str:
    """The site's report.html: the report with each row's sub-factor, factor and derived
    classification linked to their pages."""
    return page.render(
        "report.html", report.title, **report_context(report, row_links=row_links(page, report))
    )


def row_links(page: Page, report: Report) -> list[dict[str, str]]:
    """Per row of the report's table (its sub-factor and rule IRIs, Table.subjects): the
    pages its factor, sub-factor and derived classification cells link to, by heading."""
    graph = page.graph
    derived: dict[str, dict[Term, ox.NamedNode]] = {}  # by rule: see _derived
    links = []
    for about in report.table.subjects:
        targets: dict[str, Term | None] = {}
        if "subfactor" in about:
            subfactor = ox.NamedNode(about["subfactor"])
            rule = about.get("rule")
            if rule is not None and rule not in derived:
                derived[rule] = _derived(graph, rule)
            targets = {
                "subfactorLabel": subfactor,
                "factorLabel": graph.value(subfactor, SKOS + "broader"),
                "derivedDirection": derived[rule].get(subfactor) if rule is not None else None,
            }
        hrefs = {
            HEADINGS[column]: page.href(node.value)
            for column, node in targets.items()
            if isinstance(node, ox.NamedNode)
        }
        links.append({heading: href for heading, href in hrefs.items() if href is not None})
    return links


def _derived(graph: SiteGraph, rule: str) -> dict[Term, ox.NamedNode]:
    """The classifications ``rule`` derived (whose first rule it is), by the sub-factor
    they classify: the first as incoming links are sorted, when there are several. Found
    from the rule's incoming links (a classification per row of the table) rather than
    from each sub-factor's (every reported classification of it: thousands at scale,
    each a look-up of its types)."""
    by_subfactor: dict[Term, list[ox.NamedNode]] = {}
    rule_iri, derived = ox.NamedNode(rule), ox.NamedNode(GOVSM + "DerivedClassification")
    for subject in graph.subjects(rule_iri, (GOVSM + "derivedByRule",)):
        # (each a few look-ups, not its every triple: see SiteGraph.objects_of)
        rules = graph.objects_of(subject, GOVSM + "derivedByRule")
        if rules[:1] == [rule_iri] and derived in graph.objects_of(subject, TYPE):
            for subfactor in graph.objects_of(subject, GOVSM + "classifiedSubFactor"):
                by_subfactor.setdefault(subfactor, []).append(subject)
    return {s: min(found, key=sort_key) for s, found in by_subfactor.items()}


def on_demand_index(page: Page, title: str, boxes: list[Box] | None, sparql: bool) -> str:
    """The index of a server without a static site (site/index-on-demand.html): the
    figure (``boxes``, None without the table query), what to browse, the editor."""
    return page.render(
        "site/index-on-demand.html",
        title,
        heading=title,
        base=page.graph.base,
        figure=figure_context(page.graph, boxes) if boxes is not None else None,
        browse=browse(page),
        sparql=sparql,
    )
