"""What every constraint builder shares: the compile context of one top-level shape,
where a constraint looks (:class:`Focus`, :class:`Top`), and readers of the shapes graph.

A builder turns one parameter value of one shape into either a *condition* (a SPARQL
boolean expression true when the constraint is violated, with the radius it reads: how
many hops from the focus node its triples lie, None when unbounded) or the top-level
queries of its constraint.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import rdflib
from rdflib import Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, SH

from kg.validation.compiler.compiled import CompiledQuery

#: A SPARQL expression true when a constraint is violated, and its radius.
Condition = tuple[str, int | None]


class NotCompiled(Exception):
    """A shape uses a feature the fast path does not compile (run it with pySHACL)."""


class Context:
    """The compilation of one top-level shape: its variables, the predicates its paths
    follow, and the nested shapes being inlined (a shape that nests itself, directly or
    through others, cannot be inlined: it is left to pySHACL).

    ``nested`` compiles a nested shape into a condition (kg.validation.compiler.nested);
    the builders reach it through :meth:`fails`.
    """

    def __init__(
        self, shapes: Graph, nested: Callable[[Context, rdflib.term.Node, str], Condition]
    ) -> None:
        self.shapes = shapes
        self.predicates: set[str] = set()  # predicates the paths follow forward
        self.inverse: set[str] = set()  # predicates the paths follow backwards
        self._nested = nested
        self._counter = itertools.count()
        self._stack: list[rdflib.term.Node] = []

    def var(self, stem: str = "v") -> str:
        """A fresh SPARQL variable."""
        return f"?{stem}{self.number()}"

    def number(self) -> int:
        """A fresh number (variables are named with these)."""
        return next(self._counter)

    def fails(self, shape: rdflib.term.Node, x: str) -> Condition:
        """A SPARQL expression true when ``x`` does not conform to the nested ``shape``,
        and the radius it reads."""
        if shape in self._stack:
            raise NotCompiled("recursive shapes")
        self._stack.append(shape)
        try:
            return self._nested(self, shape, x)
        finally:
            self._stack.pop()


@dataclass(frozen=True)
class Focus:
    """Where a constraint on a focus node's values looks, inside a nested shape: the
    focus node (a SPARQL variable) and the path to its values (None on a node shape,
    whose value is the focus node itself) with the path's length."""

    node: str
    path: str | None = None
    length: int | None = 0


@dataclass(frozen=True)
class Top:
    """A shape compiled into queries of its own: the group pattern binding ``?this`` to
    its focus nodes and, for a property shape, its path."""

    shape: rdflib.term.Node
    targets: str
    path: str | None = None  # SPARQL path text; None on a node shape
    path_node: rdflib.term.Node | None = None  # the path in the shapes graph
    length: int | None = 0  # the path's length (None: unbounded)
    group_predicate: str = ""  # a top-level predicate path: minCount/maxCount 1 may group


def query_for(
    ctx: Context, top: Top, component: URIRef, sparql: str, **fields: object
) -> CompiledQuery:
    """A compiled query of ``top``'s shape for ``component``, with the shape's severity
    and messages; ``fields`` sets the other CompiledQuery fields."""
    return CompiledQuery(
        shape=top.shape,
        component=str(component),
        severity=severity(ctx.shapes, top.shape),
        messages=messages(ctx.shapes, top.shape),
        path=top.path_node,
        sparql=sparql,
        **fields,  # type: ignore[arg-type]
    )


def severity(shapes: Graph, shape: rdflib.term.Node) -> str:
    """The shape's sh:severity as a local name ("Violation" by default)."""
    sev = shapes.value(shape, SH.severity)
    return str(sev).rsplit("#", 1)[-1] if sev is not None else "Violation"


def messages(shapes: Graph, node: rdflib.term.Node) -> list[Literal]:
    """The sh:message literals of a shape or constraint."""
    return [m for m in shapes.objects(node, SH.message) if isinstance(m, Literal)]


def is_true(shapes: Graph, node: rdflib.term.Node, prop: URIRef) -> bool:
    """Whether ``node``'s ``prop`` is the boolean true."""
    return true_literal(shapes.value(node, prop))


def true_literal(value: rdflib.term.Node | None) -> bool:
    """Whether a parameter value is the boolean true."""
    return isinstance(value, Literal) and value.toPython() is True


def rdf_list(shapes: Graph, head: rdflib.term.Node) -> list[rdflib.term.Node]:
    """The members of an RDF list of the shapes graph."""
    if head == RDF.nil:
        return []
    if (head, RDF.first, None) not in shapes:
        raise NotCompiled("a malformed RDF list")
    return list(Collection(shapes, head))


def integer(n: rdflib.term.Node, prop: URIRef) -> int:
    """A parameter value that must be an integer (sh:minCount...)."""
    if not isinstance(n, Literal) or not isinstance(n.toPython(), int):
        raise NotCompiled(f"{prop} that is not an integer")
    return int(n.toPython())


def add_radius(a: int | None, b: int | None) -> int | None:
    """Two radii one after the other (None: unbounded)."""
    return None if a is None or b is None else a + b


def max_radius(radii: Iterable[int | None]) -> int | None:
    """The largest radius (None: unbounded)."""
    best = 0
    for r in radii:
        if r is None:
            return None
        best = max(best, r)
    return best
