"""A nanopublication per derived classification, signed with the user's key.

For every ``govsm:DerivedClassification`` in a derivation's graph (``BASE
graph/derived/RULE``) one nanopublication of four graphs:

- **assertion**: the classification's own triples (as the rule wrote them: type,
  sub-factor, context, direction, rule, assessment, evidence and its PROV links), and the
  triples the data graphs hold about what it was derived from (``prov:wasDerivedFrom``:
  the context assessment and the evidence items) and about their quote selectors
  (``govsm:hasQuote``), blank nodes followed;
- **provenance**: the assertion ``prov:wasDerivedFrom`` those items and the works they
  quote or report on (``govsm:quotedFrom``, ``govsm:evidenceSource``), and
  ``prov:wasGeneratedBy`` the derivation activity, which ``prov:used`` the rule (described
  as the derivation graph describes it);
- **publication info**: ``dcterms:created`` (below), the dataset's licence (the ontology
  header's ``dcterms:license``), ``dcterms:creator`` the ORCID the user gave (with its
  ``foaf:name``) and an ``rdfs:label`` made of the labels in the data.

The signing library (nanopub-sign) signs it (RSA, over the normalised quads) and gives
it a trusty URI under ``https://w3id.org/np/``. An index nanopublication
(``npx:NanopubIndex``, ``npx:includesElement``; one per 1,000 elements, chained with
``npx:appendsIndex``) lists them. Nothing is sent anywhere: the library's publish and
fetch calls are never made.

Reproducible: RSA PKCS#1 v1.5 signatures are deterministic, the input is sorted, and
``dcterms:created`` never comes from the clock — it is ``SOURCE_DATE_EPOCH`` when that is
set (the reproducible-builds convention for the time of a build), else the dataset's
``dcterms:modified`` (the ontology header's, as the VoID description reads it; a date
becomes midnight UTC). So two builds with the same key and sources give the same files.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import nanopub_sign
import pyoxigraph as ox
from rdflib import URIRef

from kg.build.nanopub.keys import library_profile
from kg.config import ConfigError, NanopubKey
from kg.prefixes import ONTOLOGY_IRI, PREFIXES
from kg.rdf.engine import Engine
from kg.rdf.load import Loaded
from kg.stages.derive import Derivation

P = PREFIXES
NP = "http://www.nanopub.org/nschema#"
NPX = "http://purl.org/nanopub/x/"
#: the namespace the signer replaces with the trusty URI (https://w3id.org/np/RA...)
TEMP = "http://purl.org/nanopub/temp/"
#: elements per index nanopublication (the nanopub tools' limit)
INDEX_SIZE = 1000

_TYPE = ox.NamedNode(P["rdf"] + "type")
_DERIVED = ox.NamedNode(P["govsm"] + "DerivedClassification")
_DERIVED_FROM = ox.NamedNode(P["prov"] + "wasDerivedFrom")
_GENERATED_BY = ox.NamedNode(P["prov"] + "wasGeneratedBy")
_USED = ox.NamedNode(P["prov"] + "used")
_ACTIVITY = ox.NamedNode(P["prov"] + "Activity")
_HAS_QUOTE = ox.NamedNode(P["govsm"] + "hasQuote")
_WORKS = (ox.NamedNode(P["govsm"] + "quotedFrom"), ox.NamedNode(P["govsm"] + "evidenceSource"))
_RULE = ox.NamedNode(P["govsm"] + "derivedByRule")
_LABELLED = (  # the parts of a classification its label names, in order
    ox.NamedNode(P["govsm"] + "classifiedSubFactor"),
    ox.NamedNode(P["govsm"] + "inContext"),
    ox.NamedNode(P["govsm"] + "hasDirection"),
)
_DCT = P["dcterms"]
_RESERVED = re.compile(r"^index(-\d+)?$")
_BLANK_LABEL = re.compile(r"_:[A-Za-z0-9_.-]+")

_HEADER_VALUES = f"""
SELECT ?value WHERE {{ GRAPH ?g {{ <{ONTOLOGY_IRI}> ?property ?value }} }} ORDER BY ?value
"""
_LABELS = f"""
SELECT ?property ?label WHERE {{
  GRAPH ?g {{ ?node ?property ?label }}
  VALUES ?property {{ <{P["skos"]}prefLabel> <{P["rdfs"]}label> }}
  FILTER (LANG(?label) = "en" || LANG(?label) = "")
}} ORDER BY ?property ?label
"""


@dataclass(frozen=True)
class Signed:
    """One signed nanopublication: its file stem, its trusty URI and its TriG."""

    slug: str
    uri: str
    trig: str
    index: bool = False  # an index nanopublication, not a finding


@dataclass
class Finding:
    """What a classification's nanopublication says, before it is given a URI."""

    iri: ox.NamedNode
    assertion: list[ox.Triple]
    derived_from: list[ox.NamedNode | ox.BlankNode | ox.Literal]
    activities: list[ox.Triple]
    label: str | None = None


@dataclass(frozen=True)
class PubInfo:
    """What every nanopublication of a build says about itself."""

    created: ox.Literal
    licences: list[ox.NamedNode] = field(default_factory=list)
    creator: ox.NamedNode | None = None
    name: str | None = None


def make_nanopubs(
    loaded: Loaded,
    derivations: list[Derivation],
    key: NanopubKey,
    environ: Mapping[str, str] = os.environ,
) -> list[Signed]:
    """Every derived classification as a signed nanopublication, then the index
    nanopublication(s) listing them (the last one, ``index``, reaches them all)."""
    profile = library_profile(key)
    info = publication_info(loaded.engine, key, environ)
    data = _by_subject(
        ox.Triple(q.subject, q.predicate, q.object)
        for source in loaded.sources
        if source.kind == "data"
        for q in loaded.engine.quads(source.graph)
    )
    signed: list[Signed] = []
    taken: set[str] = set()
    for derivation in derivations:
        for finding in findings(loaded.engine, derivation, data):
            slug = _unique(slug_of(finding.iri.value, loaded.base), taken)
            signed.append(_sign(slug, _finding_graphs(finding, info), profile))
    return signed + _indexes([s.uri for s in signed], info, loaded.base, profile)


def findings(
    engine: Engine, derivation: Derivation, data: dict[object, list[ox.Triple]]
) -> Iterator[Finding]:
    """The classifications of one derivation graph, in IRI order, each with the data
    triples about what it was derived from."""
    own = _by_subject(
        ox.Triple(q.subject, q.predicate, q.object) for q in engine.quads(derivation.graph)
    )
    classified = [s for s, ts in own.items() if any(_is_derived(t) for t in ts)]
    for iri in sorted(classified, key=str):
        triples = own[iri]
        sources = _objects(triples, _DERIVED_FROM)
        described = _described(sources, data)
        roots = set(sources)
        works = sorted(
            {t.object for t in described if t.predicate in _WORKS and t.subject in roots},
            key=str,
        )
        activities = []
        for activity in _objects(triples, _GENERATED_BY):
            activities.append(ox.Triple(activity, _TYPE, _ACTIVITY))
            activities += [ox.Triple(activity, _USED, r) for r in _objects(triples, _RULE)]
        for rule in _objects(triples, _RULE):
            activities += own.get(rule, [])
        label = _label(engine, triples)
        yield Finding(iri, triples + described, sources + works, activities, label)


def publication_info(
    engine: Engine, key: NanopubKey, environ: Mapping[str, str] = os.environ
) -> PubInfo:
    """The date, licences and creator every nanopublication of the build states."""
    licences = _header(engine, _DCT + "license")
    return PubInfo(
        created=creation_time(engine, environ),
        licences=[ox.NamedNode(str(v)) for v in licences if isinstance(v, URIRef)],
        creator=ox.NamedNode(key.orcid) if key.orcid else None,
        name=key.name,
    )


def creation_time(engine: Engine, environ: Mapping[str, str] = os.environ) -> ox.Literal:
    """``dcterms:created`` of the nanopublications: SOURCE_DATE_EPOCH when set, else the
    dataset's latest ``dcterms:modified`` (or ``dcterms:created``), as an xsd:dateTime in
    UTC. ConfigError when there is neither: the clock is never read."""
    epoch = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch:
        if not epoch.isdigit():
            raise ConfigError(f"SOURCE_DATE_EPOCH={epoch!r} is not a number of seconds")
        try:
            moment = datetime.fromtimestamp(int(epoch), UTC)
        except (OverflowError, ValueError, OSError):
            raise ConfigError(f"SOURCE_DATE_EPOCH={epoch!r} is out of range") from None
        return _date_time(moment.strftime("%Y-%m-%dT%H:%M:%SZ"))
    for prop in ("modified", "created"):
        values = [str(v) for v in _header(engine, _DCT + prop)]
        if values:
            latest = max(values)
            if re.fullmatch(r"\d{4}-\d{2}-\d{2}", latest):
                latest += "T00:00:00Z"
            if not re.fullmatch(
                r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?", latest
            ):
                raise ConfigError(f"<{ONTOLOGY_IRI}> dcterms:{prop} {latest!r} is not a date")
            return _date_time(latest)
    raise ConfigError(
        f"no date for the nanopublications' dcterms:created: <{ONTOLOGY_IRI}> has no "
        "dcterms:modified or dcterms:created; set SOURCE_DATE_EPOCH"
    )


def slug_of(iri: str, base: str) -> str:
    """A readable file stem for a classification IRI: its path under ``BASE
    id/classification/`` with ``--`` between the segments."""
    tail = iri[len(base) :] if iri.startswith(base) else iri.split("://", 1)[-1]
    tail = tail.removeprefix("id/").removeprefix("classification/")
    return re.sub(r"[^A-Za-z0-9._-]+", "--", tail).strip("-.") or "nanopub"


def _unique(slug: str, taken: set[str]) -> str:
    """``slug``, or with a number added when another file has it; never an index's name."""
    if _RESERVED.match(slug):
        slug += "-finding"
    candidate, n = slug, 1
    while candidate in taken:
        n += 1
        candidate = f"{slug}-{n}"
    taken.add(candidate)
    return candidate


# --- the four graphs ------------------------------------------------------------------


@dataclass
class Graphs:
    """The assertion, provenance and publication-info triples of one nanopublication;
    ``THIS`` and ``SUB`` stand for its URI and its namespace until it is signed."""

    assertion: list[ox.Triple]
    provenance: list[ox.Triple]
    pubinfo: list[ox.Triple]


THIS = ox.NamedNode(TEMP + "this")
SUB_ASSERTION = ox.NamedNode(TEMP + "this/assertion")


def _finding_graphs(finding: Finding, info: PubInfo) -> Graphs:
    provenance = [ox.Triple(SUB_ASSERTION, _DERIVED_FROM, s) for s in finding.derived_from]
    provenance += [
        ox.Triple(SUB_ASSERTION, _GENERATED_BY, t.subject)
        for t in finding.activities
        if t.predicate == _TYPE and t.object == _ACTIVITY
    ]
    provenance += finding.activities
    pubinfo = _pubinfo(info)
    if finding.label:
        pubinfo.append(
            ox.Triple(THIS, ox.NamedNode(P["rdfs"] + "label"), ox.Literal(finding.label))
        )
    return Graphs(finding.assertion, provenance, pubinfo)


def _pubinfo(info: PubInfo) -> list[ox.Triple]:
    triples = [ox.Triple(THIS, ox.NamedNode(_DCT + "created"), info.created)]
    triples += [ox.Triple(THIS, ox.NamedNode(_DCT + "license"), lic) for lic in info.licences]
    if info.creator is not None:
        triples.append(ox.Triple(THIS, ox.NamedNode(_DCT + "creator"), info.creator))
        if info.name:
            name = ox.NamedNode(P["foaf"] + "name")
            triples.append(ox.Triple(info.creator, name, ox.Literal(info.name)))
    return triples


def _indexes(
    uris: list[str], info: PubInfo, base: str, profile: nanopub_sign.NpProfile
) -> list[Signed]:
    """Index nanopublications of ``uris``: one per INDEX_SIZE, each appending the one
    before, the last named ``index``."""
    chunks = [uris[i : i + INDEX_SIZE] for i in range(0, len(uris), INDEX_SIZE)] or [[]]
    out: list[Signed] = []
    for number, chunk in enumerate(chunks, 1):
        assertion = [
            ox.Triple(THIS, ox.NamedNode(NPX + "includesElement"), ox.NamedNode(u)) for u in chunk
        ]
        if out:
            assertion.append(
                ox.Triple(THIS, ox.NamedNode(NPX + "appendsIndex"), ox.NamedNode(out[-1].uri))
            )
        if not assertion:  # a build without classifications: an index of nothing is no nanopub
            return []
        provenance = [ox.Triple(SUB_ASSERTION, _TYPE, ox.NamedNode(NPX + "IndexAssertion"))]
        pubinfo = _pubinfo(info) + [
            ox.Triple(THIS, _TYPE, ox.NamedNode(NPX + "NanopubIndex")),
            ox.Triple(
                THIS,
                ox.NamedNode(_DCT + "title"),
                ox.Literal(
                    "GovSM-KG: nanopublications of the derived classifications", language="en"
                ),
            ),
            ox.Triple(THIS, ox.NamedNode(P["rdfs"] + "seeAlso"), ox.NamedNode(base + "dataset")),
        ]
        slug = "index" if number == len(chunks) else f"index-{number}"
        signed = _sign(slug, Graphs(assertion, provenance, pubinfo), profile)
        out.append(Signed(signed.slug, signed.uri, signed.trig, index=True))
    return out


def _sign(slug: str, graphs: Graphs, profile: nanopub_sign.NpProfile) -> Signed:
    """Sign the nanopublication (the library gives it its trusty URI)."""
    # the nanopub tools' unsigned form: the URI and its namespace are one IRI ending in
    # "#"; the signer makes them https://w3id.org/np/RA... and https://w3id.org/np/RA.../
    sub = TEMP + slug + "#"
    this = ox.NamedNode(sub)

    def named(term):  # noqa: ANN001, ANN202 - pyoxigraph terms
        if term == THIS:
            return this
        if isinstance(term, ox.NamedNode) and term.value.startswith(TEMP + "this/"):
            return ox.NamedNode(sub + term.value[len(TEMP + "this/") :])
        return term

    head = ox.NamedNode(sub + "Head")
    parts = {
        "assertion": graphs.assertion,
        "provenance": graphs.provenance,
        "pubinfo": graphs.pubinfo,
    }
    dataset = ox.Dataset()
    dataset.add(ox.Quad(this, _TYPE, ox.NamedNode(NP + "Nanopublication"), head))
    for name, triples in parts.items():
        graph = ox.NamedNode(sub + name)
        link = "hasPublicationInfo" if name == "pubinfo" else f"has{name.capitalize()}"
        dataset.add(ox.Quad(this, ox.NamedNode(NP + link), graph, head))
        for t in triples:
            dataset.add(ox.Quad(named(t.subject), t.predicate, named(t.object), graph))
    text = ox.serialize(dataset, format=ox.RdfFormat.TRIG).decode("utf-8")
    signed = nanopub_sign.Nanopub(text).sign(profile)
    return Signed(slug, signed.info()["uri"]["value"], signed.rdf())


# --- reading the store ----------------------------------------------------------------


def _by_subject(triples: Iterable[ox.Triple]) -> dict[object, list[ox.Triple]]:
    """Triples by subject, each subject's sorted (a stable order for the signer, which
    names blank nodes in the order it meets them: their labels, which differ from one
    load to the next, are left out of the sort key)."""
    out: dict[object, list[ox.Triple]] = {}
    for t in triples:
        out.setdefault(t.subject, []).append(t)
    for ts in out.values():
        ts.sort(key=_order)
    return out


def _order(t: ox.Triple) -> str:
    return _BLANK_LABEL.sub("_:", str(t))


def _is_derived(t: ox.Triple) -> bool:
    return t.predicate == _TYPE and t.object == _DERIVED


def _objects(triples: list[ox.Triple], predicate: ox.NamedNode) -> list:
    return sorted({t.object for t in triples if t.predicate == predicate}, key=str)


def _described(roots: list, data: dict[object, list[ox.Triple]]) -> list[ox.Triple]:
    """The data triples about ``roots`` and, followed from them, about their blank nodes
    and their quote selectors."""
    out: list[ox.Triple] = []
    seen: set[object] = set()
    todo = list(roots)
    while todo:
        node = todo.pop(0)
        if node in seen:
            continue
        seen.add(node)
        for t in data.get(node, ()):
            out.append(t)
            if isinstance(t.object, ox.BlankNode) or t.predicate == _HAS_QUOTE:
                todo.append(t.object)
    return out


def _header(engine: Engine, prop: str) -> list:
    """Values of one property of the ontology header (the dataset's metadata)."""
    rows = engine.select(_HEADER_VALUES, {"property": URIRef(prop)}).rows
    return [row[0] for row in rows if row[0] is not None]


def _label(engine: Engine, triples: list[ox.Triple]) -> str | None:
    """'SUB-FACTOR in CONTEXT: DIRECTION' from the labels in the data (skos:prefLabel
    before rdfs:label), or None when a part has no label."""
    names = []
    for predicate in _LABELLED:
        values = _objects(triples, predicate)
        if len(values) != 1 or not isinstance(values[0], ox.NamedNode):
            return None
        rows = engine.select(_LABELS, {"node": URIRef(values[0].value)}).rows
        preferred = [r[1] for r in rows if str(r[0]) == P["skos"] + "prefLabel"]
        labels = preferred or [r[1] for r in rows]
        if not labels:
            return None
        names.append(str(labels[0]))
    return f"{names[0]} in {names[1]}: {names[2]}"


def _date_time(lexical: str) -> ox.Literal:
    return ox.Literal(lexical, datatype=ox.NamedNode(P["xsd"] + "dateTime"))
