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
    g.add((me, RDF.type, SD.Service))
    g.add((me, SD.endpoint, me))
    g.add((me, SD.supportedLanguage, SD.SPARQL11Query))
    g.add((me, SD.feature, SD.UnionDefaultGraph))
    g.add((me, SD.defaultEntailmentRegime, URIRef("http://www.w3.org/ns/entailment/Simple")))
    for fmt in formats.TABULAR + formats.GRAPH:
        g.add((me, SD.resultFormat, URIRef(fmt.iri)))
    g.add((me, RDFS.comment, Literal(_policy(service), lang="en")))
    _limit_terms(g, me, service)
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


def _policy(service: SparqlService) -> str:
    """The service's limits and scheduling policy in words."""
    limits = service.limits
    memory = f"{service.pool.memory_mb} MB" if service.pool.memory_mb else "no memory cap"
    reserve = (
        f" At most {limits.long_running_cap} queries may run longer than "
        f"{limits.reserve_after_s:g} s at once, so that a worker stays free for short ones."
        if limits.long_running_cap < limits.workers
        else ""
    )
    cooldown = (
        f" A client whose query killed a worker (memory or stack), or whose queries "
        f"were stopped at a time limit {limits.stops_before_cooldown} times within "
        f"{limits.kill_cooldown_s:g} s, is refused for {limits.kill_cooldown_s:g} s (429)."
        if limits.kill_cooldown_s > 0
        else ""
    )
    return (
        "Read-only and offline: SPARQL Update, SERVICE and graphs not held are "
        "refused; each query runs in one of "
        f"{limits.workers} worker processes "
        + ("without network access " if service.pool.sandboxed else "")
        + f"({memory} each) and is stopped after {limits.timeout_s:g} s; results are cut "
        f"at {limits.max_rows} rows (header X-Result-Truncated). A client (network address) "
        f"may have {limits.max_concurrent_per_client} queries in the service, "
        f"{limits.running_cap} of them running; the rest wait behind its own. A free "
        "worker goes to the client with the fewest queries running (then the longest "
        f"waiting); a query waits for other clients at most {limits.queue_wait_s:g} s, "
        f"then is answered 503 with Retry-After.{reserve}{cooldown} Errors in the query "
        "are 400; a query beyond a worker's time or memory is 503; 500 is the "
        "service's own fault."
    )


def _limit_terms(g: Graph, me: URIRef, service: SparqlService) -> None:
    limits = service.limits
    decimal, positive, count = XSD.decimal, XSD.positiveInteger, XSD.nonNegativeInteger
    for term, value, datatype in (
        (G.queryTimeLimit, f"{limits.timeout_s:g}", decimal),
        (G.resultRowLimit, limits.max_rows, count),
        (G.requestBodyLimit, limits.max_body_bytes, count),
        (G.concurrentQueryLimit, limits.max_concurrent_per_client, positive),
        (G.runningQueryLimit, limits.running_cap, positive),
        (G.queueWaitLimit, f"{limits.queue_wait_s:g}", decimal),
        (G.queryWorkerCount, limits.workers, positive),
        (G.workerMemoryLimit, service.pool.memory_mb, count),
        (G.workerEndCooldown, f"{limits.kill_cooldown_s:g}", decimal),
    ):
        g.add((me, term, Literal(value, datatype=datatype)))


def serialize(graph: Graph, fmt: str) -> bytes:
    """The description in a graph format short name (ttl, jsonld, nt, rdf)."""
    data = graph.serialize(format=RDFLIB_FORMATS[fmt], encoding="utf-8")
    return data if isinstance(data, bytes) else data.encode("utf-8")
