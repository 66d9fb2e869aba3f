"""``govsm init``: a new review's folder that validates and builds as it is, never
overwritten, with a readable slug."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS
from typer.testing import CliRunner

from kg.cli.app import app
from kg.config import ConfigError
from kg.importers.scaffold import init_project, slugify

runner = CliRunner()
GOVSM_REVIEW = URIRef("https://w3id.org/govsm/ontology#Review")


def test_slugs_are_readable() -> None:
    assert slugify("Digital öffentliche Dienste: a scoping review") == (
        "digital-offentliche-dienste-a-scoping-review"
    )
    assert slugify("  --  ") == ""


def test_the_new_review_validates_and_builds(tmp_path: Path) -> None:
    result = runner.invoke(app, ["init", str(tmp_path), "--title", "Chatbots in city halls"])
    assert result.exit_code == 0, result.output
    folder = tmp_path / "data" / "chatbots-in-city-halls"
    graph = Graph().parse(folder / "review.ttl")
    review = URIRef("https://w3id.org/govsm/id/review/chatbots-in-city-halls")
    assert (review, RDF.type, GOVSM_REVIEW) in graph
    assert str(graph.value(review, DCTERMS.title)) == "Chatbots in city halls"
    scheme = graph.value(review, DCTERMS.subject)
    assert (scheme, RDF.type, SKOS.ConceptScheme) in Graph().parse(folder / "taxonomy.ttl")
    validated = runner.invoke(app, ["validate", "--data", str(tmp_path / "data"), "--full"])
    assert validated.exit_code == 0, validated.output
    out = tmp_path / "dist"
    built = runner.invoke(
        app, ["build", "--data", str(tmp_path / "data"), "--out", str(out), "--no-reason"]
    )
    assert built.exit_code == 0, built.output
    assert str(review) in (out / "govsm.nq").read_text(encoding="utf-8")


def test_never_overwrites_and_refuses_bad_input(tmp_path: Path) -> None:
    init_project(tmp_path, "A review", "a-review")
    before = (tmp_path / "data" / "a-review" / "review.ttl").read_bytes()
    again = runner.invoke(app, ["init", str(tmp_path), "--title", "Other", "--slug", "a-review"])
    assert again.exit_code == 2 and "already exists" in again.output
    assert (tmp_path / "data" / "a-review" / "review.ttl").read_bytes() == before
    for title, slug in (("   ", None), ("Fine", "Not A Slug"), ("Fine", "../up")):
        with pytest.raises(ConfigError):
            init_project(tmp_path, title, slug)


def test_titles_with_quotes_are_escaped(tmp_path: Path) -> None:
    made = init_project(tmp_path, 'The "smart" city \\ a review')
    graph = Graph().parse(made.folder / "review.ttl")
    assert str(graph.value(URIRef(made.review), DCTERMS.title)) == 'The "smart" city \\ a review'


FIXTURES = Path(__file__).resolve().parent / "fixtures" / "importers"


def test_init_then_import_references_validates_and_is_idempotent(tmp_path: Path) -> None:
    runner.invoke(app, ["init", str(tmp_path), "--title", "Chatbots"])
    args = ["import", str(FIXTURES / "refs.bib"), "--project", str(tmp_path)]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    assert "4 added" in first.output
    written = sorted((tmp_path / "data" / "chatbots").glob("*-imported.ttl"))
    before = [p.read_bytes() for p in written]
    again = runner.invoke(app, args)
    assert again.exit_code == 0 and "4 unchanged" in again.output
    assert [p.read_bytes() for p in written] == before
    validated = runner.invoke(app, ["validate", "--data", str(tmp_path / "data"), "--full"])
    assert validated.exit_code == 0, validated.output


def test_import_refuses_what_it_cannot_read(tmp_path: Path) -> None:
    runner.invoke(app, ["init", str(tmp_path), "--title", "Chatbots"])
    folder = tmp_path / "data" / "chatbots"
    before = sorted(p.name for p in folder.iterdir())
    codebook = tmp_path / "codes.csv"
    codebook.write_text("study,quote\n", encoding="utf-8")
    broken = tmp_path / "broken.bib"
    broken.write_text("@article{key,\n  title = {Unclosed\n", encoding="utf-8")
    for path in (codebook, broken, tmp_path / "missing.bib"):
        result = runner.invoke(app, ["import", str(path), "--project", str(tmp_path)])
        assert result.exit_code == 2, result.output
        assert path.name in result.output
    assert sorted(p.name for p in folder.iterdir()) == before
    runner.invoke(app, ["init", str(tmp_path), "--title", "Second review"])
    result = runner.invoke(app, ["import", str(FIXTURES / "refs.bib"), "--project", str(tmp_path)])
    assert result.exit_code == 2 and "--review" in result.output
