"""``owl:imports``: never followed, and left out wherever a graph is checked or reasoned over.

The sources are local files; an ontology's import closure is loaded from them (offline,
kg.stages.ontology), never fetched. So an ``owl:imports`` statement is neither data to
validate nor an axiom for the reasoner: each stage takes it out with these helpers, for
rdflib graphs and for pyoxigraph quads alike.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyoxigraph as ox
from rdflib import Graph
from rdflib.namespace import OWL

#: owl:imports as a pyoxigraph term.
OWL_IMPORTS = ox.NamedNode(str(OWL.imports))


def without_imports(graph: Graph, into: Graph | None = None) -> Graph:
    """Every triple of ``graph`` but its ``owl:imports`` statements, added to ``into``
    (a new graph when None); ``graph`` itself is left as it is."""
    out = Graph() if into is None else into
    for triple in graph:
        if triple[1] != OWL.imports:
            out.add(triple)
    return out


def quads_without_imports(quads: Iterable[ox.Quad]) -> list[ox.Quad]:
    """``quads`` but the ``owl:imports`` statements, in their order."""
    return [quad for quad in quads if quad.predicate != OWL_IMPORTS]
