"""JSON-LD for developers: the build's context (:mod:`.context`), documents written with
it (:mod:`.write`), and PyLD set up never to fetch anything (:mod:`.offline`)."""

from kg.rdf.jsonld.context import Context, TermDef, Usage, usage_of, usage_of_nquads
from kg.rdf.jsonld.write import graph_chunks, graph_document, resource_document

__all__ = [
    "Context",
    "TermDef",
    "Usage",
    "graph_chunks",
    "graph_document",
    "resource_document",
    "usage_of",
    "usage_of_nquads",
]
