"""Property paths: a SHACL path as SPARQL property-path text, with its length (the hops
it spans; None when unbounded), recording the predicates it follows in the context."""

from __future__ import annotations

import rdflib
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, SH

from kg.validation.compiler.base import Context, NotCompiled, rdf_list

_REPEATS = ((SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"), (SH.zeroOrOnePath, "?"))


def compile_path(
    ctx: Context, node: rdflib.term.Node, inverse: bool = False
) -> tuple[str, int | None]:
    """SPARQL path text and its length (None: unbounded); ``inverse``: the path is
    followed backwards (inside an sh:inversePath)."""
    g = ctx.shapes
    if isinstance(node, URIRef):
        (ctx.inverse if inverse else ctx.predicates).add(str(node))
        return f"<{node}>", 1
    if isinstance(node, Literal):
        raise NotCompiled("a literal as a path")
    if (node, RDF.first, None) in g:
        parts = _members(ctx, node, inverse, "a sequence path")
        lengths = [n for _, n in parts]
        length = None if None in lengths else sum(n or 0 for n in lengths)
        return "(" + "/".join(t for t, _ in parts) + ")", length
    inv = g.value(node, SH.inversePath)
    if inv is not None:
        text, length = compile_path(ctx, inv, not inverse)
        return f"(^{text})", length
    alt = g.value(node, SH.alternativePath)
    if alt is not None:
        parts = _members(ctx, alt, inverse, "an alternative path")
        lengths = [n for _, n in parts]
        length = None if None in lengths else max(n or 0 for n in lengths)
        return "(" + "|".join(t for t, _ in parts) + ")", length
    for prop, suffix in _REPEATS:
        inner = g.value(node, prop)
        if inner is not None:
            text, length = compile_path(ctx, inner, inverse)
            return f"({text}){suffix}", (length if suffix == "?" else None)
    raise NotCompiled(f"the path {node}")


def _members(
    ctx: Context, head: rdflib.term.Node, inverse: bool, what: str
) -> list[tuple[str, int | None]]:
    """The compiled members of a sequence or alternative path (two or more)."""
    parts = [compile_path(ctx, p, inverse) for p in rdf_list(ctx.shapes, head)]
    if len(parts) < 2:
        raise NotCompiled(f"{what} of fewer than two members")
    return parts
