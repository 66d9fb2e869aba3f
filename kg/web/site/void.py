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
from kg.web.site.graph import TYPE, SiteGraph

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


def void_triples(
    graph: SiteGraph,
    stats: Statistics,
    sizes: dict[str, int],
    checksums: dict[str, str],
    note: str | None = None,
) -> list[ox.Triple]:
    """The dataset description: ``sizes`` and ``checksums`` of the dumps published (by
    file name), ``note`` (an rdfs:comment) when the site has no resource pages."""
    base = graph.base
    ds = _n(base + "dataset")
    frag = base + "dataset#"
    onto = _n(ONTOLOGY_IRI)
    out: list[ox.Triple] = []

    def add(s: ox.NamedNode, p: str, o: object) -> None:
        out.append(ox.Triple(s, _n(p), o))

    add(ds, P["rdf"] + "type", _n(P["void"] + "Dataset"))
    add(ds, P["rdf"] + "type", _n(P["dcat"] + "Dataset"))
    add(
        ds,
        P["dcterms"] + "title",
        ox.Literal("GovSM-KG: government use of social media for service delivery", language="en"),
    )
    add(
        ds,
        P["dcterms"] + "description",
        ox.Literal(
            "A knowledge graph of a published meta-synthesis on the factors that drive or prevent "
            "government use of social media for service delivery: the review, its studies, coded "
            "evidence with verbatim quotes, context assessments, and the classifications derived "
            "by "
            "SPARQL rules, with their provenance.",
            language="en",
        ),
    )
    if note is not None:
        add(ds, P["rdfs"] + "comment", ox.Literal(note, language="en"))
    for pred in ("license", "created", "modified"):
        for value in graph.objects(onto, P["dcterms"] + pred):
            add(ds, P["dcterms"] + ("issued" if pred == "created" else pred), value)
    for creator in graph.objects(onto, P["dcterms"] + "creator"):
        add(ds, P["dcterms"] + "creator", creator)
        add(ds, P["dcterms"] + "publisher", creator)
    add(ds, P["void"] + "uriSpace", ox.Literal(base))
    add(ds, P["void"] + "sparqlEndpoint", _n(base + "sparql"))
    add(ds, P["void"] + "rootResource", _n(base + "id/review/social-media-service-delivery"))

    # statistics from the default view
    add(ds, P["void"] + "triples", _int(stats.triples))
    add(ds, P["void"] + "entities", _int(stats.entities))
    add(ds, P["void"] + "distinctSubjects", _int(stats.distinct_subjects))
    add(ds, P["void"] + "properties", _int(len(stats.properties)))
    add(ds, P["void"] + "distinctObjects", _int(stats.distinct_objects))
    add(ds, P["void"] + "classes", _int(len(stats.classes)))
    used: set[str] = set()
    for cls in sorted(stats.classes):
        part = _n(frag + "class-" + _slug(compact(cls)))
        add(ds, P["void"] + "classPartition", part)
        add(part, P["void"] + "class", _n(cls))
        add(part, P["void"] + "entities", _int(stats.classes[cls]))
        add(part, P["rdfs"] + "label", ox.Literal(f"class partition {compact(cls)}", language="en"))
        used.add(cls)
    for prop in sorted(stats.properties):
        part = _n(frag + "property-" + _slug(compact(prop)))
        add(ds, P["void"] + "propertyPartition", part)
        add(part, P["void"] + "property", _n(prop))
        add(part, P["void"] + "triples", _int(stats.properties[prop]))
        add(
            part,
            P["rdfs"] + "label",
            ox.Literal(f"property partition {compact(prop)}", language="en"),
        )
        used.add(prop)
    for name, ns in sorted(P.items()):
        if name in ("id", "rule", "shape"):
            continue
        if any(iri.startswith(ns) for iri in used) and ns != P["xsd"]:
            add(ds, P["void"] + "vocabulary", _n(ns))

    # distributions
    for name, (mime, title) in DUMPS.items():
        if name not in sizes:
            continue
        url = _n(base + "dumps/" + name)
        dist = _n(frag + "dump-" + _slug(name))
        check = _n(frag + "checksum-" + _slug(name))
        add(ds, P["void"] + "dataDump", url)
        add(ds, P["dcat"] + "distribution", dist)
        add(dist, P["rdf"] + "type", _n(P["dcat"] + "Distribution"))
        add(dist, P["dcterms"] + "title", ox.Literal(title, language="en"))
        add(dist, P["dcat"] + "downloadURL", url)
        add(dist, P["dcat"] + "accessURL", url)
        add(dist, P["dcat"] + "mediaType", _n(MEDIA + mime))
        add(
            dist,
            P["dcat"] + "byteSize",
            ox.Literal(str(sizes[name]), datatype=_n(XSD + "nonNegativeInteger")),
        )
        add(dist, P["spdx"] + "checksum", check)
        add(check, P["rdf"] + "type", _n(P["spdx"] + "Checksum"))
        add(check, P["spdx"] + "algorithm", _n(P["spdx"] + "checksumAlgorithm_sha256"))
        add(
            check,
            P["spdx"] + "checksumValue",
            ox.Literal(checksums[name], datatype=_n(XSD + "hexBinary")),
        )
        for value in graph.objects(onto, P["dcterms"] + "license"):
            add(dist, P["dcterms"] + "license", value)

    # the SPARQL endpoint (served by govsm serve) as a DCAT data service
    service = _n(frag + "sparql-service")
    add(service, P["rdf"] + "type", _n(P["dcat"] + "DataService"))
    add(service, P["rdf"] + "type", _n(P["sd"] + "Service"))
    add(service, P["dcterms"] + "title", ox.Literal("GovSM-KG SPARQL endpoint", language="en"))
    add(service, P["dcat"] + "endpointURL", _n(base + "sparql"))
    add(service, P["sd"] + "endpoint", _n(base + "sparql"))
    add(service, P["sd"] + "supportedLanguage", _n(P["sd"] + "SPARQL11Query"))
    add(service, P["dcat"] + "servesDataset", ds)
    add(ds, P["rdfs"] + "seeAlso", service)
    return out
