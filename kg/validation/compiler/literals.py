"""Literals as the validation store keeps them, and as the compiled queries read them.

The pyoxigraph ``Store`` normalises literals of the XSD types it knows
(``"05"^^xsd:integer`` is stored as ``5``, ``xsd:positiveInteger`` as ``xsd:integer``,
language tags in lower case), which would change ``sh:datatype``, ``sh:pattern``,
``sh:minLength``, ``sh:languageIn``, the counts and the reported values. So the data is
loaded into the validation store *encoded*: an XSD-typed literal becomes
``"LEX"^^<urn:x-govsm-enc:dt:DATATYPE>`` (``...:ill:`` when rdflib finds it ill-typed, as
pySHACL would), a language-tagged literal with upper-case letters in its tag becomes
``"LEX"^^<urn:x-govsm-enc:lang:TAG>``; the compiled queries decode them (:func:`lang_of`,
:func:`value_of`, :func:`ill_typed_test`) and :func:`decode` turns reported values back
into the original terms.
"""

from __future__ import annotations

import contextlib
import datetime
import logging
import warnings
from collections.abc import Iterable, Iterator
from decimal import Decimal

import pyoxigraph as ox
import rdflib
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD

from kg.rdf.terms import EngineError, to_ox
from kg.validation.compiler.base import NotCompiled

ENC_DT = "urn:x-govsm-enc:dt:"
ENC_ILL = "urn:x-govsm-enc:ill:"
ENC_LANG = "urn:x-govsm-enc:lang:"
XSD_NS = str(XSD)
XSD_STRING = str(XSD.string)

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
    if dt.startswith(XSD_NS) and dt != XSD_STRING:
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
        and str(term.datatype).startswith(XSD_NS)
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
        if dt == XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(dt), normalize=False)
    raise TypeError(f"not an RDF term: {term!r}")


def escape(text: str) -> str:
    """``text`` escaped for a SPARQL string literal in double quotes."""
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
            return f'"{escape(ox_term.value)}"@{ox_term.language}'
        return f'"{escape(ox_term.value)}"^^<{ox_term.datatype.value}>'
    raise NotCompiled(f"constant {term!r}")


def lang_of(v: str) -> str:
    """SPARQL expression: the language tag of an encoded literal ``v`` ("" if none)."""
    s = f"STR(DATATYPE({v}))"
    return f'IF(STRSTARTS({s}, "{ENC_LANG}"), STRAFTER({s}, "{ENC_LANG}"), LANG({v}))'


def value_of(v: str) -> str:
    """SPARQL expression: the value of ``v`` (a decoded literal) for comparisons."""
    s = f"STR(DATATYPE({v}))"
    return (
        f"IF(isLITERAL({v}), "
        f'IF(STRSTARTS({s}, "{ENC_DT}"), STRDT(STR({v}), IRI(STRAFTER({s}, "{ENC_DT}"))), '
        f'IF(STRSTARTS({s}, "{ENC_ILL}"), STRDT(STR({v}), IRI(STRAFTER({s}, "{ENC_ILL}"))), '
        f'IF(STRSTARTS({s}, "{ENC_LANG}"), STRLANG(STR({v}), STRAFTER({s}, "{ENC_LANG}")), {v}))), '
        f"{v})"
    )


def ill_typed_test(v: str) -> str:
    """SPARQL expression: ``v`` is a literal rdflib finds ill-typed (encoded so)."""
    return f'(isLITERAL({v}) && STRSTARTS(STR(DATATYPE({v})), "{ENC_ILL}"))'
