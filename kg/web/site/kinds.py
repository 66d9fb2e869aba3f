"""What some kinds of resource add to their page (static or on demand): a concept
scheme's tree, a sub-factor's classifications and quotes, a derived classification's
full trace (from kg.stages.trace), a derivation rule's SPARQL text, a catalogue query's
text, parameters and link into the editor (kg.sparql.catalogue), a review's PRISMA 2020
flow diagram (kg.web.site.prisma).

Each is template context for site/resource.html; works are cited by what the data has
(see :func:`citation`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from kg.prefixes import GOVSM, PREFIXES, compact
from kg.sparql.catalogue import SPEX_DESCRIBE
from kg.stages.trace import AssessmentStep, ClassificationStep, ConfidenceStep, EvidenceStep
from kg.web.site.graph import SiteGraph
from kg.web.site.pages import Page, Sections, Value
from kg.web.site.prisma import section as prisma_section

SKOS = PREFIXES["skos"]
DCTERMS = PREFIXES["dcterms"]
BIBO = PREFIXES["bibo"]
SH = PREFIXES["sh"]
FOAF = PREFIXES["foaf"]
# How deep the scheme tree goes below its top concepts.
TREE_DEPTH = 6


@dataclass(frozen=True)
class Branch:
    """A concept of the scheme tree and the concepts below it."""

    concept: Value
    children: list[Branch]


@dataclass(frozen=True)
class Quote:
    """A verbatim quote: its text, its page, where it stands and what it is quoted from."""

    text: str
    page: Value
    section: str | None
    source: Value | None


@dataclass(frozen=True)
class SubFactor:
    """A sub-factor's factor, its derived and reported classifications, its quotes."""

    factor: Value | None
    derived: list[tuple[str, Value]]  # (direction, classification)
    reported: list[tuple[str, Value]]
    quotes: list[Quote]
    # (classification, overall GRADE-CERQual confidence, its explanation) per derived one
    confidence: tuple[tuple[Value, str, str], ...] = ()


@dataclass(frozen=True)
class Citation:
    """A work as a source is cited: authors, year, title (a link) and DOI."""

    authors: str
    year: str | None
    work: Value
    doi: str | None


@dataclass(frozen=True)
class Evidence:
    """One evidence item of a trace."""

    item: Value
    meta: str  # basis, direction indicated, section
    quote: str | None
    source: Citation | None


@dataclass(frozen=True)
class Assessment:
    """The context assessment of a trace (``step``: kg.stages.trace's, plain text)."""

    page: Value
    step: AssessmentStep


@dataclass(frozen=True)
class Trace:
    """A derived classification's trace."""

    direction: str
    context: Value | None  # None: the classification holds for the whole review
    reviews: list[Value]  # the reviews it is of (that its context is quoted from, or whose
    # taxonomy its sub-factor is in)
    rule: Value
    rule_title: str | None  # the rule's title, when it is not the link's text already
    assessment: Assessment | None
    evidence: list[Evidence]
    # the GRADE-CERQual profile (kg.stages.confidence), shown as a summary-of-qualitative-
    # findings row: the finding, its confidence and explanation, the studies contributing
    confidence: ConfidenceStep | None = None
    finding: str = ""
    studies: tuple[Value, ...] = ()


@dataclass(frozen=True)
class RuleQuery:
    """A derivation rule's SPARQL text (None: its file was not found)."""

    text: str | None


@dataclass(frozen=True)
class QueryParameter:
    """A declared parameter of a catalogue query (its ``sh:Parameter``)."""

    name: str
    kind: str  # "IRI" or the datatype's prefixed name
    optional: bool
    description: str | None


@dataclass(frozen=True)
class CatalogueQuery:
    """A catalogue query: its SPARQL text, its parameters and a link into the editor."""

    text: str
    editor: str
    parameters: list[QueryParameter]


def kind_sections(
    queries: Path, step_of: Callable[[ox.NamedNode], ClassificationStep | None]
) -> Sections:
    """What a kind of resource adds to its page (the ``sections`` of
    kg.web.site.pages.resource_page): a scheme's tree, a sub-factor's classifications,
    a derived classification's trace (``step_of``: its kg.stages.trace step, or None),
    a rule's SPARQL (from ``queries``/derive/)."""

    def sections(page: Page, subject: ox.NamedNode) -> dict[str, Any]:
        kinds = page.graph.types(subject)
        found: dict[str, Any] = {}
        if SKOS + "ConceptScheme" in kinds:
            found["tree"] = scheme_tree(page, subject)
        if GOVSM + "SubFactor" in kinds:
            found["subfactor"] = subfactor_section(page, subject)
        step = step_of(subject)
        if step is not None:
            found["trace"] = trace_section(page, step, subject)
        if GOVSM + "DerivationRule" in kinds or GOVSM + "ConfidenceRule" in kinds:
            rule = queries / "derive" / f"{subject.value.rsplit('/', 1)[-1]}.rq"
            found["rule"] = RuleQuery(rule.read_text(encoding="utf-8") if rule.is_file() else None)
        if SH + "SPARQLExecutable" in kinds:
            found["query"] = catalogue_query(page, subject)
        found["prisma"] = prisma_section(page, subject)  # a review's PRISMA flow
        return found

    return sections


def catalogue_query(page: Page, subject: ox.NamedNode) -> CatalogueQuery | None:
    """A catalogue query's section: the text of its ``sh:select`` (or construct, ask,
    describe), its ``sh:parameter``s in ``sh:order`` (each an anchor its ``sh:path``
    fragment names) and a link that opens it in the editor."""
    graph = page.graph
    forms = ("select", "construct", "ask")
    texts = [graph.value(subject, SH + form) for form in forms]
    texts.append(graph.value(subject, SPEX_DESCRIBE))
    text = next((t.value for t in texts if isinstance(t, ox.Literal)), None)
    if text is None:
        return None
    params = []
    for node in graph.objects(subject, SH + "parameter"):
        name, order = graph.value(node, SH + "name"), graph.value(node, SH + "order")
        datatype = graph.value(node, SH + "datatype")
        optional = graph.value(node, SH + "optional")
        described = graph.value(node, SH + "description")
        kind = compact(datatype.value) if isinstance(datatype, ox.NamedNode) else "IRI"
        params.append(
            (
                int(order.value) if order is not None else 0,
                QueryParameter(
                    name.value if name is not None else "?",
                    kind,
                    optional is not None and optional.value == "true",
                    described.value if described is not None else None,
                ),
            )
        )
    ordered = [p for _, p in sorted(params, key=lambda item: (item[0], item[1].name))]
    return CatalogueQuery(text, page.query_href(text), ordered)


def scheme_tree(page: Page, scheme: ox.NamedNode) -> list[Branch]:
    """The SKOS scheme as a tree: top concepts (or concepts without broader) and below."""
    graph = page.graph
    tops = {
        t.object for t in graph.out.get(scheme, ()) if t.predicate.value == SKOS + "hasTopConcept"
    } | {t.subject for t in graph.inc.get(scheme, ()) if t.predicate.value == SKOS + "topConceptOf"}
    if not tops:
        tops = {
            t.subject
            for t in graph.inc.get(scheme, ())
            if t.predicate.value == SKOS + "inScheme"
            and isinstance(t.subject, ox.NamedNode)
            and graph.value(t.subject, SKOS + "broader") is None
        }

    def branch(node: ox.NamedNode, depth: int) -> Branch:
        below = _narrower(graph, node) if depth < TREE_DEPTH else []
        return Branch(page.value(node), [branch(n, depth + 1) for n in below])

    return [branch(t, 0) for t in _by_label(graph, tops)]


def _narrower(graph: SiteGraph, node: ox.NamedNode) -> list[ox.NamedNode]:
    return _by_label(
        graph,
        {
            t.subject
            for t in graph.inc.get(node, ())
            if t.predicate.value == SKOS + "broader" and isinstance(t.subject, ox.NamedNode)
        },
    )


def _by_label(graph: SiteGraph, nodes: set) -> list[ox.NamedNode]:
    named = [n for n in nodes if isinstance(n, ox.NamedNode)]
    return sorted(named, key=lambda n: (graph.label(n).lower(), n.value))


def subfactor_section(page: Page, subfactor: ox.NamedNode) -> SubFactor:
    """The factor above, the derived classification(s) and the reported one, and the
    sub-factor's quotes in full."""
    graph = page.graph
    factor = graph.value(subfactor, SKOS + "broader")
    derived, reported = [], []
    for t in graph.inc.get(subfactor, ()):
        if t.predicate.value != GOVSM + "classifiedSubFactor":
            continue
        kinds = graph.types(t.subject)
        direction = graph.value(t.subject, GOVSM + "hasDirection")
        item = (graph.label(direction) if direction is not None else "?", page.value(t.subject))
        if GOVSM + "DerivedClassification" in kinds:
            derived.append(item)
        if GOVSM + "ReportedClassification" in kinds:
            reported.append(item)
    derived = sorted(derived, key=_item_key)
    return SubFactor(
        page.value(factor) if factor is not None else None,
        derived,
        sorted(reported, key=_item_key),
        quotes(page, subfactor),
        tuple(_confidence_rows(page, subfactor)),
    )


def _confidence_rows(page: Page, subfactor: ox.NamedNode) -> list[tuple[Value, str, str]]:
    """The overall confidence of each derived classification of the sub-factor."""
    graph, rows = page.graph, []
    for t in graph.inc.get(subfactor, ()):
        if t.predicate.value != GOVSM + "classifiedSubFactor":
            continue
        for a in graph.inc.get(t.subject, ()):
            level = graph.value(a.subject, GOVSM + "overallConfidence")
            if a.predicate.value != GOVSM + "assessesFinding" or level is None:
                continue
            explanation = graph.value(a.subject, DCTERMS + "description")
            text = explanation.value if isinstance(explanation, ox.Literal) else ""
            rows.append((page.value(t.subject), graph.label(level), text))
    return sorted(rows, key=lambda row: (row[0].text, row[1]))


def _item_key(item: tuple[str, Value]) -> tuple[str, str, str]:
    return item[0], item[1].text, item[1].href or ""


def quotes(page: Page, subject: ox.NamedNode) -> list[Quote]:
    """The resource's quotes (govsm:hasQuote), with their text, section and source."""
    graph = page.graph
    source = graph.value(subject, GOVSM + "quotedFrom")
    section = graph.value(subject, GOVSM + "inSection")
    found = []
    for selector in sorted(graph.objects(subject, GOVSM + "hasQuote"), key=lambda s: str(s)):
        text = graph.exact(selector)
        if text is not None:
            found.append(
                Quote(
                    text,
                    page.value(selector, "the quote's page"),
                    section.value if isinstance(section, ox.Literal) else None,
                    page.value(source) if source is not None else None,
                )
            )
    return found


def trace_section(page: Page, step: ClassificationStep, subject: ox.NamedNode) -> Trace:
    """The full trace of the derived classification ``subject`` (from kg.stages.trace)."""
    if step.context is None:
        context = None
        reviews = [page.value(r) for r in reviews_of_subfactor(page.graph, subject)]
    else:
        context = page.value(ox.NamedNode(step.context), step.context_label)
        reviews = [page.value(r) for r in reviews_of(page.graph, ox.NamedNode(step.context))]
    rule = page.value(ox.NamedNode(step.rule))
    title = step.rule_title if step.rule_title and step.rule_title != rule.text else None
    a = step.assessment
    assessment = Assessment(page.value(ox.NamedNode(a.iri)), a) if a is not None else None
    evidence = [_evidence(page, e) for e in step.evidence]
    sources = sorted(
        e.source.iri
        for e in {x.source.iri: x for x in step.evidence if x.source is not None}.values()
        if e.source is not None and GOVSM + "Study" in page.graph.types(ox.NamedNode(e.source.iri))
    )
    label = page.graph.label(
        next(iter(page.graph.objects(subject, GOVSM + "classifiedSubFactor")), subject)
    )
    where = f"in {context.text}" if context is not None else "for the whole review"
    finding = f"{label} is a {step.direction} {where}."
    studies = tuple(page.value(ox.NamedNode(iri)) for iri in sources)
    return Trace(
        step.direction, context, reviews, rule, title, assessment, evidence,
        step.confidence, finding, studies,
    )  # fmt: skip


def reviews_of(graph: SiteGraph, context: ox.NamedNode) -> list[ox.NamedNode]:
    """The reviews (govsm:Review or a sub-class) a context is quoted from, sorted."""
    reviews = set(graph.instances(GOVSM + "Review"))
    quoted = graph.objects(context, GOVSM + "quotedFrom")
    return sorted((r for r in quoted if r in reviews), key=lambda r: r.value)


def reviews_of_subfactor(graph: SiteGraph, classification: ox.NamedNode) -> list[ox.NamedNode]:
    """The reviews whose taxonomy (a scheme that is the review's dcterms:subject or has it as
    dcterms:source) holds the classified sub-factor, sorted."""
    reviews = set(graph.instances(GOVSM + "Review"))
    found = set()
    for subfactor in graph.objects(classification, GOVSM + "classifiedSubFactor"):
        for scheme in graph.objects(subfactor, SKOS + "inScheme"):
            found |= {r for r in graph.objects(scheme, DCTERMS + "source") if r in reviews}
            found |= {r for r in reviews if scheme in graph.objects(r, DCTERMS + "subject")}
    return sorted(found, key=lambda r: r.value)


def _evidence(page: Page, e: EvidenceStep) -> Evidence:
    meta = ", ".join(
        text
        for text in (
            f"basis: {e.basis}" if e.basis else "",
            f"indicates: {e.indicates}" if e.indicates else "",
            f"section: {e.section}" if e.section else "",
        )
        if text
    )
    source = None
    if e.source is not None:
        source = citation(page, ox.NamedNode(e.source.iri), e.source.year, e.source.doi)
    return Evidence(page.value(ox.NamedNode(e.iri)), meta, e.quote, source)


def citation(page: Page, work: ox.NamedNode, year: str | None, doi: str | None) -> Citation:
    """A work cited by what the data has: its title (dcterms:title) or, lacking one, its
    label; its authors in order by name (foaf:name), those the data gives no name for
    counted rather than listed."""
    graph = page.graph
    title = graph.value(work, DCTERMS + "title")
    text = title.value if isinstance(title, ox.Literal) else graph.label(work)
    return Citation(author_names(graph, work), year, page.value(work, text), doi)


def author_names(graph: SiteGraph, work: ox.NamedNode) -> str:
    """The authors of a work in order (bibo:authorList), by foaf:name; authors without
    one (the data does not give their name) are counted: "3 authors, names not given"."""
    authors = graph.value(work, BIBO + "authorList")
    members = graph.rdf_list(authors) if authors is not None else None
    if not members:
        return "(authors not listed)"
    names = []
    for author in members:
        name = graph.value(author, FOAF + "name")
        if isinstance(name, ox.Literal):
            names.append(name.value)
    unnamed = len(members) - len(names)
    if unnamed:
        plural = unnamed > 1
        count = f"{unnamed}{' more' if names else ''} author{'s' if plural else ''}"
        given = "names not given" if plural else "name not given"
        names.append(f"{'and ' if names else ''}{count}, {given}")
    return "; ".join(names)
