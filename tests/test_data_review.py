"""The review record says only what the text says; every data file parses with shared prefixes."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, FOAF, RDF, SKOS

from kg.prefixes import PREFIXES

GOVSM = Namespace("https://w3id.org/govsm/ontology#")
BIBO = Namespace("http://purl.org/ontology/bibo/")
ID = "https://w3id.org/govsm/id/"
REVIEW = URIRef(ID + "review/social-media-service-delivery")
ROOT = Path(__file__).resolve().parents[1]
FILES = sorted((ROOT / "data").rglob("*.ttl"))


@pytest.fixture(scope="module")
def data() -> Graph:
    graph = Graph()
    for path in FILES:
        graph.parse(path, format="turtle")
    return graph


@pytest.fixture(scope="module")
def ontology() -> Graph:
    return Graph().parse(ROOT / "ontology" / "govsm.ttl", format="turtle")


@pytest.mark.parametrize("path", FILES, ids=[p.name for p in FILES])
def test_file_parses_with_the_shared_prefixes(path: Path) -> None:
    Graph().parse(path, format="turtle")
    text = path.read_text(encoding="utf-8")
    declared = re.findall(r"^@prefix\s+([\w-]*):\s*<([^>]*)>", text, flags=re.MULTILINE)
    assert declared, f"{path.name} declares no prefixes"
    for name, ns in declared:
        assert PREFIXES.get(name) == ns, (
            f"{path.name}: prefix {name}: <{ns}> disagrees with kg/prefixes.py"
        )


def test_there_are_data_files() -> None:
    names = {p.name for p in FILES}
    assert {
        "review.ttl",
        "taxonomy.ttl",
        "references.ttl",
        "evidence.ttl",
        "context.ttl",
        "reported.ttl",
    } <= names


def test_review_invents_no_title_or_names(data: Graph) -> None:
    assert (REVIEW, RDF.type, GOVSM.MetaSynthesis) in data
    assert data.value(REVIEW, DCTERMS.title) is None, "the title is not in the text"
    assert "not" in str(data.value(REVIEW, DCTERMS.description))
    authors = list(Collection(data, data.value(REVIEW, BIBO.authorList)))
    assert authors == [URIRef(ID + f"person/review-author-{n}") for n in (1, 2, 3)]
    for a in authors:
        assert data.value(a, FOAF.name) is None, f"{a}: the name is not in the text"
        assert data.value(a, URIRef("https://schema.org/affiliation")) is not None


def test_review_method_and_counts(data: Graph, ontology: Graph) -> None:
    assert int(data.value(REVIEW, GOVSM.reportedIncludedCount)) == 39
    process = data.value(REVIEW, GOVSM.producedBy)
    assert data.value(process, GOVSM.followsMethod) is not None
    steps = list(data.objects(process, GOVSM.hasStep))
    assert sorted(int(data.value(s, GOVSM.stepPosition)) for s in steps) == list(range(1, 8))
    kinds = [data.value(s, GOVSM.stepKind) for s in steps]
    assert len(set(kinds)) == 7
    assert all((k, SKOS.inScheme, GOVSM.methodStepKinds) in ontology for k in kinds)
    appraisal = [s for s in steps if data.value(s, GOVSM.stepKind) == GOVSM.appraisalStep]
    assert len(appraisal) == 1
    assert int(data.value(appraisal[0], GOVSM.studiesIncluded)) == 39
    tool = data.value(appraisal[0], GOVSM.usedAppraisalTool)
    assert data.value(tool, GOVSM.toolSource) is not None
    assert len(list(data.objects(REVIEW, GOVSM.hasResearchQuestion))) == 2


def test_context_is_iran_without_a_period(data: Graph) -> None:
    iran = URIRef(ID + "context/iran")
    assert data.value(iran, GOVSM.jurisdiction) == URIRef("http://www.wikidata.org/entity/Q794")
    assert "Tehran" in str(data.value(iran, GOVSM.identificationNote))
    assert data.value(iran, DCTERMS.temporal) is None, "the text gives no period"


def test_platforms_are_mentioned(data: Graph) -> None:
    platforms = set(data.subjects(RDF.type, GOVSM.SocialMediaPlatform))
    assert {str(p).rsplit("/", 1)[1] for p in platforms} == {"facebook", "twitter", "weibo"}
    for p in platforms:
        assert (None, GOVSM.mentionsPlatform, p) in data, f"nothing mentions {p}"


def test_prisma_flow_records_only_the_reported_box(data: Graph) -> None:
    """The text reports one box of the PRISMA 2020 flow: 39 publications (reports of
    included studies), quoted; nothing about records identified or screened. The count
    cannot be compared with govsm:includes links: the text lists none (the shapes
    compare them when a review has any, see SelectionFlowShape-includedMatchesIncludes)."""
    flows = list(data.objects(REVIEW, GOVSM.hasSelectionFlow))
    assert len(flows) == 1
    counts = list(data.objects(flows[0], GOVSM.hasFlowCount))
    assert [data.value(c, GOVSM.flowBox) for c in counts] == [GOVSM.prismaReportsIncluded]
    assert int(data.value(counts[0], GOVSM.boxCount)) == 39
    assert data.value(counts[0], GOVSM.boxCount).datatype == URIRef(
        PREFIXES["xsd"] + "nonNegativeInteger"
    )
    quote = data.value(counts[0], GOVSM.hasQuote)
    assert "39 publications" in str(data.value(quote, URIRef(PREFIXES["oa"] + "exact")))
    assert data.value(counts[0], GOVSM.quotedFrom) == REVIEW
    assert int(data.value(REVIEW, GOVSM.reportedIncludedCount)) == 39
    assert list(data.objects(REVIEW, GOVSM.includes)) == []
