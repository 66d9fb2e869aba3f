"""The Turtle of imported references, in the style of a hand-written references.ttl
(one block per study, persons and venues after), and the way back from it: the records
an earlier import wrote, so that a new import can tell added, updated and unchanged.

Written as text, not by a serialiser, so the layout is the project's and the bytes are a
function of the records alone (sorted by IRI; no blank-node labels: lists are written
``( … )``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from rdflib import Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, FOAF, RDF, Namespace

from kg.importers.refmodel import KINDS, Author, Reference, Venue
from kg.prefixes import DEFAULT_BASE, GOVSM, PREFIXES

ID = DEFAULT_BASE + "id/"
_GOVSM, _BIBO = Namespace(GOVSM), Namespace(PREFIXES["bibo"])
_FABIO, _SCHEMA, _OA = (
    Namespace(PREFIXES["fabio"]),
    Namespace(PREFIXES["schema"]),
    Namespace(PREFIXES["oa"]),
)
_USED = ("govsm", "rdf", "xsd", "owl", "dcterms", "bibo", "fabio", "foaf", "schema", "oa")


@dataclass(frozen=True)
class Issue:
    """A data-quality issue an import records: its slug, kind, the studies it concerns,
    what it says and does, and the words it quotes from the imported files."""

    slug: str
    kind: str
    concerns: tuple[str, ...]
    description: str
    resolution: str
    quotes: tuple[str, ...] = ()


@dataclass
class Known:
    """What the data folder's other (hand-written) files already define: study slugs an
    import must not take, persons and venues it links to without describing again."""

    studies: set[str] = field(default_factory=set)
    persons: set[str] = field(default_factory=set)
    venues: set[str] = field(default_factory=set)


def iri(kind: str, slug: str) -> str:
    """``<https://w3id.org/govsm/id/KIND/SLUG>``."""
    return f"<{ID}{kind}/{slug}>"


def literal(text: str) -> str:
    """A Turtle string literal."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + '"'


def _header(title: str) -> list[str]:
    rule = "# " + "=" * 77
    lines = [
        rule,
        f"# {title}",
        "#",
        "# Written by kg.importers.references (govsm import): do not edit; change the",
        "# source file and import it again.",
        rule,
        "",
    ]
    lines += [f"@prefix {name}: <{PREFIXES[name]}> ." for name in _USED]
    return [*lines, ""]


def _block(subject: str, pairs: list[tuple[str, str]]) -> list[str]:
    body = [f"    {p} {o}" for p, o in pairs]
    return [subject, *(line + " ;" for line in body[:-1]), body[-1] + " .", ""]


def _study_block(slug: str, ref: Reference) -> list[str]:
    study_class = KINDS[ref.kind][0]
    persons = [iri("person", a.key) for a in ref.authors]
    pairs = [("a", "govsm:Study" + (f" , {study_class}" if study_class else ""))]
    pairs.append(("dcterms:identifier", literal(ref.key)))
    if ref.title:
        pairs.append(("dcterms:title", literal(ref.title)))
    if ref.year:
        pairs.append(("fabio:hasPublicationYear", f'"{ref.year}"^^xsd:gYear'))
    if persons:
        pairs.append(("bibo:authorList", "( " + " ".join(persons) + " )"))
        pairs.append(("dcterms:creator", " ,\n        ".join(dict.fromkeys(persons))))
    if ref.venue:
        pairs.append(("govsm:publishedIn", iri("venue", ref.venue.key)))
    for prop, value in (("volume", ref.volume), ("issue", ref.issue), ("pages", ref.pages)):
        if value:
            pairs.append((f"bibo:{prop}", literal(value)))
    if ref.doi:
        pairs.append(("bibo:doi", literal(ref.doi)))
    if ref.url:
        pairs.append(("schema:url", f"<{ref.url}>"))
    if ref.abstract:
        pairs.append(("dcterms:description", literal(ref.abstract)))
    return _block(iri("study", slug), pairs)


def _preferred(forms: Counter) -> str:
    """The most frequent spelling, the first in order on a tie (deterministic)."""
    return sorted(forms.items(), key=lambda item: (-item[1], item[0]))[0][0]


def _people_and_venues(refs: list[Reference], known: Known) -> list[str]:
    people: dict[str, Counter] = {}
    venues: dict[str, Counter] = {}
    for ref in refs:
        for a in ref.authors:
            people.setdefault(a.key, Counter())[(a.name, a.family, a.given)] += 1
        if ref.venue:
            venues.setdefault(ref.venue.key, Counter())[(ref.venue.name, ref.venue.kind)] += 1
    lines = ["# --- Persons ---", ""]
    for key in sorted(set(people) - known.persons):
        name, family, given = _preferred(people[key])
        pairs = [("a", "govsm:Person , foaf:Person"), ("foaf:name", literal(name))]
        pairs.append(("foaf:familyName", literal(family)))
        if given:
            pairs.append(("foaf:givenName", literal(given)))
        lines += _block(iri("person", key), pairs)
    lines += ["# --- Venues ---", ""]
    for key in sorted(set(venues) - known.venues):
        name, kind = _preferred(venues[key])
        lines += _block(
            iri("venue", key), [("a", f"govsm:Venue , {kind}"), ("dcterms:title", literal(name))]
        )
    return lines


def references_turtle(
    state: dict[str, Reference], issues: list[Issue], known: Known, review: str | None = None
) -> str:
    """The Turtle of the imported studies ``state`` (slug -> record), the owl:sameAs links
    of the duplicates among ``issues``, the persons and venues not in ``known``, and the
    ``review``'s govsm:citesWork of every study: the file is the review's reference list.
    Not govsm:includes, which needs a basis quoted from the review's own text
    (queries/checks/includes-without-quote-violation.rq) that an import does not have."""
    lines = _header("References imported from BibTeX, RIS and CSL-JSON files.")
    if review and state:
        lines += ["# --- The review lists the imported studies ---", ""]
        studies = " ,\n        ".join(iri("study", slug) for slug in sorted(state))
        lines += _block(f"<{review}>", [("govsm:citesWork", studies)])
    lines += ["# --- Studies ---", ""]
    for slug in sorted(state):
        lines += _study_block(slug, state[slug])
    same = [i for i in issues if i.kind == "duplicateEntry"]
    if same:
        lines += ["# --- Duplicates: kept apart, linked (see data-quality-imported.ttl) ---", ""]
        for issue in same:
            first, *others = issue.concerns
            lines += [f"{iri('study', first)} owl:sameAs {iri('study', o)} ." for o in others]
        lines.append("")
    lines += _people_and_venues(list(state.values()), known)
    return "\n".join(lines).rstrip("\n") + "\n"


def data_quality_turtle(issues: list[Issue]) -> str:
    """The Turtle of the data-quality issues an import found."""
    lines = _header("Data-quality issues found while importing references.")
    for issue in sorted(issues, key=lambda i: i.slug):
        subject = iri("data-quality", issue.slug)
        quotes = [
            iri("data-quality", f"{issue.slug}/quote-{n}") for n in range(1, len(issue.quotes) + 1)
        ]
        pairs = [("a", "govsm:DataQualityIssue"), ("govsm:issueKind", f"govsm:{issue.kind}")]
        pairs.append(
            ("govsm:concerns", " ,\n        ".join(iri("study", s) for s in issue.concerns))
        )
        pairs.append(("dcterms:description", literal(issue.description) + "@en"))
        pairs.append(("govsm:resolution", literal(issue.resolution) + "@en"))
        if quotes:
            pairs.append(("govsm:hasQuote", " ,\n        ".join(quotes)))
        lines += _block(subject, pairs)
        for quote, text in zip(quotes, issue.quotes, strict=True):
            lines += _block(quote, [("a", "oa:TextQuoteSelector"), ("oa:exact", literal(text))])
    return "\n".join(lines).rstrip("\n") + "\n"


# --- The way back ---

_KIND_OF_CLASS = {cls: kind for kind, (cls, _venue) in KINDS.items() if cls}


def _local(term: object, kind: str) -> str:
    return str(term).removeprefix(f"{ID}{kind}/")


def _compact(term: object) -> str:
    for name in ("bibo", "fabio", "foaf"):
        if str(term).startswith(PREFIXES[name]):
            return f"{name}:{str(term)[len(PREFIXES[name]) :]}"
    return str(term)


def _text(graph: Graph, subject: object, prop: URIRef) -> str:
    value = graph.value(subject, prop)
    return str(value) if value is not None else ""


def _read_study(graph: Graph, study: URIRef, given: dict[str, str]) -> Reference:
    classes = {_compact(c) for c in graph.objects(study, RDF.type)}
    kind = next((_KIND_OF_CLASS[c] for c in sorted(classes) if c in _KIND_OF_CLASS), "other")
    authors = ()
    head = graph.value(study, _BIBO.authorList)
    if head is not None:
        authors = tuple(
            Author(
                _text(graph, p, FOAF.familyName),
                _text(graph, p, FOAF.givenName),
                _local(p, "person"),
            )
            for p in Collection(graph, head)
        )
    venue_iri = graph.value(study, _GOVSM.publishedIn)
    venue = None
    if venue_iri is not None:
        kinds = sorted(_compact(c) for c in graph.objects(venue_iri, RDF.type) if c != _GOVSM.Venue)
        name = _text(graph, venue_iri, DCTERMS.title)
        venue = Venue(name, kinds[0] if kinds else KINDS[kind][1] or "", _local(venue_iri, "venue"))
    slug = _local(study, "study")
    return Reference(
        key=_text(graph, study, DCTERMS.identifier), kind=kind,
        title=_text(graph, study, DCTERMS.title), authors=authors,
        year=_text(graph, study, _FABIO.hasPublicationYear), venue=venue,
        volume=_text(graph, study, _BIBO.volume), issue=_text(graph, study, _BIBO.issue),
        pages=_text(graph, study, _BIBO.pages), doi=_text(graph, study, _BIBO.doi) or None,
        doi_given=given.get(f"{slug}-doi", _text(graph, study, _BIBO.doi)),
        url=_text(graph, study, _SCHEMA.url),
        url_given=given.get(f"{slug}-url", _text(graph, study, _SCHEMA.url)),
        abstract=_text(graph, study, DCTERMS.description),
    )  # fmt: skip


def read_back(graph: Graph) -> dict[str, Reference]:
    """The records an earlier import wrote (its references and data-quality files parsed
    into ``graph``), slug -> record; a DOI or URL as given that was not recorded as one
    comes back from its malformedIdentifier issue (``data-quality/<slug>-doi|-url``)."""
    given = {}
    for issue in graph.subjects(_GOVSM.issueKind, _GOVSM.malformedIdentifier):
        quote = graph.value(issue, _GOVSM.hasQuote)
        given[_local(issue, "data-quality")] = _text(graph, quote, _OA.exact)
    return {
        _local(study, "study"): _read_study(graph, study, given)
        for study in graph.subjects(RDF.type, _GOVSM.Study)
        if graph.value(study, DCTERMS.identifier) is not None
    }
