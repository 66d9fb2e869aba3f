"""Shape-based constraint components: sh:node (a condition on one value node ``v``) and
sh:qualifiedValueShape with sh:qualifiedMinCount / sh:qualifiedMaxCount (on the set of a
focus node's values, with sh:qualifiedValueShapesDisjoint). sh:property is compiled where
shapes are put together: inline by :mod:`kg.validation.compiler.nested`, at the top level
by :mod:`kg.validation.compiler.assembly`."""

from __future__ import annotations

import rdflib
from rdflib import URIRef
from rdflib.namespace import SH

from kg.validation.compiler.base import (
    Condition,
    Context,
    Focus,
    NotCompiled,
    Top,
    add_radius,
    integer,
    is_true,
    max_radius,
    query_for,
)
from kg.validation.compiler.cardinality import at_least
from kg.validation.compiler.compiled import CompiledQuery


def node(ctx: Context, _shape: rdflib.term.Node, inner: rdflib.term.Node, v: str) -> Condition:
    """sh:node: ``v`` does not conform to the shape."""
    return ctx.fails(inner, v)


def qualified_conforms(
    ctx: Context, shape: rdflib.term.Node, q: rdflib.term.Node, v: str
) -> Condition:
    """Expression: value ``v`` conforms to ``q`` and (when disjoint) to no sibling."""
    g = ctx.shapes
    expr, r = ctx.fails(q, v)
    conds = [f"!({expr})"]
    radii = [r]
    if is_true(g, shape, SH.qualifiedValueShapesDisjoint):
        for parent in g.subjects(SH.property, shape):
            for sibling_shape in g.objects(parent, SH.property):
                for sibling in g.objects(sibling_shape, SH.qualifiedValueShape):
                    if sibling == q:
                        continue
                    e, rr = ctx.fails(sibling, v)
                    conds.append(f"({e})")
                    radii.append(rr)
    return " && ".join(conds), max_radius(radii)


def _qualified_inline(
    ctx: Context, shape: rdflib.term.Node, q: rdflib.term.Node, focus: Focus, minimum: bool
) -> Condition | None:
    if focus.path is None:
        raise NotCompiled("sh:qualifiedValueShape on a node shape")
    conforms, r = qualified_conforms(ctx, shape, q, "%V%")
    prop = SH.qualifiedMinCount if minimum else SH.qualifiedMaxCount
    n = ctx.shapes.value(shape, prop)
    if n is None:
        return None
    k = integer(n, prop)
    if minimum:
        expr = at_least(ctx, focus.node, focus.path, k, conforms, negate=True)
    else:
        expr = at_least(ctx, focus.node, focus.path, k + 1, conforms)
    return expr, add_radius(focus.length, r)


def qualified_min_count(
    ctx: Context, shape: rdflib.term.Node, q: rdflib.term.Node, focus: Focus
) -> Condition | None:
    """sh:qualifiedMinCount inline: fewer values conform to ``q`` than the count."""
    return _qualified_inline(ctx, shape, q, focus, minimum=True)


def qualified_max_count(
    ctx: Context, shape: rdflib.term.Node, q: rdflib.term.Node, focus: Focus
) -> Condition | None:
    """sh:qualifiedMaxCount inline: more values conform to ``q`` than the count."""
    return _qualified_inline(ctx, shape, q, focus, minimum=False)


def _qualified_queries(
    ctx: Context, top: Top, q: rdflib.term.Node, prop: URIRef, component: URIRef, op: str
) -> list[CompiledQuery]:
    if top.path is None:
        raise NotCompiled("sh:qualifiedValueShape on a node shape")
    conforms, r = qualified_conforms(ctx, top.shape, q, "?v")
    out = []
    for n in ctx.shapes.objects(top.shape, prop):
        k = integer(n, prop)
        sparql = (
            f"SELECT ?this WHERE {{ {top.targets} "
            f"OPTIONAL {{ ?this {top.path} ?v . FILTER ({conforms}) }} }} "
            f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) {op} {k})"
        )
        out.append(query_for(ctx, top, component, sparql, radius=add_radius(top.length, r)))
    return out


def qualified_min_count_queries(ctx: Context, top: Top, q: rdflib.term.Node) -> list[CompiledQuery]:
    """sh:qualifiedMinCount at the top level."""
    return _qualified_queries(
        ctx, top, q, SH.qualifiedMinCount, SH.QualifiedMinCountConstraintComponent, "<"
    )


def qualified_max_count_queries(ctx: Context, top: Top, q: rdflib.term.Node) -> list[CompiledQuery]:
    """sh:qualifiedMaxCount at the top level."""
    return _qualified_queries(
        ctx, top, q, SH.qualifiedMaxCount, SH.QualifiedMaxCountConstraintComponent, ">"
    )
