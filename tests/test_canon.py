"""Canonical blank-node labels (kg.rdf.canon): hashes for trees, pyoxigraph for the rest."""

from __future__ import annotations

import random
import re

import pyoxigraph as ox
import pytest

from kg.rdf import canon
from kg.rdf.canon import canonical_blank_lines

G = "<http://example.org/g>"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
FIRST, REST, NIL = f"<{RDF}first>", f"<{RDF}rest>", f"<{RDF}nil>"


def quads(text: str) -> list[bytes]:
    """N-Quads lines as the Store writes them (parsed and serialised by pyoxigraph)."""
    data = ox.serialize(ox.parse(text, format=ox.RdfFormat.N_QUADS), format=ox.RdfFormat.N_QUADS)
    return [line for line in data.split(b"\n") if line]


def relabel(lines: list[bytes], seed: int) -> list[bytes]:
    """The same quads with fresh blank nodes (other labels), lines shuffled."""
    fresh: dict[str, ox.BlankNode] = {}

    def swap(term):  # noqa: ANN001, ANN202 - pyoxigraph terms
        if isinstance(term, ox.BlankNode):
            return fresh.setdefault(term.value, ox.BlankNode())
        return term

    parsed = ox.parse(b"\n".join(lines), format=ox.RdfFormat.N_QUADS)
    moved = [
        ox.Quad(swap(q.subject), q.predicate, swap(q.object), swap(q.graph_name)) for q in parsed
    ]
    out = [line for line in ox.serialize(moved, format=ox.RdfFormat.N_QUADS).split(b"\n") if line]
    assert labels(out).isdisjoint(labels(lines)) or not labels(lines)
    random.Random(seed).shuffle(out)
    return out


def labels(lines: list[bytes]) -> set[bytes]:
    """The blank-node labels of subjects and objects (not "_:" inside a literal)."""
    terms = [canon.split_line(line) for line in lines]
    return {t for ts in terms if ts for t in (ts[0], ts[2]) if t.startswith(b"_:")}


def isomorphic(a: list[bytes], b: list[bytes]) -> bool:
    def c14n(lines: list[bytes]) -> set[bytes]:
        return set(canon._oxigraph_lines(lines))

    return c14n(a) == c14n(b)


# Two author lists (one with a shared head IRI) and a nested description.
TREES = f"""
<http://example.org/a> <http://example.org/authors> _:l1 {G} .
_:l1 {FIRST} <http://example.org/p1> {G} .
_:l1 {REST} _:l2 {G} .
_:l2 {FIRST} <http://example.org/p2> {G} .
_:l2 {REST} {NIL} {G} .
<http://example.org/b> <http://example.org/authors> _:m1 {G} .
_:m1 {FIRST} <http://example.org/p1> {G} .
_:m1 {REST} {NIL} {G} .
_:d <http://example.org/note> "a \\"quoted\\" _:x text"@en {G} .
_:d <http://example.org/part> _:e {G} .
_:e <http://example.org/count> "7"^^<http://www.w3.org/2001/XMLSchema#integer> .
"""


def test_trees_get_hash_labels_that_depend_on_the_data_alone() -> None:
    lines = quads(TREES)
    out = canonical_blank_lines(lines)
    assert len(out) == len(lines)
    assert len(labels(out)) == 5  # l1, l2, m1, d, e
    assert all(re.fullmatch(rb"_:c[0-9a-f]{16}", label) for label in labels(out))
    assert isomorphic(out, lines)
    for seed in range(5):
        assert sorted(canonical_blank_lines(relabel(lines, seed))) == sorted(out)
    # the literal's "_:x" is text, not a blank node
    assert any(b'"a \\"quoted\\" _:x text"@en' in line for line in out)


def test_identical_lists_in_different_places_get_different_labels() -> None:
    text = "".join(
        f"<http://example.org/{s}> <http://example.org/authors> _:{s} {G} .\n"
        f"_:{s} {FIRST} <http://example.org/p> {G} .\n"
        for s in ("a", "b")
    )
    out = canonical_blank_lines(quads(text))
    assert len(labels(out)) == 2
    assert all(re.fullmatch(rb"_:c[0-9a-f]{16}", label) for label in labels(out))


NOT_TREES = {
    # a blank node that is the object of two quads
    "shared": f"""
<http://example.org/a> <http://example.org/p> _:x {G} .
<http://example.org/b> <http://example.org/p> _:x {G} .
_:x <http://example.org/q> "v" {G} .
""",
    # a cycle
    "cycle": f"""
_:x <http://example.org/next> _:y {G} .
_:y <http://example.org/next> _:x {G} .
_:x <http://example.org/q> "v" {G} .
""",
    # two interchangeable nodes (same place, same content)
    "twins": f"""
<http://example.org/a> <http://example.org/p> _:x {G} .
<http://example.org/a> <http://example.org/p> _:y {G} .
_:x <http://example.org/q> "v" {G} .
_:y <http://example.org/q> "v" {G} .
""",
    # a blank graph name
    "blank graph": """
<http://example.org/a> <http://example.org/p> "v" _:g .
_:g <http://example.org/q> "v" .
""",
}


@pytest.mark.parametrize("name", sorted(NOT_TREES))
def test_other_shapes_go_to_pyoxigraphs_canonicalisation(name: str) -> None:
    lines = quads(NOT_TREES[name])
    out = canonical_blank_lines(lines)
    assert sorted(out) == sorted(canon._oxigraph_lines(lines))
    assert isomorphic(out, lines)
    for seed in range(3):
        assert sorted(canonical_blank_lines(relabel(lines, seed))) == sorted(out)


def test_a_forest_hidden_behind_a_shared_node_falls_back_whole() -> None:
    lines = quads(TREES + NOT_TREES["shared"])
    out = canonical_blank_lines(lines)
    assert sorted(out) == sorted(canon._oxigraph_lines(lines))


def test_lines_not_in_the_stores_form_fall_back() -> None:
    lines = [b"_:a  <http://example.org/p>  <http://example.org/o> ."]  # two spaces
    assert canon.split_line(lines[0]) is None
    assert isomorphic(canonical_blank_lines(lines), quads(lines[0].decode()))


def test_deep_lists_do_not_recurse() -> None:
    n = 50_000
    text = [f"<http://example.org/a> <http://example.org/authors> _:l0 {G} .\n"]
    for i in range(n):
        rest = f"_:l{i + 1}" if i + 1 < n else NIL
        text.append(f"_:l{i} {FIRST} <http://example.org/p{i}> {G} .\n")
        text.append(f"_:l{i} {REST} {rest} {G} .\n")
    lines = quads("".join(text))
    out = canonical_blank_lines(lines)
    assert len(labels(out)) == n
    assert all(re.fullmatch(rb"_:c[0-9a-f]{16}", label) for label in labels(out))
    assert sorted(canonical_blank_lines(relabel(lines, 7))) == sorted(out)
