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

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.rdf.counting import TYPE, LineCounts, count_lines
from kg.rdf.jsonld import Usage
from kg.rdf.jsonld.context import (
    CLASS_KINDS,
    ID,
    PROPERTY_KINDS,
    RDF_FIRST,
    RDF_NIL,
    RDF_REST,
    RDFS,
    Kind,
    kind_of,
)
from kg.rdf.lines import BATCH, triples_of
from kg.web.site.void import Statistics


def _iri(value: str) -> bytes:
    return f"<{value}>".encode()


#: lines Usage.add reads closely: ranges and list steps; declarations (rdf:type objects
#: that make a term a property or a class), rdf:nil (a list's end) and blank objects
_CLOSE_PREDICATES = frozenset(_iri(i) for i in (RDFS + "range", RDF_FIRST, RDF_REST))
_CLOSE_OBJECTS = frozenset(_iri(i) for i in (*PROPERTY_KINDS, *CLASS_KINDS, RDF_NIL))


@dataclass
class DumpFacts:
    """The default view's statistics, usage and subjects under the base (IRIs, each once,
    in the order of the lines)."""

    statistics: Statistics
    usage: Usage
    subjects: list[str]


def counts_for(base: str) -> LineCounts:
    """Empty counts of the facts of a default view whose entities are under ``base``
    (the lines Usage.add reads closely kept whole)."""
    return LineCounts(_iri(base)[:-1], _CLOSE_PREDICATES, _CLOSE_OBJECTS)


def dump_facts(lines: list[bytes], base: str) -> DumpFacts:
    """The facts of the triples ``lines``: N-Triples lines without their final `` .``,
    sorted, a triple held by several graphs on adjacent lines. Counted a batch of lines
    at a time, each count one C-level pass (Counter, set, comprehensions) over the
    batch's columns (kg.rdf.counting; the build counts them in a process of its own)."""
    return facts_of(count_lines(counts_for(base), lines, BATCH))


def facts_of(counts: LineCounts) -> DumpFacts:
    """The facts of lines counted by ``counts`` (made by :func:`counts_for`)."""
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


def _usage(counts: LineCounts) -> Usage:
    """The usage the lines make, as Usage.add would count them one by one: classes
    (rdf:type's IRI objects), the kinds of values by predicate, and the lines read
    closely, parsed and added in their order (a term declared twice keeps the first)."""
    usage = Usage()
    usage.classes.update(c[1:-1].decode() for c in counts.classes)
    for p in counts.iris - _CLOSE_PREDICATES - {TYPE}:
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
    triples = triples_of(nquads.read_bytes().split(b"\n"))
    triples.sort()
    return dump_facts(triples, base)
