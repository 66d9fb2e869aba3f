"""The literals the Store rewrites: which they are, how to recognise them, their written form.

pyoxigraph's Store keeps IRIs, blank nodes and plain strings exactly as parsed, but holds
other literals in a form of its own: typed literals canonicalised (``"01"^^xsd:int`` as
``"1"^^xsd:integer``, ``"0.50"^^xsd:decimal`` as ``"0.5"``), language tags possibly
case-normalised. Queries may see the Store's forms; the dumps and the graphs handed to
validation must keep the written ones. This module is the one place that says which
literals those are, and how each stage recognises them where it meets them:

- a term: :func:`rewritable` (every literal but a plain string);
- a graph of the Store: :func:`ask_rewritable` (a SPARQL ASK);
- N-Triples text as pyoxigraph writes it: :func:`ntriples_marked` (a whole text),
  :data:`rewritable_line` (one line);
- a source file: :func:`file_marked` (a datatype or language-tag marker in its bytes);
- the written form itself: :class:`WrittenQuads`, the quads with such a literal as
  parsed, kept beside the Store.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from pathlib import Path

import pyoxigraph as ox

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def rewritable(term: object) -> bool:
    """Whether the Store may hold this (pyoxigraph) term in another form than written:
    every literal but a plain string (a language-tagged string is rdf:langString)."""
    return isinstance(term, ox.Literal) and term.datatype.value != XSD_STRING


def ask_rewritable(graph: ox.NamedNode) -> str:
    """A SPARQL ASK: does ``graph`` hold a literal the Store may have rewritten? (The
    Store never turns such a literal into a plain string, so its own forms answer.)"""
    return (
        f"ASK {{ GRAPH {graph} {{ ?s ?p ?o "
        f"FILTER (isLiteral(?o) && datatype(?o) != <{XSD_STRING}>) }} }}"
    )


# In N-Triples a datatype or a language tag always follows the literal's closing double
# quote; Turtle also allows single quotes, long strings, and bare numbers and booleans.
_NTRIPLES_MARKS = (b'"^^', b'"@')
_TURTLE_MARKS = (b"^^", b'"@', b"'@")
_BLOCK = 1 << 20


def ntriples_marked(data: bytes) -> bool:
    """Whether N-Triples (or N-Quads) text may hold a literal other than a plain string:
    never False when it does (True also for a plain string that holds the marks)."""
    return any(mark in data for mark in _NTRIPLES_MARKS)


# A literal's end when it is typed or tagged, as pyoxigraph writes it.
_TYPED_OR_TAGGED_END = rb'"(?:\^\^<[^>]*>|@[A-Za-z0-9-]+)'
#: The match (or None) of a literal other than a plain string at the end of an N-Triples
#: line as pyoxigraph writes it (without its line end): the object, typed or tagged. The
#: compiled pattern's own method, since it runs on every line of the dumps.
rewritable_line = re.compile(_TYPED_OR_TAGGED_END + rb" \.$").search
#: The same for a triple's line without its final " .".
rewritable_triple = re.compile(_TYPED_OR_TAGGED_END + rb"$").search


def file_marked(path: Path) -> bool:
    """Whether a Turtle or N-Triples file's text has a datatype or a language-tag marker
    (``^^``, ``"@``, ``'@``), read a block at a time. Turtle's bare numbers and booleans
    carry none: a hint (which files most likely hold such literals), not a proof."""
    with path.open("rb") as text:
        before = b""  # a marker may straddle two blocks
        while block := text.read(_BLOCK):
            joined = before + block
            if any(mark in joined for mark in _TURTLE_MARKS):
                return True
            before = block[-1:]
    return False


class WrittenQuads:
    """The quads as loaded, exactly as written, per named graph — backed by the Store.

    The Store already holds every quad exactly as written except those with a
    :func:`rewritable` literal: only those quads are kept here, as parsed (a copy of
    every quad as Python objects would cost about as much memory as the Store itself).
    Reads take the Store's quads without such literals and add the kept ones; both come
    from one parse, so they share the Store's blank-node labels. Offers the reads the
    stages need, with the names of :class:`pyoxigraph.Dataset`: ``quads_for_graph_name``
    and iteration over every quad (a file may repeat a triple, so duplicates are
    possible; the canonical dumps drop them).
    """

    def __init__(self, store: ox.Store) -> None:
        self._store = store
        self._exact: dict[str, list[ox.Quad]] = {}

    def note(self, graph: str, quads: Iterable[ox.Quad]) -> None:
        """Remember the quads of ``graph`` whose literal the Store may rewrite."""
        kept = [q for q in quads if rewritable(q.object)]
        if kept:
            self._exact.setdefault(graph, []).extend(kept)

    def _graph(self, graph: ox.NamedNode) -> Iterator[ox.Quad]:
        for quad in self._store.quads_for_pattern(None, None, None, graph):
            if not rewritable(quad.object):
                yield quad
        yield from self._exact.get(graph.value, ())

    def quads_for_graph_name(self, graph: ox.NamedNode) -> list[ox.Quad]:
        return list(self._graph(graph))

    def exact_for(self, graph: str) -> list[ox.Quad]:
        """The kept quads of one graph (those with a rewritable literal, as written)."""
        return list(self._exact.get(graph, ()))

    def __iter__(self) -> Iterator[ox.Quad]:
        graphs = {g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode)}
        for name in sorted(graphs | set(self._exact)):
            yield from self._graph(ox.NamedNode(name))

    def __len__(self) -> int:
        return sum(1 for _ in self)
