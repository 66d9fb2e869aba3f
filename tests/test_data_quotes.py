"""Every quote in data/ is verbatim from the document it claims to quote."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS, RDF

GOVSM = Namespace("https://w3id.org/govsm/ontology#")
OA = Namespace("http://www.w3.org/ns/oa#")
REVIEW = URIRef("https://w3id.org/govsm/id/review/social-media-service-delivery")
DATA = Path(__file__).resolve().parents[1] / "data"


def normalise(text: str) -> str:
    """Collapse runs of whitespace to one space and strip."""
    return re.sub(r"\s+", " ", text).strip()


def is_verbatim(quote: str, source: str) -> bool:
    """True if the (non-empty) quote stands in the source, whitespace-normalised."""
    q = normalise(quote)
    return bool(q) and q in normalise(source)


def source_text(graph: Graph, doc: URIRef, paper: str) -> str | None:
    """The text a quote from ``doc`` must stand in: the paper for the review, a study's title."""
    if doc == REVIEW:
        return paper
    if (doc, RDF.type, GOVSM.Study) in graph:
        title = graph.value(doc, DCTERMS.title)
        return str(title) if title is not None else None
    return None


def quote_problems(graph: Graph, paper: str) -> list[str]:
    """All reasons why quotes in ``graph`` are not verbatim from their documents."""
    problems: list[str] = []
    for holder, selector in graph.subject_objects(GOVSM.hasQuote):
        docs = list(graph.objects(holder, GOVSM.quotedFrom))
        if len(docs) != 1:
            problems.append(f"{holder} has {len(docs)} govsm:quotedFrom values (expected 1)")
            continue
        text = source_text(graph, docs[0], paper)
        if text is None:
            problems.append(f"{holder}: cannot find the text of {docs[0]}")
            continue
        exacts = list(graph.objects(selector, OA.exact))
        if len(exacts) != 1:
            problems.append(f"{selector} has {len(exacts)} oa:exact values (expected 1)")
            continue
        exact = str(exacts[0])
        if not is_verbatim(exact, text):
            problems.append(f"{selector}: not verbatim in {docs[0]}: {exact!r}")
        prefix = graph.value(selector, OA.prefix)
        if prefix is not None and not (
            is_verbatim(str(prefix) + exact, text) or is_verbatim(f"{prefix} {exact}", text)
        ):
            problems.append(f"{selector}: oa:prefix does not precede oa:exact in {docs[0]}")
        suffix = graph.value(selector, OA.suffix)
        if suffix is not None and not (
            is_verbatim(exact + str(suffix), text) or is_verbatim(f"{exact} {suffix}", text)
        ):
            problems.append(f"{selector}: oa:suffix does not follow oa:exact in {docs[0]}")
    for selector in graph.subjects(OA.exact, None):
        if (None, GOVSM.hasQuote, selector) not in graph:
            problems.append(f"{selector} has oa:exact but no resource quotes it")
    return problems


@pytest.fixture(scope="module")
def paper(paper_path: Path) -> str:
    return paper_path.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def data() -> Graph:
    graph = Graph()
    files = sorted(DATA.rglob("*.ttl"))
    assert files, f"no Turtle files under {DATA}"
    for path in files:
        graph.parse(path, format="turtle")
    return graph


def test_every_quote_is_verbatim(data: Graph, paper: str) -> None:
    problems = quote_problems(data, paper)
    assert not problems, "\n".join(problems)


def test_there_are_quotes(data: Graph) -> None:
    assert len(set(data.subjects(OA.exact, None))) > 100


def test_every_quote_holder_names_its_document(data: Graph) -> None:
    missing = [
        s
        for s in set(data.subjects(GOVSM.hasQuote, None))
        if (s, GOVSM.quotedFrom, None) not in data
    ]
    assert not missing, missing


def test_every_reference_text_is_a_printed_line(data: Graph, paper: str) -> None:
    lines = set(paper.split("\n"))
    texts = list(data.objects(None, GOVSM.referenceText))
    assert texts
    for text in texts:
        assert str(text) in paper, f"not verbatim in the paper: {text!r}"
        assert str(text) in lines, f"not a whole printed line: {text!r}"


def test_matcher_rejects_a_paraphrase(paper: str) -> None:
    real = "since the required technical infrastructure exists in the country and most regions"
    assert is_verbatim(real, paper)
    assert is_verbatim(real.replace(" ", "  \n "), paper), "whitespace must not matter"
    assert not is_verbatim("since the needed technical infrastructure exists in the country", paper)
    assert not is_verbatim("the technical infrastructure is available in Iran", paper)
    assert not is_verbatim("   ", paper), "an empty quote proves nothing"


def test_checker_catches_a_bad_graph(data: Graph, paper: str) -> None:
    """The checker must fail on a paraphrased quote, a missing quotedFrom and a bad title quote."""
    bad = Graph()
    ev = URIRef("https://w3id.org/govsm/id/evidence/test-paraphrase")
    sel = URIRef(str(ev) + "/quote")
    bad.add((ev, GOVSM.hasQuote, sel))
    bad.add((ev, GOVSM.quotedFrom, REVIEW))
    bad.add((sel, OA.exact, Literal("technical infrastructure is available throughout Iran")))
    orphan = URIRef("https://w3id.org/govsm/id/evidence/test-orphan")
    bad.add((orphan, GOVSM.hasQuote, URIRef(str(orphan) + "/quote")))
    bad.add((URIRef(str(orphan) + "/quote"), OA.exact, Literal("Results")))
    study = URIRef("https://w3id.org/govsm/id/study/mergel-2016")
    title_ev = URIRef("https://w3id.org/govsm/id/evidence/test-title")
    bad.add((study, RDF.type, GOVSM.Study))
    bad.add(
        (
            study,
            DCTERMS.title,
            Literal("Social media institutionalization in the U.S. federal government"),
        )
    )
    bad.add((title_ev, GOVSM.hasQuote, URIRef(str(title_ev) + "/quote")))
    bad.add((title_ev, GOVSM.quotedFrom, study))
    # In the paper, but not in this study's title: must be rejected.
    bad.add((URIRef(str(title_ev) + "/quote"), OA.exact, Literal("Regulatory frameworks")))
    problems = quote_problems(bad, paper)
    assert len(problems) == 3, problems
