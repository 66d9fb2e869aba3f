"""RDF documents: Turtle, N-Triples, RDF/XML (pyoxigraph) and JSON-LD with a local context.

pyoxigraph serialises fast and keeps the (sorted) input order; prefix lines are sorted so
the output never depends on a hash order. JSON-LD is written here, compacted against
the context built from kg/prefixes.py and embedded inline (never a remote context URL),
so any JSON-LD processor reads it offline.
"""

from __future__ import annotations

import json

import pyoxigraph as ox

from kg.prefixes import PREFIXES

RDF_TYPE = PREFIXES["rdf"] + "type"
# Names whose slash-IRIs would need escaping in Turtle (id:study\/x): written in full.
_TURTLE_SKIP = {"id", "rule", "shape"}
# JSON-LD 1.1 only expands compact IRIs whose prefix IRI ends in a gen-delim.
_JSONLD_PREFIXES = {n: ns for n, ns in PREFIXES.items() if ns[-1] in "/#:"}

FORMATS = {
    "ttl": "text/turtle",
    "jsonld": "application/ld+json",
    "nt": "application/n-triples",
    "rdf": "application/rdf+xml",
}


def context() -> dict:
    """The JSON-LD @context of the project (site/context.jsonld)."""
    return {"@context": dict(sorted(_JSONLD_PREFIXES.items()))}


def _used(triples: list[ox.Triple], table: dict[str, str]) -> dict[str, str]:
    iris = set()
    for t in triples:
        iris.add(t.predicate.value)
        for term in (t.subject, t.object):
            if isinstance(term, ox.NamedNode):
                iris.add(term.value)
            elif isinstance(term, ox.Literal):
                iris.add(term.datatype.value)
    return {n: ns for n, ns in table.items() if any(i.startswith(ns) for i in iris)}


def _sort_prefix_lines(text: str, marker: str) -> str:
    lines = text.split("\n")
    head = [line for line in lines if line.startswith(marker)]
    rest = [line for line in lines if not line.startswith(marker)]
    return "\n".join(sorted(head) + rest)


def turtle(triples: list[ox.Triple]) -> str:
    table = {n: ns for n, ns in PREFIXES.items() if n not in _TURTLE_SKIP}
    out = ox.serialize(triples, format=ox.RdfFormat.TURTLE, prefixes=_used(triples, table))
    return _sort_prefix_lines(out.decode("utf-8"), "@prefix ")


def trig(quads: list[ox.Quad]) -> str:
    table = {n: ns for n, ns in PREFIXES.items() if n not in _TURTLE_SKIP}
    out = ox.serialize(quads, format=ox.RdfFormat.TRIG, prefixes=table)
    return _sort_prefix_lines(out.decode("utf-8"), "@prefix ")


def ntriples(triples: list[ox.Triple]) -> str:
    return ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES).decode("utf-8")


def rdfxml(triples: list[ox.Triple]) -> str:
    table = {n: ns for n, ns in PREFIXES.items() if n not in _TURTLE_SKIP}
    return ox.serialize(
        triples, format=ox.RdfFormat.RDF_XML, prefixes=_used(triples, table)
    ).decode("utf-8")


def _compact(iri: str) -> str:
    best, name = "", ""
    for prefix, ns in _JSONLD_PREFIXES.items():
        if iri.startswith(ns) and len(ns) > len(best) and not iri[len(ns) :].startswith("//"):
            best, name = ns, prefix
    return f"{name}:{iri[len(best) :]}" if best else iri


def _node_id(term: ox.NamedNode | ox.BlankNode) -> str:
    return _compact(term.value) if isinstance(term, ox.NamedNode) else f"_:{term.value}"


def _value(term: ox.NamedNode | ox.BlankNode | ox.Literal) -> dict:
    if isinstance(term, ox.Literal):
        if term.language:
            return {"@value": term.value, "@language": term.language}
        if term.datatype.value == "http://www.w3.org/2001/XMLSchema#string":
            return {"@value": term.value}
        return {"@value": term.value, "@type": _compact(term.datatype.value)}
    return {"@id": _node_id(term)}


def jsonld(triples: list[ox.Triple]) -> str:
    """Compact-IRI JSON-LD with the project's context inline; sorted, so deterministic."""
    nodes: dict[str, dict] = {}
    for t in triples:
        key = _node_id(t.subject)
        node = nodes.setdefault(key, {"@id": key})
        if t.predicate.value == RDF_TYPE and isinstance(t.object, ox.NamedNode):
            node.setdefault("@type", []).append(_compact(t.object.value))
        else:
            node.setdefault(_compact(t.predicate.value), []).append(_value(t.object))
    for node in nodes.values():
        for v in node.values():
            if isinstance(v, list):
                v.sort(key=lambda x: json.dumps(x, sort_keys=True, ensure_ascii=False))
    doc = {"@context": context()["@context"], "@graph": [nodes[k] for k in sorted(nodes)]}
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def documents(triples: list[ox.Triple]) -> dict[str, str]:
    """The four RDF documents of one resource, by file extension."""
    return {
        "ttl": turtle(triples),
        "jsonld": jsonld(triples),
        "nt": ntriples(triples),
        "rdf": rdfxml(triples),
    }
