"""Code books alone (issue 17): a REFI-QDA ``.qdc`` or a CSV/XLSX taxonomy (factor,
subfactor, synonyms, definition) into ``taxonomy-imported-<stem>.ttl``; synonyms as
skos:altLabel that later evidence imports match; concepts the taxonomy has not added
twice; a spreadsheet's kind told by its header."""

from __future__ import annotations

from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import RDF, SKOS

from kg.importers.project import plan_import, run_import
from kg.importers.refmodel import ImportFailure
from kg.importers.scaffold import init_project

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "importers"
GOVSM = "https://w3id.org/govsm/ontology#"
ID = "https://w3id.org/govsm/id/"
TAXONOMY_CSV = """factor,subfactor,synonyms,definition
Organisational,,Organizational; Org,Inside the government organisation.
Organisational,Staff capacity,skills | staff skills,Whether staff can run the service.
Technological,Usability,ease of use,
Organisational,Policies,,
"""
BIB = """@article{mergel2016,
  author = {Mergel, Ines},
  title = {Social media institutionalization},
  journal = {Government Information Quarterly},
  year = {2016},
}
"""


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A review folder as ``govsm init`` makes it."""
    return init_project(tmp_path / "p", "A review", "a-review").folder


def _concepts(path: Path) -> dict[str, URIRef]:
    graph = Graph().parse(path)
    found = {}
    for kind in ("Factor", "SubFactor"):
        for concept in graph.subjects(RDF.type, URIRef(GOVSM + kind)):
            found[f"{kind}:{graph.value(concept, SKOS.prefLabel)}"] = concept
    return found


def test_a_qdc_gives_factors_subfactors_and_definitions(folder: Path) -> None:
    qdc = FIXTURES / "refiqda-small" / "codebook.qdc"
    run_import([qdc], folder)
    out = folder / "taxonomy-imported-codebook.ttl"
    graph = Graph().parse(out)
    assert sorted(_concepts(out)) == [
        "Factor:Organisational",
        "Factor:Technological",
        "SubFactor:Policies",
        "SubFactor:Staff capacity",
        "SubFactor:Usability",
    ]  # the direction codes are not concepts
    org = URIRef(ID + "factor/organisational")
    assert graph.value(org, SKOS.definition) == Literal(
        "Inside the government organisation.", lang="en"
    )
    assert (
        URIRef(ID + "subfactor/usability"),
        SKOS.broader,
        URIRef(ID + "factor/technological"),
    ) in graph
    scheme = URIRef(ID + "scheme/a-review-factors")
    assert set(graph.objects(None, SKOS.inScheme)) == {scheme}
    before = out.read_bytes()
    run_import([qdc], folder)
    assert out.read_bytes() == before


def test_a_taguette_codebook_with_the_separator_is_the_same_taxonomy(tmp_path: Path) -> None:
    one = init_project(tmp_path / "one", "A review", "a-review").folder
    two = init_project(tmp_path / "two", "A review", "a-review").folder
    run_import([FIXTURES / "refiqda-small" / "codebook.qdc"], one)
    run_import([FIXTURES / "taguette" / "codebook.qdc"], two, {"separator": "."})
    assert _concepts(one / "taxonomy-imported-codebook.ttl") == _concepts(
        two / "taxonomy-imported-codebook.ttl"
    )
    # without the separator Taguette's flat tags hold no factor: nothing added
    three = init_project(tmp_path / "three", "A review", "a-review").folder
    run_import([FIXTURES / "taguette" / "codebook.qdc"], three)
    assert _concepts(three / "taxonomy-imported-codebook.ttl") == {}


def test_a_csv_taxonomy_with_synonyms_that_evidence_then_matches(
    tmp_path: Path, folder: Path
) -> None:
    codes = tmp_path / "codes.csv"
    codes.write_text(TAXONOMY_CSV, encoding="utf-8")
    run_import([codes], folder)
    out = folder / "taxonomy-imported-codes.ttl"
    graph = Graph().parse(out)
    staff = URIRef(ID + "subfactor/staff-capacity")
    assert set(graph.objects(staff, SKOS.altLabel)) == {
        Literal("skills", lang="en"),
        Literal("staff skills", lang="en"),
    }
    org = URIRef(ID + "factor/organisational")
    assert set(graph.objects(org, SKOS.altLabel)) == {
        Literal("Organizational", lang="en"),
        Literal("Org", lang="en"),
    }
    assert graph.value(org, SKOS.definition) == Literal(
        "Inside the government organisation.", lang="en"
    )
    assert (staff, SKOS.broader, org) in graph and (
        URIRef(ID + "subfactor/policies"),
        SKOS.broader,
        org,
    ) in graph
    bib = tmp_path / "refs.bib"
    bib.write_text(BIB, encoding="utf-8")
    coding = tmp_path / "coding.csv"
    coding.write_text(
        "study,factor,subfactor,direction,quote\n"
        "mergel2016,org,Staff Skills,barrier,staff lacked the skills\n",
        encoding="utf-8",
    )
    run_import([bib, coding], folder)
    # the synonyms matched: no concept added for the codings, the item is about staff capacity
    assert not (folder / "taxonomy-imported-coding.ttl").exists()
    evidence = Graph().parse(folder / "evidence-imported-coding.ttl")
    assert set(evidence.objects(None, URIRef(GOVSM + "aboutSubFactor"))) == {staff}


def test_a_concept_the_taxonomy_has_is_not_added_twice(tmp_path: Path, folder: Path) -> None:
    scheme = f"<{ID}scheme/a-review-factors>"
    (folder / "taxonomy.ttl").write_text(
        (folder / "taxonomy.ttl").read_text(encoding="utf-8")
        + f"""
<{ID}factor/org-hand> a govsm:Factor ; skos:inScheme {scheme} ;
    skos:prefLabel "Organisation"@en ; skos:altLabel "Organisational"@en .
<{ID}subfactor/skills-hand> a govsm:SubFactor ; skos:inScheme {scheme} ;
    skos:broader <{ID}factor/org-hand> ; skos:prefLabel "Skills"@en .
""",
        encoding="utf-8",
    )
    codes = tmp_path / "codes.csv"
    codes.write_text(TAXONOMY_CSV, encoding="utf-8")
    lines = run_import([codes], folder)
    found = _concepts(folder / "taxonomy-imported-codes.ttl")
    # Organisational (an altLabel there) and Staff capacity (its synonym "skills") exist
    assert sorted(found) == ["Factor:Technological", "SubFactor:Policies", "SubFactor:Usability"]
    graph = Graph().parse(folder / "taxonomy-imported-codes.ttl")
    assert graph.value(found["SubFactor:Policies"], SKOS.broader) == URIRef(ID + "factor/org-hand")
    assert any("exists" in line and "Staff capacity" in line for line in lines)


def test_a_header_that_is_neither_kind_is_an_error(tmp_path: Path, folder: Path) -> None:
    odd = tmp_path / "odd.csv"
    odd.write_text("name,colour\nx,red\n", encoding="utf-8")
    with pytest.raises(ImportFailure) as caught:
        plan_import([odd], folder)
    message = str(caught.value)
    assert "odd.csv" in message and "line 1" in message
    assert "coded evidence" in message and "taxonomy" in message and "synonyms" in message


@pytest.mark.parametrize(
    ("text", "where", "reason"),
    [
        ("factor,subfactor\n,Usability\n", "line 2", "factor is empty"),
        ("factor,definition\nA,one\nA,two\n", "line 3", "different definition"),
        ("factor,subfactor\nA,S\nB,S\n", "line 3", "already under 'A'"),
        ("factor,subfactor\nA,???\n", "line 2", "no letter or digit"),
    ],
)
def test_bad_taxonomy_rows_name_the_line(
    tmp_path: Path, folder: Path, text: str, where: str, reason: str
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ImportFailure) as caught:
        run_import([bad], folder)
    assert "bad.csv" in str(caught.value) and where in str(caught.value)
    assert reason in str(caught.value)
    assert not (folder / "taxonomy-imported-bad.ttl").exists()


def test_two_files_writing_one_file_are_refused(tmp_path: Path, folder: Path) -> None:
    codes = tmp_path / "codebook.csv"
    codes.write_text(TAXONOMY_CSV, encoding="utf-8")
    with pytest.raises(ImportFailure, match="taxonomy-imported-codebook.ttl"):
        plan_import([FIXTURES / "refiqda-small" / "codebook.qdc", codes], folder)


def test_a_code_book_and_codings_of_one_name_do_not_replace_each_other(
    tmp_path: Path, folder: Path
) -> None:
    (tmp_path / "refs.bib").write_text(BIB, encoding="utf-8")
    run_import([tmp_path / "refs.bib"], folder)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    codebook = tmp_path / "a" / "codes.csv"
    codebook.write_text(TAXONOMY_CSV, encoding="utf-8")
    codings = tmp_path / "b" / "codes.csv"
    codings.write_text(
        "study,factor,subfactor,quote\nmergel2016,Legal,Privacy,the law forbade it\n",
        encoding="utf-8",
    )
    run_import([codebook], folder)
    written = (folder / "taxonomy-imported-codes.ttl").read_bytes()
    with pytest.raises(ImportFailure, match="holds what a code book of that name imported"):
        run_import([codings], folder)
    assert (folder / "taxonomy-imported-codes.ttl").read_bytes() == written
    (folder / "taxonomy-imported-codes.ttl").unlink()
    run_import([codings], folder)
    with pytest.raises(ImportFailure, match="holds what codings of that name imported"):
        run_import([codebook], folder)
