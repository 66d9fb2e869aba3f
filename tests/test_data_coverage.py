"""The dataset covers the review completely: sub-factors, reported table, citations, references."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import RDF, SKOS

GOVSM = Namespace("https://w3id.org/govsm/ontology#")
OA = Namespace("http://www.w3.org/ns/oa#")
CITO = Namespace("http://purl.org/spar/cito/")
ID = "https://w3id.org/govsm/id/"
REVIEW = URIRef(ID + "review/social-media-service-delivery")
IRAN = URIRef(ID + "context/iran")
DATA = Path(__file__).resolve().parents[1] / "data"

SUBFACTOR_SLUGS = [
    "transparency", "enforcement", "manager-training", "capital-budgeting",
    "organizational-policies", "organizational-structure-and-communication",
    "organizational-processes", "user-training", "user-resistance", "usability",
    "citizen-experience", "technical-infrastructure", "financial-infrastructure",
    "legal-infrastructure", "specialized-infrastructure", "cultural-infrastructure",
]  # fmt: skip
SUBFACTORS = [URIRef(ID + "subfactor/" + s) for s in SUBFACTOR_SLUGS]
DIRECTION_OF_WORD = {"preventive": GOVSM.preventer, "motivator": GOVSM.driver}


def normalise(text: str) -> str:
    """Collapse runs of whitespace to one space and strip."""
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def paper_lines(paper_path: Path) -> list[str]:
    return paper_path.read_text(encoding="utf-8").split("\n")


@pytest.fixture(scope="module")
def data() -> Graph:
    graph = Graph()
    for path in sorted(DATA.rglob("*.ttl")):
        graph.parse(path, format="turtle")
    return graph


def results_rows(lines: list[str]) -> list[tuple[str, str, str]]:
    """(factor word, printed line, label) for each numbered line of the Results section."""
    start = lines.index("Results")
    end = lines.index("Conclusion")
    heading = re.compile(r"^(\w+) factors:\s*$")
    item = re.compile(r"^\d+-.+?:\s*(\w+)\s*$")
    rows: list[tuple[str, str, str]] = []
    factor: str | None = None
    for raw in lines[start:end]:
        line = raw.strip()
        if m := heading.match(line):
            factor = m.group(1).lower()
        elif (m := item.match(line)) and factor is not None:
            rows.append((factor, line, m.group(1)))
        elif line:
            factor = None  # prose ends a list
    return rows


def quote_of(graph: Graph, node: URIRef) -> list[str]:
    return [str(graph.value(sel, OA.exact)) for sel in graph.objects(node, GOVSM.hasQuote)]


def test_every_subfactor_is_in_the_taxonomy(data: Graph) -> None:
    assert set(data.subjects(RDF.type, GOVSM.SubFactor)) == set(SUBFACTORS)
    for s in SUBFACTORS:
        factor = data.value(s, SKOS.broader)
        assert (factor, RDF.type, GOVSM.Factor) in data, s


@pytest.mark.parametrize("subfactor", SUBFACTORS, ids=SUBFACTOR_SLUGS)
def test_subfactor_has_evidence(data: Graph, subfactor: URIRef) -> None:
    items = [
        e
        for e in data.subjects(GOVSM.aboutSubFactor, subfactor)
        if (e, RDF.type, GOVSM.EvidenceItem) in data
    ]
    assert items, f"no evidence about {subfactor}"


@pytest.mark.parametrize("subfactor", SUBFACTORS, ids=SUBFACTOR_SLUGS)
def test_subfactor_has_one_assessment_in_iran(data: Graph, subfactor: URIRef) -> None:
    found = [
        a
        for a in data.subjects(GOVSM.assessedSubFactor, subfactor)
        if (a, RDF.type, GOVSM.ContextAssessment) in data and (a, GOVSM.inContext, IRAN) in data
    ]
    assert len(found) == 1, found
    a = found[0]
    assert a == URIRef(ID + "assessment/iran/" + str(subfactor).rsplit("/", 1)[1])
    for prop in (GOVSM.conditionStatus, GOVSM.assessmentBasis, GOVSM.justification, GOVSM.hasQuote):
        assert data.value(a, prop) is not None, (a, prop)


def test_results_section_parses_to_sixteen_rows(paper_lines: list[str]) -> None:
    rows = results_rows(paper_lines)
    assert len(rows) == 16
    assert Counter(f for f, _, _ in rows) == {
        "managerial": 4,
        "organizational": 3,
        "human": 4,
        "infrastructural": 5,
    }


def test_reported_table_matches_the_paper(data: Graph, paper_lines: list[str]) -> None:
    reported = list(data.subjects(RDF.type, GOVSM.ReportedClassification))
    assert len(reported) == 16
    by_quote = {normalise(q): r for r in reported for q in quote_of(data, r)}
    assert len(by_quote) == 16, "each reported row needs one distinct quote"
    for factor, line, label in results_rows(paper_lines):
        r = by_quote.get(normalise(line))
        assert r is not None, f"no reported classification quotes {line!r}"
        assert str(data.value(r, GOVSM.reportedLabel)) == label, line
        assert data.value(r, GOVSM.hasDirection) == DIRECTION_OF_WORD[label.lower()], line
        sub = data.value(r, GOVSM.classifiedSubFactor)
        assert data.value(sub, SKOS.broader) == URIRef(ID + "factor/" + factor), line
        assert (r, GOVSM.inContext, IRAN) in data
        assert (r, GOVSM.reportedIn, REVIEW) in data
        assert str(data.value(r, GOVSM.inSection)) == "Results"
        slug = str(sub).rsplit("/", 1)[1]
        assert r == URIRef(ID + "reported/social-media-service-delivery/iran/" + slug)
    assert {data.value(r, GOVSM.classifiedSubFactor) for r in reported} == set(SUBFACTORS)


def test_classification_lines_are_not_evidence(data: Graph, paper_lines: list[str]) -> None:
    lines = [normalise(line) for _, line, _ in results_rows(paper_lines)]
    for e in data.subjects(RDF.type, GOVSM.EvidenceItem):
        for q in quote_of(data, e):
            assert not any(line in normalise(q) for line in lines), f"{e} quotes a reported result"


def test_evidence_items_are_well_formed(data: Graph) -> None:
    items = list(data.subjects(RDF.type, GOVSM.EvidenceItem))
    assert items
    coder = URIRef(ID + "agent/govsm-kg-project")
    for e in items:
        assert str(e).startswith(ID + "evidence/"), e
        assert len(list(data.objects(e, GOVSM.hasQuote))) == 1, f"{e} needs exactly one quote"
        assert (e, GOVSM.codedBy, coder) in data, e
        assert data.value(e, GOVSM.inSection) is not None, e
        assert data.value(e, URIRef("http://purl.org/dc/terms/description")) is not None, e
        subs = list(data.objects(e, GOVSM.aboutSubFactor))
        assert subs and all(s in SUBFACTORS for s in subs), e
        assert len(list(data.objects(e, GOVSM.indicatesDirection))) <= 1, (
            f"{e}: split items by direction"
        )
        basis = data.value(e, GOVSM.codingBasis)
        source = data.value(e, GOVSM.evidenceSource)
        if basis == GOVSM.basisReviewStatement:
            assert source == REVIEW and data.value(e, GOVSM.quotedFrom) == REVIEW, e
        elif basis == GOVSM.basisReviewSummary:
            assert (REVIEW, GOVSM.summarises, source) in data, e
            assert data.value(e, GOVSM.quotedFrom) == REVIEW, e
        elif basis == GOVSM.basisStudyTitle:
            assert (source, RDF.type, GOVSM.Study) in data, e
            assert data.value(e, GOVSM.quotedFrom) == source, e
        else:
            pytest.fail(f"{e} has no known coding basis: {basis}")


def test_title_only_items_are_distinguishable(data: Graph) -> None:
    title_items = set(data.subjects(GOVSM.codingBasis, GOVSM.basisStudyTitle))
    assert title_items
    for e in title_items:
        assert data.value(e, GOVSM.quotedFrom) != REVIEW
        assert (e, GOVSM.codingBasis, GOVSM.basisReviewSummary) not in data
    bases = Counter(
        data.value(e, GOVSM.codingBasis) for e in data.subjects(RDF.type, GOVSM.EvidenceItem)
    )
    assert set(bases) == {
        GOVSM.basisReviewSummary,
        GOVSM.basisReviewStatement,
        GOVSM.basisStudyTitle,
    }


def test_in_text_citations_resolve_to_studies(data: Graph) -> None:
    citations = list(data.subjects(RDF.type, GOVSM.InTextCitation))
    assert len(citations) == 8
    cited = set()
    for c in citations:
        assert (c, CITO.hasCitingEntity, REVIEW) in data
        study = data.value(c, CITO.hasCitedEntity)
        assert (study, RDF.type, GOVSM.Study) in data, f"{c} cites {study}, not a study"
        assert data.value(study, GOVSM.referencePosition) is not None, f"{study} is not in the list"
        assert str(data.value(c, GOVSM.inSection)) == "Literature Review"
        cited.add(study)
    assert set(data.objects(REVIEW, GOVSM.summarises)) == cited


def test_no_includes_is_asserted(data: Graph) -> None:
    assert not list(data.triples((None, GOVSM.includes, None)))


def test_reference_list_is_complete(data: Graph, paper_lines: list[str]) -> None:
    entry = re.compile(r"\b(19|20)\d\d\b")
    entries = [ln for ln in paper_lines[76:138] if ln.strip() and entry.search(ln)]
    assert len(entries) == len([ln for ln in paper_lines[76:138] if ln.strip()]), (
        "a non-entry line?"
    )
    studies = {
        int(data.value(s, GOVSM.referencePosition)): s
        for s in data.subjects(GOVSM.referencePosition, None)
    }
    assert sorted(studies) == list(range(1, len(entries) + 1))
    for pos, line in enumerate(entries, start=1):
        assert str(data.value(studies[pos], GOVSM.referenceText)) == line, pos
