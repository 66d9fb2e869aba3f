"""The typed intermediate of an imported reference, whatever file it came from, and the
normalisations every reader shares (DOI, names, slugs, page ranges)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

#: The DOI syntax the shapes check (shape:StudyShape-doi-datatype), here in Python.
DOI_PATTERN = re.compile(r"^10\.\d{4,9}/\S+$")
_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_URL_PATTERN = re.compile(r"^https?://[^\s<>\"{}|\\^`]+$")
_YEAR = re.compile(r"\b(\d{4})\b")
_RANGE = re.compile(r"^\s*(\S+?)\s*(?:-{1,3}|–|—)\s*(\S+)\s*$")

#: Kinds of reference the importer knows, each with its study class and venue class.
KINDS: dict[str, tuple[str | None, str | None]] = {
    "article": ("bibo:AcademicArticle", "bibo:Journal"),
    "book": ("bibo:Book", "foaf:Organization"),
    "chapter": ("bibo:BookSection", "bibo:Book"),
    "conference": ("fabio:ConferencePaper", "bibo:Conference"),
    "thesis": ("bibo:Thesis", "foaf:Organization"),
    "report": ("bibo:Report", "foaf:Organization"),
    "webpage": ("bibo:Webpage", "foaf:Organization"),
    "other": (None, "foaf:Organization"),
}


class ImportFailure(ImportError):
    """A reference file that cannot be imported: which file, where in it (a line or an
    entry's key) and why. Nothing is written when one is raised."""

    def __init__(self, file: str | Path, where: str | None, reason: str) -> None:
        self.file = str(file)
        self.where = where
        self.reason = reason
        place = f"{self.file}: {where}" if where else self.file
        super().__init__(f"{place}: {reason}")


def slug(text: str) -> str:
    """Lower-case ASCII words joined by hyphens: 'Müller, Hans' -> 'muller-hans'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    ascii_text = ascii_text.replace("&", " and ").replace("'", "").replace("’", "")
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")


def clean(text: object) -> str:
    """Whitespace-normalised text; '' for nothing."""
    return " ".join(str(text).split()) if text is not None else ""


def bare_doi(raw: str) -> str:
    """``raw`` without a resolver prefix (https://doi.org/, doi:), lower case (DOIs are
    case-insensitive); not checked."""
    return _DOI_PREFIX.sub("", raw.strip()).strip().lower()


def normalise_doi(raw: str) -> str | None:
    """The bare, lower-case DOI of ``raw``, or None when what is left is not DOI syntax
    (the caller records that as a data-quality issue)."""
    doi = bare_doi(raw)
    return doi if DOI_PATTERN.match(doi) else None


def normalise_url(raw: str) -> str | None:
    """``raw`` when it is an http(s) URL that is a valid IRI, else None."""
    url = raw.strip()
    return url if _URL_PATTERN.match(url) else None


def year_of(raw: object) -> str:
    """The first four-digit year in ``raw`` ('2020', '2020/01/01/', '2020a'), or ''."""
    found = _YEAR.search(str(raw or ""))
    return found.group(1) if found else ""


def page_range(first: str, last: str = "") -> str:
    """'12--34', '12-34', ('12', '34') all as '12–34' (an en dash, as printed lists do)."""
    first, last = clean(first), clean(last)
    if last:
        return f"{first}–{last}" if first else last
    matched = _RANGE.match(first)
    return f"{matched.group(1)}–{matched.group(2)}" if matched else first


@dataclass(frozen=True)
class Author:
    """One author in order: family name (with its particles, 'van der Berg') and given
    names; ``key`` is the person's slug, the same for the same normalised name."""

    family: str
    given: str = ""
    key: str = ""

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", slug(f"{self.family} {self.given}"))

    @property
    def name(self) -> str:
        """The name as reference lists print it: 'Family, Given'."""
        return f"{self.family}, {self.given}" if self.given else self.family


def parse_name(text: str) -> Author:
    """'Family, Given' or 'Given Family' (RIS and free text) as an Author."""
    text = clean(text)
    if "," in text:
        family, given = text.split(",", 1)
        return Author(clean(family), clean(given))
    words = text.split(" ")
    return Author(words[-1], " ".join(words[:-1]))


@dataclass(frozen=True)
class Venue:
    """Where a reference appeared (journal, book, proceedings, publisher, institution);
    ``key`` is its slug, the same for the same normalised name."""

    name: str
    kind: str
    key: str = ""

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", slug(self.name))


@dataclass(frozen=True)
class Reference:
    """One reference as a file gives it. ``doi`` is normalised (None when absent or not
    DOI syntax); ``doi_given`` is the DOI as written. ``file`` and ``line`` say where it
    came from and take no part in comparisons. ``url`` likewise (None when not an http(s)
    IRI), ``url_given`` as written."""

    key: str
    kind: str
    title: str
    authors: tuple[Author, ...]
    year: str = ""
    venue: Venue | None = None
    volume: str = ""
    issue: str = ""
    pages: str = ""
    doi: str | None = None
    doi_given: str = ""
    url: str = ""
    url_given: str = ""
    abstract: str = ""
    file: str = field(default="", compare=False)
    line: str = field(default="", compare=False)

    @property
    def where(self) -> str:
        """The entry's place for messages: 'line 12 (smith2020)'."""
        return f"{self.line} ({self.key})" if self.line else self.key

    def signature(self) -> tuple:
        """What the entry says, compared by normalised names: equal signatures mean
        importing it again changes nothing."""
        return (
            self.kind,
            self.title,
            tuple(a.key for a in self.authors),
            self.year,
            self.venue.key if self.venue else "",
            self.volume,
            self.issue,
            self.pages,
            self.doi,
            "" if self.doi else self.doi_given,
            self.url,
            "" if self.url else self.url_given,
            self.abstract,
        )


def make_reference(**values: object) -> Reference:
    """A Reference from a reader's raw values, normalised the same way for every format
    (whitespace, DOI, URL, year, pages)."""
    doi_given = clean(values.pop("doi", ""))
    url = clean(values.pop("url", ""))
    text = {k: clean(values.pop(k, "")) for k in ("title", "volume", "issue", "abstract")}
    return Reference(
        doi=normalise_doi(doi_given) if doi_given else None,
        doi_given=doi_given,
        url=normalise_url(url) or "",
        url_given=url,
        year=year_of(values.pop("year", "")),
        pages=page_range(str(values.pop("pages", "") or "")),
        **text,
        **values,  # type: ignore[arg-type]
    )
