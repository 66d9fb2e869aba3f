"""JSON-LD documents written from triples with a build's context (kg.rdf.jsonld.context).

Written directly in Python, as JSON-LD 1.1 compaction and framing write them (PyLD is
the oracle in tests/test_jsonld.py; run per page it would cost more than the rest of the
site's build): a value goes under its property's term when it fits the term's coercion,
else under the compact IRI, in expanded form; a single value is not wrapped in an array;
a well-formed RDF list (and ``rdf:nil``) is a ``@list``.

- :func:`resource_document`: one resource framed as ``"@embed": "@always"`` frames it:
  the resource is the top node; its blank nodes, its lists (the author list, in order)
  and the resources it links to that the document describes (an author's name, a
  venue's title) are nested where they are referenced; nodes nothing links to (the
  labels of its classes) are in ``@included``.
- :func:`graph_document`: a flat ``@graph``, one node per subject (lists inline), for
  documents of many subjects (the ontology, the dataset, the endpoint's answers, the
  dump); :func:`graph_chunks` writes it node by node.

The context is inline, so no reader ever fetches one: the resource documents and the
endpoint's answers carry every prefix and the terms they use, each defined as in the
published context; the dump carries the whole context.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator

import pyoxigraph as ox

from kg.rdf.jsonld.context import (
    RDF_FIRST,
    RDF_NIL,
    RDF_REST,
    RDF_TYPE,
    XSD_STRING,
    Context,
    TermDef,
)

Term = ox.NamedNode | ox.BlankNode | ox.Literal
NIL = ox.NamedNode(RDF_NIL)


def _sort_key(term: Term) -> tuple[int, str]:
    rank = 0 if isinstance(term, ox.NamedNode) else 1 if isinstance(term, ox.BlankNode) else 2
    return rank, str(term)


def _triple_key(t: ox.Triple) -> tuple:
    return _sort_key(t.subject), t.predicate.value, _sort_key(t.object)


def _dumps(doc: object) -> str:
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False)


class Writer:
    """Compacts the nodes of one document (its triples indexed by subject, and how often
    each term is an object); remembers the terms it used."""

    def __init__(self, context: Context, triples: Iterable[ox.Triple]) -> None:
        self.context = context
        self.out: dict[Term, list[ox.Triple]] = defaultdict(list)
        self.inc: Counter[Term] = Counter()
        for t in sorted(set(triples), key=_triple_key):
            self.out[t.subject].append(t)
            self.inc[t.object] += 1
        self.used: set[str] = set()
        self._names = {t.name for t in context.terms.values()}
        self._lists: dict[Term, list[Term] | None] = {}

    # --- IRIs and literals ------------------------------------------------------------

    def node_id(self, term: ox.NamedNode | ox.BlankNode) -> str:
        if isinstance(term, ox.BlankNode):
            return f"_:{term.value}"
        return self.context.compact_iri(term.value)

    def type_name(self, iri: str) -> str:
        """A class (or datatype) IRI as a ``@type`` value: its term when that has no
        coercion, else the compact IRI."""
        term = self.context.terms.get(iri)
        if term is not None and term.plain:
            self.used.add(iri)
            return term.name
        return self.context.compact_iri(iri)

    def key_iri(self, iri: str) -> str:
        """The key of a value its property's term does not fit: the compact IRI, passing
        over a candidate that is itself a term (as IRI compaction does), else the IRI."""
        found = [c for c in self.context.candidates(iri) if c not in self._names]
        return min(found, key=lambda c: (len(c), c)) if found else iri

    def literal(self, lit: ox.Literal, coerced: bool) -> object:
        if coerced or (not lit.language and lit.datatype.value == XSD_STRING):
            return lit.value
        if lit.language:
            return {"@language": lit.language, "@value": lit.value}
        return {"@type": self.type_name(lit.datatype.value), "@value": lit.value}

    # --- lists ------------------------------------------------------------------------

    def members(self, head: Term) -> list[Term] | None:
        """The members of the well-formed RDF list at ``head`` (rdf:nil, or blank nodes
        each with one rdf:first, one rdf:rest and nothing else, each the object of one
        triple), else None."""
        if head not in self._lists:
            self._lists[head] = self._walk(head)
        return self._lists[head]

    def _walk(self, head: Term) -> list[Term] | None:
        members: list[Term] = []
        node, seen = head, set()
        while node != NIL:
            if not isinstance(node, ox.BlankNode) or node in seen or self.inc[node] != 1:
                return None
            seen.add(node)
            triples = self.out.get(node, [])
            first = [t.object for t in triples if t.predicate.value == RDF_FIRST]
            rest = [t.object for t in triples if t.predicate.value == RDF_REST]
            if len(triples) != 2 or len(first) != 1 or len(rest) != 1:
                return None
            members.append(first[0])
            node = rest[0]
        return members

    def list_nodes(self) -> set[Term]:
        """The blank nodes that are written as ``@list`` members' cells (not as nodes)."""
        cells: set[Term] = set()
        for triples in self.out.values():
            for t in triples:
                if (
                    t.predicate.value != RDF_REST
                    and isinstance(t.object, ox.BlankNode)
                    and self.members(t.object) is not None
                ):
                    node = t.object
                    while node != NIL:
                        cells.add(node)
                        node = next(
                            x.object for x in self.out[node] if x.predicate.value == RDF_REST
                        )
        return cells

    # --- nodes ------------------------------------------------------------------------

    def term_for(self, pred: str, value: Term, members: list[Term] | None) -> TermDef | None:
        """The predicate's term if the value (a list: its members) fits it, else None."""
        term = self.context.terms.get(pred)
        if term is None:
            return None
        if (members is not None) != (term.container == "@list"):
            return term if members is not None and term.plain else None
        if term.type is None and term.language is None:
            return term
        values = members if members is not None else [value]
        return term if values and all(_fits(term, v) for v in values) else None

    def node(self, subject: Term, embed: bool, stack: tuple[Term, ...] = ()) -> dict:
        """The node object of ``subject``; with ``embed``, what it links to that the
        document describes is nested (framing's ``@embed: @always``, no cycles), and a
        blank node nested once has no ``@id`` (as framing prunes it)."""
        obj: dict[str, object] = {}
        if not (embed and stack and isinstance(subject, ox.BlankNode) and self.inc[subject] == 1):
            obj["@id"] = self.node_id(subject)  # type: ignore[arg-type]
        types: list[str] = []
        grouped: dict[str, list[object]] = defaultdict(list)
        for t in self.out.get(subject, []):
            pred, value = t.predicate.value, t.object
            if pred == RDF_TYPE and not isinstance(value, ox.Literal):
                iri = value.value if isinstance(value, ox.NamedNode) else None
                types.append(self.type_name(iri) if iri else self.node_id(value))
                continue
            members = self.members(value) if not isinstance(value, ox.Literal) else None
            term = self.term_for(pred, value, members)
            if term is not None and term.container == "@list" and self._lists_of(subject, pred) > 1:
                term = None  # two lists in one array would read as a list of lists
            key = term.name if term is not None else self.key_iri(pred)
            if term is not None:
                self.used.add(pred)
            inner = (*stack, subject)
            if members is not None and term is not None and term.container == "@list":
                grouped[key].append([self.item(m, term, embed, inner) for m in members])
            elif members is not None:
                grouped[key].append({"@list": [self.item(m, term, embed, inner) for m in members]})
            else:
                grouped[key].append(self.item(value, term, embed, inner))
        if types:
            obj["@type"] = types[0] if len(types) == 1 else sorted(types)
        for key, values in grouped.items():
            obj[key] = values[0] if len(values) == 1 else values
        return obj

    def _lists_of(self, subject: Term, pred: str) -> int:
        """How many of ``subject``'s values of ``pred`` are lists."""
        return sum(
            1
            for t in self.out.get(subject, [])
            if t.predicate.value == pred
            and not isinstance(t.object, ox.Literal)
            and self.members(t.object) is not None
        )

    def item(self, value: Term, term: TermDef | None, embed: bool, stack: tuple) -> object:
        """One value (or list member) in compact form."""
        if isinstance(value, ox.Literal):
            coerced = term is not None and (term.type is not None or term.language is not None)
            return self.literal(value, coerced)
        if embed and value not in stack and self.out.get(value):
            return self.node(value, embed, stack)
        ref = self.node_id(value)
        return ref if term is not None and term.type == "@id" else {"@id": ref}


def _fits(term: TermDef, value: Term) -> bool:
    if term.type == "@id":
        return not isinstance(value, ox.Literal)
    if not isinstance(value, ox.Literal):
        return False
    if term.language is not None:
        return value.language == term.language
    return not value.language and value.datatype.value == term.type


def resource_document(context: Context, triples: Iterable[ox.Triple], subject: Term) -> str:
    """The framed document of ``subject`` (see the module's docstring)."""
    writer = Writer(context, triples)
    top = writer.node(subject, embed=True)
    reached = _reached(writer, subject)
    cells = writer.list_nodes()
    rest = [s for s in writer.out if s not in reached and s not in cells]
    if rest:
        included = [writer.node(s, embed=True) for s in sorted(rest, key=_sort_key)]
        top["@included"] = included[0] if len(included) == 1 else included
    doc = {"@context": context.body(writer.used), **top}
    return _dumps(doc) + "\n"


def _reached(writer: Writer, subject: Term) -> set[Term]:
    """The nodes nested under ``subject`` (what embedding reaches from it)."""
    reached, queue = {subject}, [subject]
    while queue:
        node = queue.pop()
        for t in writer.out.get(node, []):
            if (
                t.predicate.value != RDF_TYPE
                and t.object not in reached
                and writer.out.get(t.object)
            ):
                reached.add(t.object)
                queue.append(t.object)
    return reached


def graph_chunks(
    context: Context, triples: Iterable[ox.Triple], whole_context: bool = False
) -> Iterator[str]:
    """A flat ``@graph`` document in pieces, node by node (``whole_context``: the full
    context, written before any node; else the terms used, written once all are known)."""
    writer = Writer(context, triples)
    cells = writer.list_nodes()
    subjects = [s for s in sorted(writer.out, key=_sort_key) if s not in cells]
    if whole_context:
        head = _dumps({"@context": context.body()})
        yield head[:-2] + ',\n "@graph": ['
        for i, subject in enumerate(subjects):
            yield ("," if i else "") + "\n" + _indent(_dumps(writer.node(subject, embed=False)))
        yield "\n ]\n}\n"
        return
    nodes = [writer.node(s, embed=False) for s in subjects]
    yield _dumps({"@context": context.body(writer.used), "@graph": nodes}) + "\n"


def graph_document(
    context: Context, triples: Iterable[ox.Triple], whole_context: bool = False
) -> str:
    """The flat ``@graph`` document of ``triples`` (see :func:`graph_chunks`)."""
    return "".join(graph_chunks(context, triples, whole_context))


def _indent(text: str, by: str = "  ") -> str:
    return "\n".join(by + line for line in text.split("\n"))
