"""Comparing the coded evidence of two graphs up to the evidence items' own IRIs (no tests
here): an import mints its own item and quote IRIs, so two imports of the same evidence
(or a review and the import of its export) are equal when their items, with every item
and its quote selectors replaced by blank nodes, are isomorphic (rdflib.compare).

``without_evidence_iris`` keeps the whole graph so; ``evidence_graph`` keeps, for each
govsm:EvidenceItem, its own triples and those of its quote selectors (govsm:hasQuote),
nothing else (the taxonomy, the studies and the agents are compared by IRI where the items
point at them). ``drop`` names predicates left out on both sides, for what one format
cannot carry: a caller says exactly which.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from pathlib import Path

from rdflib import BNode, Graph, URIRef
from rdflib.compare import graph_diff, to_isomorphic
from rdflib.namespace import RDF

GOVSM = "https://w3id.org/govsm/ontology#"
EVIDENCE_ITEM = URIRef(GOVSM + "EvidenceItem")
HAS_QUOTE = URIRef(GOVSM + "hasQuote")


def folder_graph(*folders: Path) -> Graph:
    """Every Turtle file of the folders in one graph."""
    graph = Graph()
    for folder in folders:
        for path in sorted(Path(folder).glob("*.ttl")):
            graph.parse(path, format="turtle")
    return graph


def evidence_items(graph: Graph) -> set[URIRef]:
    """The graph's evidence items."""
    return {s for s in graph.subjects(RDF.type, EVIDENCE_ITEM) if isinstance(s, URIRef)}


def _blank(graph: Graph, items: Collection[URIRef]) -> dict[URIRef, BNode]:
    """A blank node for each item and each of its quote selectors."""
    nodes: dict[URIRef, BNode] = {}
    for item in sorted(items):
        nodes[item] = BNode()
        for quote in graph.objects(item, HAS_QUOTE):
            nodes.setdefault(quote, BNode())  # type: ignore[arg-type]
    return nodes


def evidence_graph(
    graph: Graph, items: Collection[URIRef] | None = None, drop: Iterable[URIRef] = ()
) -> Graph:
    """The evidence items of ``graph`` (only ``items`` when given) and their quote
    selectors, each a blank node, without the ``drop`` predicates."""
    nodes = _blank(graph, evidence_items(graph) if items is None else set(items))
    dropped = set(drop)
    out = Graph()
    for subject in nodes:
        for p, o in graph.predicate_objects(subject):
            if p not in dropped:
                out.add((nodes[subject], p, nodes.get(o, o)))  # type: ignore[arg-type]
    return out


def without_evidence_iris(graph: Graph) -> Graph:
    """The whole graph with every evidence item and its quote selectors a blank node (for
    comparing two data graphs that differ only in the IRIs their imports minted)."""
    nodes = _blank(graph, evidence_items(graph))
    out = Graph()
    for s, p, o in graph:
        out.add((nodes.get(s, s), p, nodes.get(o, o)))  # type: ignore[arg-type]
    return out


def evidence_difference(a: Graph, b: Graph, limit: int = 12) -> str:
    """Empty when ``a`` and ``b`` (evidence graphs) are isomorphic, else the triples each
    has that the other lacks, the first ``limit`` of each, for an assertion message."""
    one, two = to_isomorphic(a), to_isomorphic(b)
    if one == two:
        return ""
    _, only_a, only_b = graph_diff(one, two)

    def show(graph: Graph) -> str:
        lines = sorted(f"  {s.n3()} {p.n3()} {o.n3()}" for s, p, o in graph)
        more = f"\n  ... {len(lines) - limit} more" if len(lines) > limit else ""
        return "\n".join(lines[:limit]) + more

    return (
        f"{len(a)} vs {len(b)} triples\nonly in the first:\n{show(only_a)}"
        f"\nonly in the second:\n{show(only_b)}"
    )
