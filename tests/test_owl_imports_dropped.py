"""kg.rdf.imports: owl:imports statements taken out, for rdflib graphs and pyoxigraph quads."""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import Graph, URIRef
from rdflib.namespace import OWL, RDF

from kg.rdf.imports import OWL_IMPORTS, quads_without_imports, without_imports
from kg.stages.ontology import owl_view

ONT = URIRef("https://example.org/ontology")
IMPORTED = URIRef("https://example.org/elsewhere")


def _graph() -> Graph:
    graph = Graph()
    graph.add((ONT, RDF.type, OWL.Ontology))
    graph.add((ONT, OWL.imports, IMPORTED))
    return graph


def test_without_imports_copies_all_but_the_imports() -> None:
    graph = _graph()
    out = without_imports(graph)
    assert set(out) == {(ONT, RDF.type, OWL.Ontology)}
    assert len(graph) == 2  # the graph itself keeps them
    into = Graph()
    into.add((IMPORTED, RDF.type, OWL.Ontology))
    assert without_imports(graph, into) is into and len(into) == 2


def test_quads_without_imports_keep_their_order() -> None:
    g = ox.NamedNode("https://example.org/g")
    s, o = ox.NamedNode(str(ONT)), ox.NamedNode(str(IMPORTED))
    kept = [ox.Quad(s, ox.NamedNode(str(RDF.type)), ox.NamedNode(str(OWL.Ontology)), g)]
    quads = [ox.Quad(s, OWL_IMPORTS, o, g), *kept, ox.Quad(o, OWL_IMPORTS, s, g)]
    assert quads_without_imports(quads) == kept


def test_the_reasoners_view_has_no_imports() -> None:
    assert (ONT, OWL.imports, IMPORTED) not in owl_view(_graph())
