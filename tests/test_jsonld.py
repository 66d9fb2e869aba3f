"""JSON-LD for developers (kg.rdf.jsonld) on a build of the review's data: every JSON-LD
document of the site parses (rdflib and PyLD) to the triples of its Turtle twin; every
document is what PyLD's compaction writes with the published context, and every resource
document what PyLD's framing (``@embed: @always``) writes from the Turtle twin; a study's
authors are a JSON array in print order; the context has ``@list`` for the author list
and ``@type`` for dates; the endpoint's JSON-LD answers carry the same context and parse
to the triples of its Turtle answers; a context named by URL is refused, never fetched.
PyLD runs offline (kg.rdf.jsonld.offline): the oracle, not the writer."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from pyld import jsonld as pyld
from rdflib.compare import isomorphic
from starlette.testclient import TestClient
from support import built_dist, listener, service_over

from kg.rdf.canon import rdfc10_nquads
from kg.rdf.jsonld import Context, offline, resource_document, usage_of, usage_of_nquads
from kg.stages.ontology import OntologyLoadError, parse_file
from kg.web.endpoint.service import SparqlService
from kg.web.server import make_app
from kg.web.site.ondemand import OnDemandSite

BIBO = "http://purl.org/ontology/bibo/"
RDF = rdflib.RDF
XSD = "http://www.w3.org/2001/XMLSchema#"
STUDY = "https://w3id.org/govsm/id/study/"
SETTLE_S = 0.3


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return built_dist(tmp_path_factory)


@pytest.fixture(scope="module")
def published(dist: Path) -> dict:
    """The published context (site/context.jsonld)."""
    return json.loads((dist / "site" / "context.jsonld").read_text(encoding="utf-8"))


def documents(dist: Path) -> list[tuple[Path, Path]]:
    """(JSON-LD document, its Turtle twin) for every JSON-LD file of the site."""
    site = dist / "site"
    found = []
    for path in sorted(site.rglob("*.jsonld")):
        if path.name == "context.jsonld":
            continue
        twin = site / "dumps" / "govsm.ttl" if path.parent.name == "dumps" else path
        found.append((path, twin.with_suffix(".ttl")))
    return found


@dataclass(frozen=True)
class Document:
    """A JSON-LD document of the site, read once for the module: its text and its Turtle
    twin parsed by rdflib (the three whole-site tests below share them instead of reading
    and parsing every file again; each test parses the JSON itself, a copy of its own)."""

    path: Path
    text: str
    twin: rdflib.Graph
    twin_canonical: str  # the twin's RDFC-1.0 N-Quads


@pytest.fixture(scope="module")
def site_documents(dist: Path) -> list[Document]:
    """Every JSON-LD document of the site with its Turtle twin (see :func:`documents`);
    the Turtle twins shared by several documents (the dump's) are parsed once."""
    twins: dict[Path, tuple[rdflib.Graph, str]] = {}
    found = []
    for path, twin in documents(dist):
        if twin not in twins:
            canonical = rdfc10_nquads(ox.parse(path=twin, format=ox.RdfFormat.TURTLE))
            twins[twin] = (rdflib.Graph().parse(twin, format="turtle"), canonical)
        found.append(Document(path, path.read_text(encoding="utf-8"), *twins[twin]))
    return found


def canonical_of(graph: rdflib.Graph) -> str:
    """The RDFC-1.0 N-Quads of an rdflib graph: two graphs are isomorphic exactly when
    these are equal (rdflib's own isomorphism test takes seconds on the dump's lists)."""
    return rdfc10_nquads(ox.parse(graph.serialize(format="nt"), format=ox.RdfFormat.N_TRIPLES))


def normal(value: object, lists: set[str], ordered: bool = False) -> object:
    """JSON with the order of unordered values (arrays other than lists) made canonical,
    the context left out."""
    if isinstance(value, dict):
        return {
            k: normal(v, lists, k in lists or k == "@list")
            for k, v in value.items()
            if k != "@context"
        }
    if isinstance(value, list):
        items = [normal(v, lists) for v in value]
        return items if ordered else sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
    return value


def list_terms(context: dict) -> set[str]:
    return {
        k for k, v in context["@context"].items() if isinstance(v, dict) and v.get("@container")
    }


# --- the documents -----------------------------------------------------------------------


def test_every_document_parses_to_its_turtle_twin(site_documents: list[Document]) -> None:
    checked = 0
    for document in site_documents:
        path, text, expected = document.path, document.text, document.twin_canonical
        by_rdflib = canonical_of(rdflib.Graph().parse(data=text, format="json-ld"))
        pyld_nquads = offline.to_nquads(json.loads(text))
        by_pyld = rdfc10_nquads(ox.parse(pyld_nquads, format=ox.RdfFormat.N_QUADS))
        assert expected, path
        assert by_rdflib == expected, f"rdflib: {path}"
        assert by_pyld == expected, f"PyLD: {path}"
        checked += 1
    assert checked > 500  # every resource, the dataset, the ontology and the dump


def test_documents_are_what_pyld_compaction_writes(
    site_documents: list[Document], published: dict
) -> None:
    """Term choice, coercion, lists and value forms: PyLD compacting a document's own
    expansion with the published context gives the document back."""
    lists = list_terms(published)
    assert len(site_documents) > 500
    for document in site_documents:
        doc = json.loads(document.text)
        again = offline.compact(offline.expand(doc), published)
        assert normal(again, lists) == normal(doc, lists), document.path


def _unnest_self(node: object, context: dict) -> object:
    """PyLD's @always embeds a node once inside itself when it links to itself (its
    cycle check skips the parent); our writer gives the reference there."""
    if isinstance(node, list):
        return [_unnest_self(v, context) for v in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        values = value if isinstance(value, list) else [value]
        fixed = []
        for v in values:
            if isinstance(v, dict) and "@id" in node and v.get("@id") == node["@id"]:
                term = context["@context"].get(key)
                as_id = isinstance(term, dict) and term.get("@type") == "@id"
                fixed.append(v["@id"] if as_id else {"@id": v["@id"]})
            else:
                fixed.append(_unnest_self(v, context))
        out[key] = fixed if isinstance(value, list) else fixed[0]
    return out


def test_resource_documents_are_what_pyld_framing_writes(
    site_documents: list[Document], published: dict
) -> None:
    """PyLD frames the Turtle twin (as N-Quads) around the resource with @embed @always:
    the top node equals ours (our @included holds what a frame leaves out, and the
    previous test shows those triples are there)."""
    lists = list_terms(published)
    framed_count = 0
    for document in site_documents:
        path, doc = document.path, json.loads(document.text)
        if "@graph" in doc:
            continue  # the flat documents (dataset, ontology, dump)
        nquads = document.twin.serialize(format="nt")
        iri = offline.expand({**doc, "@included": []})[0]["@id"]
        frame = {**published, "@id": iri, "@embed": "@always"}
        framed = _unnest_self(offline.frame(offline.from_nquads(nquads), frame), published)
        ours = {k: v for k, v in doc.items() if k != "@included"}
        assert normal(framed, lists) == normal(ours, lists), path
        framed_count += 1
    assert framed_count > 500


def _authors_in_order(twin: Path, study: str) -> list[str]:
    graph = rdflib.Graph().parse(twin, format="turtle")
    head = graph.value(rdflib.URIRef(study), rdflib.URIRef(BIBO + "authorList"))
    return [str(a) for a in rdflib.collection.Collection(graph, head)] if head else []


def test_study_authors_are_a_json_array_in_print_order(dist: Path, published: dict) -> None:
    term = next(
        k
        for k, v in published["@context"].items()
        if isinstance(v, dict) and v.get("@id") == "bibo:authorList"
    )
    studies = sorted((dist / "site" / "id" / "study").glob("*.jsonld"))
    several = 0
    for path in studies:
        doc = json.loads(path.read_text(encoding="utf-8"))
        iri = STUDY + path.stem
        expected = _authors_in_order(path.with_suffix(".ttl"), iri)
        if not expected:
            continue
        authors = doc[term]
        assert isinstance(authors, list), path
        ids = offline.expand({"@context": published["@context"], "@id": iri, term: authors})
        got = [item["@id"] for item in ids[0][BIBO + "authorList"][0]["@list"]]
        assert got == expected, path
        assert all(isinstance(a, dict) and len(a) > 1 for a in authors), "authors nested"
        several += len(expected) > 1
    assert several >= 3  # studies with more than one author, in the order printed


def test_study_venue_is_nested(dist: Path) -> None:
    doc = json.loads((dist / "site" / "id" / "study" / "mergel-2016.jsonld").read_text())
    venue = doc["publishedIn"]
    assert isinstance(venue, dict) and venue["@id"].startswith("id:venue/")
    assert isinstance(venue["title"], str)
    assert doc["hasPublicationYear"] == "2016"  # the context says it is an xsd:gYear


# --- the context -------------------------------------------------------------------------


def test_the_context_has_lists_dates_and_a_term_for_what_the_data_uses(
    dist: Path, published: dict
) -> None:
    ctx = published["@context"]
    prefixes = {k: v for k, v in ctx.items() if isinstance(v, str) and v.endswith(("/", "#"))}

    def expand(compact: str) -> str:
        prefix, _, local = compact.partition(":")
        return prefixes[prefix] + local if prefix in prefixes else compact

    by_iri = {
        expand(v if isinstance(v, str) else v["@id"]): (k, v)
        for k, v in ctx.items()
        if not k.startswith("@") and k not in prefixes
    }
    _, author_list = by_iri[BIBO + "authorList"]
    assert author_list["@container"] == "@list" and author_list["@type"] == "@id"
    assert by_iri["http://purl.org/spar/fabio/hasPublicationYear"][1]["@type"] == "xsd:gYear"
    # every property and class the data uses has a term, unless its local name is shared
    data = rdflib.Dataset()
    data.parse(dist / "govsm.nq", format="nquads")
    used = {str(p) for _, p, _, _ in data.quads()} | {
        str(o) for _, p, o, _ in data.quads() if p == RDF.type
    }
    used -= {str(RDF.type), str(RDF.first), str(RDF.rest)}
    declaring = {rdflib.OWL.Class, rdflib.RDFS.Class, rdflib.RDF.Property} | {
        rdflib.OWL[k] for k in ("ObjectProperty", "DatatypeProperty", "AnnotationProperty")
    }
    declared = {str(s) for s, p, o, _ in data.quads() if p == RDF.type and o in declaring}
    # a local name shared by two terms (used or declared) gets prefix:local
    locals_ = [iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1] for iri in used | declared]
    missing = [
        iri
        for iri in sorted(used)
        if iri not in by_iri
        and locals_.count(iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]) == 1
        and not iri.startswith("https://w3id.org/govsm/id/")
    ]
    assert not missing, missing[:10]
    names = [k for k in ctx if not k.startswith("@")]
    assert len(names) == len(set(names))


def test_the_same_context_everywhere(dist: Path, published: dict) -> None:
    """The site's, the on-demand pages' and the endpoint's context are one, and each
    document's inline context is the published one's subset."""
    made = Context.build(usage_of_nquads(dist / "govsm.nq")).document()
    assert made == published
    pages = OnDemandSite.from_nquads(dist / "govsm.nq", "https://w3id.org/govsm/", Path("q"))
    assert pages.graph.context.document() == published
    # (a page without literals the store canonicalises, see kg.web.site.ondemand)
    doc = json.loads(pages.document("id/venue/government-information-quarterly", "jsonld") or "{}")
    site = dist / "site/id/venue/government-information-quarterly.jsonld"
    assert doc == json.loads(site.read_text(encoding="utf-8"))
    for path, _ in documents(dist):
        inline = json.loads(path.read_text(encoding="utf-8"))["@context"]
        assert all(published["@context"][k] == v for k, v in inline.items()), path


def test_a_rebased_context_moves_the_instance_prefixes(dist: Path) -> None:
    base = "http://127.0.0.1:8000/"
    context = Context.build(usage_of_nquads(dist / "govsm.nq"), base)
    assert context.prefixes["id"] == base + "id/"
    assert context.prefixes["govsm"] == "https://w3id.org/govsm/ontology#"


# --- the endpoint ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def service(dist: Path) -> Iterator[SparqlService]:
    with service_over(dist, workers=1, max_rows=10_000, timeout_s=20) as svc:
        yield svc


@pytest.fixture(scope="module")
def client(dist: Path, service: SparqlService) -> Iterator[TestClient]:
    with TestClient(make_app(dist / "site", service=service)) as c:
        yield c


@pytest.mark.parametrize(
    "query",
    [
        f"DESCRIBE <{STUDY}mergel-2016>",
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s a <https://w3id.org/govsm/ontology#Study> ; ?p ?o }",
        "CONSTRUCT { ?s ?p ?o . ?o ?p2 ?o2 } WHERE { ?s <http://purl.org/ontology/bibo/authorList>"
        " ?o . ?o ?p2 ?o2 . ?s ?p ?o }",
    ],
)
def test_endpoint_jsonld_has_the_context_and_the_turtle_answers_triples(
    client: TestClient, published: dict, service: SparqlService, query: str
) -> None:
    answers = {}
    for fmt in ("jsonld", "ttl"):
        r = client.get("/sparql", params={"query": query, "format": fmt})
        assert r.status_code == 200, r.text
        answers[fmt] = r.text
    doc = json.loads(answers["jsonld"])
    inline = doc["@context"]
    assert isinstance(inline, dict) and inline["govsm"] == published["@context"]["govsm"]
    assert all(published["@context"][k] == v for k, v in inline.items())
    assert any(isinstance(v, dict) for v in inline.values()), "term definitions inline"
    turtle = rdflib.Graph().parse(data=answers["ttl"], format="turtle")
    assert len(turtle) > 0
    assert isomorphic(rdflib.Graph().parse(data=answers["jsonld"], format="json-ld"), turtle)
    by_pyld = rdflib.Graph().parse(data=offline.to_nquads(doc), format="nt")
    assert isomorphic(by_pyld, turtle)


# --- offline -----------------------------------------------------------------------------


def test_a_remote_context_is_refused_never_fetched(tmp_path: Path) -> None:
    with listener() as counting:
        url = f"http://127.0.0.1:{counting.port}/context.jsonld"
        doc = {"@context": url, "@id": "http://example.org/a", "name": "x"}
        with pytest.raises(offline.RemoteContextRefused, match="context.jsonld"):
            offline.to_nquads(doc)
        # PyLD itself, with our loader and no check before it: refused too
        with pytest.raises(pyld.JsonLdError) as caught:
            pyld.to_rdf(doc, dict(offline.OPTIONS))
        chain, error = [], caught.value
        while error is not None:
            chain.append(error)
            error = getattr(error, "cause", None) or error.__cause__
        assert any(isinstance(e, offline.RemoteContextRefused) for e in chain)
        # an ontology module in JSON-LD that names a context by URL
        module = tmp_path / "module.jsonld"
        module.write_text(json.dumps({**doc, "@context": [url, {"x": "http://x/"}]}))
        with pytest.raises(OntologyLoadError, match="module.jsonld"):
            parse_file(rdflib.Graph(), module)
        time.sleep(SETTLE_S)
        assert counting.accepted == 0


def test_unguarded_rdflib_would_fetch_a_remote_context(tmp_path: Path) -> None:
    """Control: rdflib's JSON-LD parser does dereference a context URL (so the check
    before it is needed)."""
    with listener() as counting:
        url = f"http://127.0.0.1:{counting.port}/context.jsonld"
        data = json.dumps({"@context": url, "@id": "http://example.org/a", "name": "x"})
        with pytest.raises(Exception):  # noqa: B017 - whatever the failed fetch raises
            rdflib.Graph().parse(data=data, format="json-ld")
        time.sleep(SETTLE_S)
        assert counting.accepted >= 1


def test_two_lists_of_one_property_stay_two_lists() -> None:
    """A list term's array holds one list: a second list of the same subject goes under
    the compact IRI (an array of arrays would read as one list of lists)."""
    ttl = (
        "<http://ex/s> <http://purl.org/ontology/bibo/authorList> "
        "( <http://ex/p1> ) , ( <http://ex/p2> ) .\n"
        "<http://ex/t> <http://purl.org/ontology/bibo/authorList> "
        "( <http://ex/p3> <http://ex/p4> ) .\n"
    )
    triples = list(ox.parse(ttl, format=ox.RdfFormat.TURTLE))
    expected = rdflib.Graph().parse(data=ttl, format="turtle")
    context = Context.build(usage_of(triples))
    for subject in ("http://ex/s", "http://ex/t"):
        text = resource_document(context, triples, ox.NamedNode(subject))
        by_pyld = rdflib.Graph().parse(data=offline.to_nquads(json.loads(text)), format="nt")
        assert isomorphic(by_pyld, expected)
        assert isomorphic(rdflib.Graph().parse(data=text, format="json-ld"), expected)
    doc = json.loads(resource_document(context, triples, ox.NamedNode("http://ex/t")))
    assert doc["authorList"] == ["http://ex/p3", "http://ex/p4"]
