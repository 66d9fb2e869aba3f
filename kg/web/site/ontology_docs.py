"""Ontology documentation (site/ontology.html): header metadata, then one section per
govsm term (classes, object properties, datatype properties, other properties,
controlled-value concepts and schemes), each with id equal to the term's fragment.

The ontology's RDF documents hold the merged ontology as the build loads it: the core
(ontology/govsm.ttl), its alignments (ontology/alignments/) and the import modules
(ontology/imports/), i.e. every named graph of kind "ontology".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.prefixes import GOVSM, ONTOLOGY_IRI, PREFIXES, compact
from kg.web.site.graph import SiteGraph
from kg.web.site.pages import Page, Value, header, incoming, property_rows

OWL = PREFIXES["owl"]
_SEGMENT = re.compile(r"[A-Za-z0-9._-]+")
RDFS = PREFIXES["rdfs"]
RDF = PREFIXES["rdf"]
SKOS = PREFIXES["skos"]
GROUPS = (
    (OWL + "Class", "Classes"),
    (OWL + "ObjectProperty", "Object properties"),
    (OWL + "DatatypeProperty", "Datatype properties"),
    (OWL + "AnnotationProperty", "Annotation properties"),
    (SKOS + "ConceptScheme", "Controlled-value schemes"),
)
#: A class's section lists its instances when it has at most this many.
MAX_INSTANCES = 30
ALIGN_PREDICATES = {
    RDFS + "subClassOf",
    RDFS + "subPropertyOf",
    OWL + "equivalentClass",
    OWL + "equivalentProperty",
    SKOS + "exactMatch",
    SKOS + "closeMatch",
    SKOS + "broadMatch",
    SKOS + "narrowMatch",
    SKOS + "relatedMatch",
}


def terms(graph: SiteGraph) -> list[ox.NamedNode]:
    """Every govsm term that is the subject of an ontology triple."""
    return sorted(
        {
            t.subject
            for t in graph.ontology_triples
            if isinstance(t.subject, ox.NamedNode) and t.subject.value.startswith(GOVSM)
        },
        key=lambda n: n.value,
    )


def group_of(graph: SiteGraph, term: ox.NamedNode) -> str:
    kinds = graph.types(term)
    for iri, title in GROUPS:
        if iri in kinds:
            return title
    return (
        "Controlled values" if graph.value(term, SKOS + "inScheme") is not None else "Other terms"
    )


@dataclass(frozen=True)
class TermRow:
    """One row of a term's table: a heading and either text, code, values (links) or
    alignments ((arrow, predicate, term) triples)."""

    heading: str
    text: str | None = None
    code: str | None = None
    values: list[Value] | None = None
    alignments: list[tuple[str, str, Value]] | None = None


@dataclass(frozen=True)
class TermDoc:
    """The section of one govsm term."""

    fragment: str
    label: str
    name: str  # compact IRI
    rows: list[TermRow]


@dataclass(frozen=True)
class Group:
    """The terms of one kind (classes, object properties, ...)."""

    title: str
    terms: list[TermDoc]


def _values(page: Page, values: list) -> list[Value]:
    ordered = sorted(set(values), key=lambda v: str(v))
    return [
        page.value(v, compact(v.value) if isinstance(v, ox.NamedNode) else None) for v in ordered
    ]


def _related(page: Page, term: ox.NamedNode) -> list[TermRow]:
    """Super- and sub-classes and properties, domain, range, scheme, broader."""
    graph = page.graph
    rows = []
    for pred, title in (
        (RDFS + "subClassOf", "Super-classes"),
        (RDFS + "subPropertyOf", "Super-properties"),
        (RDFS + "domain", "Domain"),
        (RDFS + "range", "Range"),
        (SKOS + "inScheme", "In scheme"),
        (SKOS + "broader", "Broader"),
    ):
        values = graph.objects(term, pred)
        if values:
            rows.append(TermRow(title, values=_values(page, values)))
    for pred, title in (
        (RDFS + "subClassOf", "Sub-classes"),
        (RDFS + "subPropertyOf", "Sub-properties"),
    ):
        values = graph.subjects(term, (pred,))
        if values:
            rows.append(TermRow(title, values=_values(page, values)))
    return rows


def _alignments(
    page: Page, term: ox.NamedNode, alignment_triples: list[ox.Triple]
) -> list[tuple[str, str, Value]]:
    """The term's alignments to external vocabularies, both ways (→ from it, ← to it)."""
    aligned = sorted(
        {
            (
                compact(t.predicate.value),
                t.object.value if t.subject == term else t.subject.value,
                "→" if t.subject == term else "←",
            )
            for t in alignment_triples
            if (t.subject == term or t.object == term) and t.predicate.value in ALIGN_PREDICATES
        }
    )
    return [
        (arrow, pred, page.value(ox.NamedNode(other), compact(other)))
        for pred, other, arrow in aligned
    ]


def term_doc(page: Page, term: ox.NamedNode, alignment_triples: list[ox.Triple]) -> TermDoc:
    """A govsm term's section: label, IRI, definition, types, related terms, alignments
    and (for a scheme, or a class with at most 30) its instances."""
    graph = page.graph
    rows = [
        TermRow("Label", text=graph.label(term)),
        TermRow("IRI", code=term.value),
        TermRow("Definition", text=graph.description(term) or "—"),
        TermRow("Types", values=_values(page, [ox.NamedNode(t) for t in graph.types(term)])),
        *_related(page, term),
    ]
    aligned = _alignments(page, term, alignment_triples)
    if aligned:
        rows.append(TermRow("Alignments", alignments=aligned))
    scheme = SKOS + "ConceptScheme" in graph.types(term)
    # a class lists its instances only up to MAX_INSTANCES: one more says it has more
    limit = None if scheme else MAX_INSTANCES + 1
    instances = graph.subjects(term, (SKOS + "inScheme", RDF + "type"), limit)
    if instances and (scheme or len(instances) <= MAX_INSTANCES):
        rows.append(TermRow("Instances", values=_values(page, instances)))
    return TermDoc(term.value[len(GOVSM) :], graph.label(term), compact(term.value), rows)


def version_path(triples: list[ox.Triple]) -> str | None:
    """Where the ontology's ``owl:versionIRI`` is published, relative to the site root
    (``ontology/0.1.0`` for ``…/ontology/0.1.0``): None when it declares none, or one
    that is not a single safe path segment under the ontology's IRI."""
    onto, predicate = ox.NamedNode(ONTOLOGY_IRI), ox.NamedNode(OWL + "versionIRI")
    prefix = ONTOLOGY_IRI + "/"
    found = sorted(
        t.object.value
        for t in triples
        if t.subject == onto and t.predicate == predicate and isinstance(t.object, ox.NamedNode)
    )
    for iri in found:
        rest = iri[len(prefix) :] if iri.startswith(prefix) else ""
        if _SEGMENT.fullmatch(rest) and rest not in (".", ".."):
            return "ontology/" + rest
    return None


def ontology_page(
    graph: SiteGraph,
    alignment_triples: list[ox.Triple],
    templates: Path | None = None,
    path: str = "ontology",
) -> str:
    """ontology.html (site/ontology.html): the ontology's metadata, a table of contents
    and one section per govsm term, by group. ``path``: where the page goes (the
    version IRI's page, ``ontology/0.1.0``, holds the same)."""
    page = Page(path, graph, templates=templates)
    onto = ox.NamedNode(ONTOLOGY_IRI)
    members: dict[str, list[ox.NamedNode]] = {}
    for term in terms(graph):
        members.setdefault(group_of(graph, term), []).append(term)
    order = [title for _, title in GROUPS] + ["Controlled values", "Other terms"]
    # each term's alignment triples, found once (not a scan of them all per term)
    by_term: dict[ox.NamedNode, list[ox.Triple]] = {}
    for t in alignment_triples:
        if t.predicate.value in ALIGN_PREDICATES:
            for end in {t.subject, t.object}:
                if isinstance(end, ox.NamedNode):
                    by_term.setdefault(end, []).append(t)
    groups = [
        Group(title, [term_doc(page, t, by_term.get(t, [])) for t in members[title]])
        for title in order
        if members.get(title)
    ]
    return page.render(
        "site/ontology.html",
        graph.label(onto),
        alternates=path,
        head=header(page, onto),
        formats=page.formats(path),
        properties=property_rows(page, onto),
        groups=groups,
        incoming=incoming(page, onto),
    )
