"""Readers of reference files: BibTeX (bibtexparser 2.x), RIS (rispy) and CSL-JSON (the
JSON Zotero exports), each into Reference records (kg.importers.refmodel). A malformed
file raises ImportFailure naming the file, the line or entry, and the reason."""

from __future__ import annotations

import json
import re
from pathlib import Path

import bibtexparser
import rispy
from bibtexparser import middlewares

from kg.importers.refmodel import (
    KINDS,
    Author,
    ImportFailure,
    Reference,
    Venue,
    clean,
    make_reference,
)
from kg.importers.refmodel import parse_name as _parse_name

_BIB_KINDS = {
    "article": "article", "book": "book", "incollection": "chapter", "inbook": "chapter",
    "inproceedings": "conference", "conference": "conference", "phdthesis": "thesis",
    "mastersthesis": "thesis", "thesis": "thesis", "techreport": "report",
    "report": "report", "online": "webpage", "electronic": "webpage", "www": "webpage",
}  # fmt: skip
_RIS_KINDS = {
    "JOUR": "article", "JFULL": "article", "EJOUR": "article", "MGZN": "article",
    "NEWS": "article", "BOOK": "book", "EBOOK": "book", "EDBOOK": "book",
    "CHAP": "chapter", "ECHAP": "chapter", "CONF": "conference", "CPAPER": "conference",
    "THES": "thesis", "RPRT": "report", "ELEC": "webpage", "WEB": "webpage", "BLOG": "webpage",
}  # fmt: skip
_CSL_KINDS = {
    "article-journal": "article", "article-magazine": "article",
    "article-newspaper": "article", "article": "article", "book": "book",
    "chapter": "chapter", "paper-conference": "conference", "thesis": "thesis",
    "report": "report", "webpage": "webpage", "post-weblog": "webpage", "post": "webpage",
}  # fmt: skip
#: Where each kind names its venue, per format (the first field present wins).
_BIB_VENUE = {
    "article": ("journal", "journaltitle"), "chapter": ("booktitle",),
    "conference": ("booktitle", "eventtitle"), "book": ("publisher",),
    "thesis": ("school", "institution"), "report": ("institution", "publisher"),
    "webpage": ("organization", "publisher"), "other": ("publisher", "howpublished"),
}  # fmt: skip
_RIS_VENUE = {
    "article": ("secondary_title", "journal_name", "alternate_title3", "alternate_title1"),
    "chapter": ("secondary_title",), "conference": ("secondary_title",),
    "book": ("publisher",), "thesis": ("publisher",), "report": ("publisher",),
    "webpage": ("publisher",), "other": ("publisher",),
}  # fmt: skip
_BIB_HEAD = re.compile(r"\s*@\w+\s*[{(]\s*([^,\s]+)")
_RIS_TAG = re.compile(r"^[A-Z][A-Z0-9]  -( |$)")


def _venue(kind: str, names: list[object]) -> Venue | None:
    name = next((clean(n) for n in names if clean(n)), "")
    return Venue(name, KINDS[kind][1] or "foaf:Organization") if name else None


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ImportFailure(path, f"byte {exc.start}", "not UTF-8 text") from exc
    except OSError as exc:
        raise ImportFailure(path, None, f"cannot be read ({exc.strerror})") from exc


# --- BibTeX ---


def _bib_authors(entry: bibtexparser.model.Entry) -> tuple[Author, ...]:
    names = entry.get("author") or entry.get("editor")
    if names is None:
        return ()
    return tuple(
        Author(clean(" ".join(n.von + n.last + n.jr)), clean(" ".join(n.first)))
        for n in names.value
        if clean(" ".join(n.last))
    )


def _bib_reference(path: Path, entry: bibtexparser.model.Entry) -> Reference:
    fields = {f.key.lower(): f.value for f in entry.fields if f.key not in ("author", "editor")}
    kind = _BIB_KINDS.get(entry.entry_type.lower(), "webpage" if "url" in fields else "other")
    return make_reference(
        key=entry.key,
        kind=kind,
        title=fields.get("title", ""),
        authors=_bib_authors(entry),
        year=fields.get("year") or fields.get("date", ""),
        venue=_venue(kind, [fields.get(name) for name in _BIB_VENUE[kind]]),
        volume=fields.get("volume", ""),
        issue=fields.get("number") or fields.get("issue", ""),
        pages=fields.get("pages", ""),
        doi=fields.get("doi", ""),
        url=fields.get("url", ""),
        abstract=fields.get("abstract", ""),
        file=str(path),
        line=f"line {entry.start_line + 1}",
    )


def read_bibtex(path: Path) -> list[Reference]:
    """The entries of a ``.bib`` file (LaTeX decoded, braces removed, names split)."""
    library = bibtexparser.parse_string(
        _text(path),
        append_middleware=[
            middlewares.LatexDecodingMiddleware(),
            middlewares.SeparateCoAuthors(),
            middlewares.SplitNameParts(),
        ],
    )
    if library.failed_blocks:
        block = library.failed_blocks[0]
        error = getattr(block, "error", None)
        reason = (str(error).strip().splitlines() or [""])[0]
        if not reason:  # the splitter's BlockAbortedException carries no message
            reason = "syntax error: the entry is not closed (check its braces and quotes)"
        head = _BIB_HEAD.match(block.raw or "")
        key = getattr(block, "key", None) or (head.group(1) if head else "?")
        raise ImportFailure(path, f"line {(block.start_line or 0) + 1} ({key})", reason)
    return [_bib_reference(path, entry) for entry in library.entries]


# --- RIS ---


def _ris_lines(path: Path, text: str) -> list[int]:
    """The line numbers of the records' TY lines, after checking the file's structure
    (rispy itself skips what it does not understand, silently)."""
    starts, open_at = [], 0
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        tagged = bool(_RIS_TAG.match(line))
        if tagged and line.startswith("TY  -"):
            if open_at:
                raise ImportFailure(path, f"line {number}", f"record of line {open_at} has no ER")
            open_at = number
            starts.append(number)
        elif tagged and line.startswith("ER  -"):
            if not open_at:
                raise ImportFailure(path, f"line {number}", "ER outside a record")
            open_at = 0
        elif not open_at:
            raise ImportFailure(path, f"line {number}", "text outside a record (TY ... ER)")
    if open_at:
        raise ImportFailure(path, f"line {open_at}", "record has no end (ER  - )")
    return starts


def _ris_reference(path: Path, record: dict, line: int) -> Reference:
    kind = _RIS_KINDS.get(str(record.get("type_of_reference", "")).upper(), "other")
    names = [*record.get("authors", []), *record.get("first_authors", [])]
    names = names or record.get("secondary_authors", [])  # editors, as for BibTeX
    urls = record.get("urls") or [""]
    key = clean(record.get("id", ""))
    return make_reference(
        key=key,
        kind=kind,
        title=record.get("title") or record.get("primary_title", ""),
        authors=tuple(_parse_name(n) for n in names if clean(n)),
        year=record.get("year") or record.get("publication_year", ""),
        venue=_venue(kind, [record.get(name) for name in _RIS_VENUE[kind]]),
        volume=record.get("volume", ""),
        issue=record.get("number", ""),
        pages=f"{clean(record.get('start_page'))}--{clean(record.get('end_page'))}".strip("-"),
        doi=record.get("doi", ""),
        url=urls[0],
        abstract=record.get("abstract") or record.get("notes_abstract", ""),
        file=str(path),
        line=f"line {line}",
    )


def read_ris(path: Path) -> list[Reference]:
    """The records of a ``.ris`` file; a record without ID gets no key (the importer
    derives one)."""
    text = _text(path)
    starts = _ris_lines(path, text)
    records = rispy.loads(text)
    if len(records) != len(starts):
        raise ImportFailure(path, None, f"{len(starts)} records found, rispy read {len(records)}")
    return [_ris_reference(path, r, line) for r, line in zip(records, starts, strict=True)]


# --- CSL-JSON ---


def _csl_authors(item: dict) -> tuple[Author, ...]:
    people = item.get("author") or item.get("editor") or []
    authors = []
    for person in people:
        if not isinstance(person, dict):
            continue
        family = clean(f"{person.get('non-dropping-particle', '')} {person.get('family', '')}")
        if family:
            authors.append(Author(family, clean(person.get("given", ""))))
        elif clean(person.get("literal")):
            authors.append(_parse_name(person["literal"]))
    return tuple(authors)


def _csl_year(item: dict) -> str:
    issued = item.get("issued") or {}
    parts = issued.get("date-parts") or [[]]
    if parts and parts[0]:
        return str(parts[0][0])
    return str(issued.get("raw") or issued.get("literal") or "")


def _csl_reference(path: Path, item: object, index: int) -> Reference:
    if not isinstance(item, dict) or not clean(item.get("id")) or not item.get("type"):
        raise ImportFailure(path, f"entry {index}", "a CSL item needs an 'id' and a 'type'")
    kind = _CSL_KINDS.get(str(item["type"]), "other")
    venue_names = [item.get("container-title"), item.get("event-title"), item.get("publisher")]
    if kind in ("book", "thesis", "report", "other"):
        venue_names = [item.get("publisher")]
    return make_reference(
        key=clean(item["id"]),
        kind=kind,
        title=item.get("title", ""),
        authors=_csl_authors(item),
        year=_csl_year(item),
        venue=_venue(kind, venue_names),
        volume=item.get("volume", ""),
        issue=item.get("issue", ""),
        pages=item.get("page", ""),
        doi=item.get("DOI", ""),
        url=item.get("URL", ""),
        abstract=item.get("abstract", ""),
        file=str(path),
        line=f"entry {index} ({clean(item['id'])})",
    )


def read_csl_json(path: Path) -> list[Reference]:
    """The items of a CSL-JSON file (a JSON array of CSL items, as Zotero exports)."""
    try:
        items = json.loads(_text(path))
    except json.JSONDecodeError as exc:
        raise ImportFailure(path, f"line {exc.lineno}", f"not JSON: {exc.msg}") from exc
    if not isinstance(items, list):
        raise ImportFailure(path, "line 1", "CSL-JSON is an array of items")
    return [_csl_reference(path, item, index) for index, item in enumerate(items, 1)]


READERS = {".bib": read_bibtex, ".ris": read_ris, ".json": read_csl_json}


def read_references(path: Path) -> list[Reference]:
    """The references of one file, read by its suffix (.bib, .ris, .json)."""
    reader = READERS.get(path.suffix.lower())
    if reader is None:
        raise ImportFailure(path, None, "not a reference file (.bib, .ris or .json)")
    return reader(path)
