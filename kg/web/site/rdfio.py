"""RDF documents: Turtle, N-Triples, RDF/XML (pyoxigraph) and JSON-LD with the build's context.

pyoxigraph serialises fast and keeps the (sorted) input order; prefix lines are sorted so
the output never depends on a hash order. JSON-LD is kg.rdf.jsonld's: a resource's
document framed (the resource at the top, its authors and venue nested), others a flat
``@graph``; the context is inline (never a remote context URL), so any JSON-LD processor
reads it offline.
"""

from __future__ import annotations

import bisect

import pyoxigraph as ox

from kg.prefixes import PREFIXES
from kg.rdf.jsonld import Context, graph_document, resource_document

RDF_TYPE = PREFIXES["rdf"] + "type"
# Names whose slash-IRIs would need escaping in Turtle (id:study\/x): written in full.
_TURTLE_SKIP = {"id", "rule", "shape"}

FORMATS = {
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
    "rdf": "application/rdf+xml",
}


def _used(triples: list[ox.Triple], table: dict[str, str]) -> dict[str, str]:
    iris = set()
    for t in triples:
        iris.add(t.predicate.value)
        for term in (t.subject, t.object):
            if isinstance(term, ox.NamedNode):
                iris.add(term.value)
            elif isinstance(term, ox.Literal):
                iris.add(term.datatype.value)
    # the IRIs starting with a namespace are a run of the sorted IRIs, which begins
    # where the namespace would be inserted: one bisection per prefix, not a scan
    ordered = sorted(iris)

    def used(ns: str) -> bool:
        at = bisect.bisect_left(ordered, ns)
        return at < len(ordered) and ordered[at].startswith(ns)

    return {n: ns for n, ns in table.items() if used(ns)}


def _sort_prefix_lines(text: str, marker: str) -> str:
    lines = text.split("\n")
    head = [line for line in lines if line.startswith(marker)]
    rest = [line for line in lines if not line.startswith(marker)]
    return "\n".join(sorted(head) + rest)


def turtle(triples: list[ox.Triple]) -> str:
    table = {n: ns for n, ns in PREFIXES.items() if n not in _TURTLE_SKIP}
    out = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=_used(triples, table))
    return _sort_prefix_lines(out.decode("utf-8"), "@prefix ")


def trig(quads: list[ox.Quad]) -> str:
    table = {n: ns for n, ns in PREFIXES.items() if n not in _TURTLE_SKIP}
    out = ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=table)
    return _sort_prefix_lines(out.decode("utf-8"), "@prefix ")


def ntriples(triples: list[ox.Triple]) -> str:
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")


def rdfxml(triples: list[ox.Triple]) -> str:
    table = {n: ns for n, ns in PREFIXES.items() if n not in _TURTLE_SKIP}
    return ox.serialize(
        triples, format=ox.RdfFormat.RDF_XML, prefixes=_used(triples, table)
    ).decode("utf-8")


def jsonld(triples: list[ox.Triple], context: Context, subject: ox.NamedNode | None = None) -> str:
    """JSON-LD with ``context``: ``subject``'s framed document, or a flat ``@graph``."""
    if subject is not None:
        return resource_document(context, triples, subject)
    return graph_document(context, triples)


def documents(
    triples: list[ox.Triple], context: Context, subject: ox.NamedNode | None = None
) -> dict[str, str]:
    """The four RDF documents of a description, by file extension (``subject``: the
    resource a JSON-LD document is framed around)."""
    return {
        "ttl": turtle(triples),
        "jsonld": jsonld(triples, context, subject),
        "nt": ntriples(triples),
        "rdf": rdfxml(triples),
    }
