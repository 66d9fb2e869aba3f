"""Taguette's own spreadsheets (CSV or XLSX, as its exporters write them): the highlights
(``id, document, tag, content``: one row per highlight and tag) and the code book
(``tag, description, number of highlights, number of documents``).

Taguette's tags are flat; a hierarchy is written into a tag's name with dots
(``Factors.Organisational.Policies``, ``Direction.Barrier``), so the ``separator`` of the
REFI-QDA conventions defaults to ``"."`` here (the project's ``[refi-qda]`` table sets it
otherwise); the rest are those conventions (kg.importers.refiqda.mapping): the factors
under ``Factors``, the directions under ``Direction``, a document belongs to the study its
name is the citation key or DOI of. A highlight coded with a sub-factor is one evidence
item per sub-factor, its content the quote, verbatim. Taguette's spreadsheet gives no
position in the document, so the quotes carry none (no ``oa:start``/``oa:end``), and no
coder.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from kg.importers.refiqda import Code, QdaProject, RefiQdaError, Selection, TextSource, map_evidence
from kg.importers.refiqda import EvidenceRecord as MappedRecord
from kg.importers.refmodel import ImportFailure
from kg.importers.tables import Table

HIGHLIGHT_COLUMNS = ("id", "document", "tag", "content")
CODEBOOK_COLUMNS = ("tag", "description")
# the GUIDs of the tags, documents and highlights, derived from their names
_NS = uuid.uuid5(uuid.NAMESPACE_URL, "https://w3id.org/govsm/importers/taguette")


def is_highlights(table: Table) -> bool:
    """Whether the spreadsheet is Taguette's highlights export."""
    return set(HIGHLIGHT_COLUMNS) <= set(table.header)


def is_codebook(table: Table) -> bool:
    """Whether the spreadsheet is Taguette's code book export."""
    return set(CODEBOOK_COLUMNS) <= set(table.header) and not is_highlights(table)


def settings(mapping: Mapping[str, Any] | None) -> dict[str, Any]:
    """The conventions for Taguette's files: the project's, with ``.`` as the default
    separator."""
    found = dict(mapping or {})
    found.setdefault("separator", ".")
    return found


def _guid(kind: str, key: str) -> str:
    return str(uuid.uuid5(_NS, f"{kind}:{key}"))


def codebook_codes(table: Table) -> tuple[Code, ...]:
    """The tags of a code book export as flat codes (named by their paths), with their
    descriptions."""
    codes: dict[str, Code] = {}
    for where, row in table.rows:
        tag = row.get("tag", "").strip()
        if not tag:
            raise ImportFailure(table.path, where, "the tag is empty")
        if tag in codes:
            raise ImportFailure(table.path, where, f"tag {tag!r} is listed twice")
        description = row.get("description", "").strip() or None
        codes[tag] = Code(guid=_guid("tag", tag), name=tag, description=description)
    return tuple(codes.values())


@dataclass
class _Highlight:
    document: str
    content: str
    where: str
    tags: list[str] = field(default_factory=list)


def _highlights(table: Table) -> dict[str, _Highlight]:
    """The highlights by id, their rows gathered (one row per tag)."""
    found: dict[str, _Highlight] = {}
    for where, row in table.rows:
        key, document, content = (row.get(c, "") for c in ("id", "document", "content"))
        for column, value in (("id", key), ("document", document), ("content", content)):
            if not value.strip():
                raise ImportFailure(table.path, where, f"the {column} is empty")
        seen = found.setdefault(key, _Highlight(document, content, where))
        if (seen.document, seen.content) != (document, content):
            raise ImportFailure(
                table.path, where, f"highlight {key}: another document or content on {seen.where}"
            )
        tag = row.get("tag", "").strip()
        if tag and tag not in seen.tags:
            seen.tags.append(tag)
    return found


def highlights_project(table: Table) -> tuple[QdaProject, dict[str, str]]:
    """The highlights as a REFI-QDA project (each document's text is its highlights'
    contents one after another, so that each selection holds its content) and, per
    selection GUID, where its highlight stands in the spreadsheet."""
    highlights = _highlights(table)
    tags = sorted({t for h in highlights.values() for t in h.tags})
    codes = tuple(Code(guid=_guid("tag", t), name=t) for t in tags)
    texts: dict[str, str] = {}
    selections, origins = [], {}
    for key, h in highlights.items():
        text = texts.get(h.document, "")
        start = len(text) + (1 if text else 0)
        texts[h.document] = f"{text}\n{h.content}" if text else h.content
        guid = _guid("highlight", key)
        origins[guid] = f"{h.where} (highlight {key})"
        codes_of = tuple(_guid("tag", t) for t in h.tags)
        selections.append(
            Selection(guid, _guid("document", h.document), start, start + len(h.content), codes_of)
        )
    sources = tuple(TextSource(_guid("document", d), d, t) for d, t in texts.items())
    return QdaProject("Taguette highlights", (), codes, sources, tuple(selections)), origins


def records_of_highlights(
    table: Table, studies: Mapping[str, str], mapping: Mapping[str, Any] | None
) -> tuple[list[tuple[MappedRecord, str]], list[str]]:
    """The evidence items of a highlights export, each with where it stands (the
    positions of the mapped records are into no real document: the caller drops them),
    and the highlights that are not evidence (where: why)."""
    project, origins = highlights_project(table)
    try:
        mapped = map_evidence(project, studies, settings(mapping), file=table.path)
    except RefiQdaError as exc:
        element = exc.element or ""
        for guid, where in origins.items():
            element = element.replace(f"selection {guid}", where)
        raise ImportFailure(table.path, element or None, exc.reason) from exc
    skipped = [f"{origins[guid]}: {why}" for guid, why in mapped.skipped]
    return [(r, origins[r.selection]) for r in mapped.records], skipped
