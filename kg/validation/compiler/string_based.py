"""String-based constraint components: sh:minLength, sh:maxLength, sh:pattern (with
sh:flags), sh:languageIn (conditions on one value node ``v``) and sh:uniqueLang (on the
set of a focus node's values)."""

from __future__ import annotations

import re

import rdflib
from rdflib.namespace import SH

from kg.validation.compiler.base import (
    Condition,
    Context,
    Focus,
    NotCompiled,
    Top,
    integer,
    query_for,
    rdf_list,
    true_literal,
)
from kg.validation.compiler.compiled import CompiledQuery
from kg.validation.compiler.literals import escape, lang_of

_NON_PORTABLE = re.compile(r"\(\?[=!<P#]|\\[1-9AZzG]|\[\[:")


def _regex_portable(pattern: str) -> bool:
    """Patterns whose meaning is the same in Python ``re`` (pySHACL) and in XPath regex
    as pyoxigraph implements it: no look-around, back-references or Python-only anchors."""
    return _NON_PORTABLE.search(pattern) is None


def min_length(_ctx: Context, _shape: rdflib.term.Node, n: rdflib.term.Node, v: str) -> Condition:
    """sh:minLength: ``v`` is a blank node or its string is shorter than ``n``."""
    return f"(isBLANK({v}) || STRLEN(STR({v})) < {integer(n, SH.minLength)})", 0


def max_length(_ctx: Context, _shape: rdflib.term.Node, n: rdflib.term.Node, v: str) -> Condition:
    """sh:maxLength: ``v`` is a blank node or its string is longer than ``n``."""
    return f"(isBLANK({v}) || STRLEN(STR({v})) > {integer(n, SH.maxLength)})", 0


def pattern(ctx: Context, shape: rdflib.term.Node, pat: rdflib.term.Node, v: str) -> Condition:
    """sh:pattern: ``v`` is a blank node or its string does not match (with the shape's
    sh:flags)."""
    flags = ctx.shapes.value(shape, SH.flags)
    fl = f', "{escape(str(flags))}"' if flags is not None else ""
    if not _regex_portable(str(pat)):
        raise NotCompiled(f"sh:pattern {str(pat)!r} (regex syntax beyond the portable subset)")
    return f'(isBLANK({v}) || !REGEX(STR({v}), "{escape(str(pat))}"{fl}))', 0


def language_in(
    ctx: Context, _shape: rdflib.term.Node, head: rdflib.term.Node, v: str
) -> Condition:
    """sh:languageIn: ``v`` is not a literal whose tag matches one of the list."""
    tags = [str(t) for t in rdf_list(ctx.shapes, head)]
    lang = lang_of(v)
    tests = " || ".join(f'langMatches({lang}, "{escape(t)}")' for t in tags) or "false"
    return f"!(isLITERAL({v}) && ({tests}))", 0


def unique_lang(
    ctx: Context, _shape: rdflib.term.Node, flag: rdflib.term.Node, focus: Focus
) -> Condition | None:
    """sh:uniqueLang true: two values of the focus node share a language tag (on a
    property shape only)."""
    if focus.path is None or not true_literal(flag):
        return None
    x, p = focus.node, focus.path
    a, b = ctx.var("a"), ctx.var("b")
    return (
        f"EXISTS {{ {x} {p} {a} , {b} . FILTER (!sameTerm({a}, {b}) && "
        f'{lang_of(a)} != "" && LCASE({lang_of(a)}) = LCASE({lang_of(b)})) }}',
        focus.length,
    )


def unique_lang_queries(ctx: Context, top: Top, flag: rdflib.term.Node) -> list[CompiledQuery]:
    """sh:uniqueLang true at the top level: one result per focus node and shared tag."""
    if top.path is None or not true_literal(flag):
        return []
    la, lb = lang_of("?a"), lang_of("?b")
    sparql = (
        f"SELECT DISTINCT ?this (LCASE({la}) AS ?lang) WHERE {{ {top.targets} "
        f"?this {top.path} ?a , ?b . "
        f'FILTER (!sameTerm(?a, ?b) && {la} != "" && LCASE({la}) = LCASE({lb})) }}'
    )
    return [query_for(ctx, top, SH.UniqueLangConstraintComponent, sparql, radius=top.length)]
