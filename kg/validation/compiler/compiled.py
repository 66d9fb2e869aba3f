"""What the compiler gives: one SPARQL query per top-level constraint, and the whole
compiled shapes graph."""

from __future__ import annotations

from dataclasses import dataclass, field

import rdflib
from rdflib import Literal


@dataclass
class CompiledQuery:
    """One top-level constraint as a SPARQL SELECT over ``?this`` (and ``?value``)."""

    shape: rdflib.term.Node  # the shape that declares the constraint
    component: str
    severity: str
    messages: list[Literal]
    path: rdflib.term.Node | None  # the property shape's path (shapes-graph node)
    sparql: str
    kind: str = "core"  # "core" or "sparql"
    value_is_focus: bool = False  # node-shape constraint: sh:value is the focus node
    path_var: bool = False  # the row's ?path gives the result path (sh:closed, sh:sparql)
    sparql_message: list[Literal] = field(default_factory=list)
    radius: int | None = 0  # hops from a focus node to the triples the check reads
    restrictable: bool = True  # results are about the shape's own focus nodes
    shape_name: str = ""  # the named shape the results name (kg.validation.terms.named_shape)
    # The top-level shape's targets: {"class": [...], "node": [...], "subjectsOf": [...],
    # "objectsOf": [...]} (IRIs; target nodes in SPARQL syntax), to tell which queries
    # a given focus node can appear in.
    targets: dict[str, list[str]] = field(default_factory=dict)
    path_text: str | None = None  # the result path in SPARQL syntax (terms.path_str)
    # Queries with the same group (a kind and the targets' SPARQL) may run as one
    # (cardinality.grouped_sparql): the targets are then enumerated once for all their
    # predicates.
    group: tuple[str, str] | None = None
    group_predicate: str = ""  # the predicate (SPARQL syntax) this query checks
    constraint: str = ""  # the sh:sparql constraint's IRI (sh:sourceConstraint), if it has one


@dataclass
class Compiled:
    """The compiled shapes graph."""

    queries: list[CompiledQuery]
    fallback: dict[str, str]  # top-level shape (term string) -> why it is not compiled
    predicates: set[str]  # predicates the compiled paths follow (forward)
    inverse_predicates: set[str]  # predicates followed backwards (inverse paths)
    radius: int | None  # max hops a core constraint looks from its focus node; None: unbounded
    literal_focus: bool = False  # a literal can be a focus node (literal sh:targetNode,
    # sh:targetObjectsOf): incremental runs cannot mark it, so they re-check everything

    @property
    def fallback_shapes(self) -> list[str]:
        """The top-level shapes left to pySHACL."""
        return sorted(self.fallback)
