"""Nested shapes inlined: a shape referred to by sh:node, sh:not, sh:and, sh:or, sh:xone,
sh:qualifiedValueShape or sh:property becomes a SPARQL expression, true when a node
does not conform to it, built from ``EXISTS`` patterns (see Context.fails)."""

from __future__ import annotations

import rdflib
from rdflib.namespace import SH

from kg.validation.compiler.base import (
    Condition,
    Context,
    Focus,
    NotCompiled,
    add_radius,
    is_true,
    max_radius,
)
from kg.validation.compiler.components import check_supported, focus_conditions, value_conditions
from kg.validation.compiler.paths import compile_path


def fails(ctx: Context, shape: rdflib.term.Node, x: str) -> Condition:
    """A SPARQL expression true when ``x`` does not conform to ``shape``, and the
    radius it reads."""
    g = ctx.shapes
    if is_true(g, shape, SH.deactivated):
        return "false", 0
    check_supported(g, shape)
    if (shape, SH.sparql, None) in g:
        raise NotCompiled("sh:sparql inside a nested shape")
    path = g.value(shape, SH.path)
    parts = _node_parts(ctx, shape, x) if path is None else _path_parts(ctx, shape, x, path)
    if not parts:
        return "false", 0
    return (
        "(" + " || ".join(f"({e})" for e, _ in parts) + ")",
        max_radius(r for _, r in parts),
    )


def _node_parts(ctx: Context, shape: rdflib.term.Node, x: str) -> list[Condition]:
    """The conditions of a node shape on ``x`` itself."""
    parts: list[Condition] = [(expr, r) for _c, expr, r in value_conditions(ctx, shape, x)]
    parts += focus_conditions(ctx, shape, Focus(x))
    parts += [ctx.fails(ps, x) for ps in ctx.shapes.objects(shape, SH.property)]
    return parts


def _path_parts(
    ctx: Context, shape: rdflib.term.Node, x: str, path: rdflib.term.Node
) -> list[Condition]:
    """The conditions of a property shape on the values of its path at ``x``."""
    text, length = compile_path(ctx, path)
    v = ctx.var()
    parts: list[Condition] = [
        (f"EXISTS {{ {x} {text} {v} . FILTER ({expr}) }}", add_radius(length, r))
        for _c, expr, r in value_conditions(ctx, shape, v)
    ]
    parts += focus_conditions(ctx, shape, Focus(x, text, length))
    for ps in ctx.shapes.objects(shape, SH.property):
        w = ctx.var()
        expr, r = ctx.fails(ps, w)
        parts.append((f"EXISTS {{ {x} {text} {w} . FILTER ({expr}) }}", add_radius(length, r)))
    return parts
