"""Fast SHACL validation: SHACL Core shapes compiled into SPARQL run on pyoxigraph.

pySHACL stays the reference validator (``kg.validation.core``); this module is the fast path.
Every top-level constraint (one constraint component of one shape, for the focus nodes
of the shape's targets) becomes one SPARQL ``SELECT`` that returns exactly the focus
nodes (and value nodes) that violate it. Nested shapes (``sh:node``, ``sh:not``,
``sh:and``, ``sh:or``, ``sh:xone``, ``sh:qualifiedValueShape``) are inlined as a
``fails(shape, ?x)`` SPARQL expression built from ``EXISTS`` patterns, so a whole
validation is a few dozen queries whatever the size of the data.

What is compiled: targets (``sh:targetClass`` with the ``rdfs:subClassOf`` closure in the
data graph, implicit class targets, ``sh:targetNode``, ``sh:targetSubjectsOf``,
``sh:targetObjectsOf``); property paths (predicate, inverse, sequence, alternative,
zero-or-more, one-or-more, zero-or-one); ``sh:class``, ``sh:datatype``, ``sh:nodeKind``,
``sh:minCount``, ``sh:maxCount``, ``sh:in``, ``sh:hasValue``, ``sh:pattern``/``sh:flags``,
``sh:minLength``, ``sh:maxLength``, ``sh:minInclusive``, ``sh:maxInclusive``,
``sh:minExclusive``, ``sh:maxExclusive``, ``sh:languageIn``, ``sh:uniqueLang``,
``sh:equals``, ``sh:disjoint``, ``sh:lessThan``, ``sh:lessThanOrEquals``, ``sh:node``,
``sh:not``, ``sh:and``, ``sh:or``, ``sh:xone``, ``sh:qualifiedValueShape`` (with
``sh:qualifiedValueShapesDisjoint``), ``sh:closed``/``sh:ignoredProperties``,
``sh:sparql`` (SELECT-based, top level), ``sh:deactivated``, ``sh:severity``,
``sh:message``. A shape using anything else raises :class:`NotCompiled` naming the
feature; :mod:`kg.validation.core` then runs that shape through pySHACL.

Literals. The pyoxigraph ``Store`` normalises literals of the XSD types it knows
(``"05"^^xsd:integer`` is stored as ``5``, ``xsd:positiveInteger`` as ``xsd:integer``,
language tags in lower case), which would change ``sh:datatype``, ``sh:pattern``,
``sh:minLength``, ``sh:languageIn``, the counts and the reported values. So the data is
loaded into the validation store *encoded*: an XSD-typed literal becomes
``"LEX"^^<urn:x-govsm-enc:dt:DATATYPE>`` (``...:ill:`` when rdflib finds it ill-typed, as
pySHACL would), a language-tagged literal with upper-case letters in its tag becomes
``"LEX"^^<urn:x-govsm-enc:lang:TAG>``; the compiled queries decode them (``_dt``,
``_lang``, ``_val`` below) and :func:`decode` turns reported values back into the
original terms.
"""

from __future__ import annotations

import contextlib
import datetime
import itertools
import logging
import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import pyoxigraph as ox
import rdflib
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.namespace import RDF, RDFS, SH, XSD

from kg.rdf.engine import EngineError, to_ox

ENC_DT = "urn:x-govsm-enc:dt:"
ENC_ILL = "urn:x-govsm-enc:ill:"
ENC_LANG = "urn:x-govsm-enc:lang:"
_XSD = str(XSD)
_XSD_STRING = str(XSD.string)
_RDF_LANGSTRING = str(RDF.langString)

#: Components that may appear on a shape, by parameter (the key tells the component).
COMPONENTS = {
    SH["class"]: SH.ClassConstraintComponent,
    SH.datatype: SH.DatatypeConstraintComponent,
    SH.nodeKind: SH.NodeKindConstraintComponent,
    SH.minCount: SH.MinCountConstraintComponent,
    SH.maxCount: SH.MaxCountConstraintComponent,
    SH["in"]: SH.InConstraintComponent,
    SH.hasValue: SH.HasValueConstraintComponent,
    SH.pattern: SH.PatternConstraintComponent,
    SH.minLength: SH.MinLengthConstraintComponent,
    SH.maxLength: SH.MaxLengthConstraintComponent,
    SH.minInclusive: SH.MinInclusiveConstraintComponent,
    SH.maxInclusive: SH.MaxInclusiveConstraintComponent,
    SH.minExclusive: SH.MinExclusiveConstraintComponent,
    SH.maxExclusive: SH.MaxExclusiveConstraintComponent,
    SH.languageIn: SH.LanguageInConstraintComponent,
    SH.uniqueLang: SH.UniqueLangConstraintComponent,
    SH.equals: SH.EqualsConstraintComponent,
    SH.disjoint: SH.DisjointConstraintComponent,
    SH.lessThan: SH.LessThanConstraintComponent,
    SH.lessThanOrEquals: SH.LessThanOrEqualsConstraintComponent,
    SH.node: SH.NodeConstraintComponent,
    SH["not"]: SH.NotConstraintComponent,
    SH["and"]: SH.AndConstraintComponent,
    SH["or"]: SH.OrConstraintComponent,
    SH.xone: SH.XoneConstraintComponent,
    SH.qualifiedValueShape: SH.QualifiedMinCountConstraintComponent,  # and Max
    SH.closed: SH.ClosedConstraintComponent,
    SH.sparql: SH.SPARQLConstraintComponent,
}

# Shape-graph properties that are not constraints (or are parameters of one above).
_KNOWN = {
    RDF.type,
    SH.path,
    SH.targetClass,
    SH.targetNode,
    SH.targetSubjectsOf,
    SH.targetObjectsOf,
    SH.property,
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
# Other SHACL parameters: a shape using one of these is not compiled.
_SH = str(SH)

# rdf:type/rdfs:subClassOf* evaluated per value node is slow in pyoxigraph, so a class is
# written as the list of its subclasses (itself included), read from the data graph just
# before the queries run (see ``fill_subclasses``).
_SUBCLASSES = re.compile(r"%SUB\[([^\]]*)\]\[([^\]]*)\]%")


def subclasses(cls: str, sep: str = " ") -> str:
    """Placeholder for the subclasses of ``cls`` as SPARQL IRIs joined by ``sep``."""
    return f"%SUB[{cls}][{sep}]%"


def fill_subclasses(sparql: str, lookup: Callable[[str], list[str]]) -> str:
    """Replace every subclass placeholder with the IRIs ``lookup(cls)`` gives."""
    return _SUBCLASSES.sub(
        lambda m: m.group(2).join(f"<{iri}>" for iri in lookup(m.group(1))), sparql
    )


class NotCompiled(Exception):
    """A shape uses a feature the fast path does not compile (run it with pySHACL)."""


# ---------------------------------------------------------------------------
# Literal encoding
# ---------------------------------------------------------------------------

_ILL_CACHE: dict[tuple[str, str], bool] = {}


def ill_typed(lexical: str, datatype: str, quieted: bool = False) -> bool:
    """True when pySHACL (through rdflib) would not accept ``lexical`` as ``datatype``
    (``quieted``: the caller holds _quiet_rdflib already)."""
    key = (lexical, datatype)
    found = _ILL_CACHE.get(key)
    if found is None:
        if quieted:
            lit = Literal(lexical, datatype=URIRef(datatype))
        else:
            # rdflib logs a traceback for each lexical form it cannot convert: not news.
            with _quiet_rdflib():
                lit = Literal(lexical, datatype=URIRef(datatype))
        found = bool(getattr(lit, "ill_typed", False)) or not _actual(lit, datatype)
        if len(_ILL_CACHE) < 200_000:
            _ILL_CACHE[key] = found
    return found


@contextlib.contextmanager
def _quiet_rdflib() -> Iterator[None]:
    log = logging.getLogger("rdflib.term")
    level = log.level
    log.setLevel(logging.CRITICAL)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            yield
    finally:
        log.setLevel(level)


# pySHACL's DatatypeConstraintComponent._assert_actual_datatype, for the types it checks.
_ACTUAL_TYPES: dict[str, type] = {
    str(XSD.integer): int,
    str(XSD.float): float,
    str(XSD.decimal): Decimal,
    str(XSD.boolean): bool,
    str(XSD.date): datetime.date,
    str(XSD.time): datetime.time,
    str(XSD.dateTime): datetime.datetime,
}


def _actual(lit: Literal, datatype: str) -> bool:
    kind = _ACTUAL_TYPES.get(datatype)
    return kind is None or isinstance(lit.value, kind)


def encode_ox(
    term: ox.NamedNode | ox.BlankNode | ox.Literal, quieted: bool = False
) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """A pyoxigraph term as the validation store keeps it (see the module docstring);
    ``quieted``: see ill_typed."""
    if not isinstance(term, ox.Literal):
        return term
    lang = term.language
    if lang is not None:
        if lang != lang.lower():
            return ox.Literal(term.value, datatype=ox.NamedNode(ENC_LANG + lang))
        return term
    dt = term.datatype.value
    if dt.startswith(_XSD) and dt != _XSD_STRING:
        prefix = ENC_ILL if ill_typed(term.value, dt, quieted) else ENC_DT
        return ox.Literal(term.value, datatype=ox.NamedNode(prefix + dt))
    return term


def encode_quads(quads: Iterable[ox.Quad], graph: ox.NamedNode | None = None) -> list[ox.Quad]:
    """``quads`` with their objects encoded (and moved into ``graph`` when given). A quad
    that needs no change is passed on as it is (most of them: building quads is the
    cost at scale)."""
    return list(_encoded(quads, graph))


def _encoded(quads: Iterable[ox.Quad], graph: ox.NamedNode | None) -> Iterator[ox.Quad]:
    with _quiet_rdflib():  # once for every literal (entering it costs as much as one)
        for q in quads:
            obj = q.object
            if isinstance(obj, ox.Literal):
                enc = encode_ox(obj, quieted=True)
                if enc is not obj or graph is not None:
                    yield ox.Quad(
                        q.subject, q.predicate, enc, graph if graph is not None else q.graph_name
                    )
                    continue
            elif graph is not None:
                yield ox.Quad(q.subject, q.predicate, obj, graph)
                continue
            yield q


def from_rdflib(term: rdflib.term.Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """An rdflib term as a pyoxigraph term (unencoded, except a literal rdflib found
    ill-typed: rdflib may have rewritten its lexical form, e.g. ``"none"^^xsd:boolean``
    to ``"false"``, so it is marked ill-typed here)."""
    if (
        isinstance(term, Literal)
        and not term.language
        and term.datatype is not None
        and getattr(term, "ill_typed", False)
        and str(term.datatype).startswith(_XSD)
    ):
        return ox.Literal(str(term), datatype=ox.NamedNode(ENC_ILL + str(term.datatype)))
    try:
        return to_ox(term)
    except EngineError as exc:
        raise TypeError(f"not an RDF term: {term!r}") from exc


def decode(term: object) -> rdflib.term.Node:
    """A term read from the validation store as the original rdflib term."""
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language is not None:
            return Literal(term.value, lang=term.language)
        dt = term.datatype.value
        for prefix in (ENC_DT, ENC_ILL):
            if dt.startswith(prefix):
                # normalize=False: rdflib would rewrite "05"^^xsd:integer as "5".
                return Literal(term.value, datatype=URIRef(dt[len(prefix) :]), normalize=False)
        if dt.startswith(ENC_LANG):
            return Literal(term.value, lang=dt[len(ENC_LANG) :])
        if dt == _XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(dt), normalize=False)
    raise TypeError(f"not an RDF term: {term!r}")


def _esc(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace('"', '\\"')
        .replace("\n", "\\n")
        .replace("\r", "\\r")
        .replace("\t", "\\t")
    )


def sparql_term(term: rdflib.term.Node, encoded: bool = True) -> str:
    """A shapes-graph constant in SPARQL syntax (encoded like the data unless told)."""
    if isinstance(term, URIRef):
        return f"<{term}>"
    if isinstance(term, BNode):
        raise NotCompiled("a blank node as a constant (sh:in, sh:hasValue, sh:targetNode)")
    if isinstance(term, Literal):
        ox_term = from_rdflib(term)
        if encoded:
            ox_term = encode_ox(ox_term)
        if ox_term.language is not None:
            return f'"{_esc(ox_term.value)}"@{ox_term.language}'
        return f'"{_esc(ox_term.value)}"^^<{ox_term.datatype.value}>'
    raise NotCompiled(f"constant {term!r}")


def _dt(v: str) -> str:
    """SPARQL expression: the original datatype of an encoded literal ``v``."""
    s = f"STR(DATATYPE({v}))"
    return (
        f'IF(STRSTARTS({s}, "{ENC_DT}"), IRI(STRAFTER({s}, "{ENC_DT}")), '
        f'IF(STRSTARTS({s}, "{ENC_ILL}"), IRI(STRAFTER({s}, "{ENC_ILL}")), '
        f'IF(STRSTARTS({s}, "{ENC_LANG}"), <{_RDF_LANGSTRING}>, DATATYPE({v}))))'
    )


def _lang(v: str) -> str:
    """SPARQL expression: the language tag of an encoded literal ``v`` ("" if none)."""
    s = f"STR(DATATYPE({v}))"
    return f'IF(STRSTARTS({s}, "{ENC_LANG}"), STRAFTER({s}, "{ENC_LANG}"), LANG({v}))'


def _val(v: str) -> str:
    """SPARQL expression: the value of ``v`` (a decoded literal) for comparisons."""
    s = f"STR(DATATYPE({v}))"
    return (
        f"IF(isLITERAL({v}), "
        f'IF(STRSTARTS({s}, "{ENC_DT}"), STRDT(STR({v}), IRI(STRAFTER({s}, "{ENC_DT}"))), '
        f'IF(STRSTARTS({s}, "{ENC_ILL}"), STRDT(STR({v}), IRI(STRAFTER({s}, "{ENC_ILL}"))), '
        f'IF(STRSTARTS({s}, "{ENC_LANG}"), STRLANG(STR({v}), STRAFTER({s}, "{ENC_LANG}")), {v}))), '
        f"{v})"
    )


# ---------------------------------------------------------------------------
# Compiled queries
# ---------------------------------------------------------------------------


@dataclass
class CompiledQuery:
    """One top-level constraint as a SPARQL SELECT over ``?this`` (and ``?value``)."""

    shape: rdflib.term.Node  # the shape that declares the constraint
    component: str
    severity: str
    messages: list[Literal]
    path: rdflib.term.Node | None  # the property shape's path (shapes-graph node)
    sparql: str
    kind: str = "core"  # "core" or "sparql"
    value_is_focus: bool = False  # node-shape constraint: sh:value is the focus node
    path_var: bool = False  # the row's ?path gives the result path (sh:closed, sh:sparql)
    sparql_message: list[Literal] = field(default_factory=list)
    radius: int | None = 0  # hops from a focus node to the triples the check reads
    restrictable: bool = True  # results are about the shape's own focus nodes
    shape_name: str = ""  # the named shape the results name (kg.validation.core.named_shape)
    # The top-level shape's targets: {"class": [...], "node": [...], "subjectsOf": [...],
    # "objectsOf": [...]} (IRIs; target nodes in SPARQL syntax), to tell which queries
    # a given focus node can appear in.
    targets: dict[str, list[str]] = field(default_factory=dict)
    path_text: str | None = None  # the result path in SPARQL syntax (kg.validation.core.path_str)
    # Queries with the same group (a kind and the targets' SPARQL) may run as one
    # (grouped_sparql): the targets are then enumerated once for all their predicates.
    group: tuple[str, str] | None = None
    group_predicate: str = ""  # the predicate (SPARQL syntax) this query checks


@dataclass
class Compiled:
    """The compiled shapes graph."""

    queries: list[CompiledQuery]
    fallback: dict[str, str]  # top-level shape (term string) -> why it is not compiled
    predicates: set[str]  # predicates the compiled paths follow (forward)
    inverse_predicates: set[str]  # predicates followed backwards (inverse paths)
    radius: int | None  # max hops a core constraint looks from its focus node; None: unbounded
    literal_focus: bool = False  # a literal can be a focus node (literal sh:targetNode,
    # sh:targetObjectsOf): incremental runs cannot mark it, so they re-check everything

    @property
    def fallback_shapes(self) -> list[str]:
        """The top-level shapes left to pySHACL."""
        return sorted(self.fallback)


def _severity(shapes: Graph, shape: rdflib.term.Node) -> str:
    sev = shapes.value(shape, SH.severity)
    return str(sev).rsplit("#", 1)[-1] if sev is not None else "Violation"


def _true(shapes: Graph, node: rdflib.term.Node, prop: URIRef) -> bool:
    value = shapes.value(node, prop)
    return isinstance(value, Literal) and value.toPython() is True


def _list(shapes: Graph, head: rdflib.term.Node) -> list[rdflib.term.Node]:
    if head == RDF.nil:
        return []
    if (head, RDF.first, None) not in shapes:
        raise NotCompiled("a malformed RDF list")
    return list(Collection(shapes, head))


class _Compiler:
    def __init__(self, shapes: Graph) -> None:
        self.g = shapes
        self.counter = itertools.count()
        self.predicates: set[str] = set()
        self.inverse: set[str] = set()

    def var(self, stem: str = "v") -> str:
        return f"?{stem}{next(self.counter)}"

    # -- paths ----------------------------------------------------------------------

    def path(self, node: rdflib.term.Node, inverse: bool = False) -> tuple[str, int | None]:
        """SPARQL path text and its length (None: unbounded)."""
        g = self.g
        if isinstance(node, URIRef):
            (self.inverse if inverse else self.predicates).add(str(node))
            return f"<{node}>", 1
        if isinstance(node, Literal):
            raise NotCompiled("a literal as a path")
        if (node, RDF.first, None) in g:
            parts = [self.path(p, inverse) for p in _list(g, node)]
            if len(parts) < 2:
                raise NotCompiled("a sequence path of fewer than two members")
            length = None if any(n is None for _, n in parts) else sum(n or 0 for _, n in parts)
            return "(" + "/".join(t for t, _ in parts) + ")", length
        inv = g.value(node, SH.inversePath)
        if inv is not None:
            text, length = self.path(inv, not inverse)
            return f"(^{text})", length
        alt = g.value(node, SH.alternativePath)
        if alt is not None:
            parts = [self.path(p, inverse) for p in _list(g, alt)]
            if len(parts) < 2:
                raise NotCompiled("an alternative path of fewer than two members")
            lengths = [n for _, n in parts]
            length = None if None in lengths else max(n or 0 for n in lengths)
            return "(" + "|".join(t for t, _ in parts) + ")", length
        for prop, suffix in (
            (SH.zeroOrMorePath, "*"),
            (SH.oneOrMorePath, "+"),
            (SH.zeroOrOnePath, "?"),
        ):
            inner = g.value(node, prop)
            if inner is not None:
                text, length = self.path(inner, inverse)
                return f"({text}){suffix}", (length if suffix == "?" else None)
        raise NotCompiled(f"the path {node}")

    # -- targets --------------------------------------------------------------------

    def targets(self, shape: rdflib.term.Node) -> str | None:
        """A group pattern binding ``?this`` to each focus node, or None (no target)."""
        g = self.g
        parts: list[str] = []
        classes = list(g.objects(shape, SH.targetClass))
        if (shape, RDF.type, RDFS.Class) in g and (
            (shape, RDF.type, SH.NodeShape) in g or (shape, RDF.type, SH.PropertyShape) in g
        ):
            classes.append(shape)
        for cls in classes:
            if not isinstance(cls, URIRef):
                raise NotCompiled("sh:targetClass that is not an IRI")
            t = self.var("t")
            parts.append(f"{{ VALUES {t} {{ {subclasses(str(cls))} }} ?this <{RDF.type}> {t} . }}")
        nodes = [sparql_term(n) for n in g.objects(shape, SH.targetNode)]
        if nodes:
            parts.append("{ VALUES ?this { " + " ".join(nodes) + " } }")
        for prop in g.objects(shape, SH.targetSubjectsOf):
            if not isinstance(prop, URIRef):
                raise NotCompiled("sh:targetSubjectsOf that is not an IRI")
            parts.append(f"{{ ?this <{prop}> [] . }}")
        for prop in g.objects(shape, SH.targetObjectsOf):
            if not isinstance(prop, URIRef):
                raise NotCompiled("sh:targetObjectsOf that is not an IRI")
            parts.append(f"{{ [] <{prop}> ?this . }}")
        for p, _o in g.predicate_objects(shape):
            if p == SH.target:
                raise NotCompiled("sh:target (SHACL-AF targets)")
        if not parts:
            return None
        return (
            # No DISTINCT sub-select: every query
            # projects DISTINCT rows or counts DISTINCT values, and the sub-select costs
            # half of a query's time.
            "{ " + " UNION ".join(parts) + " }"
        )

    # -- checking what a shape uses ---------------------------------------------------

    def check_supported(self, shape: rdflib.term.Node) -> None:
        for p in set(self.g.predicates(shape)):
            if p in COMPONENTS or p in _KNOWN:
                continue
            if str(p).startswith(_SH):
                raise NotCompiled(f"sh:{str(p)[len(_SH) :]}")

    # -- value conditions -------------------------------------------------------------

    def value_conditions(self, shape: rdflib.term.Node, v: str) -> list[tuple[URIRef, str, int]]:
        """(component, SPARQL boolean expression true when ``v`` violates it, radius) for
        each value-based constraint of ``shape``."""
        g = self.g
        out: list[tuple[URIRef, str, int]] = []
        for cls in g.objects(shape, SH["class"]):
            if not isinstance(cls, URIRef):
                raise NotCompiled("sh:class that is not an IRI")
            t = self.var("t")
            within = subclasses(str(cls), ", ")
            test = f"NOT EXISTS {{ {v} <{RDF.type}> {t} . FILTER ({t} IN ({within})) }}"
            out.append((SH.ClassConstraintComponent, test, 1))
        for dt in g.objects(shape, SH.datatype):
            out.append((SH.DatatypeConstraintComponent, self.datatype_violation(dt, v), 0))
        kinds = list(g.objects(shape, SH.nodeKind))
        for kind in kinds:
            tests = {
                SH.IRI: f"isIRI({v})",
                SH.BlankNode: f"isBLANK({v})",
                SH.Literal: f"isLITERAL({v})",
                SH.BlankNodeOrIRI: f"(isBLANK({v}) || isIRI({v}))",
                SH.BlankNodeOrLiteral: f"(isBLANK({v}) || isLITERAL({v}))",
                SH.IRIOrLiteral: f"(isIRI({v}) || isLITERAL({v}))",
            }
            if kind not in tests:
                raise NotCompiled(f"sh:nodeKind {kind}")
            out.append((SH.NodeKindConstraintComponent, f"!{tests[kind]}", 0))
        for head in g.objects(shape, SH["in"]):
            members = [sparql_term(m) for m in _list(g, head)]
            expr = " || ".join(f"sameTerm({v}, {m})" for m in members) or "false"
            out.append((SH.InConstraintComponent, f"!({expr})", 0))
        patterns = list(g.objects(shape, SH.pattern))
        flags = g.value(shape, SH.flags)
        for pat in patterns:
            fl = f', "{_esc(str(flags))}"' if flags is not None else ""
            if not _regex_portable(str(pat)):
                raise NotCompiled(
                    f"sh:pattern {str(pat)!r} (regex syntax beyond the portable subset)"
                )
            expr = f'(isBLANK({v}) || !REGEX(STR({v}), "{_esc(str(pat))}"{fl}))'
            out.append((SH.PatternConstraintComponent, expr, 0))
        for prop, op, comp in (
            (SH.minLength, "<", SH.MinLengthConstraintComponent),
            (SH.maxLength, ">", SH.MaxLengthConstraintComponent),
        ):
            for n in g.objects(shape, prop):
                n_int = _int(n, prop)
                out.append((comp, f"(isBLANK({v}) || STRLEN(STR({v})) {op} {n_int})", 0))
        for prop, op, comp in (
            (SH.minInclusive, ">=", SH.MinInclusiveConstraintComponent),
            (SH.maxInclusive, "<=", SH.MaxInclusiveConstraintComponent),
            (SH.minExclusive, ">", SH.MinExclusiveConstraintComponent),
            (SH.maxExclusive, "<", SH.MaxExclusiveConstraintComponent),
        ):
            for bound in g.objects(shape, prop):
                if not isinstance(bound, Literal):
                    raise NotCompiled(f"{prop} with a non-literal bound")
                c = sparql_term(bound, encoded=False)
                expr = f"!COALESCE({_val(v)} {op} {c}, false)"
                out.append((comp, f"(isBLANK({v}) || isIRI({v}) || {_ill(v)} || {expr})", 0))
        for head in g.objects(shape, SH.languageIn):
            tags = [str(t) for t in _list(g, head)]
            lang = _lang(v)
            tests = " || ".join(f'langMatches({lang}, "{_esc(t)}")' for t in tags) or "false"
            out.append((SH.LanguageInConstraintComponent, f"!(isLITERAL({v}) && ({tests}))", 0))
        for prop, comp in ((SH.node, SH.NodeConstraintComponent),):
            for inner in g.objects(shape, prop):
                expr, r = self.fails(inner, v)
                out.append((comp, expr, r))
        for inner in g.objects(shape, SH["not"]):
            expr, r = self.fails(inner, v)
            out.append((SH.NotConstraintComponent, f"!({expr})", r))
        for prop, comp in (
            (SH["and"], SH.AndConstraintComponent),
            (SH["or"], SH.OrConstraintComponent),
            (SH.xone, SH.XoneConstraintComponent),
        ):
            for head in g.objects(shape, prop):
                members = [self.fails(m, v) for m in _list(g, head)]
                r = _max_radius(r for _, r in members)
                fails = [f"({e})" for e, _ in members]
                if prop == SH["and"]:
                    expr = " || ".join(fails) or "false"
                elif prop == SH["or"]:
                    expr = " && ".join(fails) or "true"
                else:
                    total = " + ".join(f"IF({f}, 0, 1)" for f in fails) or "0"
                    expr = f"(({total}) != 1)"
                out.append((comp, f"({expr})", r))
        return out

    def datatype_violation(self, dt: rdflib.term.Node, v: str) -> str:
        if not isinstance(dt, URIRef):
            raise NotCompiled("sh:datatype that is not an IRI")
        d = str(dt)
        if d == _XSD_STRING:
            ok = f"(isLITERAL({v}) && DATATYPE({v}) = <{_XSD_STRING}>)"
        elif d == _RDF_LANGSTRING:
            ok = f'(isLITERAL({v}) && {_lang(v)} != "")'
        elif d.startswith(_XSD):
            ok = f"(isLITERAL({v}) && DATATYPE({v}) = <{ENC_DT}{d}>)"
        elif d == str(RDFS.Literal):
            ok = f"isLITERAL({v})"
        else:
            ok = f"(isLITERAL({v}) && DATATYPE({v}) = <{d}>)"
        return f"!{ok}"

    # -- nested shapes -----------------------------------------------------------------

    def fails(self, shape: rdflib.term.Node, x: str, stack: tuple = ()) -> tuple[str, int | None]:
        """A SPARQL expression true when ``x`` does not conform to ``shape``, and the
        radius it reads."""
        g = self.g
        if shape in stack or len(stack) > 8:
            raise NotCompiled("recursive shapes")
        stack = (*stack, shape)
        if _true(g, shape, SH.deactivated):
            return "false", 0
        self.check_supported(shape)
        if (shape, SH.sparql, None) in g:
            raise NotCompiled("sh:sparql inside a nested shape")
        parts: list[tuple[str, int | None]] = []
        path = g.value(shape, SH.path)
        if path is None:
            for _comp, expr, r in self.value_conditions(shape, x):
                parts.append((expr, r))
            for _comp, expr, r in self.shape_conditions(shape, x, None, 0):
                parts.append((expr, r))
            for ps in g.objects(shape, SH.property):
                parts.append(self.fails(ps, x, stack))
        else:
            text, length = self.path(path)
            v = self.var()
            for _comp, expr, r in self.value_conditions(shape, v):
                parts.append((f"EXISTS {{ {x} {text} {v} . FILTER ({expr}) }}", _add(length, r)))
            for _comp, expr, r in self.shape_conditions(shape, x, text, length):
                parts.append((expr, r))
            for ps in g.objects(shape, SH.property):
                w = self.var()
                expr, r = self.fails(ps, w, stack)
                parts.append((f"EXISTS {{ {x} {text} {w} . FILTER ({expr}) }}", _add(length, r)))
        if not parts:
            return "false", 0
        return (
            "(" + " || ".join(f"({e})" for e, _ in parts) + ")",
            _max_radius(r for _, r in parts),
        )

    def shape_conditions(
        self, shape: rdflib.term.Node, x: str, path: str | None, length: int | None
    ) -> list[tuple[URIRef, str, int | None]]:
        """Constraints on the whole set of values (counts, pairs, closed), as boolean
        expressions over the focus node ``x`` (inline form, for nested shapes)."""
        g = self.g
        out: list[tuple[URIRef, str, int | None]] = []
        p = path if path is not None else None
        if p is not None:
            for n in g.objects(shape, SH.minCount):
                k = _int(n, SH.minCount)
                out.append(
                    (
                        SH.MinCountConstraintComponent,
                        self._at_least(x, p, k, None, negate=True),
                        length,
                    )
                )
            for n in g.objects(shape, SH.maxCount):
                k = _int(n, SH.maxCount)
                out.append(
                    (SH.MaxCountConstraintComponent, self._at_least(x, p, k + 1, None), length)
                )
            for c in g.objects(shape, SH.hasValue):
                h = self.var("h")
                out.append(
                    (
                        SH.HasValueConstraintComponent,
                        f"NOT EXISTS {{ {x} {p} {h} . FILTER (sameTerm({h}, {sparql_term(c)})) }}",
                        length,
                    )
                )
            if _true(g, shape, SH.uniqueLang):
                a, b = self.var("a"), self.var("b")
                out.append(
                    (
                        SH.UniqueLangConstraintComponent,
                        f"EXISTS {{ {x} {p} {a} , {b} . FILTER (!sameTerm({a}, {b}) && "
                        f'{_lang(a)} != "" && LCASE({_lang(a)}) = LCASE({_lang(b)})) }}',
                        length,
                    )
                )
            for q in g.objects(shape, SH.qualifiedValueShape):
                out.extend(self._qualified_inline(shape, q, x, p, length))
        else:
            for c in g.objects(shape, SH.hasValue):
                out.append((SH.HasValueConstraintComponent, f"!sameTerm({x}, {sparql_term(c)})", 0))
            for _ in g.objects(shape, SH.minCount):
                raise NotCompiled("sh:minCount on a node shape")
            for _ in g.objects(shape, SH.qualifiedValueShape):
                raise NotCompiled("sh:qualifiedValueShape on a node shape")
        for prop, comp in (
            (SH.equals, SH.EqualsConstraintComponent),
            (SH.disjoint, SH.DisjointConstraintComponent),
            (SH.lessThan, SH.LessThanConstraintComponent),
            (SH.lessThanOrEquals, SH.LessThanOrEqualsConstraintComponent),
        ):
            for other in g.objects(shape, prop):
                v = self.var()
                alts = self.pair_alternatives(comp, x, p, v, other)
                expr = " || ".join(f"EXISTS {{ {pat} }}" for pat, _, _ in alts)
                out.append((comp, f"({expr})", _max_radius([length, 1])))
        if _true(g, shape, SH.closed):
            allowed = self.closed_allowed(shape)
            pv, ov = self.var("p"), self.var("o")
            out.append(
                (
                    SH.ClosedConstraintComponent,
                    f"EXISTS {{ {x} {pv} {ov} . FILTER ({self._not_in(pv, allowed)}) }}",
                    1,
                )
            )
        return out

    def _at_least(self, x: str, p: str, k: int, cond: str | None, negate: bool = False) -> str:
        """``EXISTS`` (or ``NOT EXISTS``) k pairwise distinct values of ``p`` at ``x``
        (each satisfying ``cond`` with ``%V%`` for the value) — the inline count."""
        if k <= 0:
            return "false" if negate else "true"
        if k > 4:
            raise NotCompiled(f"a count of {k} inside a nested shape")
        vs = [self.var() for _ in range(k)]
        triples = " ".join(f"{x} {p} {v} ." for v in vs)
        filters = [f"!sameTerm({a}, {b})" for a, b in itertools.combinations(vs, 2)]
        if cond is not None:
            filters += [cond.replace("%V%", v) for v in vs]
        filt = f" FILTER ({' && '.join(filters)})" if filters else ""
        return f"{'NOT ' if negate else ''}EXISTS {{ {triples}{filt} }}"

    def _qualified_inline(
        self, shape: rdflib.term.Node, q: rdflib.term.Node, x: str, p: str, length: int | None
    ) -> list[tuple[URIRef, str, int | None]]:
        conforms, r = self.qualified_conforms(shape, q, "%V%")
        out: list[tuple[URIRef, str, int | None]] = []
        lo = self.g.value(shape, SH.qualifiedMinCount)
        hi = self.g.value(shape, SH.qualifiedMaxCount)
        radius = _add(length, r)
        if lo is not None:
            k = _int(lo, SH.qualifiedMinCount)
            out.append(
                (
                    SH.QualifiedMinCountConstraintComponent,
                    self._at_least(x, p, k, conforms, negate=True),
                    radius,
                )
            )
        if hi is not None:
            k = _int(hi, SH.qualifiedMaxCount)
            out.append(
                (
                    SH.QualifiedMaxCountConstraintComponent,
                    self._at_least(x, p, k + 1, conforms),
                    radius,
                )
            )
        return out

    def qualified_conforms(
        self, shape: rdflib.term.Node, q: rdflib.term.Node, v: str
    ) -> tuple[str, int | None]:
        """Expression: value ``v`` conforms to ``q`` and (when disjoint) to no sibling."""
        expr, r = self.fails(q, v)
        conds = [f"!({expr})"]
        radii = [r]
        if _true(self.g, shape, SH.qualifiedValueShapesDisjoint):
            for parent in self.g.subjects(SH.property, shape):
                for sib_ps in self.g.objects(parent, SH.property):
                    for sib in self.g.objects(sib_ps, SH.qualifiedValueShape):
                        if sib == q:
                            continue
                        e, rr = self.fails(sib, v)
                        conds.append(f"({e})")
                        radii.append(rr)
        return " && ".join(conds), _max_radius(radii)

    def pair_alternatives(
        self, comp: URIRef, x: str, p: str | None, v: str, other: rdflib.term.Node
    ) -> list[tuple[str, bool, str]]:
        """Group patterns (no UNION) that match once per violation of a property-pair
        constraint at ``x``, each with True when the value is ``x`` itself (node shape)
        and False when the pattern binds ``v`` to the value, and the variable of the
        other value when each pair is a result of its own (sh:lessThan), else ""."""
        if not isinstance(other, URIRef):
            raise NotCompiled(f"{comp} with a non-IRI property")
        self.predicates.add(str(other))
        w = self.var("w")
        q = f"<{other}>"
        if comp == SH.EqualsConstraintComponent:
            if p is None:
                return [
                    (
                        f"FILTER NOT EXISTS {{ {x} {q} {w} . FILTER (sameTerm({w}, {x})) }}",
                        True,
                        "",
                    ),
                    (f"{x} {q} {v} . FILTER (!sameTerm({v}, {x}))", False, ""),
                ]
            return [
                (
                    f"{x} {p} {v} . FILTER NOT EXISTS {{ {x} {q} {w} . "
                    f"FILTER (sameTerm({w}, {v})) }}",
                    False,
                    "",
                ),
                (
                    f"{x} {q} {v} . FILTER NOT EXISTS {{ {x} {p} {w} . "
                    f"FILTER (sameTerm({w}, {v})) }}",
                    False,
                    "",
                ),
            ]
        if comp == SH.DisjointConstraintComponent:
            if p is None:
                return [(f"{x} {q} {w} . FILTER (sameTerm({w}, {x}))", True, "")]
            return [(f"{x} {p} {v} . {x} {q} {w} . FILTER (sameTerm({w}, {v}))", False, "")]
        if p is None:
            raise NotCompiled(f"{comp} on a node shape")
        op = "<" if comp == SH.LessThanConstraintComponent else "<="
        # One result per (value, other value) pair that is not ordered, as the spec says.
        return [
            (
                f"{x} {p} {v} . {x} {q} {w} . FILTER (!COALESCE({_val(v)} {op} {_val(w)}, false))",
                False,
                w,
            )
        ]

    def closed_allowed(self, shape: rdflib.term.Node) -> list[str]:
        allowed = []
        for ps in self.g.objects(shape, SH.property):
            path = self.g.value(ps, SH.path)
            if isinstance(path, URIRef):
                allowed.append(str(path))
        for head in self.g.objects(shape, SH.ignoredProperties):
            allowed += [str(t) for t in _list(self.g, head)]
        return allowed

    @staticmethod
    def _not_in(var: str, iris: list[str]) -> str:
        if not iris:
            return "true"
        return f"{var} NOT IN ({', '.join(f'<{i}>' for i in iris)})"


def _int(n: rdflib.term.Node, prop: URIRef) -> int:
    if not isinstance(n, Literal) or not isinstance(n.toPython(), int):
        raise NotCompiled(f"{prop} that is not an integer")
    return int(n.toPython())


def _add(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a + b


def _max_radius(radii: Iterable[int | None]) -> int | None:
    best = 0
    for r in radii:
        if r is None:
            return None
        best = max(best, r)
    return best


def _ill(v: str) -> str:
    # An ill-typed literal never satisfies a range constraint (as in pySHACL).
    return f'(isLITERAL({v}) && STRSTARTS(STR(DATATYPE({v})), "{ENC_ILL}"))'


_NON_PORTABLE = re.compile(r"\(\?[=!<P#]|\\[1-9AZzG]|\[\[:")


def _regex_portable(pattern: str) -> bool:
    """Patterns whose meaning is the same in Python ``re`` (pySHACL) and in XPath regex
    as pyoxigraph implements it: no look-around, back-references or Python-only anchors."""
    return _NON_PORTABLE.search(pattern) is None


# ---------------------------------------------------------------------------
# Compiling a shapes graph
# ---------------------------------------------------------------------------


def _messages(shapes: Graph, node: rdflib.term.Node) -> list[Literal]:
    return [m for m in shapes.objects(node, SH.message) if isinstance(m, Literal)]


def top_level_shapes(shapes: Graph) -> list[rdflib.term.Node]:
    """Shapes with at least one target (the ones validation starts from)."""
    found: set[rdflib.term.Node] = set()
    for prop in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target):
        found.update(shapes.subjects(prop, None))
    for kind in (SH.NodeShape, SH.PropertyShape):
        for s in shapes.subjects(RDF.type, kind):
            if (s, RDF.type, RDFS.Class) in shapes:
                found.add(s)
    return sorted(found, key=str)


def compile_shapes(shapes: Graph) -> Compiled:
    """Compile every top-level shape; those that cannot be go to ``fallback``."""
    queries: list[CompiledQuery] = []
    fallback: dict[str, str] = {}
    predicates: set[str] = set()
    inverse: set[str] = set()
    radius: int | None = 0
    for shape in top_level_shapes(shapes):
        c = _Compiler(shapes)
        try:
            compiled = _compile_top(c, shapes, shape)
        except NotCompiled as exc:
            fallback[_key(shape)] = str(exc)
            continue
        spec = target_spec(shapes, shape)
        for q in compiled:
            q.targets = spec
        queries += compiled
        predicates |= c.predicates
        inverse |= c.inverse
        radius = _max_radius([radius, *(q.radius for q in compiled if q.kind == "core")])
    from kg.validation.core import named_shape, path_str

    for q in queries:
        q.shape_name = named_shape(shapes, q.shape)
        q.path_text = path_str(shapes, q.path) if q.path is not None else None
    literal_focus = (
        any(isinstance(n, Literal) for n in shapes.objects(None, SH.targetNode))
        or (None, SH.targetObjectsOf, None) in shapes
    )
    return Compiled(queries, fallback, predicates, inverse, radius, literal_focus)


def target_spec(shapes: Graph, shape: rdflib.term.Node) -> dict[str, list[str]]:
    """The targets of a top-level shape (see ``CompiledQuery.targets``)."""
    classes = [str(c) for c in shapes.objects(shape, SH.targetClass)]
    if (shape, RDF.type, RDFS.Class) in shapes:
        classes.append(str(shape))
    return {
        "class": sorted(classes),
        "node": sorted(sparql_term(n) for n in shapes.objects(shape, SH.targetNode)),
        "subjectsOf": sorted(str(p) for p in shapes.objects(shape, SH.targetSubjectsOf)),
        "objectsOf": sorted(str(p) for p in shapes.objects(shape, SH.targetObjectsOf)),
    }


def _key(node: rdflib.term.Node) -> str:
    return f"_:{node}" if isinstance(node, BNode) else str(node)


def _compile_top(c: _Compiler, g: Graph, shape: rdflib.term.Node) -> list[CompiledQuery]:
    if _true(g, shape, SH.deactivated):
        return []
    targets = c.targets(shape)
    if targets is None:
        return []
    out: list[CompiledQuery] = []
    if g.value(shape, SH.path) is None:
        out += _node_shape_queries(c, g, shape, targets)
        for ps in g.objects(shape, SH.property):
            if _true(g, ps, SH.deactivated):
                continue
            out += _property_shape_queries(c, g, ps, targets, parent=shape)
    else:
        out += _property_shape_queries(c, g, shape, targets, parent=None)
    return out


def _query(
    c: _Compiler, g: Graph, shape: rdflib.term.Node, comp: URIRef, sparql: str, path=None, **kw
) -> CompiledQuery:
    return CompiledQuery(
        shape=shape,
        component=str(comp),
        severity=_severity(g, shape),
        messages=_messages(g, shape),
        path=path,
        sparql=sparql,
        **kw,
    )


def _node_shape_queries(
    c: _Compiler, g: Graph, shape: rdflib.term.Node, targets: str
) -> list[CompiledQuery]:
    c.check_supported(shape)
    out: list[CompiledQuery] = []
    for comp, expr, r in c.value_conditions(shape, "?this"):
        sparql = f"SELECT DISTINCT ?this WHERE {{ {targets} FILTER ({expr}) }}"
        out.append(_query(c, g, shape, comp, sparql, value_is_focus=True, radius=r))
    for comp, expr, r in c.shape_conditions(shape, "?this", None, 0):
        if comp == SH.ClosedConstraintComponent:
            allowed = c.closed_allowed(shape)
            sparql = (
                f"SELECT DISTINCT ?this ?path ?value WHERE {{ {targets} ?this ?path ?value . "
                f"FILTER ({c._not_in('?path', allowed)}) }}"
            )
            out.append(_query(c, g, shape, comp, sparql, path_var=True, radius=1))
        elif comp == SH.HasValueConstraintComponent:
            sparql = f"SELECT DISTINCT ?this WHERE {{ {targets} FILTER ({expr}) }}"
            out.append(_query(c, g, shape, comp, sparql, value_is_focus=False, radius=r))
        else:
            out += _pair_queries(c, g, shape, comp, targets, None, None)
    out += _sparql_queries(c, g, shape, targets, None)
    return out


def _pair_queries(
    c: _Compiler,
    g: Graph,
    shape: rdflib.term.Node,
    comp: URIRef,
    targets: str,
    path_text: str | None,
    path_node: rdflib.term.Node | None,
    length: int | None = 0,
) -> list[CompiledQuery]:
    prop = {
        str(SH.EqualsConstraintComponent): SH.equals,
        str(SH.DisjointConstraintComponent): SH.disjoint,
        str(SH.LessThanConstraintComponent): SH.lessThan,
        str(SH.LessThanOrEqualsConstraintComponent): SH.lessThanOrEquals,
    }[str(comp)]
    out = []
    for other in g.objects(shape, prop):
        alts = c.pair_alternatives(comp, "?this", path_text, "?value", other)
        for pattern, is_focus, pair_var in alts:
            head = "?this" if is_focus else f"?this ?value {pair_var}"
            sparql = f"SELECT DISTINCT {head} WHERE {{ {targets} {pattern} }}"
            out.append(
                _query(
                    c,
                    g,
                    shape,
                    comp,
                    sparql,
                    path=path_node,
                    radius=_max_radius([length, 1]),
                    value_is_focus=is_focus,
                )
            )
    return out


def _property_shape_queries(
    c: _Compiler,
    g: Graph,
    shape: rdflib.term.Node,
    targets: str,
    parent: rdflib.term.Node | None,
    keep: str = "",
) -> list[CompiledQuery]:
    c.check_supported(shape)
    path_node = g.value(shape, SH.path)
    if path_node is None:
        raise NotCompiled("sh:property without sh:path")
    p, length = c.path(path_node)
    out: list[CompiledQuery] = []
    for comp, expr, r in c.value_conditions(shape, "?value"):
        sparql = (
            f"SELECT DISTINCT ?this ?value WHERE {{ {targets} ?this {p} ?value . FILTER ({expr}) }}"
        )
        out.append(_query(c, g, shape, comp, sparql, path=path_node, radius=_add(length, r)))
    # a predicate path at the top level: minCount/maxCount 1 may run grouped
    group_predicate = p if not keep and _IRI.fullmatch(p) else ""

    def counted(comp: URIRef, sparql: str, group: tuple[str, str] | None) -> CompiledQuery:
        predicate = group_predicate if group else ""
        return _query(
            c,
            g,
            shape,
            comp,
            sparql,
            path=path_node,
            radius=length,
            group=group,
            group_predicate=predicate,
        )

    for prop, comp, kind, op in (
        (SH.minCount, SH.MinCountConstraintComponent, _MIN_1, "<"),
        (SH.maxCount, SH.MaxCountConstraintComponent, _MAX_1, ">"),
    ):
        for n in g.objects(shape, prop):
            k = _int(n, prop)
            group: tuple[str, str] | None = None
            if k == 1:  # the common case: NOT EXISTS, or two distinct values, beat counting
                sparql = f"SELECT DISTINCT ?this WHERE {{ {targets} {_count_1(kind, p)} }}"
                group = (kind, targets) if group_predicate else None
            else:
                sparql = (
                    f"SELECT ?this WHERE {{ {targets} OPTIONAL {{ ?this {p} ?v }} }} "
                    f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) {op} {k})"
                )
            out.append(counted(comp, sparql, group))
    for cval in g.objects(shape, SH.hasValue):
        sparql = (
            f"SELECT DISTINCT ?this WHERE {{ {targets} FILTER NOT EXISTS {{ ?this {p} ?h . "
            f"FILTER (sameTerm(?h, {sparql_term(cval)})) }} }}"
        )
        out.append(
            _query(
                c, g, shape, SH.HasValueConstraintComponent, sparql, path=path_node, radius=length
            )
        )
    if _true(g, shape, SH.uniqueLang):
        la, lb = _lang("?a"), _lang("?b")
        sparql = (
            f"SELECT DISTINCT ?this (LCASE({la}) AS ?lang) WHERE {{ {targets} "
            f"?this {p} ?a , ?b . "
            f'FILTER (!sameTerm(?a, ?b) && {la} != "" && LCASE({la}) = LCASE({lb})) }}'
        )
        out.append(
            _query(
                c, g, shape, SH.UniqueLangConstraintComponent, sparql, path=path_node, radius=length
            )
        )
    for q in g.objects(shape, SH.qualifiedValueShape):
        conforms, r = c.qualified_conforms(shape, q, "?v")
        for prop, comp, op in (
            (SH.qualifiedMinCount, SH.QualifiedMinCountConstraintComponent, "<"),
            (SH.qualifiedMaxCount, SH.QualifiedMaxCountConstraintComponent, ">"),
        ):
            for n in g.objects(shape, prop):
                k = _int(n, prop)
                sparql = (
                    f"SELECT ?this WHERE {{ {targets} "
                    f"OPTIONAL {{ ?this {p} ?v . FILTER ({conforms}) }} }} "
                    f"GROUP BY ?this HAVING (COUNT(DISTINCT ?v) {op} {k})"
                )
                out.append(
                    _query(c, g, shape, comp, sparql, path=path_node, radius=_add(length, r))
                )
    for comp in (
        SH.EqualsConstraintComponent,
        SH.DisjointConstraintComponent,
        SH.LessThanConstraintComponent,
        SH.LessThanOrEqualsConstraintComponent,
    ):
        out += _pair_queries(c, g, shape, comp, targets, p, path_node, length)
    if _true(g, shape, SH.closed):
        raise NotCompiled("sh:closed on a property shape")
    for ps in g.objects(shape, SH.property):
        # sh:property on a property shape: the value nodes are the nested shape's focus
        # nodes, and its results are reported as they are.
        if _true(g, ps, SH.deactivated):
            continue
        # A value reached from two focus nodes is checked (and reported) once for each,
        # as the W3C suite and pySHACL have it: the outer focus nodes stay in the rows.
        n = next(c.counter)
        inner_keep = f"{keep} ?outer{n}".strip()
        nested = (
            f"{{ SELECT DISTINCT ?this {inner_keep} WHERE {{ "
            f"{{ SELECT (?this AS ?outer{n}) {keep} WHERE {{ {targets} }} }} "
            f"?outer{n} {p} ?this . }} }}"
        )
        for q in _property_shape_queries(c, g, ps, nested, parent=shape, keep=inner_keep):
            q.restrictable = False
            q.radius = None
            out.append(q)
    out += _sparql_queries(c, g, shape, targets, path_node)
    if keep:
        for q in out:
            if q.kind == "sparql":
                raise NotCompiled("sh:sparql in a property shape nested in a property shape")
            q.sparql = _keep(q.sparql, keep)
    return out


_IRI = re.compile(r"<[^<>\"{}|^`\\\s]*>")
_MIN_1, _MAX_1 = "minCount 1", "maxCount 1"


def _count_1(kind: str, p: str) -> str:
    """The pattern of a focus node ``?this`` that violates minCount 1 or maxCount 1 on
    ``p`` (a predicate, or ``?p`` in a grouped query)."""
    if kind == _MIN_1:
        return f"FILTER NOT EXISTS {{ ?this {p} ?v }}"
    if kind == _MAX_1:
        return f"?this {p} ?v . ?this {p} ?w . FILTER (!sameTerm(?v, ?w))"
    raise ValueError(f"no query for {kind!r}")


def grouped_sparql(group: tuple[str, str], predicates: list[str]) -> str:
    """One query for the minCount 1 or maxCount 1 queries of one group (CompiledQuery.group)
    on ``predicates``: its rows give ``?this`` and, in ``?p``, the predicate whose
    constraint the focus node violates (what each query alone would return)."""
    kind, targets = group
    values = f"VALUES ?p {{ {' '.join(predicates)} }}"
    return f"SELECT DISTINCT ?this ?p WHERE {{ {targets} {values} {_count_1(kind, '?p')} }}"


def _keep(sparql: str, keep: str) -> str:
    """Project (and group by) the ``keep`` variables too."""
    for head in ("SELECT DISTINCT ?this ", "SELECT ?this "):
        if sparql.startswith(head):
            sparql = f"{head}{keep} {sparql[len(head) :]}"
            break
    else:
        raise NotCompiled("a nested property shape query of an unexpected form")
    return sparql.replace("GROUP BY ?this ", f"GROUP BY ?this {keep} ")


_PREFIX_DECL = re.compile(r"^\s*(PREFIX|BASE)\b", re.IGNORECASE | re.MULTILINE)
_VAR = re.compile(r"[?$](\w+)")


def _sparql_queries(
    c: _Compiler,
    g: Graph,
    shape: rdflib.term.Node,
    targets: str,
    path_node: rdflib.term.Node | None,
) -> list[CompiledQuery]:
    """``sh:sparql`` SELECT constraints: the query joined with the targets on ``$this``.

    Pre-binding ``$this`` is a join as long as the query binds ``$this`` in a triple
    pattern and projects it; anything else (``$currentShape``, ``$shapesGraph``,
    ``$PATH`` in a path, ``SELECT *`` without ``$this``...) is not compiled."""
    out: list[CompiledQuery] = []
    for cons in g.objects(shape, SH.sparql):
        if _true(g, cons, SH.deactivated):
            continue
        select = g.value(cons, SH.select)
        if select is None:
            raise NotCompiled("sh:sparql without sh:select")
        text = str(select)
        names = set(_VAR.findall(text))
        if names & {"currentShape", "shapesGraph", "PATH"}:
            raise NotCompiled("sh:sparql using $currentShape, $shapesGraph or $PATH")
        head = text.split("{", 1)[0]
        if not re.search(r"[?$]this\b", head) or re.search(
            r"\b(LIMIT|OFFSET|VALUES|MINUS)\b", text, re.I
        ):
            raise NotCompiled(
                "sh:sparql whose SELECT does not project $this, or uses LIMIT/OFFSET/VALUES/MINUS"
            )
        if re.search(r"\bSERVICE\b", text, re.I):
            raise NotCompiled("sh:sparql with SERVICE")
        prefixes = _prefix_block(g, cons)
        if _PREFIX_DECL.search(text):
            raise NotCompiled("sh:sparql with its own PREFIX/BASE declarations")
        body = text
        projected = sorted(set(_VAR.findall(head)) - {"this"})
        head_vars = " ".join("?" + v for v in projected)
        # Each focus node once (a node can match several targets), as pySHACL has it.
        focus = f"{{ SELECT DISTINCT ?this WHERE {{ {targets} }} }}"
        sparql = f"{prefixes}SELECT ?this {head_vars} WHERE {{ {focus} {{ {body} }} }}"
        cq = _query(
            c,
            g,
            shape,
            SH.SPARQLConstraintComponent,
            sparql,
            path=path_node,
            kind="sparql",
            path_var="path" in projected,
            sparql_message=_messages(g, cons),
            radius=None,
        )
        out.append(cq)
    return out


def _prefix_block(g: Graph, cons: rdflib.term.Node) -> str:
    lines = []
    for ont in g.objects(cons, SH.prefixes):
        for decl in g.objects(ont, SH.declare):
            prefix, ns = g.value(decl, SH.prefix), g.value(decl, SH.namespace)
            if prefix is not None and ns is not None:
                lines.append(f"PREFIX {prefix}: <{ns}>\n")
    return "".join(sorted(set(lines)))
