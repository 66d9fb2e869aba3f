"""Views: the data restated in standard vocabularies by CONSTRUCT rules.

Where a standard vocabulary models a thing with a structure of its own (the W3C Web
Annotation model of a quote: an annotation, a specific resource with a source and
selectors) no sub-property axiom can restate our data in it; a rule can. Every
``queries/views/*.rq`` is such a rule: a CONSTRUCT with no parameters whose results go to
the named graph ``BASE graph/view/STEM``. Like the derivation rules, the views are data;
Python only runs them. kg.stages.entail then applies the ontology's axioms to the data,
the derived graphs and the views alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rdflib.namespace import RDFS

from kg.rdf.engine import Engine
from kg.sparql.files import QueryFile, read_query


@dataclass(frozen=True)
class View:
    """What one view rule produced."""

    query: QueryFile
    graph: str
    triples: int


def view_graph_iri(base: str, stem: str) -> str:
    """The named graph of one view rule's results."""
    return f"{base}graph/view/{stem}"


def view_rules(queries_dir: Path) -> list[QueryFile]:
    """The view rules of a project (``queries/views/*.rq``), in file-name order."""
    return [read_query(path) for path in sorted((queries_dir / "views").glob("*.rq"))]


def run_views(engine: Engine, queries_dir: Path, base: str) -> list[View]:
    """Run every view rule into its own named graph."""
    done = []
    for query in view_rules(queries_dir):
        graph = view_graph_iri(base, query.stem)
        triples, _ = engine.construct_into(query.text, None, graph, str(RDFS.Resource))
        done.append(View(query, graph, triples))
    return done
