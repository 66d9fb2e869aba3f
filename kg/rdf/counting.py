"""Counts over sorted N-Triples lines (bytes), in this process or in a child of its own.

:class:`LineCounts` tallies, one C-level pass per column of a batch, what a site needs of
a whole graph (kg.web.site.facts turns it into VoID statistics, JSON-LD usage and the
subjects under the base). Tallying the default view at scale holds the GIL for seconds
(about 3 s of CPU at 10^4 studies), so the build runs it in a child process, beside its
own N-Quads writer (kg.build.dumps; the schedule in kg.build.schedule):
:class:`CountingProcess` feeds it the same chunks the Turtle writers get and reads the
counts back. ``python -m kg.rdf.counting`` is that child: its standard input is an empty
LineCounts (pickled, length first) then the lines, each ended by `` .\\n``; its standard
output the LineCounts counted (pickled). Only this package's own child reads and writes
these pickles.

This module imports nothing heavy (a child starts in a few hundredths of a second).
"""

from __future__ import annotations

import contextlib
import gc
import pickle
import struct
import subprocess
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import groupby
from typing import BinaryIO

import pyoxigraph as ox

from kg.prefixes import PREFIXES

TYPE = f"<{PREFIXES['rdf']}type>".encode()
NIL = f"<{PREFIXES['rdf']}nil>".encode()
_LT, _QUOTE, _BLANK = ord("<"), ord('"'), ord("_")
_END = b" .\n"  # the end of a line fed to the child (kg.rdf.lines.TRIPLE_END)
_READ = 1 << 23  # bytes the child reads at a time


@dataclass
class LineCounts:
    """What sorted lines (N-Triples without their final `` .``, a triple held by several
    graphs on adjacent lines) hold, counted so far (:meth:`add`)."""

    base: bytes  # "<" + the base IRI: subjects under it are the entities
    #: lines counted as a whole (:attr:`close`): those with one of these predicates or
    #: objects, or a blank-node object
    close_predicates: frozenset[bytes] = frozenset()
    close_objects: frozenset[bytes] = frozenset()
    triples: int = 0
    subjects: int = 0
    entities: list[bytes] = field(default_factory=list)
    objects: set[int] = field(default_factory=set)  # hashes (as VoID's Statistics.of)
    properties: Counter[bytes] = field(default_factory=Counter)
    classes: Counter[bytes] = field(default_factory=Counter)  # rdf:type's IRI objects
    #: (predicate, literal suffix: its datatype or language) of literal objects
    literals: set[tuple[bytes, bytes]] = field(default_factory=set)
    iris: set[bytes] = field(default_factory=set)  # predicates with an IRI object
    close: list[bytes] = field(default_factory=list)  # the lines counted as a whole
    last: bytes = b""  # the last line counted
    last_subject: bytes = b""

    def add(self, batch: list[bytes]) -> None:
        """Count a batch of sorted lines (the next after those counted)."""
        lines = [line for line, _ in groupby(batch)]
        if lines and lines[0] == self.last:
            del lines[0]
        if not lines:
            return
        self.last = lines[-1]
        s_col, p_col, o_col = zip(*[line.split(b" ", 2) for line in lines], strict=True)
        if b"<<" in s_col:  # a quoted triple as subject (RDF-star) has spaces
            s_col, p_col, o_col = zip(*map(terms, lines), strict=True)
        self.triples += len(lines)
        subjects = list(dict.fromkeys(s_col))  # sorted lines: a subject's are adjacent
        if subjects[0] == self.last_subject:
            del subjects[0]
        self.last_subject = s_col[-1]
        self.subjects += len(subjects)
        self.entities += [s for s in subjects if s.startswith(self.base)]
        self.objects.update(map(hash, o_col))
        self.properties.update(p_col)
        pairs = list(zip(p_col, o_col, strict=True))
        self.classes.update(o for p, o in pairs if p == TYPE and o[0] == _LT)
        close_p, close_o = self.close_predicates, self.close_objects
        self.close += [
            line
            for line, (p, o) in zip(lines, pairs, strict=True)
            if p in close_p or o in close_o or o[0] == _BLANK
        ]
        self.literals.update(
            (p, o[o.rindex(b'"') + 1 :]) for p, o in pairs if o[0] == _QUOTE and p not in close_p
        )
        self.iris.update(p for p, o in pairs if o[0] == _LT and o != NIL)


def terms(line: bytes) -> list[bytes]:
    """Subject, predicate and object of a line as written, a quoted triple (RDF-star)
    parsed."""
    if not line.startswith(b"<<"):
        return line.split(b" ", 2)
    t = next(iter(ox.parse(line + b" .", format=ox.RdfFormat.N_TRIPLES)))
    return [str(t.subject).encode(), str(t.predicate).encode(), str(t.object).encode()]


def count_lines(counts: LineCounts, lines: list[bytes], batch: int) -> LineCounts:
    """Add ``lines`` to ``counts``, ``batch`` lines at a time, the cyclic collector off:
    the columns are millions of short-lived lists and tuples, none in a cycle, that it
    would only walk again and again (twice the time at 10^4 studies)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        for start in range(0, len(lines), batch):
            counts.add(lines[start : start + batch])
    finally:
        if collecting:
            gc.enable()
    return counts


#: The exit code of a child that could not read its input (a message on stderr).
_BAD_INPUT = 65


class CountingProcess:
    """A child process (``python -m kg.rdf.counting``) counting the lines it is fed."""

    def __init__(self, counts: LineCounts) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "kg.rdf.counting"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._empty = pickle.dumps(counts, pickle.HIGHEST_PROTOCOL)

    def feed(self, chunks: Iterable[bytes]) -> None:
        """Send the sorted lines (chunks of whole lines, each ended by `` .\\n``), then
        end the input."""
        stdin = self._process.stdin
        assert stdin is not None
        # a broken pipe means the child failed: finish() says why
        with contextlib.suppress(BrokenPipeError):
            try:
                stdin.write(struct.pack("<Q", len(self._empty)) + self._empty)
                for chunk in chunks:
                    stdin.write(chunk)
            finally:
                with contextlib.suppress(BrokenPipeError):
                    stdin.close()

    def finish(self) -> LineCounts:
        """Wait for the child; what it counted (RuntimeError with what it said if it
        failed)."""
        assert self._process.stdout is not None and self._process.stderr is not None
        out = self._process.stdout.read()
        err = self._process.stderr.read()  # the child writes there only when it fails
        self._process.wait()
        if self._process.returncode != 0:
            message = err.decode("utf-8", "replace").strip()[-2000:]
            raise RuntimeError(f"counting the dump's triples failed: {message}")
        counts: LineCounts = pickle.loads(out)  # our own child's answer (see the module)
        return counts

    def stop(self) -> None:
        """End the child if it still runs (the build failed meanwhile)."""
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        for stream in (self._process.stdin, self._process.stdout, self._process.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()


def _count_stream(source: BinaryIO) -> LineCounts:
    """The child's work: the empty LineCounts, then the lines, read from ``source``."""
    (size,) = struct.unpack("<Q", source.read(8))
    counts: LineCounts = pickle.loads(source.read(size))  # from the parent (see the module)
    rest = b""
    gc.disable()  # as count_lines: no cycles among the columns
    while block := source.read(_READ):
        lines = (rest + block).split(_END)
        rest = lines.pop()  # a line not yet whole (or b"")
        counts.add(lines)
    if rest:
        raise ValueError(f"the input ends inside a line: {rest[:80]!r}")
    return counts


def main() -> int:
    """``python -m kg.rdf.counting``: see the module."""
    try:
        counts = _count_stream(sys.stdin.buffer)
    except (ValueError, struct.error, pickle.UnpicklingError) as exc:
        print(exc, file=sys.stderr)
        return _BAD_INPUT
    sys.stdout.buffer.write(pickle.dumps(counts, pickle.HIGHEST_PROTOCOL))
    return 0


if __name__ == "__main__":
    sys.exit(main())
