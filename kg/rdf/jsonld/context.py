"""The JSON-LD context of a build, generated from its triples and the prefix table.

Every property and class the graph uses (as a predicate, as an ``rdf:type``) or its
ontology declares (``owl:ObjectProperty``, ``owl:DatatypeProperty``, ``owl:Class``, ...)
gets a term: its local name, or ``prefix:local`` when two vocabularies share the local
name (or it is a prefix's name). A term's coercion comes from how the data uses it, so
that compaction keeps every value exact:

- only IRIs or blank nodes: ``"@type": "@id"`` (values are plain strings);
- only well-formed RDF lists: ``"@container": "@list"`` (an ordered JSON array; e.g.
  ``bibo:authorList``), with its members' coercion;
- only literals of one datatype other than ``xsd:string``: ``"@type"`` that datatype
  (``xsd:gYear``, ``xsd:date``, ``xsd:integer``, ...);
- only strings tagged with one language: ``"@language"`` that tag;
- anything else (plain strings, a mix): no coercion. A value that does not fit its term's
  coercion is written under the compact IRI instead, as JSON-LD compaction does.

A property the data does not use takes its coercion from its declaration:
``owl:ObjectProperty`` is ``@id``, a datatype property with one XSD range other than
``xsd:string`` is that type. The context is the same wherever it is made from the same
triples (the build's N-Quads): the site, the on-demand pages and the endpoint.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pyoxigraph as ox

from kg.prefixes import DEFAULT_BASE, for_base

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
OWL = "http://www.w3.org/2002/07/owl#"
XSD = "http://www.w3.org/2001/XMLSchema#"
XSD_STRING = XSD + "string"
LANG_STRING = RDF + "langString"
RDF_TYPE, RDF_FIRST, RDF_REST, RDF_NIL = (RDF + n for n in ("type", "first", "rest", "nil"))
#: Predicates that never get a term: rdf:type is "@type", lists are "@list".
NO_TERM = frozenset({RDF_TYPE, RDF_FIRST, RDF_REST})
PROPERTY_KINDS = {
    OWL + "ObjectProperty": "object",
    OWL + "DatatypeProperty": "datatype",
    OWL + "AnnotationProperty": "annotation",
    RDF + "Property": "annotation",
}
CLASS_KINDS = frozenset({OWL + "Class", RDFS + "Class"})
#: A local name usable as a term as it is (no ':', '/', '#', leading '@', ...).
_LOCAL = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
#: JSON-LD 1.1 uses a term as a prefix only if its IRI ends in a gen-delim character.
GEN_DELIMS = tuple(":/?#[]@")

Term = ox.NamedNode | ox.BlankNode | ox.Literal
#: How one value is used: ("id",) an IRI or blank node, ("list", …) a list head, or
#: ("literal", datatype, language).
Kind = tuple[str, ...]
ID: Kind = ("id",)


def kind_of(term: Term) -> Kind:
    """The usage kind of a (non-list) object."""
    if isinstance(term, ox.Literal):
        return ("literal", term.datatype.value, term.language or "")
    return ID


@dataclass(frozen=True)
class TermDef:
    """One term: its name, IRI and coercion (at most one of ``type``, ``language``)."""

    name: str
    iri: str
    type: str | None = None  # "@id" or a datatype IRI
    language: str | None = None
    container: str | None = None  # "@list"

    @property
    def plain(self) -> bool:
        """No coercion and no container: any value fits (in its expanded form)."""
        return self.type is None and self.language is None and self.container is None


@dataclass
class Usage:
    """How a graph uses its properties and classes, gathered one triple at a time."""

    values: dict[str, set[Kind]] = field(default_factory=dict)
    classes: set[str] = field(default_factory=set)
    declared: dict[str, str] = field(default_factory=dict)  # IRI -> object/datatype/…/class
    ranges: dict[str, set[str]] = field(default_factory=dict)
    _blank_objects: dict[str, set[str]] = field(default_factory=dict)
    _first: dict[str, Kind] = field(default_factory=dict)  # list node -> its member's kind
    _rest: dict[str, str] = field(default_factory=dict)
    _odd: set[str] = field(default_factory=set)  # list-like nodes that are not well formed

    def add(self, s: Term, p: ox.NamedNode, o: Term) -> None:
        """Count one triple."""
        pred = p.value
        if pred == RDF_TYPE and isinstance(o, ox.NamedNode):
            self.classes.add(o.value)
            if o.value in PROPERTY_KINDS and isinstance(s, ox.NamedNode):
                self.declared.setdefault(s.value, PROPERTY_KINDS[o.value])
            elif o.value in CLASS_KINDS and isinstance(s, ox.NamedNode):
                self.declared.setdefault(s.value, "class")
            return
        if pred == RDFS + "range" and isinstance(o, ox.NamedNode):
            self.ranges.setdefault(s.value, set()).add(o.value)
        if pred in (RDF_FIRST, RDF_REST) and isinstance(s, ox.BlankNode):
            self._list_step(s.value, pred, o)
            return
        if isinstance(o, ox.BlankNode):
            self._blank_objects.setdefault(pred, set()).add(o.value)
        elif isinstance(o, ox.NamedNode) and o.value == RDF_NIL:
            self.values.setdefault(pred, set()).add(("list",))
        else:
            self.values.setdefault(pred, set()).add(kind_of(o))

    def _list_step(self, node: str, pred: str, o: Term) -> None:
        table: dict = self._first if pred == RDF_FIRST else self._rest
        if node in table:
            self._odd.add(node)  # two rdf:first (or rdf:rest): not a list node
        if pred == RDF_FIRST:
            self._first[node] = kind_of(o)
        else:
            self._rest[node] = o.value if isinstance(o, ox.BlankNode | ox.NamedNode) else ""

    def _members(self, head: str) -> list[Kind] | None:
        """The kinds of a list's members, or None if ``head`` is not a well-formed list."""
        kinds, node, seen = [], head, set()
        while node != RDF_NIL:
            if node in seen or node in self._odd or node not in self._first:
                return None
            seen.add(node)
            kinds.append(self._first[node])
            node = self._rest.get(node, "")
        return kinds

    def kinds(self) -> dict[str, set[Kind]]:
        """Each predicate's kinds of values, list heads resolved to ("list", *member kinds)."""
        result = {p: set(k) for p, k in self.values.items()}
        for pred, heads in self._blank_objects.items():
            found = result.setdefault(pred, set())
            for head in heads:
                members = self._members(head)
                if members is None:
                    found.add(ID)
                else:
                    found.add(("list", *sorted({"|".join(m) for m in members})))
        return result


def usage_of(triples: Iterable) -> Usage:
    """The usage of these triples (``ox.Triple``, ``ox.Quad`` or (s, p, o) tuples)."""
    usage = Usage()
    for s, p, o, *_ in triples:
        usage.add(s, p, o)
    return usage


def usage_of_nquads(path: Path) -> Usage:
    """The usage of an N-Quads file, streamed (the parser keeps literals as written,
    unlike a Store, which would canonicalise ``xsd:positiveInteger`` to ``xsd:integer``)."""
    usage = Usage()
    for q in ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS):
        usage.add(q.subject, q.predicate, q.object)
    return usage


def _coercion(kinds: set[Kind]) -> dict[str, str]:
    """The coercion that fits every value of a predicate (empty: none fits them all)."""
    if all(k[0] == "list" for k in kinds):
        members = {m for k in kinds for m in k[1:]}
        parts = [tuple(m.split("|")) for m in members]
        inner = _coercion(set(parts)) if parts else {}
        return {"@container": "@list", **inner}
    if kinds == {ID}:
        return {"@type": "@id"}
    if len(kinds) == 1:
        (kind,) = kinds
        if kind[0] == "literal" and kind[2]:
            return {"@language": kind[2]}
        if kind[0] == "literal" and kind[1] not in (XSD_STRING, LANG_STRING):
            return {"@type": kind[1]}
    return {}


def _declared_coercion(kind: str, ranges: set[str]) -> dict[str, str]:
    if kind == "object":
        return {"@type": "@id"}
    if kind == "datatype" and len(ranges) == 1:
        (range_,) = ranges
        if range_.startswith(XSD) and range_ != XSD_STRING:
            return {"@type": range_}
    return {}


#: IRIs whose compact forms a Context remembers at most (then it starts afresh).
CANDIDATES_CACHE = 100_000


@dataclass(frozen=True)
class Context:
    """A build's JSON-LD context: prefixes and term definitions (by IRI)."""

    prefixes: dict[str, str]  # name -> namespace (those usable as JSON-LD prefixes)
    terms: dict[str, TermDef]  # IRI -> its term
    # IRI -> candidates(IRI): the site asks again for the same IRIs on every page
    _candidates: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, repr=False)

    @classmethod
    def build(cls, usage: Usage, base: str = DEFAULT_BASE) -> Context:
        """The context for a graph with this usage, its instance IRIs under ``base``."""
        prefixes = {n: ns for n, ns in sorted(for_base(base).items()) if ns.endswith(GEN_DELIMS)}
        kinds = usage.kinds()
        properties = set(kinds) | {i for i, k in usage.declared.items() if k != "class"}
        classes = usage.classes | {i for i, k in usage.declared.items() if k == "class"}
        names = _names(sorted((properties | classes) - NO_TERM), prefixes)
        terms = {}
        for iri, name in names.items():
            if iri in kinds:
                coercion = _coercion(kinds[iri])
            elif iri in properties:
                coercion = _declared_coercion(usage.declared[iri], usage.ranges.get(iri, set()))
            else:
                coercion = {}
            if ":" in name and not coercion:
                continue  # a compact IRI says as much without a definition
            terms[iri] = TermDef(
                name,
                iri,
                type=coercion.get("@type"),
                language=coercion.get("@language"),
                container=coercion.get("@container"),
            )
        return cls(prefixes, terms)

    def candidates(self, iri: str) -> list[str]:
        """Every ``prefix:suffix`` form of ``iri`` (JSON-LD 1.1 IRI compaction's)."""
        found = self._candidates.get(iri)
        if found is None:
            found = tuple(
                f"{name}:{iri[len(ns) :]}"
                for name, ns in self.prefixes.items()
                if iri.startswith(ns) and len(iri) > len(ns) and not iri[len(ns) :].startswith("//")
            )
            if len(self._candidates) >= CANDIDATES_CACHE:  # bounded in a long-running server
                self._candidates.clear()
            self._candidates[iri] = found
        return list(found)

    def compact_iri(self, iri: str) -> str:
        """The shortest (then least) ``prefix:suffix`` form of ``iri``, else ``iri``."""
        found = self.candidates(iri)
        return min(found, key=lambda c: (len(c), c)) if found else iri

    def definition(self, term: TermDef) -> str | dict[str, str]:
        """A term's definition as written in the context."""
        iri = self.compact_iri(term.iri)
        if term.plain and not term.iri.endswith(GEN_DELIMS):
            return iri
        out = {"@id": iri}
        if term.type is not None:
            out["@type"] = term.type if term.type == "@id" else self.compact_iri(term.type)
        if term.language is not None:
            out["@language"] = term.language
        if term.container is not None:
            out["@container"] = term.container
        return out

    def body(self, used: set[str] | None = None) -> dict[str, object]:
        """The ``@context`` object: every prefix and the terms whose IRIs are in
        ``used`` (None: every term), each defined exactly as in the full context."""
        out: dict[str, object] = {"@version": 1.1}
        out.update(self.prefixes)
        for iri, term in self.terms.items():
            if used is None or iri in used:
                out[term.name] = self.definition(term)
        return dict(sorted(out.items()))

    def document(self) -> dict[str, object]:
        """The published context document (site/context.jsonld)."""
        return {"@context": self.body()}


def _names(iris: list[str], prefixes: dict[str, str]) -> dict[str, str]:
    """A readable, unique term name per IRI: its local name, or prefix:local on a clash
    (with another IRI's local name or a prefix's name); IRIs with no usable local name
    under a prefix get no term (compact or full IRIs then)."""
    split: dict[str, tuple[str, str]] = {}
    for iri in iris:
        best = max(
            ((n, ns) for n, ns in prefixes.items() if iri.startswith(ns)),
            key=lambda item: len(item[1]),
            default=None,
        )
        if best is not None and _LOCAL.match(iri[len(best[1]) :]):
            split[iri] = (best[0], iri[len(best[1]) :])
    count: dict[str, int] = {}
    for _, local in split.values():
        count[local] = count.get(local, 0) + 1
    return {
        iri: local if count[local] == 1 and local not in prefixes else f"{prefix}:{local}"
        for iri, (prefix, local) in split.items()
    }
