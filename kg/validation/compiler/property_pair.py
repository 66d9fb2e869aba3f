"""Property pair constraint components: sh:equals, sh:disjoint, sh:lessThan,
sh:lessThanOrEquals — the values of the path compared with those of another property.

Each component gives the group patterns (no UNION) that match once per violation at the
focus node ``x``; inline they become ``EXISTS`` tests, at the top level one query each.
A pattern comes with True when the value is ``x`` itself (a node shape) and False when
it binds ``v`` to the value, and with the variable of the other value when each pair is
a result of its own (sh:lessThan), else "".
"""

from __future__ import annotations

from collections.abc import Callable

import rdflib
from rdflib import URIRef
from rdflib.namespace import SH

from kg.validation.compiler.base import (
    Condition,
    Context,
    Focus,
    NotCompiled,
    Top,
    max_radius,
    query_for,
)
from kg.validation.compiler.compiled import CompiledQuery
from kg.validation.compiler.literals import value_of

#: A group pattern, whether its value is the focus node, the other value's variable.
Pattern = tuple[str, bool, str]
#: (ctx, focus node x, path or None, value variable v, other property) -> patterns
Patterns = Callable[[Context, str, str | None, str, rdflib.term.Node], list[Pattern]]


def _other(ctx: Context, component: URIRef, other: rdflib.term.Node) -> tuple[str, str]:
    """The other property in SPARQL syntax (recorded as followed) and a fresh variable
    for its values."""
    if not isinstance(other, URIRef):
        raise NotCompiled(f"{component} with a non-IRI property")
    ctx.predicates.add(str(other))
    return f"<{other}>", ctx.var("w")


def _equals(ctx: Context, x: str, p: str | None, v: str, other: rdflib.term.Node) -> list[Pattern]:
    q, w = _other(ctx, SH.EqualsConstraintComponent, other)
    if p is None:
        return [
            (f"FILTER NOT EXISTS {{ {x} {q} {w} . FILTER (sameTerm({w}, {x})) }}", True, ""),
            (f"{x} {q} {v} . FILTER (!sameTerm({v}, {x}))", False, ""),
        ]
    missing = f"FILTER NOT EXISTS {{ {x} %s {w} . FILTER (sameTerm({w}, {v})) }}"
    return [
        (f"{x} {p} {v} . " + missing % q, False, ""),
        (f"{x} {q} {v} . " + missing % p, False, ""),
    ]


def _disjoint(
    ctx: Context, x: str, p: str | None, v: str, other: rdflib.term.Node
) -> list[Pattern]:
    q, w = _other(ctx, SH.DisjointConstraintComponent, other)
    if p is None:
        return [(f"{x} {q} {w} . FILTER (sameTerm({w}, {x}))", True, "")]
    return [(f"{x} {p} {v} . {x} {q} {w} . FILTER (sameTerm({w}, {v}))", False, "")]


def _ordered(component: URIRef, op: str) -> Patterns:
    """The patterns of sh:lessThan (``op`` "<") or sh:lessThanOrEquals ("<=")."""

    def patterns(
        ctx: Context, x: str, p: str | None, v: str, other: rdflib.term.Node
    ) -> list[Pattern]:
        q, w = _other(ctx, component, other)
        if p is None:
            raise NotCompiled(f"{component} on a node shape")
        # One result per (value, other value) pair that is not ordered, as the spec says.
        test = f"!COALESCE({value_of(v)} {op} {value_of(w)}, false)"
        return [(f"{x} {p} {v} . {x} {q} {w} . FILTER ({test})", False, w)]

    return patterns


_less_than = _ordered(SH.LessThanConstraintComponent, "<")
_less_than_or_equals = _ordered(SH.LessThanOrEqualsConstraintComponent, "<=")


def _inline(patterns: Patterns, ctx: Context, other: rdflib.term.Node, focus: Focus) -> Condition:
    v = ctx.var()
    found = patterns(ctx, focus.node, focus.path, v, other)
    expr = " || ".join(f"EXISTS {{ {pattern} }}" for pattern, _, _ in found)
    return f"({expr})", max_radius([focus.length, 1])


def _queries(
    component: URIRef, patterns: Patterns, ctx: Context, top: Top, other: rdflib.term.Node
) -> list[CompiledQuery]:
    out = []
    for pattern, is_focus, pair_var in patterns(ctx, "?this", top.path, "?value", other):
        head = "?this" if is_focus else f"?this ?value {pair_var}"
        sparql = f"SELECT DISTINCT {head} WHERE {{ {top.targets} {pattern} }}"
        radius = max_radius([top.length, 1])
        out.append(query_for(ctx, top, component, sparql, radius=radius, value_is_focus=is_focus))
    return out


def equals(
    ctx: Context, _shape: rdflib.term.Node, other: rdflib.term.Node, focus: Focus
) -> Condition:
    """sh:equals inline: a value of the path is not one of the other property, or back."""
    return _inline(_equals, ctx, other, focus)


def equals_queries(ctx: Context, top: Top, other: rdflib.term.Node) -> list[CompiledQuery]:
    """sh:equals at the top level."""
    return _queries(SH.EqualsConstraintComponent, _equals, ctx, top, other)


def disjoint(
    ctx: Context, _shape: rdflib.term.Node, other: rdflib.term.Node, focus: Focus
) -> Condition:
    """sh:disjoint inline: a value of the path is also one of the other property."""
    return _inline(_disjoint, ctx, other, focus)


def disjoint_queries(ctx: Context, top: Top, other: rdflib.term.Node) -> list[CompiledQuery]:
    """sh:disjoint at the top level."""
    return _queries(SH.DisjointConstraintComponent, _disjoint, ctx, top, other)


def less_than(
    ctx: Context, _shape: rdflib.term.Node, other: rdflib.term.Node, focus: Focus
) -> Condition:
    """sh:lessThan inline: a value of the path is not below one of the other property."""
    return _inline(_less_than, ctx, other, focus)


def less_than_queries(ctx: Context, top: Top, other: rdflib.term.Node) -> list[CompiledQuery]:
    """sh:lessThan at the top level: one result per pair of values out of order."""
    return _queries(SH.LessThanConstraintComponent, _less_than, ctx, top, other)


def less_than_or_equals(
    ctx: Context, _shape: rdflib.term.Node, other: rdflib.term.Node, focus: Focus
) -> Condition:
    """sh:lessThanOrEquals inline: a value of the path is above one of the other property."""
    return _inline(_less_than_or_equals, ctx, other, focus)


def less_than_or_equals_queries(
    ctx: Context, top: Top, other: rdflib.term.Node
) -> list[CompiledQuery]:
    """sh:lessThanOrEquals at the top level: one result per pair of values out of order."""
    return _queries(SH.LessThanOrEqualsConstraintComponent, _less_than_or_equals, ctx, top, other)
