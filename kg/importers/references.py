"""Import references from BibTeX, RIS and CSL-JSON into a review's data folder.

``import_references(files, data_dir)`` is the one entry point (``govsm import`` calls
it). It reads every file first (kg.importers.refformats; a malformed one raises
ImportFailure and nothing is written), then merges the entries with what an earlier
import wrote, and writes two files of its own, never a hand-written one:

- ``references-imported.ttl``: one govsm:Study per entry (IRI ``study/<family>-<year>``,
  ``-b``, ``-c`` on clashes; an entry keeps its IRI when it changes), its persons and
  venues (deduplicated by normalised name), owl:sameAs between duplicates;
- ``data-quality-imported.ttl``: duplicates (same DOI, or same normalised title and
  year, within or across files, including the folder's hand-written studies), DOIs that
  are not DOI syntax, entries without a title.

An entry is identified by its citation key (BibTeX key, RIS ``ID``, CSL ``id``; derived
from author, year and title when a RIS record has none): importing a file again changes
nothing, a changed entry rewrites its own study, entries of other files stay.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, RDF

from kg.importers.folder import BIBO_DOI, review_of
from kg.importers.output import write_all
from kg.importers.refformats import READERS, read_references
from kg.importers.refmodel import ImportFailure, Reference, slug
from kg.importers.refturtle import (
    ID,
    Issue,
    Known,
    data_quality_turtle,
    read_back,
    references_turtle,
)
from kg.prefixes import GOVSM, PREFIXES

#: The suffixes import_references reads (the CLI dispatches on them).
SUFFIXES = tuple(READERS)
STATUSES = ("added", "updated", "unchanged", "skipped")
REFERENCES_FILE = "references-imported.ttl"
DATA_QUALITY_FILE = "data-quality-imported.ttl"
GOVSM_STUDY = URIRef(GOVSM + "Study")
FABIO_YEAR = URIRef(PREFIXES["fabio"] + "hasPublicationYear")

__all__ = [
    "BIBO_DOI",
    "SUFFIXES",
    "EntryOutcome",
    "ImportFailure",
    "ImportReport",
    "import_references",
    "plan_references",
]


@dataclass(frozen=True)
class EntryOutcome:
    """What an import did with one entry: added, updated, unchanged or skipped (why)."""

    file: str
    where: str
    key: str
    status: str
    study: str = ""
    reason: str = ""


@dataclass
class ImportReport:
    """Per entry what happened, the data-quality issues found, the files written."""

    entries: list[EntryOutcome] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    written: list[Path] = field(default_factory=list)

    def count(self, status: str) -> int:
        """How many entries have ``status``."""
        return sum(1 for e in self.entries if e.status == status)

    def lines(self) -> list[str]:
        """The report as a CLI prints it: one line per entry, then the totals."""
        out = [
            f"{e.status:9} {e.file}: {e.where}" + (f" -> {e.study}" if e.study else "")
            + (f" ({e.reason})" if e.reason else "")
            for e in self.entries
        ]  # fmt: skip
        out += [f"issue     {i.kind}: data-quality/{i.slug}" for i in self.issues]
        totals = ", ".join(f"{self.count(s)} {s}" for s in STATUSES)
        return [*out, f"{totals}; wrote {len(self.written)} file(s)"]


def _parse(path: Path, graph: Graph) -> None:
    try:
        graph.parse(path, format="turtle")
    except Exception as exc:  # rdflib raises several types for bad Turtle
        raise ImportFailure(path, None, f"cannot be parsed as Turtle ({exc})") from exc


def _existing(data_dir: Path) -> tuple[Graph, Graph]:
    """The graph of the earlier import's two files, and of the folder's other files."""
    ours, others = Graph(), Graph()
    for path in sorted(data_dir.glob("*.ttl")):
        _parse(path, ours if path.name in (REFERENCES_FILE, DATA_QUALITY_FILE) else others)
    return ours, others


def _known(others: Graph) -> Known:
    known = Known()
    for subject in set(others.subjects()):
        text = str(subject)
        for kind, names in (
            ("study/", known.studies),
            ("person/", known.persons),
            ("venue/", known.venues),
        ):
            if text.startswith(ID + kind):
                names.add(text[len(ID + kind) :])
    return known


def _with_key(ref: Reference) -> Reference:
    if ref.key:
        return ref
    family = ref.authors[0].family if ref.authors else "anonymous"
    words = slug(ref.title).split("-")[:3]
    derived = "-".join(filter(None, [slug(family), ref.year or "nd", *words]))
    return Reference(**{**ref.__dict__, "key": derived})


def _read_all(files: Sequence[Path]) -> tuple[list[Reference], list[EntryOutcome]]:
    """Every entry of ``files`` once; the same key twice with the same content is
    skipped, with different content it is an error."""
    seen: dict[str, Reference] = {}
    skipped = []
    for path in files:
        for ref in map(_with_key, read_references(Path(path))):
            first = seen.get(ref.key)
            if first is None:
                seen[ref.key] = ref
            elif first.signature() == ref.signature():
                reason = f"the same entry as {first.file} {first.where}"
                skipped.append(EntryOutcome(ref.file, ref.where, ref.key, "skipped", "", reason))
            else:
                reason = f"citation key also used for another entry at {first.file} {first.where}"
                raise ImportFailure(ref.file, ref.where, reason)
    return [seen[k] for k in sorted(seen)], skipped


def _new_slug(ref: Reference, taken: set[str]) -> str:
    # A family name with no ASCII letters (e.g. in Chinese script) slugs to nothing:
    # the citation key stands in, which is readable too.
    family = slug(ref.authors[0].family) or slug(ref.key)
    base = f"{family or 'study'}-{ref.year or 'nd'}"
    candidates = [base] + [f"{base}-{chr(c)}" for c in range(ord("b"), ord("z") + 1)]
    candidates += [f"{base}-{n}" for n in range(27, 10_000)]
    chosen = next(c for c in candidates if c not in taken)
    taken.add(chosen)
    return chosen


def _merge(
    refs: list[Reference], state: dict[str, Reference], known: Known, report: ImportReport
) -> dict[str, Reference]:
    by_key = {ref.key: slug_ for slug_, ref in state.items()}
    taken = set(state) | known.studies
    merged = dict(state)
    for ref in refs:
        if not ref.authors:  # shape:StudyShape-creator-minCount: a study needs an author
            reason = "no author or editor: a study needs at least one (dcterms:creator)"
            report.entries.append(EntryOutcome(ref.file, ref.where, ref.key, "skipped", "", reason))
            continue
        old_slug = by_key.get(ref.key)
        if old_slug is None:
            status, old_slug = "added", _new_slug(ref, taken)
        else:
            same = state[old_slug].signature() == ref.signature()
            status = "unchanged" if same else "updated"
        merged[old_slug] = ref
        report.entries.append(
            EntryOutcome(ref.file, ref.where, ref.key, status, f"{ID}study/{old_slug}")
        )
    return merged


def _norm_title(title: str) -> str:
    return slug(title)


def _duplicates(state: dict[str, Reference], others: Graph) -> list[Issue]:
    """One duplicateEntry issue per group of studies with the same DOI or the same
    normalised title and year (a group holds at least one imported study)."""
    marks: dict[tuple, list[str]] = {}
    quoted: dict[str, str] = {}
    for slug_, ref in state.items():
        quoted[slug_] = ref.title or ref.doi_given
        if ref.doi:
            marks.setdefault(("doi", ref.doi), []).append(slug_)
        if ref.title and ref.year:
            marks.setdefault(("title", _norm_title(ref.title), ref.year), []).append(slug_)
    for study in others.subjects(RDF.type, GOVSM_STUDY):
        name = str(study).removeprefix(ID + "study/")
        doi, title, year = (others.value(study, p) for p in (BIBO_DOI, DCTERMS.title, FABIO_YEAR))
        if doi is not None:
            marks.setdefault(("doi", str(doi).lower()), []).append(name)
        if title is not None and year is not None:
            marks.setdefault(("title", _norm_title(str(title)), str(year)), []).append(name)
    parent: dict[str, str] = {}

    def root(x: str) -> str:
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for group in marks.values():
        for other in group[1:]:
            parent[root(other)] = root(group[0])
    groups: dict[str, set[str]] = {}
    for member in parent:
        groups.setdefault(root(member), set()).add(member)
    return [
        _duplicate_issue(sorted(g), state, quoted)
        for g in groups.values()
        if len(g) > 1 and g & set(state)
    ]


def _duplicate_issue(
    members: list[str], state: dict[str, Reference], quoted: dict[str, str]
) -> Issue:
    imported = [m for m in members if m in state]
    keys = ", ".join(f"'{state[m].key}'" if m in state else f"study/{m}" for m in members)
    return Issue(
        slug=f"{imported[0]}-duplicate",
        kind="duplicateEntry",
        concerns=tuple(members),
        description=f"The entries {keys} describe one work: the same DOI, or the same "
        "title and year.",
        resolution="All entries kept as separate records and linked with owl:sameAs; none "
        "is merged or preferred.",
        quotes=tuple(quoted[m] for m in imported if quoted[m]),
    )


def _record_issues(state: dict[str, Reference]) -> list[Issue]:
    issues = []
    for slug_, ref in sorted(state.items()):
        if ref.doi_given and not ref.doi:
            issues.append(Issue(
                f"{slug_}-doi", "malformedIdentifier", (slug_,),
                f"The entry '{ref.key}' gives a DOI that is not DOI syntax (10.NNNN/...).",
                "No bibo:doi is recorded; the DOI as given is quoted here.", (ref.doi_given,),
            ))  # fmt: skip
        if ref.url_given and not ref.url:
            issues.append(Issue(
                f"{slug_}-url", "malformedIdentifier", (slug_,),
                f"The entry '{ref.key}' gives a URL that is not an http(s) IRI.",
                "No schema:url is recorded; the URL as given is quoted here.", (ref.url_given,),
            ))  # fmt: skip
        if not ref.title:
            issues.append(Issue(
                f"{slug_}-title", "incompleteRecord", (slug_,),
                f"The entry '{ref.key}' gives no title.", "The study has no dcterms:title.",
            ))  # fmt: skip
    return issues


def plan_references(files: Sequence[Path], data_dir: Path) -> tuple[ImportReport, dict[Path, str]]:
    """What importing the references of ``files`` (.bib, .ris, .json) into the review
    folder ``data_dir`` does, and the files it writes (path -> text), nothing written."""
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise ImportFailure(data_dir, None, "no such data folder")
    refs, skipped = _read_all(files)
    ours, others = _existing(data_dir)
    known = _known(others)
    report = ImportReport(entries=list(skipped))
    state = _merge(refs, read_back(ours), known, report)
    report.issues = sorted(_duplicates(state, others) + _record_issues(state), key=lambda i: i.slug)
    review = review_of(data_dir)
    outputs = {
        data_dir / REFERENCES_FILE: references_turtle(
            state, report.issues, known, str(review) if review else None
        ),
        data_dir / DATA_QUALITY_FILE: data_quality_turtle(report.issues),
    }
    report.entries.sort(key=lambda e: (e.file, e.key, e.status))
    return report, outputs


def import_references(files: Sequence[Path], data_dir: Path) -> ImportReport:
    """Import the references of ``files`` (.bib, .ris, .json) into the review folder
    ``data_dir``: what happened to each entry, the issues found, the files written."""
    report, outputs = plan_references(files, data_dir)
    report.written = write_all(outputs)
    return report
