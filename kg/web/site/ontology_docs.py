"""Ontology documentation (site/ontology.html): header metadata, then one section per
govsm term (classes, object properties, datatype properties, other properties,
controlled-value concepts and schemes), each with id equal to the term's fragment.

The ontology's RDF documents hold the merged ontology as the build loads it: the core
(ontology/govsm.ttl), its alignments (ontology/alignments/) and the import modules
(ontology/imports/), i.e. every named graph of kind "ontology".
"""

from __future__ import annotations

import pyoxigraph as ox

from kg.prefixes import GOVSM, ONTOLOGY_IRI, PREFIXES, compact
from kg.web.site.graph import SiteGraph
from kg.web.site.pages import Page, esc, format_links, header, incoming, layout, property_table

OWL = PREFIXES["owl"]
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


def _links(page: Page, values: list) -> str:
    values = sorted(set(values), key=lambda v: str(v))
    return (
        ", ".join(
            page.link(v, compact(v.value) if isinstance(v, ox.NamedNode) else None) for v in values
        )
        or "—"
    )


def term_section(page: Page, term: ox.NamedNode, alignment_triples: list[ox.Triple]) -> str:
    graph = page.graph
    frag = term.value[len(GOVSM) :]
    rows = [
        ("Label", esc(graph.label(term))),
        ("IRI", f'<code class="iri">{esc(term.value)}</code>'),
        ("Definition", esc(graph.description(term) or "—")),
        ("Types", _links(page, [ox.NamedNode(t) for t in graph.types(term)])),
    ]

    def sub(pred: str) -> list:
        return [t.subject for t in graph.inc.get(term, ()) if t.predicate.value == pred]

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
            rows.append((title, _links(page, values)))
    for pred, title in (
        (RDFS + "subClassOf", "Sub-classes"),
        (RDFS + "subPropertyOf", "Sub-properties"),
    ):
        values = [v for v in sub(pred) if isinstance(v, ox.NamedNode)]
        if values:
            rows.append((title, _links(page, values)))
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
    if aligned:
        rows.append(
            (
                "Alignments",
                '<ul class="values">'
                + "".join(
                    f"<li>{arrow} {esc(pred)} {page.link(ox.NamedNode(other), compact(other))}</li>"
                    for pred, other, arrow in aligned
                )
                + "</ul>",
            )
        )
    instances = [
        t.subject
        for t in graph.inc.get(term, ())
        if t.predicate.value in (SKOS + "inScheme", RDF + "type")
        and isinstance(t.subject, ox.NamedNode)
    ]
    if instances and (SKOS + "ConceptScheme" in graph.types(term) or len(instances) <= 30):
        rows.append(("Instances", _links(page, instances)))
    table = "".join(f"<tr><th>{k}</th><td>{v}</td></tr>" for k, v in rows)
    return (
        f'<section class="term" id="{esc(frag)}">\n<h3>{esc(graph.label(term))} '
        f"<small>({esc(compact(term.value))})</small></h3>\n<table>{table}</table>\n</section>\n"
    )


def ontology_page(graph: SiteGraph, alignment_graph_triples: list[ox.Triple]) -> str:
    page = Page("ontology", graph)
    onto = ox.NamedNode(ONTOLOGY_IRI)
    groups: dict[str, list[ox.NamedNode]] = {}
    for term in terms(graph):
        groups.setdefault(group_of(graph, term), []).append(term)
    order = [title for _, title in GROUPS] + ["Controlled values", "Other terms"]
    toc, sections = [], []
    for title in order:
        members = groups.get(title, [])
        if not members:
            continue
        toc.append(
            f"<li>{esc(title)} ({len(members)}): "
            + ", ".join(
                f'<a href="#{esc(m.value[len(GOVSM) :])}">{esc(m.value[len(GOVSM) :])}</a>'
                for m in members
            )
            + "</li>"
        )
        sections.append(
            f"<h2>{esc(title)}</h2>\n"
            + "".join(term_section(page, m, alignment_graph_triples) for m in members)
        )
    body = (
        header(page, onto)
        + format_links(page, "ontology")
        + "<h2>Metadata</h2>\n"
        + property_table(page, onto)
        + "\n<h2>Contents</h2>\n<ul>"
        + "".join(toc)
        + "</ul>\n"
        + "".join(sections)
        + incoming(page, onto)
    )
    return layout(page, graph.label(onto), body, alternates="ontology")
