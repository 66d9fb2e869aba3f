"""How the terms of a shapes graph and of a SHACL report are written in results: nodes,
property paths, the named shape a nested shape belongs to, and which message speaks."""

from __future__ import annotations

import rdflib
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH

# Properties by which a shape refers to a nested shape: used to find, for a blank
# property shape, the named node shape it belongs to.
_NESTING = (SH.property, SH.node, SH["not"], SH.qualifiedValueShape)
_LIST_NESTING = (SH["or"], SH["and"], SH.xone)


def term_str(node: rdflib.term.Node) -> str:
    """An IRI as itself, a blank node as ``_:id``, a literal as its lexical form."""
    if isinstance(node, BNode):
        return f"_:{node}"
    return str(node)


def local_name(iri: rdflib.term.Node) -> str:
    """The part of an IRI after its ``#`` (``sh:Violation`` -> ``Violation``)."""
    return str(iri).rsplit("#", 1)[-1]


def path_str(graph: Graph, path: rdflib.term.Node) -> str:
    """A SHACL property path in SPARQL property-path syntax."""
    if isinstance(path, URIRef):
        return str(path)
    if (path, RDF.first, None) in graph:  # a list is a sequence path, whatever else it has
        return "/".join(_wrap(graph, p) for p in Collection(graph, path))
    inverse = graph.value(path, SH.inversePath)
    if inverse is not None:
        return f"^{_wrap(graph, inverse)}"
    alternatives = graph.value(path, SH.alternativePath)
    if alternatives is not None:
        return "|".join(_wrap(graph, p) for p in Collection(graph, alternatives))
    repeats = ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"), (SH.zeroOrOnePath, "?"))
    for prop, suffix in repeats:
        inner = graph.value(path, prop)
        if inner is not None:
            return f"({_wrap(graph, inner)}){suffix}"
    return term_str(path)


def _wrap(graph: Graph, path: rdflib.term.Node) -> str:
    text = path_str(graph, path)
    return f"<{text}>" if isinstance(path, URIRef) else f"({text})"


def named_shape(shapes: Graph, shape: rdflib.term.Node) -> str:
    """The IRI of the named shape a (possibly nested, blank) shape belongs to."""
    seen: set[rdflib.term.Node] = set()
    frontier = [shape]
    while frontier:
        node = frontier.pop(0)
        if isinstance(node, URIRef):
            return str(node)
        if node in seen:
            continue
        seen.add(node)
        for prop in _NESTING:
            frontier.extend(shapes.subjects(prop, node))
        # A shape listed in sh:or/sh:and/sh:xone: climb the RDF list to its head.
        for cell in shapes.subjects(RDF.first, node):
            head = cell
            while (prev := shapes.value(predicate=RDF.rest, object=head)) is not None:
                head = prev
            for prop in _LIST_NESTING:
                frontier.extend(shapes.subjects(prop, head))
    return term_str(shape)


def message_key(msg: rdflib.term.Node) -> tuple[int, str]:
    """Sort key of a shape's messages: English first, then untagged, then the rest."""
    lang = msg.language if isinstance(msg, Literal) else None
    return ({"en": 0, None: 1}.get(lang, 2), str(msg))


def first_message(messages: list[Literal]) -> str:
    """The message a result gives of several (:func:`message_key`), or ""."""
    return str(sorted(messages, key=message_key)[0]) if messages else ""
