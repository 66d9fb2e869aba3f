"""HTML pages: one per resource, with a property table, incoming links, and what the
resource's kind needs (the scheme tree, a sub-factor's classifications, a derived
classification's full trace, a rule's SPARQL text).

Links to resources of the site are relative (so the site works under any base and on
localhost); other IRIs are absolute links. Plain, offline HTML with one shared CSS file.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pyoxigraph as ox

from kg.prefixes import GOVSM, PREFIXES, compact
from kg.stages.trace import ClassificationStep
from kg.web.site.graph import SiteGraph, relative, sort_key
from kg.web.site.rdfio import FORMATS

SKOS = PREFIXES["skos"]
RDF = PREFIXES["rdf"]
esc = html.escape
# Links listed per page: incoming links (by page, ?page=2...) and the values of one
# property. Above every count in the review (its largest: 177 incoming links to the
# review itself, 57 values of one property), so the review's pages are not cut; a
# sub-factor of a 10^4-study synthetic review has thousands of incoming links.
LINKS_PER_PAGE = 200

STYLE = """body{font-family:system-ui,sans-serif;margin:1.5rem auto;max-width:72rem;padding:0 1rem;
line-height:1.45;color:#222}
nav{font-size:.9rem;margin-bottom:1rem}nav a{margin-right:1rem}
code,.iri{font-family:ui-monospace,monospace;font-size:.9em;word-break:break-all}
table{border-collapse:collapse;width:100%}
td,th{border:1px solid #ccc;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f3f3f3;width:14rem}ul.values{margin:0;padding-left:1.1rem}
blockquote{border-left:4px solid #bbb;margin:.4rem 0;padding:.2rem .8rem;background:#fafafa}
pre{background:#f6f6f6;padding:.8rem;overflow:auto}
.driver{color:#1a7f37}.preventer{color:#b42318}.mixed{color:#6941c6}
section.term{border-top:1px solid #ddd;margin-top:1.2rem}
.formats a{margin-right:.6rem}
"""


@dataclass
class Page:
    """What a page needs to know about where it stands."""

    path: str  # page path without extension ("" is the landing page)
    graph: SiteGraph
    number: int = 1  # which page of incoming links (more than LINKS_PER_PAGE of them)
    paged: bool = False  # whether ?page=N is served (on demand), or only page 1 (static)
    nav: tuple[tuple[str, str], ...] | None = None  # navigation links (None: NAV)

    def href(self, iri: str) -> str | None:
        """Relative link to the page of an IRI of the site, or None."""
        target = self.graph.page_path(iri)
        if target is None:
            return None
        return relative(self.path or "index", target[0], target[1])

    def asset(self, name: str) -> str:
        return relative(self.path or "index", name, ext="")

    def link(self, term: object, text: str | None = None) -> str:
        """A term as HTML: a link (relative inside the site), a blank node or a literal."""
        if isinstance(term, ox.NamedNode):
            label = esc(text if text is not None else self.graph.label(term))
            href = self.href(term.value)
            if href is None:
                local = self.graph.file_path(term.value)
                if local is not None:
                    href = relative(self.path or "index", local, ext="")
                elif term.value.startswith(self.graph.base):
                    # under the base but neither a page nor a file (the SPARQL endpoint)
                    return f'<code class="iri">{esc(term.value)}</code>'
                else:
                    href = term.value
            return f'<a href="{esc(href)}">{label}</a>'
        if isinstance(term, ox.BlankNode):
            return self.blank(term)
        assert isinstance(term, ox.Literal)
        extra = ""
        if term.language:
            extra = f" <small>@{esc(term.language)}</small>"
        elif term.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
            extra = f" <small>({esc(compact(term.datatype.value))})</small>"
        return f"{esc(term.value)}{extra}"

    def blank(self, node: ox.BlankNode, depth: int = 0) -> str:
        """A blank node inline: an RDF list as an ordered list, else a nested table."""
        items = self.rdf_list(node)
        if items is not None:
            return "<ol>" + "".join(f"<li>{self.link(i)}</li>" for i in items) + "</ol>"
        if depth > 3:
            return "[…]"
        rows = "".join(
            f"<li>{self.link(t.predicate, compact(t.predicate.value))}: {self.link(t.object)}</li>"
            for t in self.graph.out.get(node, ())
        )
        return f'<ul class="values">{rows}</ul>'

    def rdf_list(self, node: ox.BlankNode) -> list | None:
        items: list = []
        current: object = node
        while isinstance(current, ox.BlankNode):
            first = self.graph.value(current, RDF + "first")
            if first is None:
                return None
            items.append(first)
            current = self.graph.value(current, RDF + "rest")
        return items if isinstance(current, ox.NamedNode) and current.value == RDF + "nil" else None


#: The site-level pages every page links to (path, text); "sparql" is the query editor
#: of govsm serve (GET /sparql from a browser), not a site file.
NAV = (
    ("index.html", "GovSM-KG"),
    ("dataset.html", "dataset"),
    ("ontology.html", "ontology"),
    ("report.html", "report"),
    ("sparql", "SPARQL"),
)


def layout(
    page: Page,
    title: str,
    body: str,
    alternates: str | None = None,
    head: str = "",
    nav_links: tuple[tuple[str, str], ...] | None = None,
) -> str:
    """The shared page frame: head with alternates, navigation (``nav_links``, else the
    page's, else NAV), body."""
    nav_links = nav_links or page.nav or NAV
    links = ""
    if alternates is not None:
        links = "".join(
            f'<link rel="alternate" type="{mime}" '
            f'href="{esc(relative(page.path or "index", alternates, ext="." + ext))}">\n'
            for ext, mime in FORMATS.items()
        )
    nav = (
        "<nav>"
        + "".join(f'<a href="{esc(page.asset(path))}">{esc(text)}</a>' for path, text in nav_links)
        + "</nav>"
    )
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n"
        f'<link rel="stylesheet" href="{esc(page.asset("style.css"))}">\n{links}{head}'
        f"</head>\n<body>\n{nav}\n{body}\n</body>\n</html>\n"
    )


def format_links(page: Page, doc_path: str) -> str:
    own = page.path or "index"
    return (
        '<p class="formats">Also as: '
        + "".join(
            f'<a href="{esc(relative(own, doc_path, ext="." + ext))}" type="{mime}">{ext}</a>'
            for ext, mime in FORMATS.items()
        )
        + "</p>"
    )


def property_table(page: Page, subject: object, skip_types: bool = False) -> str:
    """Every property of a subject, values as links, grouped by predicate (the first
    LINKS_PER_PAGE values of a property, then how many there are and a query for all)."""
    grouped: dict[str, list] = {}
    for t in page.graph.out.get(subject, ()):
        grouped.setdefault(t.predicate.value, []).append(t.object)
    rows = []
    for predicate in sorted(grouped, key=compact):
        values = sorted(set(grouped[predicate]), key=sort_key)
        cells = "".join(f"<li>{page.link(v)}</li>" for v in values[:LINKS_PER_PAGE])
        if len(values) > LINKS_PER_PAGE and isinstance(subject, ox.NamedNode):
            query = f"SELECT ?value WHERE {{ {subject} <{predicate}> ?value }} ORDER BY ?value\n"
            cells += (
                f"<li>… {LINKS_PER_PAGE:,} of {len(values):,} shown; "
                f"{_query_link(page, query, 'all of them in SPARQL')}</li>"
            )
        name = page.link(ox.NamedNode(predicate), compact(predicate))
        rows.append(f'<tr><th>{name}</th><td><ul class="values">{cells}</ul></td></tr>')
    return "<table>\n" + "\n".join(rows) + "\n</table>"


def _query_link(page: Page, query: str, text: str) -> str:
    """A link to the query in the SPARQL editor of govsm serve (/sparql?query=...)."""
    href = page.asset("sparql") + "?query=" + quote(query, safe="")
    return f'<a href="{esc(href)}">{esc(text)}</a>'


def incoming_rows(graph: SiteGraph, subject: object) -> list[tuple[str, ox.NamedNode]]:
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


def incoming_pages(page: Page, subject: object) -> int:
    """How many pages of incoming links the resource has (at least 1)."""
    return max(1, -(-len(incoming_rows(page.graph, subject)) // LINKS_PER_PAGE))


def incoming(page: Page, subject: object) -> str:
    """Triples where the resource is the object: LINKS_PER_PAGE of them per page, with
    the count, a query that lists them all and, on demand, links to the other pages."""
    rows = incoming_rows(page.graph, subject)
    if not rows:
        return "<h2>Incoming links</h2>\n<p>None.</p>"
    first = (page.number - 1) * LINKS_PER_PAGE
    shown = rows[first : first + LINKS_PER_PAGE]
    items = "".join(
        f"<li>{page.link(s)} <small>{esc(compact(p))}</small> this</li>" for p, s in shown
    )
    if len(rows) <= LINKS_PER_PAGE:
        return f"<h2>Incoming links</h2>\n<ul>{items}</ul>"
    assert isinstance(subject, ox.NamedNode)
    query = (
        f"SELECT ?subject ?property WHERE {{ ?subject ?property {subject} "
        "FILTER (isIRI(?subject)) } ORDER BY ?property ?subject\n"
    )
    last = -(-len(rows) // LINKS_PER_PAGE)
    where = [f"page {page.number} of {last}"] if page.paged else []
    if page.paged and page.number > 1:
        where.append(f'<a href="?page={page.number - 1}" rel="prev">previous page</a>')
    if page.paged and page.number < last:
        where.append(f'<a href="?page={page.number + 1}" rel="next">next page</a>')
    where.append(_query_link(page, query, "all of them in SPARQL"))
    count = (
        f'<p class="count">{first + 1:,}–{first + len(shown):,} of {len(rows):,} '
        f"incoming links shown (sorted by property, then IRI): {'; '.join(where)}.</p>"
    )
    return f"<h2>Incoming links</h2>\n{count}\n<ul>{items}</ul>"


def header(page: Page, subject: ox.NamedNode) -> str:
    graph = page.graph
    types = ", ".join(page.link(ox.NamedNode(t), compact(t)) for t in graph.types(subject))
    description = graph.description(subject)
    return (
        f"<h1>{esc(graph.label(subject))}</h1>\n"
        f'<p>IRI: <code class="iri">{esc(subject.value)}</code></p>\n'
        f"<p>Types: {types or '—'}</p>\n" + (f"<p>{esc(description)}</p>\n" if description else "")
    )


def resource_page(
    page: Page,
    subject: ox.NamedNode,
    extra: Callable[[Page, ox.NamedNode], str] | None = None,
) -> str:
    """The page of one resource."""
    body = (
        header(page, subject)
        + format_links(page, page.path)
        + (extra(page, subject) if extra else "")
        + "<h2>Properties</h2>\n"
        + property_table(page, subject)
        + "\n"
        + incoming(page, subject)
    )
    return layout(page, page.graph.label(subject), body, alternates=page.path)


# --- what some kinds of resource add -----------------------------------------------------


def kind_sections(
    queries: Path, step_of: Callable[[ox.NamedNode], ClassificationStep | None]
) -> Callable[[Page, ox.NamedNode], str]:
    """What a kind of resource adds to its page (the ``extra`` of :func:`resource_page`),
    static or on demand: a scheme's tree, a sub-factor's classifications, a derived
    classification's trace (``step_of``: its kg.stages.trace step, or None), a rule's SPARQL."""

    def extra(page: Page, subject: ox.NamedNode) -> str:
        kinds = page.graph.types(subject)
        out = ""
        if SKOS + "ConceptScheme" in kinds:
            out += scheme_tree(page, subject)
        if GOVSM + "SubFactor" in kinds:
            out += subfactor_section(page, subject)
        step = step_of(subject)
        if step is not None:
            out += trace_section(page, step)
        if GOVSM + "DerivationRule" in kinds:
            stem = subject.value.rsplit("/", 1)[-1]
            rule = queries / "derive" / f"{stem}.rq"
            out += rule_section(rule.read_text(encoding="utf-8") if rule.is_file() else None)
        return out

    return extra


def scheme_tree(page: Page, scheme: ox.NamedNode) -> str:
    """The SKOS scheme as a tree: top concepts (or concepts without broader) and below."""
    graph = page.graph
    members = [
        t.subject
        for t in graph.inc.get(scheme, ())
        if t.predicate.value == SKOS + "inScheme" and isinstance(t.subject, ox.NamedNode)
    ]
    tops = {
        t.object for t in graph.out.get(scheme, ()) if t.predicate.value == SKOS + "hasTopConcept"
    } | {t.subject for t in graph.inc.get(scheme, ()) if t.predicate.value == SKOS + "topConceptOf"}
    if not tops:
        tops = {m for m in members if graph.value(m, SKOS + "broader") is None}

    def children(node: ox.NamedNode) -> list[ox.NamedNode]:
        found = {
            t.subject
            for t in graph.inc.get(node, ())
            if t.predicate.value == SKOS + "broader" and isinstance(t.subject, ox.NamedNode)
        }
        return sorted(found, key=lambda n: (graph.label(n).lower(), n.value))

    def branch(node: ox.NamedNode, depth: int) -> str:
        kids = children(node) if depth < 6 else []
        inner = "<ul>" + "".join(branch(k, depth + 1) for k in kids) + "</ul>" if kids else ""
        return f"<li>{page.link(node)}{inner}</li>"

    ordered = sorted(tops, key=lambda n: (graph.label(n).lower(), n.value))
    return (
        '<h2>Concept tree</h2>\n<ul class="tree">'
        + "".join(branch(t, 0) for t in ordered)
        + "</ul>\n"
    )


def subfactor_section(page: Page, subfactor: ox.NamedNode) -> str:
    """The factor above, the derived classification(s) and the reported one."""
    graph = page.graph
    factor = graph.value(subfactor, SKOS + "broader")
    derived, reported = [], []
    for t in graph.inc.get(subfactor, ()):
        if t.predicate.value != GOVSM + "classifiedSubFactor":
            continue
        kinds = graph.types(t.subject)
        direction = graph.value(t.subject, GOVSM + "hasDirection")
        label = graph.label(direction) if direction is not None else "?"
        item = f'<li><span class="{esc(label)}">{esc(label)}</span>: {page.link(t.subject)}</li>'
        if GOVSM + "DerivedClassification" in kinds:
            derived.append(item)
        if GOVSM + "ReportedClassification" in kinds:
            reported.append(item)
    return (
        "<h2>Classification</h2>\n"
        + (f"<p>Factor: {page.link(factor)}</p>\n" if factor is not None else "")
        + f"<p>Derived:</p><ul>{''.join(sorted(derived)) or '<li>none</li>'}</ul>\n"
        + f"<p>Reported by the review:</p><ul>{''.join(sorted(reported)) or '<li>none</li>'}</ul>\n"
    )


def trace_section(page: Page, step: ClassificationStep) -> str:
    """The full trace of a derived classification (from kg.stages.trace)."""

    def iri(value: str | None) -> str:
        return page.link(ox.NamedNode(value)) if value else "—"

    parts = [
        "<h2>Trace</h2>",
        f'<p>Direction: <strong class="{esc(step.direction)}">{esc(step.direction)}</strong> '
        f"in {esc(step.context_label or step.context)} ({iri(step.context)})</p>",
        f"<p>Rule: {iri(step.rule)}{' — ' + esc(step.rule_title) if step.rule_title else ''}</p>",
    ]
    a = step.assessment
    if a is not None:
        parts.append(
            f"<h3>Context assessment</h3><p>{iri(a.iri)}: condition "
            f"<strong>{esc(a.status or '?')}</strong> (basis: {esc(a.basis or '?')})</p>"
        )
        if a.justification:
            parts.append(f"<p>Justification: {esc(a.justification)}</p>")
        for q in a.quotes:
            parts.append(
                f"<blockquote>{esc(q)}</blockquote>"
                f"<p><small>section: {esc(a.section or '?')}</small></p>"
            )
    parts.append(f"<h3>Evidence items ({len(step.evidence)})</h3><ol>")
    for e in step.evidence:
        meta = ", ".join(
            x
            for x in (
                f"basis: {esc(e.basis)}" if e.basis else "",
                f"indicates: {esc(e.indicates)}" if e.indicates else "",
                f"section: {esc(e.section)}" if e.section else "",
            )
            if x
        )
        item = f"<li>{iri(e.iri)} <small>{meta}</small>"
        if e.quote:
            item += f"<blockquote>{esc(e.quote)}</blockquote>"
        if e.source:
            s = e.source
            authors = "; ".join(esc(x) for x in s.authors) or "(authors not listed)"
            doi = f' <a href="https://doi.org/{esc(s.doi)}">doi:{esc(s.doi)}</a>' if s.doi else ""
            item += (
                f"<p>Source: {authors} ({esc(s.year or 'n.d.')}). "
                f"{page.link(ox.NamedNode(s.iri), s.title or compact(s.iri))}.{doi}</p>"
            )
        parts.append(item + "</li>")
    parts.append("</ol>")
    return "\n".join(parts) + "\n"


def rule_section(query_text: str | None) -> str:
    if query_text is None:
        return "<p>(The rule's query file was not found.)</p>\n"
    return f"<h2>SPARQL rule</h2>\n<pre><code>{esc(query_text)}</code></pre>\n"
