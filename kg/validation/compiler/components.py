"""The constraint components the compiler knows, keyed by component IRI, each with the
function that compiles it (one module per family, as pySHACL keeps them).

Two kinds: a *value* component is a condition on one value node (the focus node of a
node shape, or each value of a property shape's path), wrapped by the caller; a *focus*
component looks at the set of a focus node's values, with one function for its inline
form (nested shapes) and one for its top-level queries. Each function is called once for
every value of its parameter on the shape; the tables' order is the order of the
conditions and queries.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import rdflib
from rdflib import URIRef
from rdflib.namespace import RDF, RDFS, SH

# The family modules by their own names (not through the package, whose __init__
# imports this module's users).
import kg.validation.compiler.cardinality as cardinality
import kg.validation.compiler.logical as logical
import kg.validation.compiler.other as other
import kg.validation.compiler.property_pair as property_pair
import kg.validation.compiler.shape_based as shape_based
import kg.validation.compiler.string_based as string_based
import kg.validation.compiler.value_range as value_range
import kg.validation.compiler.value_type as value_type
from kg.validation.compiler.base import Condition, Context, Focus, NotCompiled, Top
from kg.validation.compiler.compiled import CompiledQuery

#: (ctx, shape, parameter value, value variable) -> condition
ValueCondition = Callable[[Context, rdflib.term.Node, rdflib.term.Node, str], Condition]
#: (ctx, shape, parameter value, focus) -> condition, or None when the value asks nothing
FocusCondition = Callable[[Context, rdflib.term.Node, rdflib.term.Node, Focus], Condition | None]
#: (ctx, the shape's top-level form, parameter value) -> its queries
FocusQueries = Callable[[Context, Top, rdflib.term.Node], list[CompiledQuery]]


@dataclass(frozen=True)
class ValueComponent:
    """A component checked on one value node at a time."""

    parameter: URIRef
    condition: ValueCondition


@dataclass(frozen=True)
class FocusComponent:
    """A component checked on the set of a focus node's values."""

    parameter: URIRef
    condition: FocusCondition
    queries: FocusQueries


VALUE_COMPONENTS: dict[URIRef, ValueComponent] = {
    SH.ClassConstraintComponent: ValueComponent(SH["class"], value_type.class_),
    SH.DatatypeConstraintComponent: ValueComponent(SH.datatype, value_type.datatype),
    SH.NodeKindConstraintComponent: ValueComponent(SH.nodeKind, value_type.node_kind),
    SH.InConstraintComponent: ValueComponent(SH["in"], other.in_),
    SH.PatternConstraintComponent: ValueComponent(SH.pattern, string_based.pattern),
    SH.MinLengthConstraintComponent: ValueComponent(SH.minLength, string_based.min_length),
    SH.MaxLengthConstraintComponent: ValueComponent(SH.maxLength, string_based.max_length),
    SH.MinInclusiveConstraintComponent: ValueComponent(SH.minInclusive, value_range.min_inclusive),
    SH.MaxInclusiveConstraintComponent: ValueComponent(SH.maxInclusive, value_range.max_inclusive),
    SH.MinExclusiveConstraintComponent: ValueComponent(SH.minExclusive, value_range.min_exclusive),
    SH.MaxExclusiveConstraintComponent: ValueComponent(SH.maxExclusive, value_range.max_exclusive),
    SH.LanguageInConstraintComponent: ValueComponent(SH.languageIn, string_based.language_in),
    SH.NodeConstraintComponent: ValueComponent(SH.node, shape_based.node),
    SH.NotConstraintComponent: ValueComponent(SH["not"], logical.not_),
    SH.AndConstraintComponent: ValueComponent(SH["and"], logical.and_),
    SH.OrConstraintComponent: ValueComponent(SH["or"], logical.or_),
    SH.XoneConstraintComponent: ValueComponent(SH.xone, logical.xone),
}

FOCUS_COMPONENTS: dict[URIRef, FocusComponent] = {
    SH.MinCountConstraintComponent: FocusComponent(
        SH.minCount, cardinality.min_count, cardinality.min_count_queries
    ),
    SH.MaxCountConstraintComponent: FocusComponent(
        SH.maxCount, cardinality.max_count, cardinality.max_count_queries
    ),
    SH.HasValueConstraintComponent: FocusComponent(
        SH.hasValue, other.has_value, other.has_value_queries
    ),
    SH.UniqueLangConstraintComponent: FocusComponent(
        SH.uniqueLang, string_based.unique_lang, string_based.unique_lang_queries
    ),
    SH.QualifiedMinCountConstraintComponent: FocusComponent(
        SH.qualifiedValueShape,
        shape_based.qualified_min_count,
        shape_based.qualified_min_count_queries,
    ),
    SH.QualifiedMaxCountConstraintComponent: FocusComponent(
        SH.qualifiedValueShape,
        shape_based.qualified_max_count,
        shape_based.qualified_max_count_queries,
    ),
    SH.EqualsConstraintComponent: FocusComponent(
        SH.equals, property_pair.equals, property_pair.equals_queries
    ),
    SH.DisjointConstraintComponent: FocusComponent(
        SH.disjoint, property_pair.disjoint, property_pair.disjoint_queries
    ),
    SH.LessThanConstraintComponent: FocusComponent(
        SH.lessThan, property_pair.less_than, property_pair.less_than_queries
    ),
    SH.LessThanOrEqualsConstraintComponent: FocusComponent(
        SH.lessThanOrEquals,
        property_pair.less_than_or_equals,
        property_pair.less_than_or_equals_queries,
    ),
    SH.ClosedConstraintComponent: FocusComponent(SH.closed, other.closed, other.closed_queries),
}

# Shape-graph properties that are not constraints, or are parameters of one above beside
# the one it is keyed by (and sh:property and sh:sparql, compiled where shapes are put
# together).
_KNOWN = {
    RDF.type,
    SH.path,
    SH.targetClass,
    SH.targetNode,
    SH.targetSubjectsOf,
    SH.targetObjectsOf,
    SH.property,
    SH.sparql,
    SH.severity,
    SH.message,
    SH.deactivated,
    SH.name,
    SH.description,
    SH.order,
    SH.group,
    SH.defaultValue,
    SH.flags,
    SH.ignoredProperties,
    SH.qualifiedMinCount,
    SH.qualifiedMaxCount,
    SH.qualifiedValueShapesDisjoint,
    RDFS.label,
    RDFS.comment,
    RDFS.seeAlso,
    RDFS.isDefinedBy,
    RDFS.subClassOf,
}
_PARAMETERS = {c.parameter for c in VALUE_COMPONENTS.values()} | {
    c.parameter for c in FOCUS_COMPONENTS.values()
}
_SH = str(SH)


def check_supported(shapes: rdflib.Graph, shape: rdflib.term.Node) -> None:
    """Raise NotCompiled when ``shape`` uses a SHACL parameter not compiled here."""
    for p in set(shapes.predicates(shape)):
        if p in _PARAMETERS or p in _KNOWN:
            continue
        if str(p).startswith(_SH):
            raise NotCompiled(f"sh:{str(p)[len(_SH) :]}")


def value_conditions(
    ctx: Context, shape: rdflib.term.Node, v: str
) -> list[tuple[URIRef, str, int | None]]:
    """(component, SPARQL expression true when value ``v`` violates it, radius) for each
    value component of ``shape``."""
    out = []
    for component, entry in VALUE_COMPONENTS.items():
        for value in ctx.shapes.objects(shape, entry.parameter):
            expr, radius = entry.condition(ctx, shape, value, v)
            out.append((component, expr, radius))
    return out


def focus_conditions(ctx: Context, shape: rdflib.term.Node, focus: Focus) -> list[Condition]:
    """The inline conditions of the focus components of ``shape`` (counts, pairs,
    closed...), as boolean expressions over ``focus``."""
    out = []
    for entry in FOCUS_COMPONENTS.values():
        for value in ctx.shapes.objects(shape, entry.parameter):
            condition = entry.condition(ctx, shape, value, focus)
            if condition is not None:
                out.append(condition)
    return out


def focus_queries(ctx: Context, top: Top) -> list[CompiledQuery]:
    """The top-level queries of the focus components of ``top``'s shape."""
    out = []
    for entry in FOCUS_COMPONENTS.values():
        for value in ctx.shapes.objects(top.shape, entry.parameter):
            out += entry.queries(ctx, top, value)
    return out
