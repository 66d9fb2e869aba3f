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

Those labels are the project's own: stable for the same data, but nobody else computes
them. Releases use the W3C standard instead, RDFC-1.0, through ``rdfc10_nquads``
(pyoxigraph's ``RDFC_1_0``, checked against the W3C suite in tests/test_rdfc10.py).
pyoxigraph sets no bound on RDFC-1.0's exponential worst case (the suite's "poison"
clique ran for over 5 minutes without an answer), so a deterministic guard first
refuses a dataset whose blank nodes would need too many permutations.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Iterable
from hashlib import blake2b
from typing import Literal

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


# --- RDFC-1.0 (releases) ------------------------------------------------------------------

#: The guard's default bound on ``rdfc10_permutations``: a clique of 7 blank nodes
#: (3.6e6, 0.8 s in pyoxigraph) passes, one of 8 (2e8, 7.4 s) is refused; the W3C
#: suite's hardest evaluation tests give 432, its poison clique of 10 1.3e12, the first
#: review's dump 11.
PERMUTATION_LIMIT = 10**7

_RDFC_ALGORITHMS = {
    "SHA256": ox.CanonicalizationAlgorithm.RDFC_1_0,
    "SHA384": ox.CanonicalizationAlgorithm.RDFC_1_0_SHA_384,
}


class CanonicalisationLimitError(ValueError):
    """The dataset's blank nodes are too symmetric for RDFC-1.0 within the limit."""


def rdfc10_nquads(
    data: ox.Dataset | Iterable[ox.Quad],
    *,
    hash_algorithm: Literal["SHA256", "SHA384"] = "SHA256",
    limit: int = PERMUTATION_LIMIT,
) -> str:
    """The RDFC-1.0 canonical N-Quads of ``data``: canonical blank-node labels
    (``_:c14n0``...), canonical term forms, one line per distinct quad, sorted in code
    point order, each ending in a newline. ``data`` is not changed. Raises
    ``CanonicalisationLimitError`` where ``rdfc10_permutations`` exceeds ``limit``."""
    dataset = ox.Dataset(data)  # a copy: canonicalize() relabels in place
    needed = rdfc10_permutations(dataset)
    if needed > limit:
        raise CanonicalisationLimitError(
            f"RDFC-1.0 would permute its blank nodes about {needed:.3g} times "
            f"(limit {limit:.3g}): too many interchangeable, interlinked blank nodes"
        )
    dataset.canonicalize(_RDFC_ALGORITHMS[hash_algorithm])
    text = ox.serialize(dataset, format=ox.RdfFormat.N_QUADS).decode("utf-8")
    # Split on "\n" only: str.splitlines() would also cut at U+0085 and U+2028, which
    # canonical N-Quads leaves unescaped inside literals and IRIs.
    lines = sorted(line for line in text.split("\n") if line)
    return "".join(line + "\n" for line in lines)


def rdfc10_permutations(dataset: ox.Dataset) -> int:
    """An estimate of the permutations RDFC-1.0's Hash N-Degree Quads runs: 0 when every
    blank node has a unique first-degree hash (the usual case: no permutation, linear
    time); else, summed over the blank nodes that share theirs, the product of n! over
    their groups of related blank nodes (same position, predicate and first-degree
    hash). It follows pyoxigraph's time on cliques of k blank nodes (k=6: 8.6e4, 0.04 s;
    7: 3.6e6, 0.8 s; 8: 2e8, 7.4 s; 10: 1.3e12, over 5 min), but it looks one level deep
    only: a guard against the clear cases, not the spec's count of calls."""
    mentions: dict[ox.BlankNode, list[ox.Quad]] = defaultdict(list)
    for quad in dataset:
        for term in {quad.subject, quad.object, quad.graph_name}:
            if isinstance(term, ox.BlankNode):
                mentions[term].append(quad)
    first = {node: _first_degree(node, quads) for node, quads in mentions.items()}
    sharing: dict[tuple[str, ...], int] = defaultdict(int)
    for key in first.values():
        sharing[key] += 1
    total = 0
    for node, quads in mentions.items():
        if sharing[first[node]] == 1:
            continue  # gets its canonical label from its first-degree hash alone
        groups: dict[tuple[str, str, object], int] = defaultdict(int)
        for quad in quads:
            for position, term in (("s", quad.subject), ("o", quad.object), ("g", quad.graph_name)):
                if isinstance(term, ox.BlankNode) and term != node:
                    unique = sharing[first[term]] == 1
                    groups[position, str(quad.predicate), term if unique else first[term]] += 1
        total += math.prod(math.factorial(size) for size in groups.values())
    return total


def _first_degree(node: ox.BlankNode, quads: list[ox.Quad]) -> tuple[str, ...]:
    """What RDFC-1.0's first-degree hash of ``node`` hashes: its quads with ``node`` as
    ``_:a`` and every other blank node as ``_:z``, sorted (equal keys, equal hashes)."""

    def term_text(term: object) -> str:
        if isinstance(term, ox.BlankNode):
            return "_:a" if term == node else "_:z"
        return str(term)

    return tuple(
        sorted(
            " ".join(term_text(t) for t in (q.subject, q.predicate, q.object, q.graph_name))
            for q in quads
        )
    )
