"""From a coded REFI-QDA project to evidence-item records (pure: no files, no RDF).

The default conventions (issue 17), each overridable by a key of the ``mapping`` dict:

``factors`` (default ``"Factors"``)
    the name of the top-level code whose children are factors and whose grandchildren are
    sub-factors; a code deeper down counts as the sub-factor it sits under.
``direction`` (default ``"Direction"``)
    the name of the top-level code whose children name a direction.
``directions`` (default: :data:`DIRECTION_WORDS`)
    direction (``driver``, ``preventer``, ``mixed``) -> the words that name it; a child of
    the direction code whose name is none of them is an error.
``sources`` (default ``{}``)
    source name -> study key, for sources not named after their study.
``separator`` (default ``None``)
    when set (``"."`` for Taguette), flat codes named by paths (``Factors.People.Skills``)
    are first nested into a tree (:func:`kg.importers.refiqda.model.nest_codes`).
``extensions`` (default ``[".txt", ".pdf", ".docx", ".doc", ".rtf", ".odt", ".html"]``)
    file extensions dropped from a source's name before it is looked up.

Code and source names are compared case-insensitively, trimmed. A selection coded with a
sub-factor (and at most one direction) is one evidence item per sub-factor it is coded
with; its quote is the selected text, verbatim, with its character positions. A source
belongs to the study whose citation key or DOI is its name (``studies`` maps both to the
study key; without it, the name itself is the key).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from kg.importers.refiqda.model import Code, QdaProject, Selection, nest_codes
from kg.importers.refiqda.read import RefiQdaError, check_project
from kg.importers.refmodel import bare_doi

#: The direction words of the issue: driver/preventer and their usual synonyms.
DIRECTION_WORDS: dict[str, tuple[str, ...]] = {
    "driver": ("driver", "facilitator", "enabler", "motivator", "drive", "positive"),
    "preventer": ("preventer", "barrier", "obstacle", "inhibitor", "preventive", "negative"),
    "mixed": ("mixed", "both", "ambivalent"),
}
DEFAULT_MAPPING: dict[str, Any] = {
    "factors": "Factors",
    "direction": "Direction",
    "directions": DIRECTION_WORDS,
    "sources": {},
    "separator": None,
    "extensions": [".txt", ".pdf", ".docx", ".doc", ".rtf", ".odt", ".html"],
}


@dataclass(frozen=True)
class EvidenceRecord:
    """One evidence item: which study, sub-factor (and its factor), direction or None,
    the verbatim quote with its positions in the source's text, and who coded it."""

    study: str
    subfactor: str
    factor: str
    direction: str | None
    quote: str
    start: int
    end: int
    coder: str | None
    selection: str
    source: str
    created: str | None = None


@dataclass(frozen=True)
class EvidenceMapping:
    """The records, sorted, and the selections that are not evidence, with the reason."""

    records: tuple[EvidenceRecord, ...]
    skipped: tuple[tuple[str, str], ...]


def _key(name: str) -> str:
    return " ".join(name.split()).casefold()


def normalise_doi(value: str) -> str:
    """A DOI without resolver prefix, lower case (kg.importers.refmodel.bare_doi)."""
    return bare_doi(value)


def _is_words(value: object) -> bool:
    return isinstance(value, list | tuple) and all(isinstance(w, str) for w in value)


#: What each mapping key's value must be: a check and its description.
MAPPING_TYPES: dict[str, tuple[Callable[[object], bool], str]] = {
    "factors": (lambda v: isinstance(v, str), "a string"),
    "direction": (lambda v: isinstance(v, str), "a string"),
    "directions": (
        lambda v: (
            isinstance(v, Mapping)
            and all(k in DIRECTION_WORDS and _is_words(w) for k, w in v.items())
        ),
        f"a table of {', '.join(DIRECTION_WORDS)} -> lists of words",
    ),
    "sources": (
        lambda v: isinstance(v, Mapping) and all(isinstance(x, str) for x in v.values()),
        "a table of source name -> study key",
    ),
    "separator": (lambda v: v is None or (isinstance(v, str) and v != ""), "a non-empty string"),
    "extensions": (_is_words, "a list of strings"),
}


def check_mapping(
    mapping: Mapping[str, Any] | None, file: str | Path, where: str = "mapping key"
) -> dict[str, Any]:
    """The settings: the defaults, overridden by ``mapping``; an unknown key or a value of
    the wrong type is a RefiQdaError naming ``file`` and ``where`` + the key."""
    settings = dict(DEFAULT_MAPPING)
    for key, value in (mapping or {}).items():
        if key not in DEFAULT_MAPPING:
            known = ", ".join(sorted(DEFAULT_MAPPING))
            raise RefiQdaError(file, f"{where} {key!r}", f"unknown (known keys: {known})")
        check, wanted = MAPPING_TYPES[key]
        if not check(value):
            raise RefiQdaError(file, f"{where} {key!r}", f"must be {wanted}, not {value!r}")
        settings[key] = value
    return settings


def codebook_factors(
    codes: tuple[Code, ...], mapping: Mapping[str, Any] | None = None, file: str | Path = "<qdc>"
) -> list[tuple[Code, tuple[Code, ...]]]:
    """The factors of a code book under the conventions, each with its sub-factors (the
    children of the ``factors`` code and theirs; deeper codes are not concepts of their
    own). A code book without the ``factors`` code is an error."""
    settings = check_mapping(mapping, file)
    if settings["separator"]:
        codes = nest_codes(codes, settings["separator"])
    root = next((c for c in codes if _key(c.name) == _key(settings["factors"])), None)
    if root is None:
        raise RefiQdaError(
            file, "code book", f"no top-level code {settings['factors']!r} holds the factors"
        )
    return [(factor, factor.children) for factor in root.children]


def _root(project: QdaProject, name: str) -> Code | None:
    return next((c for c in project.codes if _key(c.name) == _key(name)), None)


def _taxonomy(project: QdaProject, settings: dict, file: str | Path) -> dict[str, tuple[str, str]]:
    """Code GUID -> (factor name, sub-factor name) for every code at or below depth 2."""
    root = _root(project, settings["factors"])
    if root is None:
        raise RefiQdaError(
            file, "code book", f"no top-level code {settings['factors']!r} holds the factors"
        )
    table: dict[str, tuple[str, str]] = {}
    for factor in root.children:
        for sub in factor.children:
            for code, _, _ in sub.walk():
                table[code.guid] = (factor.name.strip(), sub.name.strip())
    return table


def _directions(project: QdaProject, settings: dict, file: str | Path) -> dict[str, str]:
    """Code GUID -> direction, for the children of the direction code."""
    words = {_key(w): d for d, ws in settings["directions"].items() for w in ws}
    root = _root(project, settings["direction"])
    table: dict[str, str] = {}
    for child in root.children if root is not None else ():
        if _key(child.name) not in words:
            raise RefiQdaError(
                file,
                f"code {child.guid}",
                f"{child.name!r} under {root.name!r} names no direction "
                f"(known words: {', '.join(sorted(words))})",
            )
        for code, _, _ in child.walk():
            table[code.guid] = words[_key(child.name)]
    return table


def _study_of(name: str, studies: Mapping[str, str] | None, settings: dict) -> str | None:
    """The study key a source's name points to, or None."""
    overrides = {_key(k): v for k, v in settings["sources"].items()}
    if _key(name) in overrides:
        return overrides[_key(name)]
    stem = name.strip()
    for ext in settings["extensions"]:
        if stem.lower().endswith(ext.lower()):
            stem = stem[: -len(ext)]
            break
    if studies is None:
        return stem or None
    table = {_key(k): v for k, v in studies.items()}
    table.update({normalise_doi(k): v for k, v in studies.items()})
    return table.get(_key(stem)) or table.get(normalise_doi(stem))


def _records_of(
    sel: Selection, project: QdaProject, study: str, tables: tuple[dict, dict], file: str | Path
) -> list[EvidenceRecord]:
    factors, directions = tables
    found = {directions[c] for c in sel.codes if c in directions}
    if len(found) > 1:
        raise RefiQdaError(
            file, f"selection {sel.guid}", f"coded with more than one direction: {sorted(found)}"
        )
    source = project.source(sel.source)
    if source is None:  # map_evidence checks the project first; kept for direct callers
        raise RefiQdaError(file, f"selection {sel.guid}", f"its source {sel.source} is missing")
    quote = source.text[sel.start : sel.end]
    if not quote.strip():
        raise RefiQdaError(file, f"selection {sel.guid}", "selects no text to quote")
    users = {u.guid: u.name for u in project.users}
    coder = (users.get(sel.coder) or sel.coder) if sel.coder else None
    pairs = sorted({factors[c] for c in sel.codes if c in factors})
    return [
        EvidenceRecord(
            study=study,
            subfactor=sub,
            factor=factor,
            direction=next(iter(found), None),
            quote=quote,
            start=sel.start,
            end=sel.end,
            coder=coder,
            selection=sel.guid,
            source=source.name,
            created=sel.created,
        )
        for factor, sub in pairs
    ]


def map_evidence(
    project: QdaProject,
    studies: Mapping[str, str] | None = None,
    mapping: Mapping[str, Any] | None = None,
    file: str | Path = "<qdpx>",
) -> EvidenceMapping:
    """The evidence items of a project under the conventions (module docstring).
    ``studies`` maps citation keys and DOIs to study keys; a source with evidence that
    names no study is an error naming the selection."""
    check_project(project, file)  # a project built in code gets the reader's checks too
    settings = check_mapping(mapping, file)
    if settings["separator"]:
        project = replace(project, codes=nest_codes(project.codes, settings["separator"]))
    tables = (_taxonomy(project, settings, file), _directions(project, settings, file))
    records: list[EvidenceRecord] = []
    skipped: list[tuple[str, str]] = []
    for sel in project.selections:
        if not any(c in tables[0] for c in sel.codes):
            skipped.append((sel.guid, "coded with no sub-factor"))
            continue
        source = project.source(sel.source)
        name = source.name if source else sel.source
        study = _study_of(name, studies, settings)
        if study is None:
            raise RefiQdaError(
                file,
                f"selection {sel.guid}",
                f"its source {name!r} is named after no reference (citation key or DOI)",
            )
        records.extend(_records_of(sel, project, study, tables, file))
    records.sort(key=lambda r: (r.study, r.factor, r.subfactor, r.start, r.end, r.selection))
    return EvidenceMapping(records=tuple(records), skipped=tuple(skipped))
