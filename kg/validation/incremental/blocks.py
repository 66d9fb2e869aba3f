"""A data file cut into statement blocks (at blank lines), and the quads of some blocks.

Blank nodes are named after the statement that holds them, so the same statement gives
the same quads in every run; a file that repeats such a statement, or uses ``_:``
labels, is read whole, its blank nodes named by position.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from kg.config import rewriter
from kg.rdf.imports import OWL_IMPORTS
from kg.rdf.load import Source

_FORMATS = {".ttl": ox.RdfFormat.TURTLE, ".nt": ox.RdfFormat.N_TRIPLES}

_DIRECTIVE_LINE = re.compile(
    r"^[ \t]*(?:@prefix|@base|PREFIX|BASE)\b[^\n]*$", re.IGNORECASE | re.MULTILINE
)
_CONTENT = re.compile(r"^[ \t]*[^#\s]", re.MULTILINE)
_BLANK_LINE = re.compile(r"\n[ \t]*\r?\n")
_TOKEN = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^>\s]*>|\#[^\n]*|[\[\]()]|\.(?=\s|$)"
)


@dataclass
class Split:
    """A data file cut into statement blocks (at blank lines), with its directives."""

    header: str
    blocks: list[str]
    whole: bool  # not cut: the file is one block (labelled blank nodes, odd layout)


class BlockError(Exception):
    """A block does not parse on its own (the cut was not at a statement boundary)."""


def split_blocks(text: str, suffix: str) -> Split:
    """Cut ``text`` at blank lines; directives (@prefix...) go to the header. A file with
    ``_:`` labels (a blank node shared between statements) stays whole."""
    if "_:" in text:
        return Split("", [text], True)
    if suffix == ".nt":
        return Split("", [line for line in text.splitlines() if line.strip()], False)
    # Directives anywhere in the file go to the header (one pass over the text).
    head = [m.group(0) for m in _DIRECTIVE_LINE.finditer(text)]
    if head:
        text = _DIRECTIVE_LINE.sub("", text)
    blocks = []
    for block in _BLANK_LINE.split(text):
        first = block.lstrip()[:1]
        if first and (first != "#" or _CONTENT.search(block)):
            blocks.append(block.strip("\n"))
    return Split("\n".join(head) + "\n", blocks, False)


def statements(block: str) -> list[str]:
    """The top-level statements of a Turtle block (cut after each "." outside strings,
    IRIs, comments and brackets); the block itself when it has no blank-node syntax or
    cannot be cut safely."""
    if "[" not in block and "(" not in block:
        return [block]
    cuts, depth, start = [], 0, 0
    for m in _TOKEN.finditer(block):
        token = m.group(0)
        if token in ("[", "("):
            depth += 1
        elif token in ("]", ")"):
            depth -= 1
            if depth < 0:
                return [block]
        elif token == "." and depth == 0:
            cuts.append(block[start : m.end()].strip())
            start = m.end()
    if depth != 0 or block[start:].strip():
        return [block]
    return cuts or [block]


class _Namer:
    """Blank nodes of one block named ``b<block hash>n<order of appearance>``."""

    def __init__(self, stem: str) -> None:
        self.stem = stem
        self.names: dict[ox.BlankNode, ox.BlankNode] = {}

    def __call__(self, term: ox.BlankNode) -> ox.BlankNode:
        found = self.names.get(term)
        if found is None:
            found = self.names[term] = ox.BlankNode(f"b{self.stem}n{len(self.names)}")
        return found


def _moved(
    q: ox.Quad,
    graph: ox.NamedNode,
    rewrite: Callable[[str], str] | None,
    name: Callable[[ox.BlankNode], ox.BlankNode] | None = None,
) -> ox.Quad:
    """``q`` in ``graph``, its IRIs moved to the base and its blank nodes named."""
    s, o = q.subject, q.object
    if name is not None and isinstance(s, ox.BlankNode):
        s = name(s)
    elif rewrite is not None and isinstance(s, ox.NamedNode):
        s = ox.NamedNode(rewrite(s.value))
    if name is not None and isinstance(o, ox.BlankNode):
        o = name(o)
    elif rewrite is not None and isinstance(o, ox.NamedNode):
        o = ox.NamedNode(rewrite(o.value))
    return ox.Quad(s, q.predicate, o, graph)


def _simple(block: str) -> bool:
    """A block without "[", "(" or "_:": it has no blank nodes."""
    return "[" not in block and "(" not in block and "_:" not in block


def parse_blocks(split: Split, blocks: Iterable[str], source: Source, base: str) -> list[ox.Quad]:
    """The triples of ``blocks`` in the file's named graph, instance IRIs moved to
    ``base`` and blank nodes named after their block (same text, same names: so the
    triples of an unchanged block are the same quads in every run)."""
    rewrite = rewriter(base)
    graph = ox.NamedNode(source.graph)
    fmt = _FORMATS[source.path.suffix]
    out: list[ox.Quad] = []
    blocks = list(blocks)
    # Blocks without blank nodes are parsed in one go (one parse per block is what
    # costs when a whole file is read).
    simple = [b for b in blocks if _simple(b)]
    if len(simple) > 1:
        try:
            parsed = ox.parse((split.header + "\n\n".join(simple)).encode(), format=fmt)
            out += [_moved(q, graph, rewrite) for q in parsed if q.predicate != OWL_IMPORTS]
            blocks = [b for b in blocks if not _simple(b)]
        except SyntaxError:
            out = []  # parsed one by one below, so that the failing block is known
    # A block with blank nodes is parsed statement by statement, each naming its blank
    # nodes after its own text: editing one statement of a block (a study's title)
    # leaves the blank nodes of the others (its author list) as they were.
    pieces = blocks if split.whole else [p for block in blocks for p in statements(block)]
    named = [p for p in pieces if "[" in p or "(" in p]
    if len(set(named)) != len(named) and not split.whole:
        # The same statement twice would give its blank nodes the same names twice.
        raise BlockError(f"{source.rel}: a statement with blank nodes is repeated")
    for piece in pieces:
        text = split.header + piece
        name = _Namer(hashlib.sha1(f"{source.graph}\n{text}".encode()).hexdigest()[:20])
        try:
            parsed = list(ox.parse(text.encode(), format=fmt))
        except SyntaxError as exc:
            raise BlockError(f"{source.rel}: {exc}") from exc
        out += [_moved(q, graph, rewrite, name) for q in parsed if q.predicate != OWL_IMPORTS]
    return out


def read_file(source: Source, base: str) -> tuple[Split, list[ox.Quad], list[str]]:
    """A source file cut into blocks, its quads, and the triples two blocks both state
    (as strings: removing one of those blocks must not remove the triple)."""
    text = source.path.read_text(encoding="utf-8-sig")
    split = split_blocks(text, source.path.suffix)
    try:
        quads = parse_blocks(split, split.blocks, source, base)
    except BlockError:
        split = Split("", [text], True)
        quads = parse_blocks(split, split.blocks, source, base)
    seen: set[ox.Quad] = set()
    dups = set()
    for q in quads:
        if q in seen:
            dups.add(str(q))
        seen.add(q)
    return split, quads, sorted(dups)
