"""Cardinality constraint components: sh:minCount and sh:maxCount on the values of a
focus node, inline (pairwise distinct values in an ``EXISTS``) and at the top level
(``NOT EXISTS`` or two distinct values for a count of one, which may run grouped;
counting otherwise)."""

from __future__ import annotations

import itertools

import rdflib
from rdflib import URIRef
from rdflib.namespace import SH

from kg.validation.compiler.base import (
    Condition,
    Context,
    Focus,
    NotCompiled,
    Top,
    integer,
    query_for,
)
from kg.validation.compiler.compiled import CompiledQuery

MIN_1, MAX_1 = "minCount 1", "maxCount 1"

# The largest count written inline (one variable per value).
_MAX_INLINE = 4


def at_least(ctx: Context, x: str, p: str, k: int, cond: str | None, negate: bool = False) -> str:
    """``EXISTS`` (or ``NOT EXISTS``) k pairwise distinct values of ``p`` at ``x``
    (each satisfying ``cond`` with ``%V%`` for the value) — the inline count."""
    if k <= 0:
        return "false" if negate else "true"
    if k > _MAX_INLINE:
        raise NotCompiled(f"a count of {k} inside a nested shape")
    vs = [ctx.var() for _ in range(k)]
    triples = " ".join(f"{x} {p} {v} ." for v in vs)
    filters = [f"!sameTerm({a}, {b})" for a, b in itertools.combinations(vs, 2)]
    if cond is not None:
        filters += [cond.replace("%V%", v) for v in vs]
    filt = f" FILTER ({' && '.join(filters)})" if filters else ""
    return f"{'NOT ' if negate else ''}EXISTS {{ {triples}{filt} }}"


def min_count(
    ctx: Context, _shape: rdflib.term.Node, n: rdflib.term.Node, focus: Focus
) -> Condition:
    """sh:minCount inline: fewer than ``n`` values."""
    if focus.path is None:
        raise NotCompiled("sh:minCount on a node shape")
    k = integer(n, SH.minCount)
    return at_least(ctx, focus.node, focus.path, k, None, negate=True), focus.length


def max_count(
    ctx: Context, _shape: rdflib.term.Node, n: rdflib.term.Node, focus: Focus
) -> Condition | None:
    """sh:maxCount inline: more than ``n`` values (on a property shape only)."""
    if focus.path is None:
        return None
    k = integer(n, SH.maxCount)
    return at_least(ctx, focus.node, focus.path, k + 1, None), focus.length


def min_count_queries(ctx: Context, top: Top, n: rdflib.term.Node) -> list[CompiledQuery]:
    """sh:minCount at the top level."""
    if top.path is None:
        raise NotCompiled("sh:minCount on a node shape")
    k = integer(n, SH.minCount)
    return [_count_query(ctx, top, top.path, SH.MinCountConstraintComponent, k, MIN_1, "<")]


def max_count_queries(ctx: Context, top: Top, n: rdflib.term.Node) -> list[CompiledQuery]:
    """sh:maxCount at the top level (on a property shape only)."""
    if top.path is None:
        return []
    k = integer(n, SH.maxCount)
    return [_count_query(ctx, top, top.path, SH.MaxCountConstraintComponent, k, MAX_1, ">")]


def _count_query(
    ctx: Context, top: Top, path: str, component: URIRef, k: int, kind: str, op: str
) -> CompiledQuery:
    """The query of a count ``k`` on ``top``'s ``path`` (``kind``: MIN_1 or MAX_1, ``op``
    the comparison that fails)."""
    group: tuple[str, str] | None = None
    if k == 1:  # the common case: NOT EXISTS, or two distinct values, beat counting
        sparql = f"SELECT DISTINCT ?this WHERE {{ {top.targets} {count_1(kind, path)} }}"
        group = (kind, top.targets) if top.group_predicate else None
    else:
        sparql = (
            f"SELECT ?this WHERE {{ {top.targets} OPTIONAL {{ ?this {path} ?v }} }} "
            f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) {op} {k})"
        )
    return query_for(
        ctx,
        top,
        component,
        sparql,
        radius=top.length,
        group=group,
        group_predicate=top.group_predicate if group else "",
    )


def count_1(kind: str, p: str) -> str:
    """The pattern of a focus node ``?this`` that violates minCount 1 or maxCount 1 on
    ``p`` (a predicate, or ``?p`` in a grouped query)."""
    if kind == MIN_1:
        return f"FILTER NOT EXISTS {{ ?this {p} ?v }}"
    if kind == MAX_1:
        return f"?this {p} ?v . ?this {p} ?w . FILTER (!sameTerm(?v, ?w))"
    raise ValueError(f"no query for {kind!r}")


def grouped_sparql(group: tuple[str, str], predicates: list[str]) -> str:
    """One query for the minCount 1 or maxCount 1 queries of one group (CompiledQuery.group)
    on ``predicates``: its rows give ``?this`` and, in ``?p``, the predicate whose
    constraint the focus node violates (what each query alone would return)."""
    kind, targets = group
    values = f"VALUES ?p {{ {' '.join(predicates)} }}"
    return f"SELECT DISTINCT ?this ?p WHERE {{ {targets} {values} {count_1(kind, '?p')} }}"
