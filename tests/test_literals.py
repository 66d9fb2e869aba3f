"""kg.rdf.literals: one definition of the literals the Store rewrites, recognised alike in
terms, in the Store (ASK), in N-Triples lines and text, and in source files."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest

from kg.rdf.literals import (
    WrittenQuads,
    ask_rewritable,
    file_marked,
    ntriples_marked,
    rewritable,
    rewritable_line,
    rewritable_triple,
)

XSD = "http://www.w3.org/2001/XMLSchema#"
S, P = ox.NamedNode("https://example.org/s"), ox.NamedNode("https://example.org/p")
G = ox.NamedNode("https://example.org/g")

OBJECTS = [
    (ox.NamedNode("https://example.org/o"), False),
    (ox.BlankNode("b1"), False),
    (ox.Literal("plain"), False),
    (ox.Literal('ends with "@en" .'), False),  # markers inside a plain string
    (ox.Literal("7", datatype=ox.NamedNode(XSD + "string")), False),
    (ox.Literal("07", datatype=ox.NamedNode(XSD + "positiveInteger")), True),
    (ox.Literal("0.50", datatype=ox.NamedNode(XSD + "decimal")), True),
    (ox.Literal("2020", datatype=ox.NamedNode(XSD + "gYear")), True),
    (ox.Literal("x", datatype=ox.NamedNode("https://example.org/own-type")), True),
    (ox.Literal("Hi", language="en-GB"), True),
]


@pytest.mark.parametrize(("term", "expected"), OBJECTS, ids=[str(t) for t, _ in OBJECTS])
def test_every_recogniser_agrees_with_the_one_definition(term: object, expected: bool) -> None:
    assert rewritable(term) is expected
    line = ox.serialize([ox.Triple(S, P, term)], format=ox.RdfFormat.N_TRIPLES)
    assert (rewritable_line(line.rstrip(b"\n")) is not None) is expected
    assert (rewritable_triple(line.rstrip(b"\n").removesuffix(b" .")) is not None) is expected
    if expected:  # text-level: never misses one (a plain string may look marked)
        assert ntriples_marked(line)
    store = ox.Store()
    store.add(ox.Quad(S, P, term, G))
    assert bool(store.query(ask_rewritable(G))) is expected


def test_the_store_really_rewrites_what_the_definition_names() -> None:
    """The reason for the module: a typed literal comes back in another form."""
    store = ox.Store()
    written = ox.Literal("07", datatype=ox.NamedNode(XSD + "positiveInteger"))
    store.add(ox.Quad(S, P, written, G))
    (held,) = [q.object for q in store]
    assert rewritable(written) and held != written


def test_subjects_and_predicates_are_never_rewritable() -> None:
    assert not rewritable(S) and not rewritable(P) and not rewritable(None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('<https://e.org/s> <https://e.org/p> "1"^^<https://e.org/t> .\n', True),
        ("<https://e.org/s> <https://e.org/p> 'hi'@en .\n", True),
        ('<https://e.org/s> <https://e.org/p> """long"""@en .\n', True),
        ('<https://e.org/s> <https://e.org/p> "plain" , <https://e.org/o> .\n', False),
        # a bare number is a typed literal without a marker: a hint, not a proof
        ("<https://e.org/s> <https://e.org/p> 7 .\n", False),
    ],
)
def test_file_markers(tmp_path: Path, text: str, expected: bool) -> None:
    path = tmp_path / "a.ttl"
    path.write_text(text, encoding="utf-8")
    assert file_marked(path) is expected


def test_written_quads_keep_only_rewritable_literals_and_read_the_rest_from_the_store() -> None:
    store = ox.Store()
    typed = ox.Quad(S, P, ox.Literal("07", datatype=ox.NamedNode(XSD + "int")), G)
    plain = ox.Quad(S, P, ox.Literal("plain"), G)
    store.extend([typed, plain])
    written = WrittenQuads(store)
    written.note(G.value, [typed, plain])
    assert written.exact_for(G.value) == [typed]
    assert sorted(map(str, written.quads_for_graph_name(G))) == sorted(map(str, [typed, plain]))
    assert len(written) == 2 and written.exact_for("https://example.org/other") == []
