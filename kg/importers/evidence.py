"""Coded evidence from a spreadsheet (CSV or XLSX, read by kg.importers.tables) or a
REFI-QDA project (``.qdpx``, from NVivo, ATLAS.ti, MAXQDA, QualCoder; read and mapped by
kg.importers.refiqda) into a review's data folder.

One row is one coded quote: ``study, factor, subfactor, direction, quote, location,
coder`` (a header row names the columns, in any order; ``basis``, ``start`` and ``end``
are optional). The study is a reference already in the folder (its citation key, its DOI
or its IRI's last segment: ``govsm import`` the references first); factor and sub-factor
are names, matched case-insensitively to the taxonomy's preferred and alternative labels,
and added to it when it lacks them; the direction is a word (driver, facilitator, enabler,
motivator / preventer, barrier, obstacle, inhibitor / mixed), or empty. The quote is kept
verbatim; ``location`` is the section it stands in; ``basis`` one of full text (the
default), abstract, title; ``start``/``end`` its character positions in the source.

Each source file writes ``evidence-imported-<stem>.ttl`` and, for the factors and
sub-factors it adds, ``taxonomy-imported-<stem>.ttl``: importing the same file twice
changes nothing, a changed file replaces what it wrote. Any bad row raises ImportFailure
naming the file, the line and the reason, and nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF

from kg.importers.folder import Folder, read_folder
from kg.importers.output import write_all
from kg.importers.refiqda import DIRECTION_WORDS, map_evidence, read_qdpx
from kg.importers.refiqda import EvidenceRecord as MappedRecord
from kg.importers.refmodel import ImportFailure, slug
from kg.importers.tables import SUFFIXES as TABLE_SUFFIXES
from kg.importers.tables import Table, read_table
from kg.importers.taguette import is_highlights, records_of_highlights
from kg.importers.taxonomy import HEAD, add_concept
from kg.importers.taxonomy import target as taxonomy_target
from kg.prefixes import DEFAULT_BASE, GOVSM

#: The columns a coded-evidence CSV must have (the others are optional).
REQUIRED = ("study", "factor", "subfactor", "quote")
# the direction words of every importer (kg.importers.refiqda.mapping.DIRECTION_WORDS)
DIRECTIONS = {word: direction for direction, words in DIRECTION_WORDS.items() for word in words}
BASES = {
    "full text": "basisStudyFullText",
    "abstract": "basisStudyAbstract",
    "title": "basisStudyTitle",
}


@dataclass(frozen=True)
class EvidenceRecord:
    """One coded quote as a reviewer's tool gives it (``origin``: file and line)."""

    study: str
    factor: str
    subfactor: str
    direction: str | None
    quote: str
    location: str | None
    coder: str | None
    origin: str
    basis: str = "full text"
    start: int | None = None
    end: int | None = None


def records_of_table(table: Table) -> list[EvidenceRecord]:
    """The rows of a coded-evidence spreadsheet; ImportFailure for a missing column or a
    bad row, naming file and line (or sheet and row)."""
    missing = [c for c in REQUIRED if c not in table.header]
    if missing:
        raise ImportFailure(
            table.path, table.header_where, f"no column {', '.join(missing)} in the header"
        )
    return [_record(values, table.path, where) for where, values in table.rows]


def _record(values: dict[str, str], path: Path, line: str) -> EvidenceRecord:
    for column in REQUIRED:
        if not values.get(column):
            raise ImportFailure(path, line, f"the {column} is empty")
    word = values.get("direction", "").lower()
    if word and word not in DIRECTIONS:
        known = ", ".join(sorted(DIRECTIONS))
        raise ImportFailure(path, line, f"unknown direction {word!r}; one of {known}")
    basis = values.get("basis", "").lower() or "full text"
    if basis not in BASES:
        raise ImportFailure(path, line, f"unknown basis {basis!r}; one of {', '.join(BASES)}")
    start, end = (_position(values.get(k, ""), path, line) for k in ("start", "end"))
    if (start is None) != (end is None) or (start is not None and end is not None and end < start):
        raise ImportFailure(path, line, "start and end must both be given, start <= end")
    return EvidenceRecord(
        study=values["study"],
        factor=values["factor"],
        subfactor=values["subfactor"],
        direction=DIRECTIONS.get(word),
        quote=values["quote"],
        location=values.get("location") or None,
        coder=values.get("coder") or None,
        origin=f"{path}: {line}",
        basis=basis,
        start=start,
        end=end,
    )


def _position(text: str, path: Path, line: str) -> int | None:
    if not text:
        return None
    if not text.isdigit():
        raise ImportFailure(path, line, f"position {text!r} is not a whole number")
    return int(text)


SUFFIXES = (".qdpx", *TABLE_SUFFIXES)


@dataclass(frozen=True)
class Coded:
    """The coded quotes of one file, and what it codes that is not evidence (where: why)."""

    records: list[EvidenceRecord]
    skipped: list[str] = field(default_factory=list)


def read_records(path: Path, folder: Folder, mapping: Mapping[str, Any] | None = None) -> Coded:
    """The coded quotes of one file, by its kind (``mapping``: the .qdpx conventions)."""
    if path.suffix.lower() == ".qdpx":
        studies = {key: key for key in folder.studies}
        mapped = map_evidence(read_qdpx(path), studies, mapping, file=path)
        records = [_record_of(r, f"{path}: selection {r.selection}") for r in mapped.records]
        return Coded(records, [f"selection {guid}: {why}" for guid, why in mapped.skipped])
    return _records_of(read_table(path), folder, mapping)


def _records_of(table: Table, folder: Folder, mapping: Mapping[str, Any] | None) -> Coded:
    """The coded quotes of a spreadsheet: Taguette's highlights export, or ours."""
    if is_highlights(table):
        return _highlight_records(table, folder, mapping)
    return Coded(records_of_table(table))


def _highlight_records(table: Table, folder: Folder, mapping: Mapping[str, Any] | None) -> Coded:
    """The evidence items of Taguette's highlights export (kg.importers.taguette): no
    positions (the export has none), no coder."""
    studies = {key: key for key in folder.studies}
    found, skipped = records_of_highlights(table, studies, mapping)
    records = [_record_of(r, f"{table.path}: {where}", positions=False) for r, where in found]
    return Coded(records, skipped)


def _record_of(r: MappedRecord, origin: str, positions: bool = True) -> EvidenceRecord:
    """A REFI-QDA-mapped record as an evidence record (``positions``: whether its start
    and end are into the real source text)."""
    return EvidenceRecord(
        study=r.study,
        factor=r.factor,
        subfactor=r.subfactor,
        direction=r.direction,
        quote=r.quote,
        location=None,
        coder=r.coder,
        origin=origin,
        start=r.start if positions else None,
        end=r.end if positions else None,
    )


def plan_evidence(
    files: Sequence[Path],
    data_dir: Path,
    pending: Mapping[Path, str] | None = None,
    mapping: Mapping[str, Any] | None = None,
    tables: Mapping[Path, Table] | None = None,
) -> tuple[list[str], dict[Path, str]]:
    """What importing coded-evidence files (CSV, XLSX, .qdpx) into ``data_dir`` does, a
    line each, and the files it writes (path -> text); ``pending``: the files the same
    command writes before (references, code books); ``tables``: spreadsheets already read."""
    planned = {f: targets(f, data_dir) for f in files}
    folder = read_folder(data_dir, [t for pair in planned.values() for t in pair], pending)
    written: dict[Path, str] = {}
    lines = []
    for path in files:
        table = (tables or {}).get(path)
        coded = (
            read_records(path, folder, mapping)
            if table is None
            else _records_of(table, folder, mapping)
        )
        taxonomy, evidence = render(coded.records, folder, path.stem)
        taxonomy_file, evidence_file = planned[path]
        written[evidence_file] = evidence
        if taxonomy:
            written[taxonomy_file] = taxonomy
        old = (pending or {}).get(evidence_file)
        if old is None and evidence_file.is_file():
            old = evidence_file.read_text(encoding="utf-8")
        lines.append(f"{path}: {len(coded.records)} evidence item(s): {changes(old, evidence)}")
        lines += _skipped_lines(path, coded.skipped)
    return lines, written


#: How many skipped selections or rows the report names one by one.
SKIPPED_SHOWN = 10


def _skipped_lines(path: Path, skipped: Sequence[str]) -> list[str]:
    lines = [f"skipped   {path}: {what}" for what in skipped[:SKIPPED_SHOWN]]
    if len(skipped) > SKIPPED_SHOWN:
        lines.append(f"skipped   {path}: {len(skipped) - SKIPPED_SHOWN} more")
    return lines


def changes(old: str | None, new: str) -> str:
    """How the evidence items of a file's new Turtle differ from its previous one: added,
    updated (same IRI, other statements), unchanged, removed."""
    before, after = _items(old or ""), _items(new)
    added = len(after.keys() - before.keys())
    removed = len(before.keys() - after.keys())
    same = sum(1 for k in after.keys() & before.keys() if after[k] == before[k])
    updated = len(after.keys() & before.keys()) - same
    return f"{added} added, {updated} updated, {same} unchanged, {removed} removed"


def _items(text: str) -> dict[URIRef, frozenset]:
    """Each evidence item of a Turtle text with its statements and its quote's."""
    graph = Graph().parse(data=text, format="turtle") if text else Graph()
    found = {}
    for item in graph.subjects(RDF.type, URIRef(GOVSM + "EvidenceItem")):
        said = set(graph.predicate_objects(item))
        for quote in graph.objects(item, URIRef(GOVSM + "hasQuote")):
            said |= {("quote", p, o) for p, o in graph.predicate_objects(quote)}
        found[item] = frozenset(said)
    return found


def import_evidence(files: Sequence[Path], data_dir: Path) -> list[str]:
    """Import coded-evidence files (CSV, XLSX, .qdpx) into ``data_dir``; what was done, a
    line each. Every file is read and rendered before anything is written."""
    lines, written = plan_evidence(files, data_dir)
    changed = write_all(written)
    return lines + [f"{'wrote' if t in changed else 'unchanged'} {t}" for t in sorted(written)]


def targets(path: Path, data_dir: Path) -> tuple[Path, Path]:
    """The taxonomy and evidence files an import of the codings ``path`` writes."""
    stem = slug(path.stem) or "evidence"
    return taxonomy_target(path, data_dir), data_dir / f"evidence-imported-{stem}.ttl"


def render(records: Sequence[EvidenceRecord], folder: Folder, stem: str) -> tuple[str, str]:
    """The Turtle of the taxonomy additions (empty when none) and of the evidence."""
    added: dict[URIRef, list[str]] = {}
    blocks: list[str] = []
    seen: dict[str, int] = {}
    for record in records:
        study = folder.studies.get(record.study.lower())
        if study is None:
            raise ImportFailure(
                record.origin, None, f"no study {record.study!r} (import its reference first)"
            )
        factor = add_concept(folder, added, "Factor", record.factor, None, origin=record.origin)
        subfactor = add_concept(
            folder, added, "SubFactor", record.subfactor, factor, origin=record.origin
        )
        name = f"{slug(stem)}/{str(study).rsplit('/', 1)[-1]}-{str(subfactor).rsplit('/', 1)[-1]}"
        seen[name] = seen.get(name, 0) + 1
        if seen[name] > 1:
            name += f"-{seen[name]}"
        blocks.append(
            _evidence_block(record, URIRef(f"{DEFAULT_BASE}id/evidence/{name}"), study, subfactor)
        )
        if record.coder:
            agent = URIRef(f"{DEFAULT_BASE}id/agent/{slug(record.coder)}")
            added.setdefault(
                agent, [f"<{agent}> a prov:Agent ;\n    foaf:name {_lit(record.coder)} .\n"]
            )
    taxonomy = "".join("\n" + "".join(added[k]) for k in sorted(added) if "/agent/" not in str(k))
    agents = "".join("\n" + "".join(added[k]) for k in sorted(added) if "/agent/" in str(k))
    evidence = HEAD + "".join("\n" + b for b in blocks) + agents
    return (HEAD + taxonomy) if taxonomy else "", evidence


def _evidence_block(record: EvidenceRecord, iri: URIRef, study: URIRef, subfactor: URIRef) -> str:
    lines = [
        f"<{iri}> a govsm:EvidenceItem ;",
        f"    govsm:evidenceSource <{study}> ;",
        f"    govsm:codingBasis govsm:{BASES[record.basis]} ;",
        f"    govsm:aboutSubFactor <{subfactor}> ;",
    ]
    if record.direction:
        lines.append(f"    govsm:indicatesDirection govsm:{record.direction} ;")
    if record.location:
        lines.append(f"    govsm:inSection {_lit(record.location)} ;")
    coder = URIRef(f"{DEFAULT_BASE}id/agent/{slug(record.coder or 'unknown-coder')}")
    lines += [
        f"    govsm:codedBy <{coder}> ;",
        f"    govsm:hasQuote <{iri}/quote> ;",
        f"    govsm:quotedFrom <{study}> .",
        "",
        f"<{iri}/quote> a oa:TextQuoteSelector ;",
    ]
    if record.start is not None:
        lines += [
            f"    oa:start {record.start} ;",
            f"    oa:end {record.end} ;",
        ]
    lines.append(f"    oa:exact {_lit(record.quote)} .")
    return "\n".join(lines) + "\n"


def _lit(text: str, lang: str | None = None) -> str:
    return Literal(text, lang=lang).n3()
