"""The shapes as linked data (site/shapes.html): one section per node shape with its
property shapes and SPARQL constraints, then the shapes used inside other shapes; every
section's ``id`` is the shape's IRI fragment, so ``shape:StudyShape-title-maxCount``
(``https://w3id.org/govsm/shapes#StudyShape-title-maxCount``), as a validation report
names it in ``sh:sourceShape``, dereferences to its section.

The shapes come from the published dataset: the named graphs ``BASE graph/shapes/FILE``
the build adds after validation (kg.rdf.load.add_shapes), which are also the shapes
documents (shapes.ttl, .jsonld, .nt, .rdf). Constraint components are SHACL's own IRIs
(``sh:MinCountConstraintComponent``): the page links each to its section of the W3C
SHACL Recommendation.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

import pyoxigraph as ox

from kg.prefixes import PREFIXES, compact
from kg.validation.compiler.components import FOCUS_COMPONENTS, VALUE_COMPONENTS
from kg.web.site.graph import SHAPES_IRI, SHAPES_NS, SiteGraph, sort_key
from kg.web.site.pages import Page, Value, header, property_rows

SH = PREFIXES["sh"]
RDFS = PREFIXES["rdfs"]
#: The W3C SHACL Recommendation; its constraint components have sections of their name.
SHACL_SPEC = "https://www.w3.org/TR/shacl/"
#: Constraint parameter -> its component's section in the SHACL Recommendation.
SPEC_SECTIONS = {
    str(c.parameter): SHACL_SPEC + "#" + str(iri).rsplit("#", 1)[-1]
    for table in (VALUE_COMPONENTS, FOCUS_COMPONENTS)
    for iri, c in table.items()
} | {
    # one section of the spec defines sh:QualifiedMinCount- and -MaxCountConstraintComponent
    SH + "qualifiedValueShape": SHACL_SPEC + "#QualifiedValueShapeConstraintComponent",
    SH + "qualifiedMinCount": SHACL_SPEC + "#QualifiedValueShapeConstraintComponent",
    SH + "qualifiedMaxCount": SHACL_SPEC + "#QualifiedValueShapeConstraintComponent",
    SH + "select": SHACL_SPEC + "#sparql-constraints",
}
#: Shape properties shown apart (heading, path, severity, message...), not as constraints.
_NOT_CONSTRAINTS = {
    SH + name
    for name in (
        "path",
        "name",
        "description",
        "message",
        "severity",
        "property",
        "sparql",
        "targetClass",
        "targetNode",
        "targetSubjectsOf",
        "targetObjectsOf",
        "deactivated",
        "order",
        "group",
        "prefixes",
        "select",
    )
} | {PREFIXES["rdf"] + "type", RDFS + "label", RDFS + "comment"}


@dataclass(frozen=True)
class Constraint:
    """One constraint parameter of a shape and its values, linked to the SHACL spec."""

    parameter: str  # compact, e.g. "sh:minCount"
    values: list[Value]
    spec: str | None  # the component's section of the SHACL Recommendation


@dataclass(frozen=True)
class ShapeDoc:
    """The section of one shape or SPARQL constraint."""

    fragment: str  # the IRI's fragment: the section's id
    label: str
    iri: str
    kind: str  # "node shape", "property shape", "SPARQL constraint", "shape", "prefix declaration"
    targets: list[Value] = field(default_factory=list)
    path: Value | None = None
    severity: str | None = None
    message: str | None = None
    constraints: list[Constraint] = field(default_factory=list)
    select: str | None = None  # a SPARQL constraint's query
    parts: list[ShapeDoc] = field(default_factory=list)  # a node shape's own shapes
    used_by: list[Value] = field(default_factory=list)  # shapes that use it (operands)


def _literal(graph: SiteGraph, subject: ox.NamedNode, predicate: str) -> str | None:
    found = sorted(
        (o for o in graph.objects(subject, predicate) if isinstance(o, ox.Literal)),
        key=lambda o: (o.language not in ("en", None), o.value),
    )
    return found[0].value if found else None


def _label(graph: SiteGraph, shape: ox.NamedNode) -> str:
    """sh:name, else the graph's label (rdfs:label), else the fragment."""
    return _literal(graph, shape, SH + "name") or graph.label(shape)


def _constraints(page: Page, shape: ox.NamedNode) -> list[Constraint]:
    rows: dict[str, list] = {}
    for t in page.graph.out.get(shape, ()):
        if t.predicate.value.startswith(SH) and t.predicate.value not in _NOT_CONSTRAINTS:
            rows.setdefault(t.predicate.value, []).append(t.object)
    return [
        Constraint(
            compact(p),
            [page.value(v) for v in sorted(set(values), key=sort_key)],
            SPEC_SECTIONS.get(p),
        )
        for p, values in sorted(rows.items())
    ]


def shape_doc(page: Page, shape: ox.NamedNode, kind: str) -> ShapeDoc:
    """A shape's section: label, IRI, targets, path, severity, message, constraints."""
    graph = page.graph
    severity = graph.value(shape, SH + "severity")
    path = graph.value(shape, SH + "path")
    targets = sorted(graph.objects(shape, SH + "targetClass"), key=sort_key)
    return ShapeDoc(
        fragment=shape.value[len(SHAPES_NS) :],
        label=_label(graph, shape),
        iri=shape.value,
        kind=kind,
        targets=[page.value(t) for t in targets],
        path=page.value(path) if path is not None else None,
        severity=severity.value.rsplit("#", 1)[-1] if isinstance(severity, ox.NamedNode) else None,
        message=_literal(graph, shape, SH + "message"),
        constraints=_constraints(page, shape),
        select=_literal(graph, shape, SH + "select"),
    )


def _severity_rank(graph: SiteGraph, shape: ox.NamedNode) -> int:
    severity = graph.value(shape, SH + "severity")
    return {"Violation": 0, "Warning": 1, "Info": 2}.get(
        severity.value.rsplit("#", 1)[-1] if severity is not None else "Violation", 3
    )


def _owned(graph: SiteGraph, node: ox.NamedNode, predicate: str) -> list[ox.NamedNode]:
    """A node shape's property shapes (by path, then severity) or SPARQL constraints."""
    found = {o for o in graph.objects(node, predicate) if _documented(o)}
    return sorted(
        found,
        key=lambda s: (str(graph.value(s, SH + "path")), _severity_rank(graph, s), s.value),
    )


def _documented(term: object) -> bool:
    """Whether a term is a shape IRI this page has a section for (shape:...)."""
    return isinstance(term, ox.NamedNode) and term.value.startswith(SHAPES_NS)


def shape_sections(page: Page, triples: list[ox.Triple]) -> tuple[list[ShapeDoc], list[ShapeDoc]]:
    """The node shapes' sections (each with its property shapes and SPARQL constraints)
    and the sections of every other shape IRI of ``triples`` (operands of sh:or, sh:not,
    sh:qualifiedValueShape...), each with the shapes that use it."""
    graph = page.graph
    subjects = {t.subject for t in triples if _documented(t.subject)}
    nodes = sorted(
        (s for s in subjects if SH + "NodeShape" in graph.types(s)), key=lambda s: s.value
    )
    sections, done = [], set(nodes)
    for node in nodes:
        parts = [
            shape_doc(page, ps, "property shape") for ps in _owned(graph, node, SH + "property")
        ]
        parts += [
            shape_doc(page, c, "SPARQL constraint") for c in _owned(graph, node, SH + "sparql")
        ]
        done |= {ox.NamedNode(p.iri) for p in parts}
        doc = shape_doc(page, node, "node shape")
        sections.append(replace(doc, parts=parts))
    others = []
    for shape in sorted(subjects - done, key=lambda s: s.value):
        users = sorted(
            {t.subject for t in triples if _documented(t.subject) and _uses(graph, t, shape)},
            key=sort_key,
        )
        kind = "prefix declaration" if graph.value(shape, SH + "prefix") else "shape"
        doc = shape_doc(page, shape, kind)
        others.append(replace(doc, used_by=[page.value(u, _label(graph, u)) for u in users]))
    return sections, others


def _uses(graph: SiteGraph, t: ox.Triple, shape: ox.NamedNode) -> bool:
    """Whether ``t`` says its subject uses ``shape`` (directly, or as a list member)."""
    if t.object == shape:
        return t.predicate.value != PREFIXES["rdf"] + "first"
    if isinstance(t.object, ox.BlankNode):
        members = graph.rdf_list(t.object)
        return members is not None and shape in members
    return False


def shapes_page(
    graph: SiteGraph,
    templates: Path | None = None,
    nav: tuple[tuple[str, str], ...] | None = None,
) -> str:
    """shapes.html: the shapes graph's metadata, a table of contents, a section per node
    shape (its property shapes and SPARQL constraints inside) and the shapes used
    inside others; ``nav``: the navigation (kg.web.site.pages.Page.nav)."""
    page = Page("shapes", graph, nav=nav, templates=templates)
    head_iri = ox.NamedNode(SHAPES_IRI)
    sections, others = shape_sections(page, graph.shape_triples)
    return page.render(
        "site/shapes.html",
        graph.label(head_iri),
        alternates="shapes",
        head=header(page, head_iri),
        formats=page.formats("shapes"),
        properties=property_rows(page, head_iri),
        sections=sections,
        others=others,
        spec=SHACL_SPEC,
    )
