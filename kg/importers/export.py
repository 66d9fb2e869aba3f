"""Coded evidence back out of a review's data: the CSV and the REFI-QDA ``.qdpx`` that
``govsm import`` reads (kg.importers.evidence), so that a reviewer can open it in their QDA
program and import(export(x)) gives the same evidence graph.

``read_export(data_dirs)`` loads the sources (kg.rdf.load, not a build: no derivation, no
validation) and selects the evidence items with :data:`EVIDENCE_QUERY`; one row per item
and sub-factor (the importer makes one item of each row). The study is named by the key
the importer resolves: its ``dcterms:identifier`` (the citation key an import of
references writes), else its IRI's last segment. Items the importer could not take back
are not exported but listed in ``Export.skipped`` with the reason: an item whose source is
not a ``govsm:Study`` (a review's own statement), a coding basis the importer has no word
for (a review's summary of a study: re-imported it would claim the quote is from the
study), an item with no quote or no coding basis.

The ``.qdpx`` has no original source text to carry (the graph keeps quotes, not full
texts), so each study's text source is *built from its quotes*: one paragraph per coded
selection, separated by a blank line, the selection's positions into that text. Its
quotes round-trip verbatim; the original ``oa:start``/``oa:end`` (positions in a text we do
not have) do not, nor do ``govsm:inSection`` and a basis other than full text, which
REFI-QDA's selection has no place for (the CSV carries all three).

The query lives here, not in queries/: the files there are the published catalogue (each
one is in every build's catalogue graph, with expected results); this one is a reading
step of the exporter, like the importers' own reads.
"""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kg.config import Project
from kg.importers.evidence import BASES
from kg.importers.output import write_bytes
from kg.importers.refiqda import (
    DEFAULT_MAPPING,
    Code,
    QdaProject,
    Selection,
    TextSource,
    User,
    qdpx_bytes,
)
from kg.importers.refmodel import ImportFailure
from kg.prefixes import DEFAULT_BASE, GOVSM
from kg.rdf.load import load

#: The columns of an exported CSV, in order: those kg.importers.evidence reads.
COLUMNS = (
    "study", "factor", "subfactor", "direction", "quote", "location", "coder", "basis",
    "start", "end",
)  # fmt: skip
KINDS = ("csv", "qdpx")
#: The coding basis of an item -> the word the importer reads (kg.importers.evidence.BASES).
BASIS_WORDS = {GOVSM + local: word for word, local in BASES.items()}
DIRECTIONS = ("driver", "preventer", "mixed")
# GUIDs are uuid5 of what they name, so the same data export to byte-identical archives
_GUID_NS = uuid.UUID("9d4c1b62-7a0e-4d55-8f3e-2c6a1e0b7f40")

EVIDENCE_QUERY = """
PREFIX govsm: <https://w3id.org/govsm/ontology#>
PREFIX oa: <http://www.w3.org/ns/oa#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX foaf: <http://xmlns.com/foaf/0.1/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT DISTINCT ?item ?source ?isStudy ?key ?subfactor ?subLabel ?factorLabel ?direction
       ?quote ?start ?end ?location ?coder ?coderName ?basis
WHERE {
  ?item a govsm:EvidenceItem ;
      govsm:evidenceSource ?source ;
      govsm:aboutSubFactor ?subfactor .
  OPTIONAL { ?source a govsm:Study . BIND(true AS ?isStudy) }
  OPTIONAL { ?source dcterms:identifier ?key }
  OPTIONAL { ?subfactor skos:prefLabel ?subLabel }
  OPTIONAL {
    ?subfactor skos:broader ?factor .
    ?factor a govsm:Factor ; skos:prefLabel ?factorLabel .
  }
  OPTIONAL { ?item govsm:codingBasis ?basis }
  OPTIONAL { ?item govsm:indicatesDirection ?direction }
  OPTIONAL { ?item govsm:inSection ?location }
  OPTIONAL {
    ?item govsm:codedBy ?coder .
    OPTIONAL { ?coder foaf:name|rdfs:label ?coderName }
  }
  OPTIONAL {
    ?item govsm:hasQuote ?selector .
    ?selector oa:exact ?quote .
    OPTIONAL { ?selector oa:start ?start ; oa:end ?end }
  }
}
"""


class ExportFailure(ImportFailure):
    """Nothing to export, or the export cannot be written: which folder or file, why."""


@dataclass(frozen=True)
class ExportRow:
    """One exported row (the CSV's columns; ``""`` where the data has no value)."""

    study: str
    factor: str
    subfactor: str
    direction: str
    quote: str
    location: str
    coder: str
    basis: str
    start: int | None
    end: int | None
    item: str  # the evidence item's IRI (not exported: the importer mints its own)


@dataclass(frozen=True)
class Export:
    """The rows, sorted, and the evidence items not exported with the reason."""

    rows: tuple[ExportRow, ...]
    skipped: tuple[tuple[str, str], ...]


def _pick(values: set[str], prefer: str | None = None) -> str:
    """One value of several, deterministically (``prefer`` first when present)."""
    if prefer is not None and prefer in values:
        return prefer
    return min(values) if values else ""


def _label(terms: set) -> str:  # noqa: ANN001 - rdflib Literals
    """The English (else untagged, else first) label of several."""
    english = {str(t) for t in terms if getattr(t, "language", None) == "en"}
    plain = {str(t) for t in terms if getattr(t, "language", None) is None}
    return _pick(english or plain or {str(t) for t in terms})


def _why_not(values: dict[str, set]) -> str | None:
    """Why an item cannot be exported so that the importer takes it back, or None."""
    if not values["isStudy"]:
        source = _pick({str(v) for v in values["source"]})
        return f"its source {source} is not a govsm:Study (the importer reads studies only)"
    bases = {str(v) for v in values["basis"]}
    if not bases:
        return "it has no govsm:codingBasis"
    unknown = sorted(b for b in bases if b not in BASIS_WORDS)
    if unknown:
        words = ", ".join(BASES)
        return f"coding basis {unknown[0].rsplit('#', 1)[-1]} has no import word ({words})"
    if not values["quote"]:
        return "it has no quote (oa:exact)"
    if not values["subLabel"] or not values["factorLabel"]:
        return f"its sub-factor {values['subfactor']} has no label or no factor (skos:broader)"
    return None


def _row(item: str, values: dict[str, set]) -> ExportRow:
    source = _pick({str(v) for v in values["source"]})
    keys = {str(v) for v in values["key"]}
    # the coder by name (what the importer mints the agent's IRI from), else IRI's end
    coder = _pick({str(c) for c in values["coder"]}).rsplit("/", 1)[-1]
    coder = _label(values["coderName"]) if values["coderName"] else coder
    starts, ends = values["start"], values["end"]
    return ExportRow(
        study=_pick(keys) or source.rsplit("/", 1)[-1],
        factor=_label(values["factorLabel"]),
        subfactor=_label(values["subLabel"]),
        direction=_pick({str(v).rsplit("#", 1)[-1] for v in values["direction"]}),
        quote=_pick({str(v) for v in values["quote"]}),
        location=_pick({str(v) for v in values["location"]}),
        coder=coder,
        basis=BASIS_WORDS[_pick({str(v) for v in values["basis"]})],
        start=int(min(starts, key=int)) if starts and ends else None,
        end=int(min(ends, key=int)) if starts and ends else None,
        item=item,
    )


def read_export(data_dirs: Sequence[Path], base: str = DEFAULT_BASE) -> Export:
    """The evidence of the data folders as rows to export; ExportFailure when there is
    none (kg.rdf.load's ConfigError / ParseError for a folder that is no RDF data)."""
    loaded = load(Project(data_dirs=tuple(data_dirs)), base)
    names = ("source", "isStudy", "key", "subLabel", "factorLabel", "direction", "quote")
    names += ("start", "end", "location", "coder", "coderName", "basis")
    grouped: dict[tuple[str, str], dict[str, set]] = {}
    for row in loaded.engine.select(EVIDENCE_QUERY).dicts():
        key = (str(row["item"]), str(row["subfactor"]))
        values = grouped.setdefault(key, {n: set() for n in names})
        values["subfactor"] = key[1]  # type: ignore[assignment]
        for name in names:
            if row.get(name) is not None:
                values[name].add(row[name])
    rows, skipped = [], {}
    for (item, _), values in sorted(grouped.items()):
        reason = _why_not(values)
        if reason is None:
            rows.append(_row(item, values))
        else:
            skipped[item] = reason
    if not rows:
        folders = ", ".join(map(str, data_dirs))
        why = f" ({len(skipped)} not exportable: {min(skipped.values())})" if skipped else ""
        raise ExportFailure(folders, None, f"no evidence items to export{why}")
    return Export(tuple(sorted(rows, key=_order)), tuple(sorted(skipped.items())))


def _order(row: ExportRow) -> tuple:
    """Rows sort by their columns in order (no position sorts first), then item."""
    return tuple(-1 if v is None else v for v in (*(getattr(row, c) for c in COLUMNS), row.item))


def losses(export: Export, kind: str) -> list[str]:
    """What the file will not carry back on import, a line each (empty: nothing)."""
    rows = export.rows
    lines = []
    edges = sum(1 for r in rows if r.quote != r.quote.strip())
    if edges:
        lines.append(f"{edges} quote(s) begin or end with white space, which import trims")
    if kind == "qdpx":
        sections = sum(1 for r in rows if r.location)
        bases = sum(1 for r in rows if r.basis != "full text")
        positions = sum(1 for r in rows if r.start is not None)
        for count, what in (
            (sections, "a section (govsm:inSection): a selection has no place for it"),
            (bases, "a basis other than full text: they import as full text"),
            (positions, "positions in a source text the graph does not hold: they import "
             "with positions into the exported text"),
        ):  # fmt: skip
            if count:
                lines.append(f"{count} row(s) have {what} (the CSV carries it)")
    return lines


def csv_text(export: Export) -> str:
    """The CSV (UTF-8 text, ``\\n`` line ends, a header row, rows sorted)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in export.rows:
        writer.writerow(["" if getattr(row, c) is None else getattr(row, c) for c in COLUMNS])
    return buffer.getvalue()


def _guid(*parts: str) -> str:
    return str(uuid.uuid5(_GUID_NS, "\x1f".join(parts)))


def _codebook(
    rows: Sequence[ExportRow], mapping: Mapping[str, Any]
) -> tuple[tuple[Code, ...], dict[tuple[str, str], str]]:
    """The code tree of the conventions (``mapping``: the defaults, or the project's
    overrides) and (kind, name) -> code GUID."""
    guids: dict[tuple[str, str], str] = {}
    tree: dict[str, set[str]] = {}
    for row in rows:
        tree.setdefault(row.factor, set()).add(row.subfactor)
    factors = []
    for factor in sorted(tree):
        children = []
        for sub in sorted(tree[factor]):
            guids[("sub", f"{factor}\x1f{sub}")] = _guid("subfactor", factor, sub)
            children.append(Code(guid=_guid("subfactor", factor, sub), name=sub))
        factors.append(Code(_guid("factor", factor), factor, children=tuple(children)))
    directions = []
    for direction in DIRECTIONS:
        # the first word the conventions give the direction (its own name by default)
        word = next(iter(mapping["directions"].get(direction, ())), None)
        if word is not None:
            guids[("direction", direction)] = _guid("direction", direction)
            directions.append(Code(guid=guids[("direction", direction)], name=word))
    top = mapping["factors"], mapping["direction"]
    codes = (
        Code(_guid("root", top[0]), top[0], children=tuple(factors), codable=False),
        Code(_guid("root", top[1]), top[1], children=tuple(directions), codable=False),
    )
    return codes, guids


def qdpx_project(export: Export, name: str, mapping: Mapping[str, Any] | None = None) -> QdaProject:
    """The export as a REFI-QDA project: the code tree (``Factors`` -> factor ->
    sub-factor, ``Direction`` -> driver/preventer/mixed, or the names ``mapping`` gives
    them: a project's govsm-import.toml), a user per coder, a text source per study named
    by its key and built from its quotes (module docstring)."""
    codes, guids = _codebook(export.rows, {**DEFAULT_MAPPING, **(mapping or {})})
    users = {row.coder: _guid("user", row.coder) for row in export.rows if row.coder}
    # one selection per (study, quote, direction, coder): coded with all its sub-factors
    groups: dict[tuple[str, str, str, str], set[str]] = {}
    for row in export.rows:
        key = (row.study, row.quote, row.direction, row.coder)
        groups.setdefault(key, set()).add(guids[("sub", f"{row.factor}\x1f{row.subfactor}")])
    sources, selections = [], []
    for study in sorted({key[0] for key in groups}):
        text, guid = "", _guid("source", study)
        for key in sorted(k for k in groups if k[0] == study):
            _, quote, direction, coder = key
            text += "\n\n" if text else ""
            codes_of = set(groups[key])
            if direction:
                codes_of.add(guids[("direction", direction)])
            selections.append(
                Selection(
                    guid=_guid("selection", *key),
                    source=guid,
                    start=len(text),
                    end=len(text) + len(quote),
                    codes=tuple(codes_of),
                    coder=users.get(coder),
                )
            )
            text += quote
        sources.append(TextSource(guid=guid, name=study, text=text))
    return QdaProject(
        name=name,
        users=tuple(User(guid=g, name=n) for n, g in sorted(users.items())),
        codes=codes,
        sources=tuple(sources),
        selections=tuple(selections),
    )


def export_bytes(
    export: Export, kind: str, name: str, mapping: Mapping[str, Any] | None = None
) -> bytes:
    """The file's bytes: ``csv`` (UTF-8) or ``qdpx`` (validated against the XSD; its code
    names from ``mapping``, the .qdpx conventions)."""
    if kind == "csv":
        return csv_text(export).encode("utf-8")
    if kind == "qdpx":
        return qdpx_bytes(qdpx_project(export, name, mapping), f"{name}.qdpx")
    raise ExportFailure(name, None, f"unknown export kind {kind!r} (one of {', '.join(KINDS)})")


def write_export(
    export: Export, kind: str, path: Path, mapping: Mapping[str, Any] | None = None
) -> Path:
    """Write the export to ``path``, all or nothing (a temporary file beside it, renamed
    into place: a failed write leaves a previous file whole)."""
    data = export_bytes(export, kind, path.stem, mapping)
    if path.is_dir():
        raise ExportFailure(path, None, "is a folder (give the file to write)")
    try:
        write_bytes(path, data)
    except OSError as exc:
        raise ExportFailure(path, None, f"cannot be written ({exc.strerror})") from exc
    return path
