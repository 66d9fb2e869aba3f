"""Canonical blank-node labels for N-Quads lines, fast where the blank nodes form trees.

The dumps must be byte-identical for the same data, so every blank node gets a label
computed from the data alone. pyoxigraph's dataset canonicalisation does that for any
shape of blank nodes, but it needs a Python object per quad and holds the GIL, which
on a large review's many author lists costs more than the rest of the dumps.

Our blank nodes are RDF lists (author lists) and other nested descriptions: each blank
node is the object of at most one quad, and following those quads upwards never comes
back to where it started. For such *trees* a label can be a hash: of what the node says
(its quads as subject, a child blank node standing for its own hash) and of where it
hangs (the quad that has it as object, its subject standing for the parent's label, or
nothing for a root). Nothing else enters the hash, so two isomorphic datasets give the
same labels; distinct nodes get distinct labels unless two of them are
interchangeable (same place, same content), which is checked. Whenever the input is
not such a forest, or two labels meet, the whole input goes to pyoxigraph's
canonicalisation instead (tested both ways). The work is done on the N-Quads text
lines as the Store writes them, without RDF term objects.
"""

from __future__ import annotations

import re
from hashlib import blake2b

import pyoxigraph as ox

# One N-Quads line as pyoxigraph writes it: subject, predicate, object, optional graph.
_LINE = re.compile(
    rb"(_:\S+|<[^>]*>) (<[^>]*>) "
    rb'(_:\S+|<[^>]*>|"(?:[^"\\]|\\.)*"(?:\^\^<[^>]*>|@[A-Za-z0-9-]+)?)'
    rb"(?: (<[^>]*>|_:\S+))? \."
)


#: The terms of an N-Quads line as written: subject, predicate, object, graph (or b"").
Terms = tuple[bytes, bytes, bytes, bytes]


def split_line(line: bytes) -> Terms | None:
    """An N-Quads (or N-Triples) line as pyoxigraph writes it: (subject, predicate,
    object, graph or b""), terms as written; None for anything else."""
    match = _LINE.fullmatch(line)
    if match is None:
        return None
    s, p, o, g = match.groups()
    return s, p, o, g or b""


class _NotAForest(Exception):
    """The blank nodes are not trees, or two of them are interchangeable."""


def canonical_blank_lines(lines: list[bytes]) -> list[bytes]:
    """``lines`` (N-Quads, each mentioning a blank node) with canonical blank-node
    labels; the result's order is not meaningful (the dumps sort it)."""
    lines = [line for line in lines if line]
    if not lines:
        return []
    try:
        return _forest_lines(lines)
    except _NotAForest:
        return _oxigraph_lines(lines)


def _oxigraph_lines(lines: list[bytes]) -> list[bytes]:
    """Any shape of blank nodes: pyoxigraph's dataset canonicalisation."""
    dataset = ox.Dataset(ox.parse(b"\n".join(lines), format=ox.RdfFormat.N_QUADS))
    dataset.canonicalize(ox.CanonicalizationAlgorithm.UNSTABLE)
    text = ox.serialize(dataset, format=ox.RdfFormat.N_QUADS)
    return [line for line in text.split(b"\n") if line]


def _digest(*parts: bytes) -> bytes:
    return blake2b(b"\x00".join(parts), digest_size=8).hexdigest().encode("ascii")


def _forest_lines(lines: list[bytes]) -> list[bytes]:
    """The lines relabelled with their blank nodes' tree hashes (see the module)."""
    forest = _Forest(lines)
    for node in forest.children:
        forest.label_of(node)
    if len(set(forest.label.values())) != len(forest.label):
        raise _NotAForest("interchangeable blank nodes")
    return forest.relabelled()


class _Forest:
    """Blank nodes of N-Quads lines as trees: each the object of at most one line."""

    def __init__(self, lines: list[bytes]) -> None:
        self.parsed: list[Terms] = []
        #: blank node -> the lines it is subject of
        self.children: dict[bytes, list[int]] = {}
        #: blank node -> the one line it is object of
        self.parent: dict[bytes, int] = {}
        #: blank node -> hash of what it says (bottom-up), and its label (top-down)
        self.content: dict[bytes, bytes] = {}
        self.label: dict[bytes, bytes] = {}
        for i, line in enumerate(lines):
            terms = split_line(line)
            if terms is None:
                raise _NotAForest(line)
            s, _p, o, g = terms
            if g.startswith(b"_:"):
                raise _NotAForest("a blank graph name")
            self.parsed.append(terms)
            if s.startswith(b"_:"):
                self.children.setdefault(s, []).append(i)
            if o.startswith(b"_:"):
                if o in self.parent:
                    raise _NotAForest("a blank node that is the object of two quads")
                self.parent[o] = i
                self.children.setdefault(o, [])

    def content_of(self, node: bytes) -> bytes:
        """The hash of what ``node`` says, a child blank node standing for its own hash
        (iterative post-order: lists of authors are deep)."""
        parsed, children, content = self.parsed, self.children, self.content
        stack, seen = [node], {node}
        while stack:
            current = stack[-1]
            pending = [
                parsed[i][2]
                for i in children[current]
                if parsed[i][2].startswith(b"_:") and parsed[i][2] not in content
            ]
            for child in pending:
                if child in seen:
                    raise _NotAForest("a cycle of blank nodes")
            if pending:
                seen.update(pending)
                stack.extend(pending)
                continue
            stack.pop()
            said = []
            for i in children[current]:
                _s, p, o, g = parsed[i]
                said.append(b" ".join((p, b"_:" + content[o] if o.startswith(b"_:") else o, g)))
            said.sort()
            content[current] = _digest(b"c", *said)
        return content[node]

    def label_of(self, node: bytes) -> bytes:
        """The label of ``node``: a hash of where it hangs (its parent's label standing
        for a blank subject) and of what it says; its ancestors are labelled first."""
        chain = []
        current = node
        while current not in self.label:
            chain.append(current)
            if len(chain) > len(self.children):
                raise _NotAForest("a cycle of blank nodes")
            at = self.parent.get(current)
            if at is None or not self.parsed[at][0].startswith(b"_:"):
                break
            current = self.parsed[at][0]
        for current in reversed(chain):
            at = self.parent.get(current)
            if at is None:
                where = b"root"
            else:
                s, p, _o, g = self.parsed[at]
                where = b" ".join((self.label[s] if s.startswith(b"_:") else s, p, g))
            self.label[current] = _digest(b"l", where, self.content_of(current))
        return self.label[node]

    def relabelled(self) -> list[bytes]:
        """The lines with every blank node written as its label."""
        out = []
        for s, p, o, g in self.parsed:
            s = b"_:c" + self.label[s] if s.startswith(b"_:") else s
            o = b"_:c" + self.label[o] if o.startswith(b"_:") else o
            out.append(b" ".join((s, p, o, g, b".")) if g else b" ".join((s, p, o, b".")))
        return out
