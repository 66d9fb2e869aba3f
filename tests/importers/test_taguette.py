"""Taguette's own exports (written by Taguette 1.5.2, tests/fixtures/importers/taguette/):
its highlights spreadsheet (CSV and XLSX) is coded evidence, its code book CSV a taxonomy;
what they say is read here with the standard library, as the oracle."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS
from support.importing import TWO_STUDIES_BIB
from typer.testing import CliRunner

from kg.cli.app import app
from kg.prefixes import GOVSM, PREFIXES

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "importers" / "taguette"
OA = PREFIXES["oa"]
runner = CliRunner()
# the two studies Taguette's documents are named after (by citation key)
BIB = TWO_STUDIES_BIB
STUDIES = {"mergel2016": "mergel-2016", "smith2020": "smith-2020"}
DIRECTIONS = {"Facilitator": "driver", "Barrier": "preventer"}


def _expected() -> set[tuple[str, str, str, str]]:
    """(study slug, sub-factor, direction, quote) per highlight and sub-factor tag, from
    the CSV Taguette wrote."""
    tags: dict[str, list[str]] = {}
    rows: dict[str, tuple[str, str]] = {}
    with (FIXTURES / "highlights.csv").open(encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            tags.setdefault(row["id"], []).append(row["tag"])
            rows[row["id"]] = (row["document"], row["content"])
    found = set()
    for key, paths in tags.items():
        direction = next(DIRECTIONS[p.split(".")[1]] for p in paths if p.startswith("Direction."))
        for path in paths:
            if path.startswith("Factors.") and path.count(".") == 2:
                document, content = rows[key]
                found.add((STUDIES[document], path.split(".")[2], direction, content))
    return found


@pytest.fixture
def project(tmp_path: Path) -> Path:
    assert (
        runner.invoke(app, ["init", str(tmp_path / "p"), "--title", "Small review"]).exit_code == 0
    )
    (tmp_path / "refs.bib").write_text(BIB, encoding="utf-8")
    result = runner.invoke(
        app, ["import", str(tmp_path / "refs.bib"), "--project", str(tmp_path / "p")]
    )
    assert result.exit_code == 0, result.output
    return tmp_path / "p"


def _graph(project: Path) -> Graph:
    graph = Graph()
    for path in (project / "data" / "small-review").glob("*.ttl"):
        graph.parse(path)
    return graph


def _evidence(graph: Graph) -> set[tuple[str, str, str, str]]:
    found = set()
    for item in graph.subjects(RDF.type, URIRef(GOVSM + "EvidenceItem")):
        study = str(graph.value(item, URIRef(GOVSM + "evidenceSource"))).rsplit("/", 1)[-1]
        sub = graph.value(item, URIRef(GOVSM + "aboutSubFactor"))
        label = str(graph.value(sub, SKOS.prefLabel))
        direction = str(graph.value(item, URIRef(GOVSM + "indicatesDirection"))).rsplit("#")[-1]
        quote = graph.value(item, URIRef(GOVSM + "hasQuote"))
        assert graph.value(quote, URIRef(OA + "start")) is None  # the export has no positions
        found.add((study, label, direction, str(graph.value(quote, URIRef(OA + "exact")))))
    return found


@pytest.mark.parametrize("name", ["highlights.csv", "highlights.xlsx"])
def test_taguette_highlights_are_coded_evidence(project: Path, name: str) -> None:
    result = runner.invoke(app, ["import", str(FIXTURES / name), "--project", str(project)])
    assert result.exit_code == 0, result.output
    assert "4 evidence item(s)" in result.output
    assert _evidence(_graph(project)) == _expected()
    validated = runner.invoke(app, ["validate", "--data", str(project / "data"), "--full"])
    assert validated.exit_code == 0, validated.output


def test_taguette_code_book_is_a_taxonomy_with_definitions(project: Path) -> None:
    result = runner.invoke(
        app, ["import", str(FIXTURES / "codebook.csv"), "--project", str(project)]
    )
    assert result.exit_code == 0, result.output
    graph = _graph(project)
    labels = {
        str(graph.value(c, SKOS.prefLabel))
        for c in graph.subjects(RDF.type, URIRef(GOVSM + "SubFactor"))
    }
    assert labels == {"Policies", "Usability", "Skills"}
    policies = next(graph.subjects(SKOS.prefLabel, Literal("Policies", lang="en")))
    with (FIXTURES / "codebook.csv").open(encoding="utf-8", newline="") as f:
        described = {r["tag"]: r["description"] for r in csv.DictReader(f)}
    assert (
        str(graph.value(policies, SKOS.definition)) == described["Factors.Organisational.Policies"]
    )
    # the direction tags are not concepts
    assert not set(graph.subjects(SKOS.prefLabel, Literal("Facilitator", lang="en")))


def _bad_copy(tmp_path: Path, old: str, new: str) -> Path:
    text = (FIXTURES / "highlights.csv").read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "highlights.csv"
    path.write_bytes(text.replace(old, new).encode("utf-8"))
    return path


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        # one highlight, two contents: its second row names the first
        (
            "2,mergel2016,Direction.Facilitator,easy to post",
            "2,mergel2016,Direction.Facilitator,easy",
            ["line 5", "highlight 2", "another document or content on line 4"],
        ),
        # a document named after no reference
        (
            "4,smith2020,",
            "4,nobody2001,",
            ["highlight 4", "named after no reference"],
        ),
        (
            "3,smith2020,Direction.Barrier,",
            "3,smith2020,Direction.Sideways,",
            ["'Sideways'", "names no direction"],
        ),
    ],
)
def test_a_bad_highlights_file_names_the_row_and_writes_nothing(
    project: Path, tmp_path: Path, old: str, new: str, words: list[str]
) -> None:
    before = {p.name: p.read_bytes() for p in (project / "data" / "small-review").iterdir()}
    bad = _bad_copy(tmp_path, old, new)
    result = runner.invoke(app, ["import", str(bad), "--project", str(project)])
    assert result.exit_code == 2
    # the console wraps the message at its width, wherever the temporary path's length puts it
    said = " ".join(result.output.split())
    for word in words:
        assert word in said, result.output
    assert "Traceback" not in result.output
    after = {p.name: p.read_bytes() for p in (project / "data" / "small-review").iterdir()}
    assert after == before
