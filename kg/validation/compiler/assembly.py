"""Query assembly: every top-level shape compiled into one query per constraint.

A node shape's value components test the focus node itself; a property shape's test
each value of its path; the focus components give their own queries
(:mod:`kg.validation.compiler.components`). A property shape nested in a property shape
gets as focus nodes the values of the outer path, the outer focus nodes kept in the rows
(``keep``).
"""

from __future__ import annotations

import re

import rdflib
from rdflib import BNode, Graph, Literal
from rdflib.namespace import SH

from kg.validation.compiler.base import (
    Context,
    NotCompiled,
    Top,
    add_radius,
    is_true,
    max_radius,
    query_for,
)
from kg.validation.compiler.compiled import Compiled, CompiledQuery
from kg.validation.compiler.components import check_supported, focus_queries, value_conditions
from kg.validation.compiler.nested import fails
from kg.validation.compiler.paths import compile_path
from kg.validation.compiler.sparql import sparql_queries
from kg.validation.compiler.targets import target_spec, targets, top_level_shapes
from kg.validation.terms import named_shape, path_str

_IRI = re.compile(r"<[^<>\"{}|^`\\\s]*>")


def compile_shapes(shapes: Graph) -> Compiled:
    """Compile every top-level shape; those that cannot be go to ``fallback``."""
    queries: list[CompiledQuery] = []
    fallback: dict[str, str] = {}
    predicates: set[str] = set()
    inverse: set[str] = set()
    radius: int | None = 0
    for shape in top_level_shapes(shapes):
        ctx = Context(shapes, fails)
        try:
            compiled = _compile_top(ctx, shape)
        except NotCompiled as exc:
            fallback[f"_:{shape}" if isinstance(shape, BNode) else str(shape)] = str(exc)
            continue
        spec = target_spec(shapes, shape)
        for q in compiled:
            q.targets = spec
        queries += compiled
        predicates |= ctx.predicates
        inverse |= ctx.inverse
        radius = max_radius([radius, *(q.radius for q in compiled if q.kind == "core")])
    for q in queries:
        q.shape_name = named_shape(shapes, q.shape)
        q.path_text = path_str(shapes, q.path) if q.path is not None else None
    literal_focus = (
        any(isinstance(n, Literal) for n in shapes.objects(None, SH.targetNode))
        or (None, SH.targetObjectsOf, None) in shapes
    )
    return Compiled(queries, fallback, predicates, inverse, radius, literal_focus)


def _compile_top(ctx: Context, shape: rdflib.term.Node) -> list[CompiledQuery]:
    g = ctx.shapes
    if is_true(g, shape, SH.deactivated):
        return []
    pattern = targets(ctx, shape)
    if pattern is None:
        return []
    if g.value(shape, SH.path) is not None:
        return _property_shape_queries(ctx, shape, pattern)
    out = _node_shape_queries(ctx, shape, pattern)
    for ps in g.objects(shape, SH.property):
        if not is_true(g, ps, SH.deactivated):
            out += _property_shape_queries(ctx, ps, pattern)
    return out


def _node_shape_queries(ctx: Context, shape: rdflib.term.Node, pattern: str) -> list[CompiledQuery]:
    check_supported(ctx.shapes, shape)
    top = Top(shape, pattern)
    return _value_queries(ctx, top) + focus_queries(ctx, top) + sparql_queries(ctx, top)


def _property_shape_queries(
    ctx: Context, shape: rdflib.term.Node, pattern: str, keep: str = ""
) -> list[CompiledQuery]:
    check_supported(ctx.shapes, shape)
    path_node = ctx.shapes.value(shape, SH.path)
    if path_node is None:
        raise NotCompiled("sh:property without sh:path")
    path, length = compile_path(ctx, path_node)
    # a predicate path at the top level: minCount/maxCount 1 may run grouped
    group_predicate = path if not keep and _IRI.fullmatch(path) else ""
    top = Top(shape, pattern, path, path_node, length, group_predicate)
    out = _value_queries(ctx, top) + focus_queries(ctx, top)
    out += _nested_property_queries(ctx, top, keep)
    out += sparql_queries(ctx, top)
    if keep:
        for q in out:
            if q.kind == "sparql":
                raise NotCompiled("sh:sparql in a property shape nested in a property shape")
            q.sparql = _keep(q.sparql, keep)
    return out


def _value_queries(ctx: Context, top: Top) -> list[CompiledQuery]:
    """One query per value component: on a node shape the focus node is the value."""
    out = []
    if top.path is None:
        for component, expr, r in value_conditions(ctx, top.shape, "?this"):
            sparql = f"SELECT DISTINCT ?this WHERE {{ {top.targets} FILTER ({expr}) }}"
            out.append(query_for(ctx, top, component, sparql, value_is_focus=True, radius=r))
        return out
    for component, expr, r in value_conditions(ctx, top.shape, "?value"):
        sparql = (
            f"SELECT DISTINCT ?this ?value WHERE {{ {top.targets} "
            f"?this {top.path} ?value . FILTER ({expr}) }}"
        )
        out.append(query_for(ctx, top, component, sparql, radius=add_radius(top.length, r)))
    return out


def _nested_property_queries(ctx: Context, top: Top, keep: str) -> list[CompiledQuery]:
    """sh:property on a property shape: the value nodes are the nested shape's focus
    nodes, and its results are reported as they are."""
    out = []
    for ps in ctx.shapes.objects(top.shape, SH.property):
        if is_true(ctx.shapes, ps, SH.deactivated):
            continue
        # A value reached from two focus nodes is checked (and reported) once for each,
        # as the W3C suite and pySHACL have it: the outer focus nodes stay in the rows.
        n = ctx.number()
        inner_keep = f"{keep} ?outer{n}".strip()
        nested = (
            f"{{ SELECT DISTINCT ?this {inner_keep} WHERE {{ "
            f"{{ SELECT (?this AS ?outer{n}) {keep} WHERE {{ {top.targets} }} }} "
            f"?outer{n} {top.path} ?this . }} }}"
        )
        for q in _property_shape_queries(ctx, ps, nested, keep=inner_keep):
            q.restrictable = False
            q.radius = None
            out.append(q)
    return out


def _keep(sparql: str, keep: str) -> str:
    """Project (and group by) the ``keep`` variables too."""
    for head in ("SELECT DISTINCT ?this ", "SELECT ?this "):
        if sparql.startswith(head):
            sparql = f"{head}{keep} {sparql[len(head) :]}"
            break
    else:
        raise NotCompiled("a nested property shape query of an unexpected form")
    return sparql.replace("GROUP BY ?this ", f"GROUP BY ?this {keep} ")
