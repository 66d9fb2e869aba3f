"""The dataset description (B + "dataset"): VoID, DCAT and DCTERMS, all from the graph.

Statistics are counted on the default view (the union of the named graphs, i.e.
dumps/govsm.ttl): void:triples is its number of distinct triples, void:entities the
number of distinct IRI subjects in the base's URI space. Dates come from the ontology
header (dcterms:created / modified); nothing records a wall-clock time. Partitions,
distributions, checksums and the SPARQL data service are fragment IRIs of the dataset
document (B + "dataset#..."), so they are described by that one page.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import pyoxigraph as ox

from kg.prefixes import ONTOLOGY_IRI, PREFIXES, compact
from kg.sparql.catalogue import catalogue_graph_iri
from kg.stages.about import About
from kg.web.site.graph import SHAPES_IRI, TYPE, SiteGraph
from kg.web.site.rdfio import FORMATS

P = PREFIXES
XSD = P["xsd"]
MEDIA = "https://www.iana.org/assignments/media-types/"
DUMPS = {
    "govsm.trig": ("application/trig", "TriG, all named graphs"),
    "govsm.nq": ("application/n-quads", "N-Quads, all named graphs"),
    "govsm.ttl": ("text/turtle", "Turtle, default view (union of the named graphs)"),
    "govsm.jsonld": ("application/ld+json", "JSON-LD, default view (union of the named graphs)"),
}


def _n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri)


def _int(value: int) -> ox.Literal:
    return ox.Literal(str(value), datatype=_n(XSD + "integer"))


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


@dataclass
class Statistics:
    """The VoID statistics of the default view (distinct triples)."""

    triples: int
    entities: int  # distinct IRI subjects in the base's URI space
    distinct_subjects: int
    distinct_objects: int
    classes: dict[str, int]  # class IRI -> distinct subjects typed with it
    properties: dict[str, int]  # property IRI -> triples

    @classmethod
    def of(cls, triples: Iterable[ox.Triple | tuple], base: str) -> Statistics:
        """Count in one pass over distinct triples (``ox.Triple`` or (s, p, o)); terms
        are remembered by their 64-bit hash, so memory stays small at millions of
        triples (a collision, which would undercount by one, has odds below 10^-6)."""
        n = 0
        entities: set[int] = set()
        subjects: set[int] = set()
        objects: set[int] = set()
        by_class: dict[str, set[int]] = defaultdict(set)
        by_property: Counter[str] = Counter()
        type_iri = TYPE.value
        for t in triples:
            s, p, o = t if isinstance(t, tuple) else (t.subject, t.predicate, t.object)
            n += 1
            key = hash(s)
            subjects.add(key)
            if isinstance(s, ox.NamedNode) and s.value.startswith(base):
                entities.add(key)
            objects.add(hash(o))
            by_property[p.value] += 1
            if p.value == type_iri and isinstance(o, ox.NamedNode):
                by_class[o.value].add(key)
        return cls(
            n,
            len(entities),
            len(subjects),
            len(objects),
            {c: len(members) for c, members in by_class.items()},
            dict(by_property),
        )


class _Triples(list):
    """The description being written: ``add(s, p, o)`` with ``p`` an IRI string."""

    def add(self, s: ox.NamedNode, p: str, o: ox.NamedNode | ox.Literal) -> None:
        self.append(ox.Triple(s, _n(p), o))


def void_triples(
    graph: SiteGraph,
    stats: Statistics,
    sizes: dict[str, int],
    checksums: dict[str, str],
    about: About,
    note: str | None = None,
) -> list[ox.Triple]:
    """The dataset description: ``sizes`` and ``checksums`` of the dumps published (by
    file name), titled and described from ``about`` (the reviews in the data), ``note``
    (an rdfs:comment) when the site has no resource pages."""
    out = _Triples()
    _about(out, graph, about, note)
    _statistics(out, graph.base, stats)
    _distributions(out, graph, sizes, checksums)
    _service(out, graph.base)
    _catalogue(out, graph)
    _shapes(out, graph)
    return list(out)


def _about(out: _Triples, graph: SiteGraph, about: About, note: str | None) -> None:
    """What the dataset is: types, title and description (from the reviews in it),
    licence, dates, creators, URI space, endpoint, and its root resources (the reviews
    the data describes that have a page in this build)."""
    base = graph.base
    ds = _n(base + "dataset")
    onto = _n(ONTOLOGY_IRI)
    out.add(ds, P["rdf"] + "type", _n(P["void"] + "Dataset"))
    out.add(ds, P["rdf"] + "type", _n(P["dcat"] + "Dataset"))
    out.add(ds, P["dcterms"] + "title", ox.Literal(about.title, language="en"))
    description = ox.Literal(about.description, language="en")
    out.add(ds, P["dcterms"] + "description", description)
    if note is not None:
        out.add(ds, P["rdfs"] + "comment", ox.Literal(note, language="en"))
    for pred in ("license", "created", "modified"):
        for value in graph.objects(onto, P["dcterms"] + pred):
            out.add(ds, P["dcterms"] + ("issued" if pred == "created" else pred), value)
    for creator in graph.objects(onto, P["dcterms"] + "creator"):
        out.add(ds, P["dcterms"] + "creator", creator)
        out.add(ds, P["dcterms"] + "publisher", creator)
    out.add(ds, P["void"] + "uriSpace", ox.Literal(base))
    out.add(ds, P["void"] + "sparqlEndpoint", _n(base + "sparql"))
    for review in graph.instances(P["govsm"] + "Review"):
        out.add(ds, P["void"] + "rootResource", review)


def _statistics(out: _Triples, base: str, stats: Statistics) -> None:
    """The statistics of the default view: counts, class and property partitions, and
    the vocabularies used."""
    ds = _n(base + "dataset")
    frag = base + "dataset#"
    for name, count in (
        ("triples", stats.triples),
        ("entities", stats.entities),
        ("distinctSubjects", stats.distinct_subjects),
        ("properties", len(stats.properties)),
        ("distinctObjects", stats.distinct_objects),
        ("classes", len(stats.classes)),
    ):
        out.add(ds, P["void"] + name, _int(count))
    for kind, counted, counts in (
        ("class", "entities", stats.classes),
        ("property", "triples", stats.properties),
    ):
        for iri in sorted(counts):
            part = _n(frag + f"{kind}-" + _slug(compact(iri)))
            out.add(ds, P["void"] + f"{kind}Partition", part)
            out.add(part, P["void"] + kind, _n(iri))
            out.add(part, P["void"] + counted, _int(counts[iri]))
            label = f"{kind} partition {compact(iri)}"
            out.add(part, P["rdfs"] + "label", ox.Literal(label, language="en"))
    used = set(stats.classes) | set(stats.properties)
    for name, ns in sorted(P.items()):
        if name in ("id", "rule", "shape") or ns == P["xsd"]:
            continue
        if any(iri.startswith(ns) for iri in used):
            out.add(ds, P["void"] + "vocabulary", _n(ns))


def _distributions(
    out: _Triples, graph: SiteGraph, sizes: dict[str, int], checksums: dict[str, str]
) -> None:
    """One DCAT distribution per dump published, with its size and SHA-256 checksum."""
    base = graph.base
    ds = _n(base + "dataset")
    frag = base + "dataset#"
    licences = graph.objects(_n(ONTOLOGY_IRI), P["dcterms"] + "license")
    for name, (mime, title) in DUMPS.items():
        if name not in sizes:
            continue
        url = _n(base + "dumps/" + name)
        dist = _n(frag + "dump-" + _slug(name))
        check = _n(frag + "checksum-" + _slug(name))
        out.add(ds, P["void"] + "dataDump", url)
        out.add(ds, P["dcat"] + "distribution", dist)
        out.add(dist, P["rdf"] + "type", _n(P["dcat"] + "Distribution"))
        out.add(dist, P["dcterms"] + "title", ox.Literal(title, language="en"))
        out.add(dist, P["dcat"] + "downloadURL", url)
        out.add(dist, P["dcat"] + "accessURL", url)
        out.add(dist, P["dcat"] + "mediaType", _n(MEDIA + mime))
        size = ox.Literal(str(sizes[name]), datatype=_n(XSD + "nonNegativeInteger"))
        out.add(dist, P["dcat"] + "byteSize", size)
        out.add(dist, P["spdx"] + "checksum", check)
        out.add(check, P["rdf"] + "type", _n(P["spdx"] + "Checksum"))
        out.add(check, P["spdx"] + "algorithm", _n(P["spdx"] + "checksumAlgorithm_sha256"))
        digest = ox.Literal(checksums[name], datatype=_n(XSD + "hexBinary"))
        out.add(check, P["spdx"] + "checksumValue", digest)
        for value in licences:
            out.add(dist, P["dcterms"] + "license", value)


def _shapes(out: _Triples, graph: SiteGraph) -> None:
    """The SHACL shapes the data conforms to (dcterms:conformsTo, as DCAT-AP names an
    application profile), with the documents of them this site serves
    (dcterms:hasFormat: shapes.html and the RDF documents), so that a client reading
    the description can fetch them whatever the base; nothing when the build published
    no shapes."""
    if not graph.shape_triples:
        return
    ds = _n(graph.base + "dataset")
    shapes = _n(SHAPES_IRI)
    out.add(ds, P["dcterms"] + "conformsTo", shapes)
    out.add(shapes, P["rdf"] + "type", _n(P["dcterms"] + "Standard"))
    out.add(shapes, P["dcterms"] + "title", ox.Literal(graph.label(shapes), language="en"))
    for ext, mime in (("html", "text/html"), *FORMATS.items()):
        document = _n(f"{graph.base}shapes.{ext}")
        out.add(shapes, P["dcterms"] + "hasFormat", document)
        out.add(document, P["dcterms"] + "format", _n(MEDIA + mime))


def _service(out: _Triples, base: str) -> None:
    """The SPARQL endpoint (served by govsm serve) as a DCAT data service."""
    ds = _n(base + "dataset")
    service = _n(base + "dataset#sparql-service")
    out.add(service, P["rdf"] + "type", _n(P["dcat"] + "DataService"))
    out.add(service, P["rdf"] + "type", _n(P["sd"] + "Service"))
    out.add(service, P["dcterms"] + "title", ox.Literal("GovSM-KG SPARQL endpoint", language="en"))
    out.add(service, P["dcat"] + "endpointURL", _n(base + "sparql"))
    out.add(service, P["sd"] + "endpoint", _n(base + "sparql"))
    out.add(service, P["sd"] + "supportedLanguage", _n(P["sd"] + "SPARQL11Query"))
    out.add(service, P["dcat"] + "servesDataset", ds)
    out.add(ds, P["rdfs"] + "seeAlso", service)


def _catalogue(out: _Triples, graph: SiteGraph) -> None:
    """The query catalogue (kg.sparql.catalogue) as a subset of the dataset.

    ``void:subset`` is the VoID link from a dataset to a part of it, which VoID clients
    follow; the SIB sparql-examples tools find the queries by asking the endpoint for
    ``sh:SPARQLExecutable`` and describe a graph with the Service Description's
    ``sd:NamedGraph`` / ``sd:name`` (as the endpoint's own description does), so the
    subset is also that named graph: a client can query it with ``GRAPH <...>``."""
    queries = sorted(graph.instances(P["sh"] + "SPARQLExecutable"), key=lambda q: q.value)
    if not queries:
        return
    base = graph.base
    ds = _n(base + "dataset")
    part = _n(base + "dataset#query-catalogue")
    out.add(ds, P["void"] + "subset", part)
    out.add(part, P["rdf"] + "type", _n(P["void"] + "Dataset"))
    out.add(part, P["rdf"] + "type", _n(P["sd"] + "NamedGraph"))
    out.add(part, P["sd"] + "name", _n(catalogue_graph_iri(base)))
    out.add(part, P["dcterms"] + "title", ox.Literal("Query catalogue", language="en"))
    description = (
        "Every SPARQL query of the project (competency questions, checks, derivation "
        "rules, verification, trace) as a sh:SPARQLExecutable in the SIB sparql-examples "
        "convention: its text, title (rdfs:label), question (rdfs:comment), keywords "
        "(schema:keywords), target endpoint (schema:target) and parameters (sh:parameter)."
    )
    out.add(part, P["dcterms"] + "description", ox.Literal(description, language="en"))
    out.add(part, P["void"] + "sparqlEndpoint", _n(base + "sparql"))
    out.add(part, P["void"] + "entities", _int(len(queries)))
    out.add(part, P["void"] + "exampleResource", queries[0])
    out.add(part, P["void"] + "vocabulary", _n(P["sh"]))
    out.add(part, P["void"] + "vocabulary", _n(P["schema"]))
