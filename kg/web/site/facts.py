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

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
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
from kg.rdf.lines import triples_of
from kg.web.site.void import Statistics


def _iri(value: str) -> bytes:
    return f"<{value}>".encode()


_TYPE = _iri(RDF_TYPE)
_LISTS = {_iri(RDF_FIRST), _iri(RDF_REST)}
_RANGE = _iri(RDFS + "range")
_NIL = _iri(RDF_NIL)
#: rdf:type objects that declare a property or a class (Usage.declared)
_DECLARING = {_iri(iri) for iri in (*PROPERTY_KINDS, *CLASS_KINDS)}
_LT, _QUOTE = ord("<"), ord('"')


@dataclass
class DumpFacts:
    """The default view's statistics, usage and subjects under the base (IRIs, each once,
    in the order of the lines)."""

    statistics: Statistics
    usage: Usage
    subjects: list[str]


def dump_facts(lines: Iterable[bytes], base: str) -> DumpFacts:
    """The facts of the triples ``lines``: N-Triples lines without their final `` .``,
    sorted, a triple held by several graphs on adjacent lines."""
    base_b = _iri(base)[:-1]
    n, subjects, entities = 0, 0, []
    objects: set[int] = set()
    properties: Counter[bytes] = Counter()
    classes: Counter[bytes] = Counter()
    shapes: set[tuple[bytes, bytes | None]] = set()  # (predicate, literal suffix or None: IRI)
    close: list[bytes] = []  # lines Usage.add reads closely
    previous = previous_s = None
    for line in lines:
        if line == previous:
            continue
        previous = line
        s, p, o = _terms(line)
        n += 1
        if s != previous_s:  # sorted: a subject's lines are adjacent
            previous_s, subjects = s, subjects + 1
            if s.startswith(base_b):
                entities.append(s)
        objects.add(hash(o))
        properties[p] += 1
        if p == _TYPE and o[0] == _LT:
            classes[o] += 1
            if o in _DECLARING:
                close.append(line)
        elif p == _RANGE or p in _LISTS or o.startswith(b"_:") or o == _NIL:
            close.append(line)
        elif o[0] == _QUOTE:
            shapes.add((p, o[o.rindex(b'"') + 1 :]))
        else:
            shapes.add((p, None))
    statistics = Statistics(
        n,
        len(entities),
        subjects,
        len(objects),
        {c[1:-1].decode(): k for c, k in classes.items()},
        {q[1:-1].decode(): k for q, k in properties.items()},
    )
    usage = _usage(classes, shapes, close)
    return DumpFacts(statistics, usage, [s[1:-1].decode() for s in entities])


def _terms(line: bytes) -> tuple[bytes, bytes, bytes]:
    """Subject, predicate and object of a line, as written (a quoted triple as subject,
    RDF-star, is parsed)."""
    if not line.startswith(b"<<"):
        s, p, o = line.split(b" ", 2)
        return s, p, o
    t = next(iter(ox.parse(line + b" .", format=ox.RdfFormat.N_TRIPLES)))
    return str(t.subject).encode(), str(t.predicate).encode(), str(t.object).encode()


def _usage(
    classes: Counter[bytes], shapes: set[tuple[bytes, bytes | None]], close: list[bytes]
) -> Usage:
    """The usage the lines make: classes, kinds of values by predicate, and the lines
    read closely, parsed, in their order (a term declared twice keeps the first)."""
    usage = Usage()
    usage.classes.update(c[1:-1].decode() for c in classes)
    kinds: dict[bytes, Kind] = {}
    for p, suffix in sorted(shapes, key=lambda shape: (shape[0], shape[1] or b"")):
        if suffix is None:
            kind = ID
        elif suffix not in kinds:
            kind = kinds[suffix] = _literal_kind(suffix)
        else:
            kind = kinds[suffix]
        usage.values.setdefault(p[1:-1].decode(), set()).add(kind)
    if close:
        for t in ox.parse(b" .\n".join(close) + b" .\n", format=ox.RdfFormat.N_TRIPLES):
            usage.add(t.subject, t.predicate, t.object)
    return usage


def _literal_kind(suffix: bytes) -> Kind:
    """The kind of a literal written ``"..."`` + ``suffix`` (its datatype or language)."""
    line = b'<urn:x:s> <urn:x:p> ""' + suffix + b" .\n"
    return kind_of(next(iter(ox.parse(line, format=ox.RdfFormat.N_TRIPLES))).object)


def dump_file_facts(nquads: Path, base: str) -> DumpFacts:
    """The facts of a canonical N-Quads dump (kg.build.dumps) read from its file, for a
    site made without the build that wrote it."""
    triples = triples_of(nquads.read_bytes().split(b"\n"))
    triples.sort()
    return dump_facts(triples, base)
