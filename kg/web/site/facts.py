"""What a site without resource pages needs to know of the whole default view, counted
from its triples as the dumps write them (kg.build.dumps: the sorted N-Triples lines
fed to the Turtle writers), so that the site never reads the dump a second time.

One pass in Python over bytes, no RDF term object per triple: the VoID statistics
(kg.web.site.void.Statistics), the JSON-LD context's usage (kg.rdf.jsonld.Usage) and
the IRIs under the base that are subjects (the pages rendered on demand, listed by the
sitemap). The lines are those pyoxigraph writes (terms separated by single spaces, IRIs
unescaped, each term written one way only), so equal terms are equal bytes. The few
lines the usage reads closely (declarations, ranges, lists, blank objects) are parsed
and counted as :meth:`Usage.add` counts them; the rest is counted by the shape of their
object (an IRI; a literal's datatype and language, parsed once per distinct suffix).
"""

from __future__ import annotations

import gc
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

import pyoxigraph as ox

from kg.rdf.jsonld import Usage
from kg.rdf.jsonld.context import (
    CLASS_KINDS,
    ID,
    PROPERTY_KINDS,
    RDF_FIRST,
    RDF_NIL,
    RDF_REST,
    RDF_TYPE,
    RDFS,
    Kind,
    kind_of,
)
from kg.rdf.lines import BATCH, triples_of
from kg.web.site.void import Statistics


def _iri(value: str) -> bytes:
    return f"<{value}>".encode()


_TYPE, _NIL = _iri(RDF_TYPE), _iri(RDF_NIL)
#: lines Usage.add reads closely: ranges and list steps; declarations (rdf:type objects
#: that make a term a property or a class), rdf:nil (a list's end) and blank objects
_CLOSE_PREDICATES = frozenset(_iri(i) for i in (RDFS + "range", RDF_FIRST, RDF_REST))
_CLOSE_OBJECTS = frozenset(_iri(i) for i in (*PROPERTY_KINDS, *CLASS_KINDS, RDF_NIL))
_LT, _QUOTE, _BLANK = ord("<"), ord('"'), ord("_")


@dataclass
class DumpFacts:
    """The default view's statistics, usage and subjects under the base (IRIs, each once,
    in the order of the lines)."""

    statistics: Statistics
    usage: Usage
    subjects: list[str]


def dump_facts(lines: Sequence[bytes], base: str) -> DumpFacts:
    """The facts of the triples of ``lines``, the sorted lines of a canonical N-Quads
    dump (named graphs only; empty lines are skipped): sorted, the lines of a triple
    held by several graphs are adjacent. Counted a batch of lines at a time
    (:class:`FactCounter`)."""
    counter = FactCounter(base)
    for start in range(0, len(lines), BATCH):
        counter.add(lines[start : start + BATCH])
    return counter.result()


class FactCounter:
    """The facts of the sorted lines of a canonical N-Quads dump, fed a batch at a time
    in their order (the lines may end with their line end). Each batch is counted in
    one C-level pass (Counter, set, comprehensions) over its columns."""

    def __init__(self, base: str) -> None:
        self.counts = _Counts(_iri(base)[:-1])

    def add(self, lines: Sequence[bytes]) -> None:
        """Count the next batch of lines."""
        # the columns are millions of short-lived lists and tuples, none in a cycle: the
        # cyclic collector would only walk them again and again (twice the time at 10^4)
        collecting = gc.isenabled()
        gc.disable()
        try:
            self.counts.add(triples_of(lines))
        finally:
            if collecting:
                gc.enable()

    def result(self) -> DumpFacts:
        """The facts of every line added."""
        counts = self.counts
        statistics = Statistics(
            counts.triples,
            len(counts.entities),
            counts.subjects,
            len(counts.objects),
            {c[1:-1].decode(): k for c, k in counts.classes.items()},
            {q[1:-1].decode(): k for q, k in counts.properties.items()},
        )
        subjects = [s[1:-1].decode() for s in counts.entities]
        return DumpFacts(statistics, _usage(counts), subjects)


@dataclass
class _Counts:
    """The counts of :func:`dump_facts` so far."""

    base: bytes  # "<" + the base IRI
    triples: int = 0
    subjects: int = 0
    entities: list[bytes] = field(default_factory=list)
    objects: set[int] = field(default_factory=set)  # hashes (as Statistics.of)
    properties: Counter[bytes] = field(default_factory=Counter)
    classes: Counter[bytes] = field(default_factory=Counter)
    #: (predicate, literal suffix: its datatype or language) of literal objects
    literals: set[tuple[bytes, bytes]] = field(default_factory=set)
    iris: set[bytes] = field(default_factory=set)  # predicates with an IRI object
    close: list[bytes] = field(default_factory=list)  # lines Usage.add reads closely
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
            s_col, p_col, o_col = zip(*map(_terms, lines), strict=True)
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
        self.classes.update(o for p, o in pairs if p == _TYPE and o[0] == _LT)
        self.close += [
            line
            for line, (p, o) in zip(lines, pairs, strict=True)
            if p in _CLOSE_PREDICATES or o in _CLOSE_OBJECTS or o[0] == _BLANK
        ]
        self.literals.update(
            (p, o[o.rindex(b'"') + 1 :])
            for p, o in pairs
            if o[0] == _QUOTE and p not in _CLOSE_PREDICATES
        )
        self.iris.update(p for p, o in pairs if o[0] == _LT and o != _NIL)


def _terms(line: bytes) -> list[bytes]:
    """Subject, predicate and object of a line as written, a quoted triple (RDF-star)
    parsed."""
    if not line.startswith(b"<<"):
        return line.split(b" ", 2)
    t = next(iter(ox.parse(line + b" .", format=ox.RdfFormat.N_TRIPLES)))
    return [str(t.subject).encode(), str(t.predicate).encode(), str(t.object).encode()]


def _usage(counts: _Counts) -> Usage:
    """The usage the lines make, as Usage.add would count them one by one: classes
    (rdf:type's IRI objects), the kinds of values by predicate, and the lines read
    closely, parsed and added in their order (a term declared twice keeps the first)."""
    usage = Usage()
    usage.classes.update(c[1:-1].decode() for c in counts.classes)
    for p in counts.iris - _CLOSE_PREDICATES - {_TYPE}:
        usage.values.setdefault(p[1:-1].decode(), set()).add(ID)
    kinds: dict[bytes, Kind] = {}
    for p, suffix in counts.literals:
        if suffix not in kinds:
            kinds[suffix] = _literal_kind(suffix)
        usage.values.setdefault(p[1:-1].decode(), set()).add(kinds[suffix])
    if counts.close:
        close = b" .\n".join(counts.close) + b" .\n"
        for t in ox.parse(close, format=ox.RdfFormat.N_TRIPLES):
            usage.add(t.subject, t.predicate, t.object)
    return usage


def _literal_kind(suffix: bytes) -> Kind:
    """The kind of a literal written ``"..."`` + ``suffix`` (its datatype or language)."""
    line = b'<urn:x:s> <urn:x:p> ""' + suffix + b" .\n"
    return kind_of(next(iter(ox.parse(line, format=ox.RdfFormat.N_TRIPLES))).object)


def dump_file_facts(nquads: Path, base: str) -> DumpFacts:
    """The facts of a canonical N-Quads dump (kg.build.dumps) read from its file, for a
    site made without the build that wrote it."""
    return dump_facts(nquads.read_bytes().split(b"\n"), base)
