"""One ``govsm import``: its files by kind — references (.bib, .ris, .json), code books
(.qdc, or a CSV/XLSX whose header is a taxonomy's), coded evidence (.qdpx, or a CSV/XLSX
whose header is coded evidence's) — imported in that order, each kind seeing what the
earlier ones add, and all or nothing: every file's output is computed first, then all are
written (kg.importers.output), or none when any file is bad.

The project's own settings live in ``PROJECT/govsm-import.toml``; its ``[refi-qda]``
table overrides the ``.qdpx``/``.qdc`` conventions (the keys of
kg.importers.refiqda.mapping: factors, direction, directions, sources, separator,
extensions). An unknown table or key, or a value of the wrong type, is an ImportFailure
naming the file and the key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kg.importers import taguette
from kg.importers.evidence import REQUIRED as EVIDENCE_COLUMNS
from kg.importers.evidence import SUFFIXES as EVIDENCE_SUFFIXES
from kg.importers.evidence import plan_evidence
from kg.importers.evidence import targets as evidence_targets
from kg.importers.output import write_all
from kg.importers.references import (
    DATA_QUALITY_FILE,
    REFERENCES_FILE,
    ImportReport,
    plan_references,
)
from kg.importers.references import SUFFIXES as REFERENCE_SUFFIXES
from kg.importers.refiqda import check_mapping
from kg.importers.refmodel import ImportFailure
from kg.importers.tables import SUFFIXES as TABLE_SUFFIXES
from kg.importers.tables import Table, read_table
from kg.importers.taxonomy import (
    CODEBOOK_MARK,
    Entry,
    entries_of_codes,
    entries_of_qdc,
    entries_of_table,
    plan_codebook,
)
from kg.importers.taxonomy import COLUMNS as TAXONOMY_COLUMNS
from kg.importers.taxonomy import SUFFIXES as CODEBOOK_SUFFIXES
from kg.importers.taxonomy import target as taxonomy_target

SETTINGS_FILE = "govsm-import.toml"
#: Every suffix ``govsm import`` reads.
SUFFIXES = tuple(dict.fromkeys((*REFERENCE_SUFFIXES, *CODEBOOK_SUFFIXES, *EVIDENCE_SUFFIXES)))


def read_settings(project: Path) -> dict[str, Any]:
    """The ``[refi-qda]`` mapping of ``project/govsm-import.toml`` ({} without the file)."""
    path = project / SETTINGS_FILE
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ImportFailure(path, None, f"not a TOML file ({exc})") from exc
    for key in data:
        if key != "refi-qda":
            raise ImportFailure(path, f"table [{key}]", "unknown (known tables: [refi-qda])")
    table = data.get("refi-qda", {})
    if not isinstance(table, dict):
        raise ImportFailure(path, "key 'refi-qda'", "must be a table ([refi-qda])")
    check_mapping(table, path, "[refi-qda] key")
    return table


@dataclass
class Sorted:
    """The files of one import by kind; the spreadsheets already read."""

    references: list[Path] = field(default_factory=list)
    codebooks: list[Path] = field(default_factory=list)
    evidence: list[Path] = field(default_factory=list)
    tables: dict[Path, Table] = field(default_factory=dict)


def table_kind(table: Table) -> str:
    """``evidence`` or ``codebook``, by the spreadsheet's header (ours, or Taguette's
    highlights and code book exports); an error for neither."""
    if "quote" in table.header or "study" in table.header or taguette.is_highlights(table):
        return "evidence"
    if "factor" in table.header or taguette.is_codebook(table):
        return "codebook"
    raise ImportFailure(
        table.path,
        table.header_where,
        "the header names neither coded evidence (columns "
        f"{', '.join(EVIDENCE_COLUMNS)}, ...) nor a taxonomy (columns "
        f"{', '.join(TAXONOMY_COLUMNS)}), nor is it Taguette's highlights "
        f"({', '.join(taguette.HIGHLIGHT_COLUMNS)}) or code book "
        f"({', '.join(taguette.CODEBOOK_COLUMNS)}); it has: {', '.join(table.header) or 'nothing'}",
    )


def sort_files(files: Sequence[Path]) -> Sorted:
    """The files by kind (spreadsheets by their header); an error for another suffix."""
    found = Sorted()
    for path in files:
        suffix = path.suffix.lower()
        if suffix in REFERENCE_SUFFIXES:
            found.references.append(path)
        elif suffix in CODEBOOK_SUFFIXES:
            found.codebooks.append(path)
        elif suffix in TABLE_SUFFIXES:
            found.tables[path] = read_table(path)
            kind = table_kind(found.tables[path])
            (found.evidence if kind == "evidence" else found.codebooks).append(path)
        elif suffix in EVIDENCE_SUFFIXES:
            found.evidence.append(path)
        else:
            raise ImportFailure(path, None, f"not a file govsm imports ({', '.join(SUFFIXES)})")
    return found


def _claim(found: Sorted, data_dir: Path) -> None:
    """Refuse two files of one import that would write the same file, and a code book
    and codings of one name replacing each other's concepts across imports."""
    for path, is_codebook in [(p, True) for p in found.codebooks] + [
        (p, False) for p in found.evidence
    ]:
        target = taxonomy_target(path, data_dir)
        text = target.read_text(encoding="utf-8") if target.is_file() else ""
        if text and text.startswith(CODEBOOK_MARK) != is_codebook:
            other = "codings" if is_codebook else "a code book"
            raise ImportFailure(
                path, None, f"{target.name} holds what {other} of that name imported: rename it"
            )
    owner: dict[Path, Path] = {}
    claims = [(p, taxonomy_target(p, data_dir)) for p in found.codebooks]
    claims += [(p, t) for p in found.evidence for t in evidence_targets(p, data_dir)]
    for path, target in claims:
        other = owner.setdefault(target, path)
        if other != path:
            raise ImportFailure(
                path, None, f"would write {target.name}, as {other} does: rename one of them"
            )


@dataclass
class ImportPlan:
    """What an import will do: the references' report, the other files' lines, and every
    file it writes (path -> text)."""

    references: ImportReport | None
    lines: list[str]
    outputs: dict[Path, str]


def plan_import(
    files: Sequence[Path], data_dir: Path, mapping: Mapping[str, Any] | None = None
) -> ImportPlan:
    """Read every file and compute every output; nothing is written."""
    found = sort_files(files)
    _claim(found, data_dir)
    report, outputs = None, {}
    if found.references:
        report, outputs = plan_references(found.references, data_dir)
    lines: list[str] = []
    for path in found.codebooks:
        entries = _codebook_entries(path, found.tables.get(path), mapping)
        more, written = plan_codebook(path, entries, data_dir, outputs)
        lines += more
        outputs.update(written)
    if found.evidence:
        more, written = plan_evidence(found.evidence, data_dir, outputs, mapping, found.tables)
        lines += more
        outputs.update(written)
    return ImportPlan(report, lines, outputs)


def _codebook_entries(
    path: Path, table: Table | None, mapping: Mapping[str, Any] | None
) -> list[Entry]:
    """The factors and sub-factors of a code book: a .qdc, Taguette's export, or ours."""
    if table is None:
        return entries_of_qdc(path, mapping)
    if taguette.is_codebook(table):
        return entries_of_codes(taguette.codebook_codes(table), taguette.settings(mapping), path)
    return entries_of_table(table)


def run_import(
    files: Sequence[Path], data_dir: Path, mapping: Mapping[str, Any] | None = None
) -> list[str]:
    """Import ``files`` into the review folder ``data_dir``, all or nothing; what was
    done, a line each."""
    plan = plan_import(files, data_dir, mapping)
    changed = write_all(plan.outputs)
    lines = []
    ours = {data_dir / REFERENCES_FILE, data_dir / DATA_QUALITY_FILE}
    if plan.references is not None:
        plan.references.written = [p for p in changed if p in ours]
        lines += plan.references.lines()
    lines += plan.lines
    others = sorted(set(plan.outputs) - ours)
    lines += [f"{'wrote' if p in changed else 'unchanged'} {p}" for p in others]
    return lines
