"""Logical constraint components: sh:not, sh:and, sh:or, sh:xone — conditions on one
value node ``v`` built from the conditions of the nested shapes (Context.fails)."""

from __future__ import annotations

import rdflib

from kg.validation.compiler.base import Condition, Context, max_radius, rdf_list


def not_(ctx: Context, _shape: rdflib.term.Node, inner: rdflib.term.Node, v: str) -> Condition:
    """sh:not: ``v`` conforms to the shape."""
    expr, r = ctx.fails(inner, v)
    return f"!({expr})", r


def _members(ctx: Context, head: rdflib.term.Node, v: str) -> tuple[list[str], int | None]:
    """The fail conditions of the shapes of a list, and the largest radius."""
    members = [ctx.fails(m, v) for m in rdf_list(ctx.shapes, head)]
    return [f"({e})" for e, _ in members], max_radius(r for _, r in members)


def and_(ctx: Context, _shape: rdflib.term.Node, head: rdflib.term.Node, v: str) -> Condition:
    """sh:and: ``v`` fails one of the shapes."""
    fails, r = _members(ctx, head, v)
    return f"({' || '.join(fails) or 'false'})", r


def or_(ctx: Context, _shape: rdflib.term.Node, head: rdflib.term.Node, v: str) -> Condition:
    """sh:or: ``v`` fails every shape."""
    fails, r = _members(ctx, head, v)
    return f"({' && '.join(fails) or 'true'})", r


def xone(ctx: Context, _shape: rdflib.term.Node, head: rdflib.term.Node, v: str) -> Condition:
    """sh:xone: ``v`` conforms to none of the shapes, or to more than one."""
    fails, r = _members(ctx, head, v)
    total = " + ".join(f"IF({f}, 0, 1)" for f in fails) or "0"
    return f"((({total}) != 1))", r
