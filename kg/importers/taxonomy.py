"""A review's taxonomy from a code book: a REFI-QDA ``.qdc`` (its factors and sub-factors
under the conventions of kg.importers.refiqda.mapping) or a spreadsheet (CSV/XLSX) with
the columns ``factor, subfactor, synonyms, definition``; and the one way every importer
writes a factor or sub-factor it adds (``add_concept``: the evidence importer adds the
names its codings use that the taxonomy lacks).

A concept is a ``govsm:Factor`` or ``govsm:SubFactor`` (IRI ``id/factor/<slug>`` or
``id/subfactor/<slug>``) in the review's concept scheme, a sub-factor ``skos:broader`` its
factor, with its name as ``skos:prefLabel``, its synonyms as ``skos:altLabel`` (so that a
later evidence import matches them) and its definition (a ``.qdc`` code's description) as
``skos:definition``. A spreadsheet row with an empty sub-factor describes the factor
itself. A concept the taxonomy already has (a preferred or alternative label of the same
kind, any case) is not added again. Each file writes ``taxonomy-imported-<stem>.ttl``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdflib import Literal, URIRef

from kg.importers.folder import Folder, read_folder
from kg.importers.refiqda import Code, codebook_factors, read_qdc
from kg.importers.refmodel import ImportFailure, slug
from kg.importers.tables import Table
from kg.prefixes import DEFAULT_BASE, PREFIXES

SUFFIXES = (".qdc",)
#: The columns of a taxonomy spreadsheet (``factor`` is required).
COLUMNS = ("factor", "subfactor", "synonyms", "definition")
#: The first line of a code book's file (an evidence import's concepts have none): one
#: kind of import must not replace the other's file (kg.importers.project).
CODEBOOK_MARK = "# A code book imported by govsm import: change the code book, import it again.\n"
HEAD = "".join(
    f"@prefix {name}: <{PREFIXES[name]}> .\n"
    for name in ("govsm", "oa", "skos", "foaf", "prov", "xsd")
)


def _name(text: str) -> str:
    return " ".join(text.split())


def add_concept(
    folder: Folder,
    added: dict[URIRef, list[str]],
    kind: str,
    label: str,
    parent: URIRef | None,
    synonyms: Sequence[str] = (),
    definition: str | None = None,
    origin: str = "",
) -> URIRef:
    """The concept of ``kind`` (Factor, SubFactor) named ``label`` or one of ``synonyms``:
    the folder's when it has one, else a new one whose Turtle goes into ``added``
    (``origin``, the file and row naming it, for the error of a name with no letter)."""
    for name in (label, *synonyms):
        found = folder.concepts.get((kind, _name(name).lower()))
        if found is not None:
            return found
    if not slug(label):
        raise ImportFailure(origin or label, None, f"the name {label!r} has no letter or digit")
    path = "factor" if kind == "Factor" else "subfactor"
    iri = URIRef(f"{DEFAULT_BASE}id/{path}/{slug(label)}")
    alts = sorted({_name(s) for s in synonyms if _name(s) and _name(s) != _name(label)})
    for name in (label, *alts):
        folder.concepts[(kind, _name(name).lower())] = iri
    broader = f"\n    skos:broader <{parent}> ;" if parent is not None else ""
    extra = "".join(f"\n    skos:altLabel {_lit(a, 'en')} ;" for a in alts)
    if definition:
        extra += f"\n    skos:definition {_lit(_name(definition), 'en')} ;"
    added[iri] = [
        f"<{iri}> a govsm:{kind} ;\n    skos:inScheme <{folder.scheme}> ;{broader}{extra}\n"
        f"    skos:prefLabel {_lit(_name(label), 'en')} .\n"
    ]
    return iri


def _lit(text: str, lang: str | None = None) -> str:
    return Literal(text, lang=lang).n3()


@dataclass
class Entry:
    """One concept a code book describes: its name, synonyms and definition, where."""

    name: str
    origin: str
    synonyms: list[str] = field(default_factory=list)
    definition: str | None = None
    subfactors: dict[str, Entry] = field(default_factory=dict)


def _merge(entry: Entry, synonyms: Sequence[str], definition: str | None, where: str) -> None:
    for word in synonyms:
        if word not in entry.synonyms:
            entry.synonyms.append(word)
    if definition:
        if entry.definition and entry.definition != definition:
            raise ImportFailure(
                where, None, f"a second, different definition of {entry.name!r} ({entry.origin})"
            )
        entry.definition = definition


def _split(text: str) -> list[str]:
    return [w for w in (_name(p) for p in text.replace("|", ";").split(";")) if w]


def entries_of_table(table: Table) -> list[Entry]:
    """The factors (each with its sub-factors) of a taxonomy spreadsheet."""
    factors: dict[str, Entry] = {}
    for where, row in table.rows:
        origin = f"{table.path}: {where}"
        factor, sub = _name(row.get("factor", "")), _name(row.get("subfactor", ""))
        if not factor:
            raise ImportFailure(table.path, where, "the factor is empty")
        entry = factors.setdefault(factor.lower(), Entry(factor, origin))
        if sub:
            owner = next((f for f in factors.values() if sub.lower() in f.subfactors), entry)
            if owner is not entry:
                raise ImportFailure(
                    table.path, where, f"sub-factor {sub!r} is already under {owner.name!r}"
                )
            entry = entry.subfactors.setdefault(sub.lower(), Entry(sub, origin))
        _merge(entry, _split(row.get("synonyms", "")), row.get("definition") or None, origin)
    return list(factors.values())


def entries_of_qdc(path: Path, mapping: Mapping[str, Any] | None) -> list[Entry]:
    """The factors (each with its sub-factors) of a REFI-QDA code book."""
    return entries_of_codes(read_qdc(path), mapping, path)


def entries_of_codes(
    codes: tuple[Code, ...], mapping: Mapping[str, Any] | None, path: Path
) -> list[Entry]:
    """The factors (each with its sub-factors) of a code book's codes, under the
    REFI-QDA conventions (``mapping``)."""
    entries = []
    for factor, subs in codebook_factors(codes, mapping, path):
        entry = Entry(_name(factor.name), f"{path}: code {factor.guid}")
        _merge(entry, (), (factor.description or "").strip() or None, entry.origin)
        for sub in subs:
            child = Entry(_name(sub.name), f"{path}: code {sub.guid}")
            _merge(child, (), (sub.description or "").strip() or None, child.origin)
            entry.subfactors.setdefault(child.name.lower(), child)
        entries.append(entry)
    return entries


def target(path: Path, data_dir: Path) -> Path:
    """The file an import of the code book or codings ``path`` writes its concepts to."""
    return data_dir / f"taxonomy-imported-{slug(path.stem) or 'codebook'}.ttl"


def plan_codebook(
    path: Path, entries: list[Entry], data_dir: Path, pending: Mapping[Path, str]
) -> tuple[list[str], dict[Path, str]]:
    """The report lines and the file (path -> Turtle) importing one code book writes."""
    out = target(path, data_dir)
    folder = read_folder(data_dir, [out], pending)
    added: dict[URIRef, list[str]] = {}
    lines: list[str] = []
    for entry in entries:
        factor = _add(folder, added, lines, "Factor", entry, None)
        for sub in entry.subfactors.values():
            _add(folder, added, lines, "SubFactor", sub, factor)
    body = "".join("\n" + "".join(added[k]) for k in sorted(added))
    lines.append(f"{path}: {len(added)} concept(s) of its own, the others already in the taxonomy")
    return lines, {out: CODEBOOK_MARK + HEAD + body}


def _add(
    folder: Folder,
    added: dict[URIRef, list[str]],
    lines: list[str],
    kind: str,
    entry: Entry,
    parent: URIRef | None,
) -> URIRef:
    before = len(added)
    iri = add_concept(
        folder, added, kind, entry.name, parent, entry.synonyms, entry.definition, entry.origin
    )
    if len(added) == before:
        lines.append(f"exists    {entry.origin}: {kind} {entry.name!r} is {iri}")
    return iri
