"""Targets: which shapes validation starts from, and the group pattern that binds
``?this`` to each focus node of a shape (``sh:targetClass`` with the ``rdfs:subClassOf``
closure in the data graph, implicit class targets, ``sh:targetNode``,
``sh:targetSubjectsOf``, ``sh:targetObjectsOf``)."""

from __future__ import annotations

import re
from collections.abc import Callable

import rdflib
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS, SH

from kg.validation.compiler.base import Context, NotCompiled
from kg.validation.compiler.literals import sparql_term

# rdf:type/rdfs:subClassOf* evaluated per value node is slow in pyoxigraph, so a class is
# written as the list of its subclasses (itself included), read from the data graph just
# before the queries run (see ``fill_subclasses``).
_SUBCLASSES = re.compile(r"%SUB\[([^\]]*)\]\[([^\]]*)\]%")


def subclasses(cls: str, sep: str = " ") -> str:
    """Placeholder for the subclasses of ``cls`` as SPARQL IRIs joined by ``sep``."""
    return f"%SUB[{cls}][{sep}]%"


def fill_subclasses(sparql: str, lookup: Callable[[str], list[str]]) -> str:
    """Replace every subclass placeholder with the IRIs ``lookup(cls)`` gives."""
    return _SUBCLASSES.sub(
        lambda m: m.group(2).join(f"<{iri}>" for iri in lookup(m.group(1))), sparql
    )


def top_level_shapes(shapes: Graph) -> list[rdflib.term.Node]:
    """Shapes with at least one target (the ones validation starts from)."""
    found: set[rdflib.term.Node] = set()
    for prop in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target):
        found.update(shapes.subjects(prop, None))
    for kind in (SH.NodeShape, SH.PropertyShape):
        for s in shapes.subjects(RDF.type, kind):
            if (s, RDF.type, RDFS.Class) in shapes:
                found.add(s)
    return sorted(found, key=str)


def _target_classes(shapes: Graph, shape: rdflib.term.Node) -> list[rdflib.term.Node]:
    """sh:targetClass, and the shape itself when it is also a class (implicit target)."""
    classes = list(shapes.objects(shape, SH.targetClass))
    if (shape, RDF.type, RDFS.Class) in shapes and (
        (shape, RDF.type, SH.NodeShape) in shapes or (shape, RDF.type, SH.PropertyShape) in shapes
    ):
        classes.append(shape)
    return classes


def targets(ctx: Context, shape: rdflib.term.Node) -> str | None:
    """A group pattern binding ``?this`` to each focus node, or None (no target)."""
    g = ctx.shapes
    parts: list[str] = []
    for cls in _target_classes(g, shape):
        if not isinstance(cls, URIRef):
            raise NotCompiled("sh:targetClass that is not an IRI")
        t = ctx.var("t")
        parts.append(f"{{ VALUES {t} {{ {subclasses(str(cls))} }} ?this <{RDF.type}> {t} . }}")
    nodes = [sparql_term(n) for n in g.objects(shape, SH.targetNode)]
    if nodes:
        parts.append("{ VALUES ?this { " + " ".join(nodes) + " } }")
    for prop in g.objects(shape, SH.targetSubjectsOf):
        if not isinstance(prop, URIRef):
            raise NotCompiled("sh:targetSubjectsOf that is not an IRI")
        parts.append(f"{{ ?this <{prop}> [] . }}")
    for prop in g.objects(shape, SH.targetObjectsOf):
        if not isinstance(prop, URIRef):
            raise NotCompiled("sh:targetObjectsOf that is not an IRI")
        parts.append(f"{{ [] <{prop}> ?this . }}")
    if (shape, SH.target, None) in g:
        raise NotCompiled("sh:target (SHACL-AF targets)")
    if not parts:
        return None
    # No DISTINCT sub-select: every query projects DISTINCT rows or counts DISTINCT
    # values, and the sub-select costs half of a query's time.
    return "{ " + " UNION ".join(parts) + " }"


def target_spec(shapes: Graph, shape: rdflib.term.Node) -> dict[str, list[str]]:
    """The targets of a top-level shape (see ``CompiledQuery.targets``)."""
    classes = [str(c) for c in shapes.objects(shape, SH.targetClass)]
    if (shape, RDF.type, RDFS.Class) in shapes:
        classes.append(str(shape))
    return {
        "class": sorted(classes),
        "node": sorted(sparql_term(n) for n in shapes.objects(shape, SH.targetNode)),
        "subjectsOf": sorted(str(p) for p in shapes.objects(shape, SH.targetSubjectsOf)),
        "objectsOf": sorted(str(p) for p in shapes.objects(shape, SH.targetObjectsOf)),
    }
