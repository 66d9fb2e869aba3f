"""The spreadsheets reviewers keep, CSV or XLSX, as one table: a header row (column names,
trimmed, lower case) and rows of text, each with where it stands (``line N`` of a CSV,
``sheet 'S', row N`` of a workbook), so every error can name file and row.

A workbook is a zip of XML parts. Before openpyxl opens it, the archive is read through
kg.importers.safe (bounds on member count and decompressed size, no escaping names) and
every XML part is refused if it declares a DOCTYPE (entities come in through one); openpyxl
then parses with defusedxml (a dependency, which openpyxl uses when it is installed).
"""

from __future__ import annotations

import csv
import datetime
import io
from dataclasses import dataclass
from pathlib import Path

import openpyxl

from kg.importers.refmodel import ImportFailure, slug
from kg.importers.safe import DEFAULT_LIMITS, InputError, Limits, SafeArchive, declares_doctype

SUFFIXES = (".csv", ".xlsx")
_XML_PARTS = (".xml", ".rels", ".vml")


@dataclass(frozen=True)
class Table:
    """A spreadsheet's header (lower-case names) and rows: (where, column -> text)."""

    path: Path
    header: tuple[str, ...]
    header_where: str
    rows: tuple[tuple[str, dict[str, str]], ...]


def read_table(path: Path, limits: Limits = DEFAULT_LIMITS) -> Table:
    """The table of a ``.csv`` (UTF-8, a byte-order mark allowed) or an ``.xlsx`` (its
    sheet named like the file's stem, else its first sheet); ImportFailure otherwise."""
    if path.suffix.lower() == ".xlsx":
        return _read_xlsx(path, limits)
    return _read_csv(path)


def _read_csv(path: Path) -> Table:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportFailure(path, None, f"cannot read it as UTF-8 text: {exc}") from exc
    # newline="": a quoted field keeps its line breaks as written (the csv module's rule)
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = tuple(h.strip().lower() for h in reader.fieldnames or [])
        rows = []
        for row in reader:
            values = {k.strip().lower(): (v or "").strip() for k, v in row.items() if k}
            rows.append((f"line {reader.line_num}", values))
    except csv.Error as exc:
        raise ImportFailure(path, f"line {reader.line_num}", f"not CSV: {exc}") from exc
    return Table(path, header, "line 1", tuple(rows))


def check_workbook(path: Path, limits: Limits = DEFAULT_LIMITS) -> None:
    """Refuse a workbook whose archive breaks the bounds or whose XML declares a DOCTYPE,
    before any XML of it is parsed."""
    with SafeArchive(path, limits, InputError) as archive:
        for name in sorted(archive.names.values()):
            if name.lower().endswith(_XML_PARTS) and declares_doctype(archive.read(name)):
                raise InputError(
                    path,
                    f"member {name!r}",
                    "refused: the XML declares a DOCTYPE (entity declarations and external "
                    "entities are not accepted)",
                )


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    return str(value).strip()


def _read_xlsx(path: Path, limits: Limits) -> Table:
    check_workbook(path, limits)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken workbook
        raise ImportFailure(path, None, f"not a readable XLSX workbook ({exc})") from exc
    try:
        names = book.sheetnames
        chosen = next((n for n in names if slug(n) == slug(path.stem)), names[0])
        sheet = book[chosen]
        where = f"sheet {chosen!r}"
        try:
            cells = [[_text(v) for v in row] for row in sheet.iter_rows(values_only=True)]
        except Exception as exc:  # a malformed sheet part
            raise ImportFailure(path, where, f"cannot be read ({exc})") from exc
    finally:
        book.close()
    if not cells:
        return Table(path, (), f"{where}, row 1", ())
    header = tuple(h.lower() for h in cells[0])
    rows = tuple(
        (f"{where}, row {n}", {h: v for h, v in zip(header, row, strict=False) if h})
        for n, row in enumerate(cells[1:], start=2)
        if any(row)
    )
    return Table(path, tuple(h for h in header if h), f"{where}, row 1", rows)
