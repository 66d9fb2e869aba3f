"""N-Quads and N-Triples lines as bytes: sorted, unique, cut to their triples.

The dumps handle millions of lines; as bytes they take less memory than str, and
UTF-8 byte order is code point order, so sorting bytes sorts the text. Nothing here
parses RDF: the lines are those pyoxigraph writes (one statement a line, terms separated
by single spaces, a final `` .``).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import groupby
from typing import BinaryIO

#: Lines joined into one chunk at a time.
BATCH = 50_000
#: The end of an N-Triples line, put back on the triples of :func:`triples_of`.
TRIPLE_END = b" .\n"


def sorted_unique(lines: list[bytes], end: bytes = b"\n") -> bytes:
    """Sort ``lines`` in place, drop empty and repeated ones, end each with ``end``."""
    lines.sort()
    return b"".join(unique_chunks(lines, end))


def unique_chunks(lines: list[bytes], end: bytes = b"\n") -> Iterator[bytes]:
    """Sorted ``lines`` as byte chunks, each line once (no empty line) and ended with
    ``end``, :data:`BATCH` lines at a time."""
    return _unique_chunks((lines[at : at + BATCH] for at in range(0, len(lines), BATCH)), end)


def triple_chunks(
    lines: Sequence[bytes], start: int = 0, stop: int | None = None
) -> Iterator[bytes]:
    """The triples of ``lines[start:stop]``, sorted N-Quads lines of named graphs, as
    N-Triples byte chunks, each triple once, :data:`BATCH` lines at a time. No list of
    the triples is made: sorted quad lines are in the order of their triples (a triple
    is a whole term shorter than any other line it begins), and the lines of a triple
    held by several graphs are adjacent."""
    stop = len(lines) if stop is None else stop
    batches = (lines[at : min(at + BATCH, stop)] for at in range(start, stop, BATCH))
    return batch_triple_chunks(batches)


def batch_triple_chunks(batches: Iterable[Sequence[bytes]]) -> Iterator[bytes]:
    """:func:`triple_chunks` of sorted N-Quads lines given a batch at a time."""
    return _unique_chunks(map(triples_of, batches), TRIPLE_END)


def _unique_chunks(batches: Iterable[list[bytes]], end: bytes) -> Iterator[bytes]:
    """Consecutive batches of sorted lines as byte chunks, each line once (no empty
    line), each ended with ``end``."""
    previous = b""  # sorted: an empty line can only come first
    for batch in batches:
        chunk = [line for line, _ in groupby(batch)]
        if chunk and chunk[0] == previous:  # empty, or the last line of the batch before
            del chunk[0]
        if chunk:
            previous = chunk[-1]
            yield end.join(chunk) + end


def unique(lines: Iterable[bytes]) -> list[bytes]:
    """``lines`` without empty and repeated ones, in their order."""
    return [line for line in dict.fromkeys(lines) if line]


def triples_of(lines: Iterable[bytes]) -> list[bytes]:
    """The triples of N-Quads lines of named graphs (lines end ``<graph> .``), each an
    N-Triples line without its final `` .``; empty lines left out."""
    return [line[: line.rindex(b" <", 0, len(line) - 2)] for line in lines if line]


def line_blocks(stream: BinaryIO, size: int, stop: int | None = None) -> Iterator[bytes]:
    """Blocks of whole lines read from ``stream`` from where it stands up to byte
    ``stop`` (its end by default), about ``size`` bytes each: put end to end they are
    the bytes read (a last line without a line end comes last, alone)."""
    left = None if stop is None else stop - stream.tell()
    rest = b""
    while left is None or left > 0:
        block = stream.read(size if left is None else min(size, left))
        if not block:
            break
        if left is not None:
            left -= len(block)
        block = rest + block
        cut = block.rfind(b"\n") + 1
        rest = block[cut:]
        if cut:
            yield block[:cut]
    if rest:
        yield rest
