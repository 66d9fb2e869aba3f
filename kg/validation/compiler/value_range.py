"""Value range constraint components: sh:minInclusive, sh:maxInclusive,
sh:minExclusive, sh:maxExclusive (each a condition on one value node ``v``).

A blank node, an IRI or an ill-typed literal never satisfies a range (as in pySHACL);
nor does a value that cannot be compared with the bound."""

from __future__ import annotations

import rdflib
from rdflib import Literal, URIRef
from rdflib.namespace import SH

from kg.validation.compiler.base import Condition, Context, NotCompiled
from kg.validation.compiler.literals import ill_typed_test, sparql_term, value_of


def _outside(parameter: URIRef, op: str, bound: rdflib.term.Node, v: str) -> Condition:
    """``v`` does not satisfy ``v op bound``."""
    if not isinstance(bound, Literal):
        raise NotCompiled(f"{parameter} with a non-literal bound")
    c = sparql_term(bound, encoded=False)
    expr = f"!COALESCE({value_of(v)} {op} {c}, false)"
    return f"(isBLANK({v}) || isIRI({v}) || {ill_typed_test(v)} || {expr})", 0


def min_inclusive(
    _ctx: Context, _shape: rdflib.term.Node, bound: rdflib.term.Node, v: str
) -> Condition:
    """sh:minInclusive: ``v`` is not >= ``bound``."""
    return _outside(SH.minInclusive, ">=", bound, v)


def max_inclusive(
    _ctx: Context, _shape: rdflib.term.Node, bound: rdflib.term.Node, v: str
) -> Condition:
    """sh:maxInclusive: ``v`` is not <= ``bound``."""
    return _outside(SH.maxInclusive, "<=", bound, v)


def min_exclusive(
    _ctx: Context, _shape: rdflib.term.Node, bound: rdflib.term.Node, v: str
) -> Condition:
    """sh:minExclusive: ``v`` is not > ``bound``."""
    return _outside(SH.minExclusive, ">", bound, v)


def max_exclusive(
    _ctx: Context, _shape: rdflib.term.Node, bound: rdflib.term.Node, v: str
) -> Condition:
    """sh:maxExclusive: ``v`` is not < ``bound``."""
    return _outside(SH.maxExclusive, "<", bound, v)
