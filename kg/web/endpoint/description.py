"""The SPARQL 1.1 Service Description of the endpoint (``sd:`` vocabulary), with the
dataset it holds and every limit it enforces (``govsm:`` terms of the ontology)."""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import RDF, RDFS, XSD

from kg.prefixes import GOVSM, PREFIXES
from kg.web.endpoint import formats
from kg.web.endpoint.service import SparqlService

SD = Namespace(PREFIXES["sd"])
VOID = Namespace(PREFIXES["void"])
DCTERMS = Namespace(PREFIXES["dcterms"])
G = Namespace(GOVSM)
RDFLIB_FORMATS = {"ttl": "turtle", "jsonld": "json-ld", "nt": "nt", "rdf": "xml"}


def describe(service: SparqlService, endpoint: str) -> Graph:
    """The service description of ``service`` answering at ``endpoint``."""
    g = Graph()
    for name in ("sd", "void", "dcterms", "govsm", "rdfs", "xsd"):
        g.bind(name, PREFIXES[name])
    g.bind("formats", formats.FORMATS_NS)
    me = URIRef(endpoint)
    limits = service.limits
    g.add((me, RDF.type, SD.Service))
    g.add((me, SD.endpoint, me))
    g.add((me, SD.supportedLanguage, SD.SPARQL11Query))
    g.add((me, SD.feature, SD.UnionDefaultGraph))
    g.add((me, SD.defaultEntailmentRegime, URIRef("http://www.w3.org/ns/entailment/Simple")))
    for fmt in formats.TABULAR + formats.GRAPH:
        g.add((me, SD.resultFormat, URIRef(fmt.iri)))
    g.add(
        (
            me,
            RDFS.comment,
            Literal(
                "Read-only and offline: SPARQL Update, SERVICE and graphs not held are "
                "refused; each query runs in a worker process "
                + ("without network access " if service.pool.sandboxed else "")
                + f"and is stopped after {limits.timeout_s:g} s; results are cut at "
                f"{limits.max_rows} rows (header X-Result-Truncated).",
                lang="en",
            ),
        )
    )
    g.add((me, G.queryTimeLimit, Literal(f"{limits.timeout_s:g}", datatype=XSD.decimal)))
    g.add((me, G.resultRowLimit, Literal(limits.max_rows, datatype=XSD.nonNegativeInteger)))
    g.add((me, G.requestBodyLimit, Literal(limits.max_body_bytes, datatype=XSD.nonNegativeInteger)))
    g.add(
        (
            me,
            G.concurrentQueryLimit,
            Literal(limits.max_concurrent_per_client, datatype=XSD.positiveInteger),
        )
    )
    g.add((me, G.queryWorkerCount, Literal(limits.workers, datatype=XSD.positiveInteger)))
    dataset = BNode("dataset")
    g.add((me, SD.defaultDataset, dataset))
    g.add((dataset, RDF.type, SD.Dataset))
    default = BNode("default-graph")
    g.add((dataset, SD.defaultGraph, default))
    g.add((default, RDF.type, SD.Graph))
    g.add((default, RDFS.comment, Literal("The union of the named graphs.", lang="en")))
    g.add((default, VOID.triples, Literal(service.triples)))
    for i, (name, size) in enumerate(service.graph_sizes.items()):
        named, graph = BNode(f"named-{i}"), BNode(f"graph-{i}")
        g.add((dataset, SD.namedGraph, named))
        g.add((named, RDF.type, SD.NamedGraph))
        g.add((named, SD.name, URIRef(name)))
        g.add((named, SD.graph, graph))
        g.add((graph, RDF.type, SD.Graph))
        g.add((graph, VOID.triples, Literal(size)))
    return g


def serialize(graph: Graph, fmt: str) -> bytes:
    """The description in a graph format short name (ttl, jsonld, nt, rdf)."""
    data = graph.serialize(format=RDFLIB_FORMATS[fmt], encoding="utf-8")
    return data if isinstance(data, bytes) else data.encode("utf-8")
