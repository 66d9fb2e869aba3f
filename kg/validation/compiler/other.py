"""Other constraint components: sh:in (a condition on one value node ``v``), sh:hasValue
and sh:closed with sh:ignoredProperties (on a focus node)."""

from __future__ import annotations

import rdflib
from rdflib import Graph
from rdflib.namespace import SH

from kg.validation.compiler.base import (
    Condition,
    Context,
    Focus,
    NotCompiled,
    Top,
    query_for,
    rdf_list,
    true_literal,
)
from kg.validation.compiler.compiled import CompiledQuery
from kg.validation.compiler.literals import sparql_term


def in_(ctx: Context, _shape: rdflib.term.Node, head: rdflib.term.Node, v: str) -> Condition:
    """sh:in: ``v`` is none of the listed terms."""
    members = [sparql_term(m) for m in rdf_list(ctx.shapes, head)]
    expr = " || ".join(f"sameTerm({v}, {m})" for m in members) or "false"
    return f"!({expr})", 0


def has_value(
    ctx: Context, _shape: rdflib.term.Node, value: rdflib.term.Node, focus: Focus
) -> Condition:
    """sh:hasValue inline: the focus node (node shape) is not ``value``, or none of its
    values is."""
    if focus.path is None:
        return f"!sameTerm({focus.node}, {sparql_term(value)})", 0
    h = ctx.var("h")
    return (
        f"NOT EXISTS {{ {focus.node} {focus.path} {h} . "
        f"FILTER (sameTerm({h}, {sparql_term(value)})) }}",
        focus.length,
    )


def has_value_queries(ctx: Context, top: Top, value: rdflib.term.Node) -> list[CompiledQuery]:
    """sh:hasValue at the top level."""
    if top.path is None:
        expr, r = has_value(ctx, top.shape, value, Focus("?this"))
        sparql = f"SELECT DISTINCT ?this WHERE {{ {top.targets} FILTER ({expr}) }}"
        return [query_for(ctx, top, SH.HasValueConstraintComponent, sparql, radius=r)]
    sparql = (
        f"SELECT DISTINCT ?this WHERE {{ {top.targets} FILTER NOT EXISTS {{ ?this {top.path} ?h . "
        f"FILTER (sameTerm(?h, {sparql_term(value)})) }} }}"
    )
    return [query_for(ctx, top, SH.HasValueConstraintComponent, sparql, radius=top.length)]


def closed_allowed(shapes: Graph, shape: rdflib.term.Node) -> list[str]:
    """The predicates a closed shape allows: its property shapes' predicate paths and
    sh:ignoredProperties."""
    allowed = []
    for ps in shapes.objects(shape, SH.property):
        path = shapes.value(ps, SH.path)
        if isinstance(path, rdflib.URIRef):
            allowed.append(str(path))
    for head in shapes.objects(shape, SH.ignoredProperties):
        allowed += [str(t) for t in rdf_list(shapes, head)]
    return allowed


def not_in(var: str, iris: list[str]) -> str:
    """SPARQL expression: ``var`` is none of ``iris``."""
    if not iris:
        return "true"
    return f"{var} NOT IN ({', '.join(f'<{i}>' for i in iris)})"


def closed(
    ctx: Context, shape: rdflib.term.Node, flag: rdflib.term.Node, focus: Focus
) -> Condition | None:
    """sh:closed true inline: the focus node has a predicate the shape does not allow."""
    if not true_literal(flag):
        return None
    allowed = closed_allowed(ctx.shapes, shape)
    pv, ov = ctx.var("p"), ctx.var("o")
    return f"EXISTS {{ {focus.node} {pv} {ov} . FILTER ({not_in(pv, allowed)}) }}", 1


def closed_queries(ctx: Context, top: Top, flag: rdflib.term.Node) -> list[CompiledQuery]:
    """sh:closed true at the top level: one result per triple of a predicate not
    allowed (on a node shape only)."""
    if not true_literal(flag):
        return []
    if top.path is not None:
        raise NotCompiled("sh:closed on a property shape")
    allowed = closed_allowed(ctx.shapes, top.shape)
    sparql = (
        f"SELECT DISTINCT ?this ?path ?value WHERE {{ {top.targets} ?this ?path ?value . "
        f"FILTER ({not_in('?path', allowed)}) }}"
    )
    return [query_for(ctx, top, SH.ClosedConstraintComponent, sparql, path_var=True, radius=1)]
