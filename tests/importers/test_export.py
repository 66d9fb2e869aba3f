"""``govsm export csv|qdpx`` (kg.importers.export): import(export(x)) gives the same
evidence graph up to the evidence items' own IRIs (tests/support/evidence.py), on a small
project made with ``govsm init`` + ``govsm import`` and on the first review's data; the
.qdpx validates against the REFI-QDA Project XSD; what a format cannot carry is named
exactly, and the items not exported are listed with their reason."""

from __future__ import annotations

import csv
import io
import shutil
import zipfile
from pathlib import Path

import pytest
from lxml import etree
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF
from support.evidence import (
    evidence_difference,
    evidence_graph,
    evidence_items,
    folder_graph,
    without_evidence_iris,
)
from support.importing import TWO_STUDIES_BIB, qdpx_of
from typer.testing import CliRunner

from kg.cli.app import app
from kg.importers.export import (
    COLUMNS,
    Export,
    ExportFailure,
    ExportRow,
    export_bytes,
    losses,
    read_export,
)
from kg.importers.refiqda import read_qdpx

runner = CliRunner()
REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "importers"
FIRST = REPO / "data" / "social-media-service-delivery"
PINNED_XSD = REPO / "kg" / "importers" / "refiqda" / "schema" / "Project.xsd"
GOVSM = "https://w3id.org/govsm/ontology#"
OA = "http://www.w3.org/ns/oa#"
IN_SECTION, BASIS = URIRef(GOVSM + "inSection"), URIRef(GOVSM + "codingBasis")
START, END = URIRef(OA + "start"), URIRef(OA + "end")

BIB = TWO_STUDIES_BIB
# a direction and none, two coders, one quote coded with two sub-factors, a quote with a
# line break and a comma, every basis, positions on one row, non-ASCII text
CSV = """study,factor,subfactor,direction,quote,location,coder,basis,start,end
mergel2016,Organisational,Policies,facilitator,"a written policy helped",Findings,Ana Coder,,,
mergel2016,Organisational,Staff capacity,barrier,"staff lack skills, and time",Methods,Ana,,120,147
mergel2016,Technological,Usability,,"Chatbots at the counter",,Ben Coder,title,,
smith2020,Technological,Usability,barrier,"citizens could not
find the service",Results,Ben Coder,abstract,,
smith2020,Organisational,Policies,mixed,"the café's rules cut both ways",Discussion,Ana Coder,,,
smith2020,Technological,Usability,mixed,"the café's rules cut both ways",Discussion,Ana Coder,,,
"""


def project(root: Path, *files: Path) -> Path:
    """``govsm init ROOT`` then ``govsm import FILES``; the review's folder."""
    made = runner.invoke(app, ["init", str(root), "--title", "Small review"])
    assert made.exit_code == 0, made.output
    if files:
        result = runner.invoke(app, ["import", *map(str, files), "--project", str(root)])
        assert result.exit_code == 0, result.output
    return root / "data" / "small-review"


@pytest.fixture
def small(tmp_path: Path) -> Path:
    """The small project: references and coded evidence imported from a CSV."""
    (tmp_path / "refs.bib").write_text(BIB, encoding="utf-8")
    (tmp_path / "coding.csv").write_text(CSV, encoding="utf-8")
    return project(tmp_path / "small", tmp_path / "refs.bib", tmp_path / "coding.csv")


def export(kind: str, root: Path, out: Path) -> Path:
    """``govsm export KIND --project ROOT -o OUT``."""
    result = runner.invoke(app, ["export", kind, "--project", str(root), "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def reimport(tmp_path: Path, exported: Path) -> Path:
    """A fresh project with the same references, and the export imported into it."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    (tmp_path / "refs.bib").write_text(BIB, encoding="utf-8")
    return project(tmp_path / "fresh", tmp_path / "refs.bib", exported)


def assert_same(a: Graph, b: Graph, drop: tuple[URIRef, ...] = ()) -> None:
    one, two = evidence_graph(a, drop=drop), evidence_graph(b, drop=drop)
    assert len(one) > 0
    difference = evidence_difference(one, two)
    assert not difference, difference


def assert_valid_qdpx(path: Path) -> None:
    """project.qde validates against the REFI-QDA Project XSD (the pinned copy, which
    tests/importers/test_refiqda.py checks is the shared one)."""
    schema = etree.XMLSchema(etree.parse(str(PINNED_XSD)))
    with zipfile.ZipFile(path) as archive:
        document = etree.fromstring(archive.read("project.qde"))
    assert schema.validate(document), schema.error_log


# --- the small project -----------------------------------------------------------------


def test_csv_round_trip_gives_the_same_evidence(small: Path, tmp_path: Path) -> None:
    out = export("csv", small.parents[1], tmp_path / "exported.csv")
    fresh = reimport(tmp_path, out)
    original = folder_graph(small)
    assert len(evidence_items(original)) == 6
    # the importer keeps a quote's line break (a quoted CSV field spanning two lines)
    assert Literal("citizens could not\nfind the service") in set(original.objects())
    assert_same(original, folder_graph(fresh))


def test_the_csv_has_the_importers_columns_sorted_and_verbatim(small: Path, tmp_path: Path) -> None:
    out = export("csv", small.parents[1], tmp_path / "exported.csv")
    text = out.read_text(encoding="utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    assert tuple(rows[0]) == COLUMNS
    keys = [tuple(r[c] for c in COLUMNS[:5]) for r in rows]
    assert keys == sorted(keys) and {r["study"] for r in rows} == {"mergel2016", "smith2020"}
    assert "citizens could not\nfind the service" in {r["quote"] for r in rows}
    staff = next(r for r in rows if r["subfactor"] == "Staff capacity")
    assert (staff["direction"], staff["coder"], staff["start"]) == ("preventer", "Ana", "120")
    assert {r["basis"] for r in rows} == {"full text", "title", "abstract"}
    # deterministic: the same data export to the same bytes
    assert export("csv", small.parents[1], tmp_path / "again.csv").read_bytes() == out.read_bytes()


def test_qdpx_validates_and_round_trips_but_for_what_it_cannot_carry(
    small: Path, tmp_path: Path
) -> None:
    out = export("qdpx", small.parents[1], tmp_path / "exported.qdpx")
    assert_valid_qdpx(out)
    project_ = read_qdpx(out)
    assert [c.name for c in project_.codes] == ["Factors", "Direction"]
    assert sorted(s.name for s in project_.sources) == ["mergel2016", "smith2020"]
    # the source text is built from the quotes: every selection selects its quote
    quotes = {project_.source(s.source).text[s.start : s.end] for s in project_.selections}
    assert "the café's rules cut both ways" in quotes
    fresh = reimport(tmp_path, out)
    original, back = folder_graph(small), folder_graph(fresh)
    # a REFI-QDA selection has no section, basis or original position: exactly these go
    lost = (IN_SECTION, BASIS, START, END)
    assert all(any(original.triples((None, p, None))) for p in lost)
    assert_same(original, back, drop=lost)
    assert set(back.objects(None, BASIS)) == {URIRef(GOVSM + "basisStudyFullText")}
    assert export_bytes(read_export([small]), "qdpx", "exported") == out.read_bytes()


def test_evidence_imported_from_a_qdpx_round_trips_with_its_positions(tmp_path: Path) -> None:
    folder = FIXTURES / "refiqda-small"
    coded = qdpx_of(folder, tmp_path / "coding.qdpx")
    (tmp_path / "refs.bib").write_text(BIB, encoding="utf-8")
    small = project(tmp_path / "small", tmp_path / "refs.bib", coded)
    original = folder_graph(small)
    assert any(original.triples((None, START, None)))
    out = export("csv", small.parents[1], tmp_path / "exported.csv")
    assert_same(original, folder_graph(reimport(tmp_path / "csv", out)))
    out = export("qdpx", small.parents[1], tmp_path / "exported.qdpx")
    back = folder_graph(reimport(tmp_path / "qdpx", out))
    # the original text is not in the graph: the positions are into the exported text
    assert_same(original, back, drop=(START, END))


def test_the_comparison_can_fail(small: Path, tmp_path: Path) -> None:
    """The helper is not vacuous: one changed quote is a difference."""
    out = export("csv", small.parents[1], tmp_path / "exported.csv")
    text = out.read_text(encoding="utf-8").replace("a written policy helped", "a policy helped")
    out.write_text(text, encoding="utf-8")
    fresh = reimport(tmp_path, out)
    one, two = evidence_graph(folder_graph(small)), evidence_graph(folder_graph(fresh))
    assert "a written policy helped" in evidence_difference(one, two)


# --- the first review ------------------------------------------------------------------

#: What the first review's evidence items say that the CSV has no column for (the
#: importer writes none of them): the coder's note, the quote's surrounding context, the
#: platforms a quote names. The round trip compares everything else.
NOT_IN_CSV = {
    DCTERMS.description,
    URIRef(OA + "prefix"),
    URIRef(OA + "suffix"),
    URIRef(GOVSM + "mentionsPlatform"),
}


#: What a CSV import writes on an evidence item and its quote.
CARRIED = {RDF.type, IN_SECTION, BASIS, START, END, URIRef(OA + "exact")} | {
    URIRef(GOVSM + p)
    for p in ("evidenceSource", "aboutSubFactor", "indicatesDirection", "codedBy", "hasQuote",
              "quotedFrom")
}  # fmt: skip


def first_review_without_evidence(tmp_path: Path) -> Path:
    """The first review's folder with its references, taxonomy ... but no evidence.ttl."""
    copy = tmp_path / "data" / FIRST.name
    shutil.copytree(FIRST, copy, ignore=shutil.ignore_patterns("evidence.ttl"))
    return copy


def importable(graph: Graph) -> tuple[set[URIRef], set[URIRef]]:
    """The first review's items the importer can take back (source a study, basis one it
    has a word for), and the others; from the data, independently of the exporter."""
    known = {URIRef(GOVSM + b) for b in ("basisStudyFullText", "basisStudyAbstract")}
    known.add(URIRef(GOVSM + "basisStudyTitle"))
    items = evidence_items(graph)
    ok = {
        i
        for i in items
        if (graph.value(i, URIRef(GOVSM + "evidenceSource")), RDF.type, URIRef(GOVSM + "Study"))
        in graph
        and graph.value(i, BASIS) in known
    }
    return ok, items - ok


@pytest.mark.parametrize("kind", ["csv", "qdpx"])
def test_the_first_review_round_trips(tmp_path: Path, kind: str) -> None:
    original = folder_graph(FIRST)
    exported = read_export([FIRST])
    ok, others = importable(original)
    # nothing silently lost: each item is exported or listed with its reason
    assert {URIRef(r.item) for r in exported.rows} == ok and len(ok) >= 9
    assert {URIRef(i) for i, _ in exported.skipped} == others
    out = tmp_path / f"first.{kind}"
    result = runner.invoke(app, ["export", kind, "--data", str(FIRST), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"{len(others)} evidence item(s) not exported" in result.output
    if kind == "qdpx":
        assert_valid_qdpx(out)
        bases = sum(1 for row in exported.rows if row.basis != "full text")
        assert f"{bases} row(s) have a basis other than full text" in result.output
    copy = first_review_without_evidence(tmp_path)
    imported = runner.invoke(
        app, ["import", str(out), "--project", str(tmp_path), "--review", FIRST.name]
    )
    assert imported.exit_code == 0, imported.output
    back = folder_graph(copy)
    present = {p for i in ok for p in original.predicates(i)}
    present |= {p for i in ok for q in original.objects(i, URIRef(GOVSM + "hasQuote"))
                for p in original.predicates(q)}  # fmt: skip
    # exactly what the exported items say beyond the CSV's columns, each a known loss
    drop = present - CARRIED
    assert drop <= NOT_IN_CSV, drop - NOT_IN_CSV
    if kind == "qdpx":
        # no section or basis in a REFI-QDA selection; positions are into the built text
        drop |= {IN_SECTION, BASIS, START, END}
    one = evidence_graph(original, ok, drop)
    two = evidence_graph(back, drop=drop)
    difference = evidence_difference(one, two)
    assert not difference, difference


def small_folder_for_refusals(tmp_path: Path) -> Path:
    """A folder with evidence (the small project's), to refuse an unwritable output."""
    (tmp_path / "refs.bib").write_text(BIB, encoding="utf-8")
    (tmp_path / "coding.csv").write_text(CSV, encoding="utf-8")
    return project(tmp_path / "full", tmp_path / "refs.bib", tmp_path / "coding.csv")


def test_a_folder_without_evidence_is_refused(tmp_path: Path) -> None:
    folder = project(tmp_path / "empty")
    with pytest.raises(ExportFailure, match="no evidence items"):
        read_export([folder])
    out = tmp_path / "out.csv"
    out.write_text("previous", encoding="utf-8")
    result = runner.invoke(
        app, ["export", "csv", "--project", str(tmp_path / "empty"), "-o", str(out)]
    )
    assert result.exit_code == 2 and "no evidence items" in result.output
    assert out.read_text(encoding="utf-8") == "previous"
    for args in (["--review", "nope"], ["--data", str(tmp_path / "missing")]):
        result = runner.invoke(
            app, ["export", "csv", "--project", str(tmp_path / "empty"), *args, "-o", str(out)]
        )
        assert result.exit_code == 2, result.output
    full = small_folder_for_refusals(tmp_path)
    for target in (tmp_path, tmp_path / "missing" / "out.csv"):
        result = runner.invoke(app, ["export", "csv", "--data", str(full), "-o", str(target)])
        assert result.exit_code == 2, result.output
        assert "cannot be written" in result.output or "is a folder" in result.output
    result = runner.invoke(app, ["export", "pdf", "--project", str(tmp_path), "-o", str(out)])
    assert result.exit_code == 2 and "csv, qdpx" in result.output


def test_the_qdpx_follows_the_projects_conventions(small: Path, tmp_path: Path) -> None:
    """A project whose govsm-import.toml renames the codes exports a .qdpx it reads back."""
    settings = '[refi-qda]\nfactors = "Themes"\ndirection = "Sign"\n'
    settings += (
        '[refi-qda.directions]\ndriver = ["plus"]\npreventer = ["minus"]\nmixed = ["both"]\n'
    )
    (small.parents[1] / "govsm-import.toml").write_text(settings, encoding="utf-8")
    out = export("qdpx", small.parents[1], tmp_path / "exported.qdpx")
    codes = read_qdpx(out).codes
    assert [c.name for c in codes] == ["Themes", "Sign"]
    assert [c.name for c in codes[1].children] == ["plus", "minus", "both"]
    (tmp_path / "refs.bib").write_text(BIB, encoding="utf-8")
    fresh = project(tmp_path / "fresh")
    (tmp_path / "fresh" / "govsm-import.toml").write_text(settings, encoding="utf-8")
    result = runner.invoke(
        app, ["import", str(tmp_path / "refs.bib"), str(out), "--project", str(tmp_path / "fresh")]
    )
    assert result.exit_code == 0, result.output
    assert_same(folder_graph(small), folder_graph(fresh), drop=(IN_SECTION, BASIS, START, END))


def test_the_whole_folder_round_trips_up_to_evidence_iris(small: Path, tmp_path: Path) -> None:
    """Beyond the items: the taxonomy, studies and agents an import of the export writes
    are those of the original (the whole folder's graphs are isomorphic)."""
    out = export("csv", small.parents[1], tmp_path / "exported.csv")
    fresh = reimport(tmp_path, out)
    one, two = (without_evidence_iris(folder_graph(f)) for f in (small, fresh))
    assert not evidence_difference(one, two), evidence_difference(one, two)


def test_items_the_importer_cannot_take_back_are_listed_not_exported(small: Path) -> None:
    """A sub-factor with no factor, and a source that is no study: named with the reason."""
    loose = """@prefix govsm: <https://w3id.org/govsm/ontology#> .
@prefix oa: <http://www.w3.org/ns/oa#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
<https://w3id.org/govsm/id/subfactor/loose> a govsm:SubFactor ; skos:prefLabel "loose"@en .
<https://w3id.org/govsm/id/evidence/x1> a govsm:EvidenceItem ;
    govsm:evidenceSource <https://w3id.org/govsm/id/study/mergel-2016> ;
    govsm:codingBasis govsm:basisStudyFullText ;
    govsm:aboutSubFactor <https://w3id.org/govsm/id/subfactor/loose> ;
    govsm:hasQuote [ a oa:TextQuoteSelector ; oa:exact "a loose quote" ] .
<https://w3id.org/govsm/id/evidence/x2> a govsm:EvidenceItem ;
    govsm:evidenceSource <https://w3id.org/govsm/id/review/small-review> ;
    govsm:codingBasis govsm:basisReviewStatement ;
    govsm:aboutSubFactor <https://w3id.org/govsm/id/subfactor/policies> ;
    govsm:hasQuote [ a oa:TextQuoteSelector ; oa:exact "the review says so" ] .
"""
    (small / "loose.ttl").write_text(loose, encoding="utf-8")
    exported = read_export([small])
    assert len(exported.rows) == 6
    reasons = dict(exported.skipped)
    assert set(reasons) == {
        "https://w3id.org/govsm/id/evidence/x1",
        "https://w3id.org/govsm/id/evidence/x2",
    }
    assert "no label or no factor" in reasons["https://w3id.org/govsm/id/evidence/x1"]
    assert "not a govsm:Study" in reasons["https://w3id.org/govsm/id/evidence/x2"]


def test_what_a_format_does_not_carry_is_counted() -> None:
    row = ExportRow(
        study="s", factor="f", subfactor="g", direction="", quote=" padded ", location="Results",
        coder="", basis="title", start=3, end=11, item="https://w3id.org/govsm/id/evidence/x",
    )  # fmt: skip
    plain = ExportRow(**{**row.__dict__, "quote": "plain", "location": "", "basis": "full text",
                         "start": None, "end": None})  # fmt: skip
    export_ = Export((row, plain), ())
    assert losses(export_, "csv") == [
        "1 quote(s) begin or end with white space, which import trims"
    ]
    lines = losses(export_, "qdpx")
    assert len(lines) == 4 and all(line.startswith("1 ") for line in lines)
    assert losses(Export((plain,), ()), "qdpx") == []
