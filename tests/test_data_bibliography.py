"""Bibliographic records and data-quality issues agree with the printed reference list."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, FOAF, OWL, RDF, SKOS

GOVSM = Namespace("https://w3id.org/govsm/ontology#")
BIBO = Namespace("http://purl.org/ontology/bibo/")
FABIO = Namespace("http://purl.org/spar/fabio/")
ID = "https://w3id.org/govsm/id/"
XSD_GYEAR = URIRef("http://www.w3.org/2001/XMLSchema#gYear")
REVIEW = URIRef(ID + "review/social-media-service-delivery")
ROOT = Path(__file__).resolve().parents[1]


def study(slug: str) -> URIRef:
    return URIRef(ID + "study/" + slug)


@pytest.fixture(scope="module")
def data() -> Graph:
    graph = Graph()
    for path in sorted((ROOT / "data").rglob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ROOT / "ontology" / "govsm.ttl", format="turtle")


def listed(graph: Graph) -> list[URIRef]:
    return sorted(
        graph.subjects(GOVSM.referencePosition, None),
        key=lambda s: int(graph.value(s, GOVSM.referencePosition)),
    )


def test_review_cites_every_listed_work(data: Graph) -> None:
    studies = listed(data)
    assert len(studies) == 57
    assert set(data.objects(REVIEW, GOVSM.citesWork)) >= set(studies)
    for s in studies:
        assert (s, RDF.type, GOVSM.Study) in data


def test_authors_are_ordered_lists_of_printed_names(data: Graph) -> None:
    for s in listed(data):
        text = str(data.value(s, GOVSM.referenceText))
        head = data.value(s, BIBO.authorList)
        assert head is not None, f"{s} has no bibo:authorList"
        authors = list(Collection(data, head))
        assert authors, s
        assert set(data.objects(s, DCTERMS.creator)) == set(authors), (
            f"{s}: creators differ from the list"
        )
        positions = []
        for a in authors:
            name = data.value(a, FOAF.name)
            assert name is not None, a
            assert str(name) in text, f"{a}: {name!r} is not printed in {s}"
            positions.append(text.index(str(name)))
            assert (a, RDF.type, GOVSM.Person) in data or (a, RDF.type, FOAF.Agent) in data, a
        assert positions == sorted(positions), f"{s}: authors out of printed order"


def test_years_titles_and_fields_are_printed(data: Graph) -> None:
    for s in listed(data):
        text = re.sub(r"\s+", " ", str(data.value(s, GOVSM.referenceText)))
        year = data.value(s, FABIO.hasPublicationYear)
        assert year is not None and year.datatype == XSD_GYEAR, s
        assert str(year) in text, s
        title = data.value(s, DCTERMS.title)
        if title is not None:
            assert str(title) in text, f"{s}: title not as printed"
        for prop in (BIBO.volume, BIBO.issue, BIBO.pages):
            value = data.value(s, prop)
            if value is not None:
                assert str(value) in text, (s, prop)
        venue = data.value(s, GOVSM.publishedIn)
        if venue is not None:
            assert (venue, RDF.type, GOVSM.Venue) in data and data.value(venue, DCTERMS.title), (
                venue
            )


def test_venues_are_shared(data: Graph) -> None:
    giq = URIRef(ID + "venue/government-information-quarterly")
    assert str(data.value(giq, DCTERMS.title)) == "Government Information Quarterly"
    assert len(set(data.subjects(GOVSM.publishedIn, giq))) >= 15


def test_dois_are_normalised_and_damage_is_recorded(data: Graph) -> None:
    malformed = {
        s
        for issue in data.subjects(GOVSM.issueKind, GOVSM.malformedIdentifier)
        for s in data.objects(issue, GOVSM.concerns)
    }
    dois = 0
    for s in listed(data):
        text = str(data.value(s, GOVSM.referenceText))
        doi = data.value(s, BIBO.doi)
        if doi is None:
            assert "doi" not in text.lower(), f"{s} prints a DOI that is not recorded"
            continue
        dois += 1
        assert re.fullmatch(r"10\.\d{4,9}/\S+", str(doi)), doi
        assert str(doi) in text.replace(" ", ""), f"{s}: DOI not printed"
        if str(doi) not in text:
            assert s in malformed, f"{s}: DOI printed damaged but no malformedIdentifier issue"
    assert dois == 10


def test_duplicates_are_kept_and_linked(data: Graph) -> None:
    pairs = [("klievink-2009", "klievink-2009-second-entry"), ("gregory-2016", "porumbescu-2016")]
    duplicates = {
        frozenset(data.objects(i, GOVSM.concerns))
        for i in data.subjects(GOVSM.issueKind, GOVSM.duplicateEntry)
    }
    for a, b in pairs:
        assert (study(a), OWL.sameAs, study(b)) in data or (study(b), OWL.sameAs, study(a)) in data
        assert frozenset({study(a), study(b)}) in duplicates
    assert len(list(data.triples((None, OWL.sameAs, None)))) == 2
    mismatch = list(data.subjects(GOVSM.issueKind, GOVSM.authorMismatch))
    assert any((i, GOVSM.concerns, study("porumbescu-2016")) in data for i in mismatch)


def test_known_issues_are_recorded(data: Graph) -> None:
    expected = {
        (GOVSM.nameSpellingVariant, "medaglia-2017"),
        (GOVSM.nameSpellingVariant, "rodriquez-2018"),
        (GOVSM.titleMismatch, "eom-2018"),
        (GOVSM.incompleteRecord, "layne-2001"),
        (GOVSM.incompleteRecord, "chun-2010"),
        (GOVSM.incompleteRecord, "kang-2003"),
        (GOVSM.incompleteRecord, "bryer-2013"),
        (GOVSM.incompleteRecord, "mansour-2012"),
        (GOVSM.nameSpellingVariant, "aizhan-2017"),
    }
    found = {
        (data.value(i, GOVSM.issueKind), str(s).rsplit("/", 1)[1])
        for i in data.subjects(RDF.type, GOVSM.DataQualityIssue)
        for s in data.objects(i, GOVSM.concerns)
    }
    assert expected <= found, expected - found
    kinds = {
        data.value(i, GOVSM.issueKind) for i in data.subjects(RDF.type, GOVSM.DataQualityIssue)
    }
    assert {GOVSM.missingReference, GOVSM.mislabelledHeading} <= kinds


def test_issues_are_well_formed(data: Graph, ontology: Graph) -> None:
    issues = list(data.subjects(RDF.type, GOVSM.DataQualityIssue))
    assert len(issues) >= 30
    for i in issues:
        kind = data.value(i, GOVSM.issueKind)
        assert (kind, SKOS.inScheme, GOVSM.dataQualityIssueKinds) in ontology, (
            f"{i}: unknown kind {kind}"
        )
        for prop in (GOVSM.concerns, DCTERMS.description, GOVSM.resolution, GOVSM.hasQuote):
            assert data.value(i, prop) is not None, (i, prop)
        assert data.value(i, GOVSM.quotedFrom) == REVIEW, i


def test_glynn_record_is_marked_as_supplied(data: Graph) -> None:
    glynn = study("glynn-2006")
    assert (glynn, RDF.type, GOVSM.Study) in data
    assert data.value(glynn, GOVSM.referencePosition) is None
    assert data.value(glynn, GOVSM.referenceText) is None
    assert (
        "not in the review's reference list" in str(data.value(glynn, DCTERMS.description)).lower()
    )
    assert str(data.value(glynn, BIBO.doi)) == "10.1108/07378830610692154"
    tool = data.value(None, GOVSM.toolSource, glynn)
    assert (tool, RDF.type, GOVSM.AppraisalTool) in data
    assert not list(data.subjects(RDF.type, GOVSM.Appraisal)), "no per-study appraisal is reported"


def test_family_names_are_part_of_the_printed_name(data: Graph) -> None:
    # Family names are parsed by hand from the printed name; they may not add letters to it.
    persons = set(data.subjects(FOAF.familyName, None))
    assert len(persons) >= 100
    for person in persons:
        family = str(data.value(person, FOAF.familyName))
        printed = str(data.value(person, FOAF.name))
        assert family and family in printed, f"{person}: {family!r} not in {printed!r}"
    # Names printed initial first ("D, Zhou") keep the family name, not the initial.
    assert str(data.value(URIRef(ID + "person/d-zhou"), FOAF.familyName)) == "Zhou"
