"""``govsm init``: a new review's folder that validates and builds as it is, never
overwritten, with a readable slug."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from rdflib import Dataset, Graph, URIRef
from rdflib.namespace import DCTERMS, RDF, SKOS
from support.importing import TWO_STUDIES_BIB, qdpx_of
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


BIB = TWO_STUDIES_BIB
CSV = """study,factor,subfactor,direction,quote,location,coder
mergel2016,Organisational,Policies,facilitator,"a written policy helped",Findings,Ana Coder
smith2020,Technological,Usability,barrier,"citizens could not find the service",Results,Ben Coder
"""


def _qdpx(tmp_path: Path) -> Path:
    """The small REFI-QDA fixture as the .qdpx archive a QDA program exports."""
    return qdpx_of(FIXTURES / "refiqda-small", tmp_path / "coding.qdpx")


@pytest.mark.parametrize("coding", ["csv", "qdpx"])
def test_a_review_from_references_and_codings_validates(tmp_path: Path, coding: str) -> None:
    runner.invoke(app, ["init", str(tmp_path / "p"), "--title", "Small review"])
    bib = tmp_path / "refs.bib"
    bib.write_text(BIB, encoding="utf-8")
    if coding == "csv":
        codings = tmp_path / "coding.csv"
        codings.write_text(CSV, encoding="utf-8")
    else:
        codings = _qdpx(tmp_path)
    args = ["import", str(bib), str(codings), "--project", str(tmp_path / "p")]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    folder = tmp_path / "p" / "data" / "small-review"
    written = {p.name: p.read_bytes() for p in folder.glob("*-imported*.ttl")}
    assert "evidence-imported-coding.ttl" in written and "taxonomy-imported-coding.ttl" in written
    again = runner.invoke(app, args)
    assert again.exit_code == 0, again.output
    assert {p.name: p.read_bytes() for p in folder.glob("*-imported*.ttl")} == written
    graph = Graph()
    for path in folder.glob("*.ttl"):
        graph.parse(path)
    items = set(graph.subjects(RDF.type, URIRef("https://w3id.org/govsm/ontology#EvidenceItem")))
    assert len(items) >= 2
    validated = runner.invoke(app, ["validate", "--data", str(tmp_path / "p" / "data"), "--full"])
    assert validated.exit_code == 0, validated.output


GOVSM_NS = "https://w3id.org/govsm/ontology#"


def test_the_review_cites_every_imported_study_in_the_built_graph(tmp_path: Path) -> None:
    runner.invoke(app, ["init", str(tmp_path), "--title", "Chatbots"])
    imported = runner.invoke(
        app, ["import", str(FIXTURES / "refs.bib"), "--project", str(tmp_path)]
    )
    assert imported.exit_code == 0, imported.output
    out = tmp_path / "dist"
    built = runner.invoke(
        app, ["build", "--data", str(tmp_path / "data"), "--out", str(out), "--no-reason"]
    )
    assert built.exit_code == 0, built.output
    dataset = Dataset(default_union=True)
    dataset.parse(out / "govsm.nq", format="nquads")
    review = "<https://w3id.org/govsm/id/review/chatbots>"
    prefix = f"PREFIX govsm: <{GOVSM_NS}>\n"
    assert dataset.query(prefix + f"ASK {{ {review} govsm:citesWork ?study }}").askAnswer
    uncited = (
        f"ASK {{ ?study a govsm:Study FILTER NOT EXISTS {{ {review} govsm:citesWork ?study }} }}"
    )
    assert not dataset.query(prefix + uncited).askAnswer
    assert len(set(dataset.subjects(RDF.type, URIRef(GOVSM_NS + "Study")))) == 4


@pytest.mark.parametrize("good", ["refs.bib", "codes.csv"])
def test_one_bad_file_and_nothing_is_written(tmp_path: Path, good: str) -> None:
    runner.invoke(app, ["init", str(tmp_path / "p"), "--title", "Small review"])
    folder = tmp_path / "p" / "data" / "small-review"
    (tmp_path / "refs.bib").write_text(BIB, encoding="utf-8")
    (tmp_path / "codes.csv").write_text(
        "factor,subfactor,synonyms,definition\nOrganisational,Policies,,\n", encoding="utf-8"
    )
    bad = tmp_path / "coding.csv"
    bad.write_text(CSV.replace("facilitator", "helpful"), encoding="utf-8")
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    args = ["import", str(tmp_path / good), str(bad), "--project", str(tmp_path / "p")]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "coding.csv: line 2: unknown direction 'helpful'" in result.output
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before


def test_a_bad_settings_file_stops_the_import(tmp_path: Path) -> None:
    runner.invoke(app, ["init", str(tmp_path), "--title", "Chatbots"])
    (tmp_path / "govsm-import.toml").write_text('[refi-qda]\nfactor = "Codes"\n', encoding="utf-8")
    result = runner.invoke(app, ["import", str(FIXTURES / "refs.bib"), "--project", str(tmp_path)])
    assert result.exit_code == 2, result.output
    assert "govsm-import.toml: [refi-qda] key 'factor': unknown" in result.output
    assert not list((tmp_path / "data" / "chatbots").glob("*-imported*.ttl"))


def test_a_review_from_a_taguette_codebook_then_coded_evidence(tmp_path: Path) -> None:
    project = tmp_path / "p"
    runner.invoke(app, ["init", str(project), "--title", "Small review"])
    settings = project / "govsm-import.toml"
    settings.write_text(
        settings.read_text(encoding="utf-8").replace('# separator = "."', 'separator = "."'),
        encoding="utf-8",
    )
    bib = tmp_path / "refs.bib"
    bib.write_text(BIB, encoding="utf-8")
    coding = tmp_path / "coding.csv"
    coding.write_text(
        CSV + 'smith2020,Organisational,Staff capacity,barrier,"no one was trained",Results,\n',
        encoding="utf-8",
    )
    codebook = FIXTURES / "taguette" / "codebook.qdc"
    args = ["import", str(bib), str(codebook), str(coding), "--project", str(project)]
    first = runner.invoke(app, args)
    assert first.exit_code == 0, first.output
    folder = project / "data" / "small-review"
    taxonomy = Graph().parse(folder / "taxonomy-imported-codebook.ttl")
    assert len(set(taxonomy.subjects(RDF.type, URIRef(GOVSM_NS + "SubFactor")))) == 3
    assert not (folder / "taxonomy-imported-coding.ttl").exists()  # the code book had them all
    validated = runner.invoke(app, ["validate", "--data", str(project / "data"), "--full"])
    assert validated.exit_code == 0, validated.output


def test_the_settings_file_sets_the_qdpx_conventions(tmp_path: Path) -> None:
    project = tmp_path / "p"
    runner.invoke(app, ["init", str(project), "--title", "Small review"])
    bib = tmp_path / "refs.bib"
    bib.write_text(BIB, encoding="utf-8")
    qdpx = _qdpx(tmp_path)
    renamed = tmp_path / "renamed.qdpx"
    with zipfile.ZipFile(qdpx) as src, zipfile.ZipFile(renamed, "w") as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "project.qde":
                data = data.replace(b'name="Factors"', b'name="Themes"')
            out.writestr(info, data)
    args = ["import", str(bib), str(renamed), "--project", str(project)]
    without = runner.invoke(app, args)
    assert without.exit_code == 2 and "no top-level code 'Factors'" in without.output
    (project / "govsm-import.toml").write_text('[refi-qda]\nfactors = "themes"\n', encoding="utf-8")
    with_settings = runner.invoke(app, args)
    assert with_settings.exit_code == 0, with_settings.output
    evidence = Graph().parse(project / "data" / "small-review" / "evidence-imported-renamed.ttl")
    assert len(set(evidence.subjects(RDF.type, URIRef(GOVSM_NS + "EvidenceItem")))) == 4


def test_import_and_export_take_the_project_from_govsm_project(tmp_path: Path) -> None:
    """As every other command does (kg.config.PROJECT_ENV)."""
    project = tmp_path / "p"
    assert runner.invoke(app, ["init", str(project), "--title", "Small review"]).exit_code == 0
    (tmp_path / "refs.bib").write_text(BIB, encoding="utf-8")
    (tmp_path / "coding.csv").write_text(CSV, encoding="utf-8")
    env = {"GOVSM_PROJECT": str(project)}
    files = [str(tmp_path / "refs.bib"), str(tmp_path / "coding.csv")]
    result = runner.invoke(app, ["import", *files], env=env)
    assert result.exit_code == 0, result.output
    assert (project / "data" / "small-review" / "evidence-imported-coding.ttl").is_file()
    out = tmp_path / "back.csv"
    result = runner.invoke(app, ["export", "csv", "-o", str(out)], env=env)
    assert result.exit_code == 0, result.output
    assert "a written policy helped" in out.read_text(encoding="utf-8")


def test_the_prisma_template_uncommented_validates_and_its_counts_are_checked(
    tmp_path: Path,
) -> None:
    """review.ttl's commented PRISMA 2020 flow: uncommented as it is, its counts add up;
    with one number changed, validation fails naming the counts."""
    assert runner.invoke(app, ["init", str(tmp_path), "--title", "Chatbots"]).exit_code == 0
    path = tmp_path / "data" / "chatbots" / "review.ttl"
    text = path.read_text(encoding="utf-8")
    assert "# <https://w3id.org/govsm/id/review/chatbots> govsm:hasSelectionFlow" in text
    head, _, template = text.partition("## PRISMA 2020 flow")
    lines = [line[2:] if line.startswith("# ") else line for line in template.splitlines()]
    lines = [head + "## PRISMA 2020 flow" + lines[0], *lines[1:]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    flow = Graph().parse(path)
    assert len(list(flow.objects(None, URIRef(GOVSM_REVIEW[:-6] + "hasFlowCount")))) == 16
    validated = runner.invoke(app, ["validate", "--data", str(tmp_path / "data")])
    assert validated.exit_code == 0, validated.output
    path.write_text(path.read_text(encoding="utf-8").replace('"22"^^', '"23"^^'), encoding="utf-8")
    failed = runner.invoke(app, ["validate", "--data", str(tmp_path / "data")])
    assert failed.exit_code == 1, failed.output
    assert "reports of included studies (23) ≠ reports assessed for eligibility" in failed.output
