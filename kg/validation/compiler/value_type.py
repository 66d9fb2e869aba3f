"""Value type constraint components: sh:class, sh:datatype, sh:nodeKind (each a
condition on one value node ``v``)."""

from __future__ import annotations

import rdflib
from rdflib import URIRef
from rdflib.namespace import RDF, RDFS, SH

from kg.validation.compiler.base import Condition, Context, NotCompiled
from kg.validation.compiler.literals import ENC_DT, XSD_NS, XSD_STRING, lang_of
from kg.validation.compiler.targets import subclasses

_RDF_LANGSTRING = str(RDF.langString)
_RDFS_LITERAL = str(RDFS.Literal)

# The test each node kind passes, for a value node {v}.
_NODE_KINDS = {
    SH.IRI: "isIRI({v})",
    SH.BlankNode: "isBLANK({v})",
    SH.Literal: "isLITERAL({v})",
    SH.BlankNodeOrIRI: "(isBLANK({v}) || isIRI({v}))",
    SH.BlankNodeOrLiteral: "(isBLANK({v}) || isLITERAL({v}))",
    SH.IRIOrLiteral: "(isIRI({v}) || isLITERAL({v}))",
}


def class_(ctx: Context, _shape: rdflib.term.Node, cls: rdflib.term.Node, v: str) -> Condition:
    """sh:class: ``v`` has no rdf:type that is ``cls`` or one of its subclasses."""
    if not isinstance(cls, URIRef):
        raise NotCompiled("sh:class that is not an IRI")
    t = ctx.var("t")
    within = subclasses(str(cls), ", ")
    return f"NOT EXISTS {{ {v} <{RDF.type}> {t} . FILTER ({t} IN ({within})) }}", 1


def datatype(_ctx: Context, _shape: rdflib.term.Node, dt: rdflib.term.Node, v: str) -> Condition:
    """sh:datatype: ``v`` is not a literal of datatype ``dt`` as written (an ill-typed
    literal has none)."""
    if not isinstance(dt, URIRef):
        raise NotCompiled("sh:datatype that is not an IRI")
    d = str(dt)
    if d == XSD_STRING:
        ok = f"(isLITERAL({v}) && DATATYPE({v}) = <{XSD_STRING}>)"
    elif d == _RDF_LANGSTRING:
        ok = f'(isLITERAL({v}) && {lang_of(v)} != "")'
    elif d.startswith(XSD_NS):
        ok = f"(isLITERAL({v}) && DATATYPE({v}) = <{ENC_DT}{d}>)"
    elif d == _RDFS_LITERAL:
        ok = f"isLITERAL({v})"
    else:
        ok = f"(isLITERAL({v}) && DATATYPE({v}) = <{d}>)"
    return f"!{ok}", 0


def node_kind(_ctx: Context, _shape: rdflib.term.Node, kind: rdflib.term.Node, v: str) -> Condition:
    """sh:nodeKind: ``v`` is not of the node kind ``kind``."""
    test = _NODE_KINDS.get(kind)
    if test is None:
        raise NotCompiled(f"sh:nodeKind {kind}")
    return f"!{test.format(v=v)}", 0
