"""The Web Annotation view (queries/views/web-annotation.rq, run by kg.stages.views):
every quote as the W3C model defines it — an annotation whose target has the quoted
document as oa:hasSource and the quote selector as oa:hasSelector, the coded concept as
body — with positions where the data knows them, and blank quotes kept."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.namespace import PROV, RDF, XSD

from kg.config import Project
from kg.prefixes import DEFAULT_BASE
from kg.rdf.engine import make_engine
from kg.rdf.load import load
from kg.stages.views import run_views, view_graph_iri

GOVSM = Namespace("https://w3id.org/govsm/ontology#")
OA = Namespace("http://www.w3.org/ns/oa#")
DCTERMS = Namespace("http://purl.org/dc/terms/")
REPO = Path(__file__).resolve().parents[1]
EX = Namespace("https://w3id.org/govsm/id/")


@pytest.fixture(scope="module")
def review() -> tuple[Graph, Graph]:
    """The review's data and ontology, and its Web Annotation view."""
    loaded = load(Project(root=REPO), DEFAULT_BASE)
    views = run_views(loaded.engine, REPO / "queries", DEFAULT_BASE)
    assert [v.query.stem for v in views] == ["web-annotation"]
    data, view = Graph(), Graph()
    for name in loaded.engine.graphs():
        target = view if name == views[0].graph else data
        for t in loaded.engine.triples(name):
            target.add(t)
    return data, view


def test_every_quote_is_selected_by_one_target_on_its_document(review) -> None:
    data, view = review
    quotes = list(data.subject_objects(GOVSM.hasQuote))
    assert len(quotes) > 100
    for holder, quote in quotes:
        targets = list(view.subjects(OA.hasSelector, quote))
        assert len(targets) == 1, quote
        target = targets[0]
        assert (target, RDF.type, OA.SpecificResource) in view
        assert set(view.objects(target, OA.hasSource)) == set(
            data.objects(holder, GOVSM.quotedFrom)
        )
        annotations = list(view.subjects(OA.hasTarget, target))
        assert len(annotations) == 1 and (annotations[0], RDF.type, OA.Annotation) in view


def test_the_body_is_the_coded_concept(review) -> None:
    data, view = review
    for item in data.subjects(RDF.type, GOVSM.EvidenceItem):
        concepts = set(data.objects(item, GOVSM.aboutSubFactor)) | set(
            data.objects(item, GOVSM.indicatesDirection)
        )
        for quote in data.objects(item, GOVSM.hasQuote):
            target = view.value(None, OA.hasSelector, quote)
            annotation = view.value(None, OA.hasTarget, target)
            assert set(view.objects(annotation, OA.hasBody)) == concepts
            assert view.value(annotation, OA.motivatedBy) == OA.classifying
            assert (item, PROV.wasDerivedFrom, target) in view
            assert set(view.objects(annotation, DCTERMS.creator)) == set(
                data.objects(item, GOVSM.codedBy)
            )
    person = next(data.subjects(RDF.type, GOVSM.Person))
    for quote in data.objects(person, GOVSM.hasQuote):
        annotation = view.value(None, OA.hasTarget, view.value(None, OA.hasSelector, quote))
        assert set(view.objects(annotation, OA.hasBody)) == {person}
        assert view.value(annotation, OA.motivatedBy) == OA.describing


@pytest.mark.parametrize("engine_name", ["oxigraph", "rdflib"])
def test_positions_become_a_position_selector_and_blank_quotes_are_kept(
    engine_name: str,
) -> None:
    engine = make_engine(engine_name)
    item, doc = EX["evidence/x"], EX["study/x"]
    quote, blank = EX["evidence/x/quote"], BNode()
    engine.add(
        DEFAULT_BASE + "graph/data",
        [
            (item, GOVSM.hasQuote, quote),
            (item, GOVSM.hasQuote, blank),
            (item, GOVSM.quotedFrom, doc),
            (item, GOVSM.aboutSubFactor, EX["subfactor/y"]),
            (quote, RDF.type, OA.TextQuoteSelector),
            (quote, OA.exact, Literal("words")),
            (quote, OA.start, Literal(10, datatype=XSD.nonNegativeInteger)),
            (quote, OA.end, Literal(15, datatype=XSD.nonNegativeInteger)),
            (blank, RDF.type, OA.TextQuoteSelector),
            (blank, OA.exact, Literal("other words")),
        ],
    )
    run_views(engine, REPO / "queries", DEFAULT_BASE)
    view = Graph()
    for t in engine.triples(view_graph_iri(DEFAULT_BASE, "web-annotation")):
        view.add(t)
    target = URIRef(str(quote) + "/target")
    position = URIRef(str(quote) + "/position")
    assert set(view.objects(target, OA.hasSelector)) == {quote, position}
    assert (position, RDF.type, OA.TextPositionSelector) in view
    assert int(view.value(position, OA.start)) == 10 and int(view.value(position, OA.end)) == 15
    blank_targets = [t for t in view.subjects(OA.hasSource, doc) if t != target]
    assert len(blank_targets) == 1 and isinstance(blank_targets[0], BNode)
    assert len(list(view.objects(blank_targets[0], OA.hasSelector))) == 1
    assert len(list(view.subjects(RDF.type, OA.Annotation))) == 2
