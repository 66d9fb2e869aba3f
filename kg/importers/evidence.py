"""Coded evidence from a spreadsheet (CSV) or a REFI-QDA project (``.qdpx``, from NVivo,
ATLAS.ti, MAXQDA, QualCoder; read and mapped by kg.importers.refiqda) into a review's data
folder.

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

import csv
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS

from kg.importers.references import BIBO_DOI
from kg.importers.refiqda import DIRECTION_WORDS, map_evidence, read_qdpx
from kg.importers.refmodel import ImportFailure, slug
from kg.prefixes import DEFAULT_BASE, GOVSM, PREFIXES

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


def read_csv(path: Path) -> list[EvidenceRecord]:
    """The rows of a coded-evidence CSV; ImportFailure for a missing column or a bad row."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFailure(path, None, f"cannot read it as UTF-8 text: {exc}") from exc
    reader = csv.DictReader(text.splitlines())
    header = [h.strip().lower() for h in reader.fieldnames or []]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ImportFailure(path, "line 1", f"no column {', '.join(missing)} in the header")
    records = []
    for row in reader:
        values = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
        line = f"line {reader.line_num}"
        records.append(_record(values, path, line))
    return records


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


@dataclass
class Folder:
    """What a review folder already says: its scheme, studies and taxonomy."""

    scheme: URIRef
    studies: dict[str, URIRef]
    concepts: dict[tuple[str, str], URIRef]  # (kind, lower-case label) -> concept


def read_folder(data_dir: Path, skip: Iterable[Path] = ()) -> Folder:
    """The review folder's data, but for the files an import is about to replace."""
    graph = Graph()
    skipped = {p.resolve() for p in skip}
    for path in sorted(data_dir.glob("*.ttl")):
        if path.resolve() not in skipped:
            graph.parse(path, format="turtle")
    schemes = sorted(
        o
        for o in graph.objects(None, DCTERMS.subject)
        if (o, RDF.type, SKOS.ConceptScheme) in graph
    )
    if not schemes:
        raise ImportFailure(data_dir, None, "no review with a concept scheme (govsm init)")
    studies: dict[str, URIRef] = {}
    for study in graph.subjects(RDF.type, URIRef(GOVSM + "Study")):
        names = [str(study).rsplit("/", 1)[-1]]
        names += [str(v) for p in (DCTERMS.identifier, BIBO_DOI) for v in graph.objects(study, p)]
        for name in names:
            studies.setdefault(name.lower(), study)  # type: ignore[arg-type]
    concepts: dict[tuple[str, str], URIRef] = {}
    for kind in ("Factor", "SubFactor"):
        for concept in graph.subjects(RDF.type, URIRef(GOVSM + kind)):
            for p in (SKOS.prefLabel, SKOS.altLabel):
                for label in graph.objects(concept, p):
                    concepts.setdefault((kind, str(label).lower()), concept)  # type: ignore[arg-type]
    return Folder(schemes[0], studies, concepts)  # type: ignore[arg-type]


SUFFIXES = (".csv", ".qdpx")


def read_records(path: Path, folder: Folder) -> list[EvidenceRecord]:
    """The coded quotes of one file, by its kind."""
    if path.suffix.lower() == ".qdpx":
        studies = {key: key for key in folder.studies}
        mapped = map_evidence(read_qdpx(path), studies, file=path)
        return [
            EvidenceRecord(
                study=r.study,
                factor=r.factor,
                subfactor=r.subfactor,
                direction=r.direction,
                quote=r.quote,
                location=None,
                coder=r.coder,
                origin=f"{path}: selection {r.selection}",
                start=r.start,
                end=r.end,
            )
            for r in mapped.records
        ]
    return read_csv(path)


def import_evidence(files: Sequence[Path], data_dir: Path) -> list[str]:
    """Import coded-evidence files (CSV, .qdpx) into ``data_dir``; what was done, a line
    each. Every file is read and rendered before anything is written."""
    targets = {f: _targets(f, data_dir) for f in files}
    folder = read_folder(data_dir, [t for pair in targets.values() for t in pair])
    written: dict[Path, str] = {}
    lines = []
    for path in files:
        records = read_records(path, folder)
        taxonomy, evidence = render(records, folder, path.stem)
        taxonomy_file, evidence_file = targets[path]
        written[evidence_file] = evidence
        if taxonomy:
            written[taxonomy_file] = taxonomy
        lines.append(f"{path}: {len(records)} evidence item(s)")
    for target, text in written.items():
        old = target.read_text(encoding="utf-8") if target.is_file() else None
        if old != text:
            target.write_text(text, encoding="utf-8")
        lines.append(f"{'unchanged' if old == text else 'wrote'} {target}")
    return lines


def _targets(path: Path, data_dir: Path) -> tuple[Path, Path]:
    stem = slug(path.stem) or "evidence"
    return data_dir / f"taxonomy-imported-{stem}.ttl", data_dir / f"evidence-imported-{stem}.ttl"


_HEAD = "".join(
    f"@prefix {name}: <{PREFIXES[name]}> .\n"
    for name in ("govsm", "oa", "skos", "foaf", "prov", "xsd")
)


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
        factor = _concept(folder, added, "Factor", record.factor, None)
        subfactor = _concept(folder, added, "SubFactor", record.subfactor, factor)
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
    evidence = _HEAD + "".join("\n" + b for b in blocks) + agents
    return (_HEAD + taxonomy) if taxonomy else "", evidence


def _concept(
    folder: Folder, added: dict[URIRef, list[str]], kind: str, label: str, parent: URIRef | None
) -> URIRef:
    key = (kind, " ".join(label.split()).lower())
    if key in folder.concepts:
        return folder.concepts[key]
    path = "factor" if kind == "Factor" else "subfactor"
    iri = URIRef(f"{DEFAULT_BASE}id/{path}/{slug(label)}")
    folder.concepts[key] = iri
    broader = f"\n    skos:broader <{parent}> ;" if parent is not None else ""
    added[iri] = [
        f"<{iri}> a govsm:{kind} ;\n    skos:inScheme <{folder.scheme}> ;{broader}\n"
        f"    skos:prefLabel {_lit(' '.join(label.split()), 'en')} .\n"
    ]
    return iri


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
