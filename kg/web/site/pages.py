"""Resource pages: one per resource, with a property table, incoming links, and what the
resource's kind needs (kg.web.site.kinds: the scheme tree, a sub-factor's
classifications, a derived classification's full trace, a rule's SPARQL text).

The HTML is the templates' (``kg/web/templates/site/``, overridable from a project's
templates folder, see kg.web.templates); this module works out what they show: each term
as a :class:`Value` (its text, where it links, how it is shown). Links to resources of
the site are relative (so the site works under any base and on localhost); other IRIs
are absolute links, which the templates' ``href`` filter shows as text unless their
scheme may be followed. Plain, offline HTML with one shared CSS file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pyoxigraph as ox

from kg.prefixes import compact
from kg.web.site.graph import SiteGraph, Term, relative, sort_key
from kg.web.site.rdfio import FORMATS
from kg.web.templates import render

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
# Links listed per page: incoming links (by page, ?page=2...) and the values of one
# property. Above every count in the review (its largest: 386 incoming links to the
# review itself, most from the Web Annotation view's passages, 57 values of one
# property), so the review's pages are not cut; a sub-factor of a 10^4-study synthetic
# review has thousands of incoming links.
LINKS_PER_PAGE = 500
# How deep a blank node's properties are shown inline before "[…]".
BLANK_DEPTH = 3
# How deep RDF lists (an OWL class expression's operands, say) are shown nested inside
# one another before "[…]": a list may hold lists, so without a cap a file's nesting
# (400 deep, say) would be the recursion's depth, here and in the templates' macros.
LIST_DEPTH = 24

#: The site-level pages every page links to (path, text); "sparql" is the query editor
#: of govsm serve (GET /sparql from a browser), not a site file.
NAV = (
    ("index.html", "GovSM-KG"),
    ("dataset.html", "dataset"),
    ("ontology.html", "ontology"),
    ("shapes.html", "shapes"),
    ("report.html", "report"),
    ("sparql", "SPARQL"),
)


@dataclass(frozen=True)
class Value:
    """A term as a page shows it (the ``value`` macro of site/macros.html)."""

    text: str
    href: str | None = None  # where it links (relative inside the site, else its IRI)
    code: bool = False  # an IRI under the base that is neither a page nor a file
    note: str = ""  # a literal's language tag or datatype
    quote: str | None = None  # a quote selector's text, shown above the link to its page
    members: tuple[Value, ...] | None = None  # an RDF list (a blank node), in order
    pairs: tuple[tuple[Value, Value], ...] | None = None  # a blank node's properties


@dataclass(frozen=True)
class Row:
    """One property of a property table: its values, and a query for all of them when
    there are more than LINKS_PER_PAGE."""

    predicate: Value
    values: list[Value]
    more: str | None = None  # "… 200 of 1,234 shown; " when cut
    query: str | None = None  # href of the query listing all of them


@dataclass(frozen=True)
class Incoming:
    """The links to a resource, one page of them (see :func:`incoming`)."""

    items: list[tuple[Value, str]]  # (subject, compact predicate)
    count: str | None = None  # "1–200 of 1,234 incoming links shown ..." when cut
    where: list[tuple[str, str, str | None]] = field(default_factory=list)  # text, href, rel


@dataclass(frozen=True)
class Header:
    """A resource's heading: label, IRI, types and description."""

    label: str
    iri: str
    types: list[Value]
    description: str | None


@dataclass
class Page:
    """What a page needs to know about where it stands."""

    path: str  # page path without extension ("" is the landing page)
    graph: SiteGraph
    number: int = 1  # which page of incoming links (more than LINKS_PER_PAGE of them)
    paged: bool = False  # whether ?page=N is served (on demand), or only page 1 (static)
    nav: tuple[tuple[str, str], ...] | None = None  # navigation links (None: NAV)
    templates: Path | None = None  # a project's templates folder (kg.web.templates)

    def href(self, iri: str) -> str | None:
        """Relative link to the page of an IRI of the site, or None."""
        target = self.graph.page_path(iri)
        if target is None:
            return None
        return relative(self.path or "index", target[0], target[1])

    def asset(self, name: str) -> str:
        """Relative link to a file of the site (``name``: its path from the site root)."""
        return relative(self.path or "index", name, ext="")

    def value(self, term: Term, text: str | None = None, depth: int = 0) -> Value:
        """A term as shown: an IRI with its label (or ``text``) and link, a blank node
        inline, a literal with its language or datatype."""
        if isinstance(term, ox.NamedNode):
            return self._iri(term, text)
        if isinstance(term, ox.BlankNode):
            return self._blank(term, depth)
        note = ""
        if term.language:
            note = f"@{term.language}"
        elif term.datatype.value != XSD_STRING:
            note = f"({compact(term.datatype.value)})"
        return Value(term.value, note=note)

    def quoted(self, term: Term) -> Value:
        """As :meth:`value`, with a quote selector's text shown in full."""
        shown = self.value(term)
        exact = self.graph.exact(term) if isinstance(term, ox.NamedNode) else None
        return shown if exact is None else replace(shown, text="the quote's page", quote=exact)

    def _iri(self, term: ox.NamedNode, text: str | None) -> Value:
        label = text if text is not None else self.graph.label(term)
        href = self.href(term.value)
        if href is None:
            local = self.graph.file_path(term.value)
            if local is not None:
                href = self.asset(local)
            elif term.value.startswith(self.graph.base):
                # under the base but neither a page nor a file (the SPARQL endpoint)
                return Value(term.value, code=True)
            else:
                href = term.value
        return Value(label, href)

    def _blank(self, node: ox.BlankNode, depth: int) -> Value:
        """A blank node inline: an RDF list in order, else its properties (nested);
        "[…]" past LIST_DEPTH (lists) or BLANK_DEPTH (properties)."""
        if depth > LIST_DEPTH:
            return Value("[…]")
        items = self.graph.rdf_list(node)
        if items is not None:
            return Value("", members=tuple(self.value(i, depth=depth + 1) for i in items))
        if depth > BLANK_DEPTH:
            return Value("[…]")
        pairs = tuple(
            (
                self.value(t.predicate, compact(t.predicate.value)),
                self.value(t.object, depth=depth + 1),
            )
            for t in self.graph.out.get(node, ())
        )
        return Value("", pairs=pairs)

    def shell(self, title: str, alternates: str | None = None) -> dict[str, Any]:
        """The context of the page shell (base.html): title, stylesheet, navigation (the
        page's, else NAV) and the RDF documents at ``alternates`` as alternates."""
        documents = self.formats(alternates) if alternates is not None else []
        return {
            "title": title,
            "stylesheet": self.asset("style.css"),
            "alternates": [(href, mime) for href, mime, _ in documents],
            "nav": [(self.asset(path), text) for path, text in self.nav or NAV],
        }

    def render(
        self, template: str, title: str, alternates: str | None = None, **context: Any
    ) -> str:
        """Render a page template (extending base.html) with the page shell's context."""
        return render(template, self.templates, **self.shell(title, alternates), **context)

    def formats(self, doc_path: str) -> list[tuple[str, str, str]]:
        """(href, media type, extension) of the RDF documents at ``doc_path``."""
        own = self.path or "index"
        return [
            (relative(own, doc_path, ext="." + ext), mime, ext) for ext, mime in FORMATS.items()
        ]

    def query_href(self, query: str) -> str:
        """A link to the query in the SPARQL editor of govsm serve (/sparql?query=...)."""
        return self.asset("sparql") + "?query=" + quote(query, safe="")


def header(page: Page, subject: ox.NamedNode) -> Header:
    """A resource's heading (site/macros.html's header)."""
    graph = page.graph
    types = [page.value(ox.NamedNode(t), compact(t)) for t in graph.types(subject)]
    return Header(graph.label(subject), subject.value, types, graph.description(subject))


def property_rows(page: Page, subject: Term) -> list[Row]:
    """Every property of a subject, grouped by predicate, values as links (the first
    LINKS_PER_PAGE values of a property, then how many there are and a query for all)."""
    grouped: dict[str, list[Term]] = {}
    for t in page.graph.out.get(subject, ()):
        grouped.setdefault(t.predicate.value, []).append(t.object)
    rows = []
    for predicate in sorted(grouped, key=compact):
        values = sorted(set(grouped[predicate]), key=sort_key)
        shown = [page.quoted(v) for v in values[:LINKS_PER_PAGE]]
        name = page.value(ox.NamedNode(predicate), compact(predicate))
        if len(values) > LINKS_PER_PAGE and isinstance(subject, ox.NamedNode):
            query = f"SELECT ?value WHERE {{ {subject} <{predicate}> ?value }} ORDER BY ?value\n"
            more = f"… {LINKS_PER_PAGE:,} of {len(values):,} shown; "
            rows.append(Row(name, shown, more, page.query_href(query)))
        else:
            rows.append(Row(name, shown))
    return rows


def incoming_rows(graph: SiteGraph, subject: Term) -> list[tuple[str, ox.NamedNode]]:
    """(predicate, subject) of the triples with ``subject`` as object and an IRI as
    subject, sorted as listed (by compact predicate, then IRI)."""
    return sorted(
        {
            (t.predicate.value, t.subject)
            for t in graph.inc.get(subject, ())
            if isinstance(t.subject, ox.NamedNode)
        },
        key=lambda r: (compact(r[0]), r[1].value),
    )


def incoming_pages(page: Page, subject: Term) -> int:
    """How many pages of incoming links the resource has (at least 1)."""
    return max(1, -(-len(incoming_rows(page.graph, subject)) // LINKS_PER_PAGE))


def incoming(page: Page, subject: Term) -> Incoming:
    """Triples where the resource is the object: LINKS_PER_PAGE of them per page, with
    the count, a query that lists them all and, on demand, links to the other pages."""
    rows = incoming_rows(page.graph, subject)
    first = (page.number - 1) * LINKS_PER_PAGE
    shown = rows[first : first + LINKS_PER_PAGE]
    items = [(page.value(s), compact(p)) for p, s in shown]
    if len(rows) <= LINKS_PER_PAGE:
        return Incoming(items)
    assert isinstance(subject, ox.NamedNode)
    query = (
        f"SELECT ?subject ?property WHERE {{ ?subject ?property {subject} "
        "FILTER (isIRI(?subject)) } ORDER BY ?property ?subject\n"
    )
    last = -(-len(rows) // LINKS_PER_PAGE)
    where: list[tuple[str, str, str | None]] = []
    if page.paged and page.number > 1:
        where.append(("previous page", f"?page={page.number - 1}", "prev"))
    if page.paged and page.number < last:
        where.append(("next page", f"?page={page.number + 1}", "next"))
    where.append(("all of them in SPARQL", page.query_href(query), None))
    count = (
        f"{first + 1:,}–{first + len(shown):,} of {len(rows):,} incoming links shown "
        "(sorted by property, then IRI): "
        + (f"page {page.number} of {last}; " if page.paged else "")
    )
    return Incoming(items, count, where)


#: What a kind of resource adds to its page: template context (see kg.web.site.kinds).
Sections = Callable[[Page, ox.NamedNode], dict[str, Any]]


def resource_page(page: Page, subject: ox.NamedNode, sections: Sections | None = None) -> str:
    """The page of one resource (site/resource.html)."""
    kinds = {"tree": None, "subfactor": None, "trace": None, "rule": None, "query": None}
    kinds["prisma"] = None
    if sections is not None:
        kinds |= sections(page, subject)
    return page.render(
        "site/resource.html",
        page.graph.label(subject),
        alternates=page.path,
        head=header(page, subject),
        formats=page.formats(page.path),
        properties=property_rows(page, subject),
        incoming=incoming(page, subject),
        **kinds,
    )
