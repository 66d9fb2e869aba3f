"""kg.importers.references: BibTeX, RIS and CSL-JSON into the project's reference Turtle.

The fixtures (tests/fixtures/importers/refs.{bib,ris,json}) hold the same four references
in the three formats: two articles that are one work (one with a DOI written as a URL in
upper case, one without a DOI and with differently cased title and venue), a conference
paper with a particle and a LaTeX-accented name, and a book with a URL."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from rdflib.compare import graph_diff, isomorphic, to_isomorphic
from rdflib.namespace import DCTERMS, OWL, RDF
from support.projects import validate_files

from kg.importers.references import (
    DATA_QUALITY_FILE,
    REFERENCES_FILE,
    ImportFailure,
    import_references,
)
from kg.importers.refmodel import normalise_doi
from kg.prefixes import GOVSM, PREFIXES

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures" / "importers"
BACKGROUND = REPO / "tests" / "fixtures" / "shapes" / "background.ttl"
STUDY = "https://w3id.org/govsm/id/study/"
BIBO = PREFIXES["bibo"]


def _imported(folder: Path) -> Graph:
    graph = Graph()
    for name in (REFERENCES_FILE, DATA_QUALITY_FILE):
        graph.parse(folder / name, format="turtle")
    return graph


def _copy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / "src" / name
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(FIXTURES / name, target)
    return target


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "data" / "my-review"
    folder.mkdir(parents=True)
    return folder


@pytest.mark.parametrize("name", ["refs.ris", "refs.json"])
def test_the_three_formats_give_one_graph(tmp_path: Path, name: str) -> None:
    bib, other = tmp_path / "bib", tmp_path / "other"
    bib.mkdir(), other.mkdir()
    import_references([FIXTURES / "refs.bib"], bib)
    import_references([FIXTURES / name], other)
    first, second = _imported(bib), _imported(other)
    assert len(first) > 40
    _both, only_bib, only_other = graph_diff(to_isomorphic(first), to_isomorphic(second))
    assert isomorphic(first, second), (sorted(only_bib), sorted(only_other))


def test_two_imports_of_one_file_are_byte_identical(tmp_path: Path) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    first.mkdir(), second.mkdir()
    import_references([FIXTURES / "refs.bib"], first)
    import_references([FIXTURES / "refs.bib"], second)
    for name in (REFERENCES_FILE, DATA_QUALITY_FILE):
        assert (first / name).read_bytes() == (second / name).read_bytes()


def test_the_study_records(data_dir: Path) -> None:
    report = import_references([FIXTURES / "refs.bib"], data_dir)
    assert [(e.key, e.status) for e in report.entries] == [
        ("berg2020book", "added"),
        ("berg2020platforms", "added"),
        ("mergel2013copy", "added"),
        ("mergel2013social", "added"),
    ]
    assert report.lines()[-1] == "4 added, 0 updated, 0 unchanged, 0 skipped; wrote 2 file(s)"
    graph = _imported(data_dir)
    paper = URIRef(STUDY + "van-der-berg-2020-b")
    assert graph.value(paper, DCTERMS.identifier) == Literal("berg2020platforms")
    # LaTeX decoded, braces gone; authors in order, particle kept with the family name.
    assert graph.value(paper, DCTERMS.title) == Literal("Platforms for citizen services")
    authors = list(graph.items(graph.value(paper, URIRef(BIBO + "authorList"))))
    names = [str(graph.value(a, URIRef(PREFIXES["foaf"] + "name"))) for a in authors]
    assert names == ["van der Berg, Jan", "Müller, Hans"]
    assert graph.value(paper, URIRef(BIBO + "pages")) == Literal("12–20")
    # One person and one venue for one normalised name.
    book = URIRef(STUDY + "van-der-berg-2020")
    assert graph.value(book, DCTERMS.creator) == authors[0]
    venues = set(graph.subjects(RDF.type, URIRef(GOVSM + "Venue")))
    assert len(venues) == 3


def test_dois_are_normalised(data_dir: Path) -> None:
    import_references([FIXTURES / "refs.bib"], data_dir)
    graph = _imported(data_dir)
    dois = {
        str(s).removeprefix(STUDY): str(o) for s, o in graph.subject_objects(URIRef(BIBO + "doi"))
    }
    assert dois == {
        "mergel-2013-b": "10.1016/j.giq.2013.05.015",  # from https://doi.org/10.1016/J.GIQ...
        "van-der-berg-2020-b": "10.1145/3396956.3396970",  # from doi:10.1145/...
    }
    assert normalise_doi(" https://dx.doi.org/10.1002/ASI.21344 ") == "10.1002/asi.21344"
    assert normalise_doi("10.1002 /asi.21344") is None
    assert normalise_doi("11.1234/x") is None


def test_a_malformed_doi_is_an_issue_not_a_doi(tmp_path: Path, data_dir: Path) -> None:
    source = _copy(tmp_path, "refs.bib")
    text = source.read_text().replace("doi:10.1145/3396956.3396970", "10.1145 /3396956")
    source.write_text(text)
    report = import_references([source], data_dir)
    graph = _imported(data_dir)
    paper = URIRef(STUDY + "van-der-berg-2020-b")
    assert graph.value(paper, URIRef(BIBO + "doi")) is None
    issue = URIRef("https://w3id.org/govsm/id/data-quality/van-der-berg-2020-b-doi")
    assert graph.value(issue, URIRef(GOVSM + "issueKind")) == URIRef(GOVSM + "malformedIdentifier")
    assert "van-der-berg-2020-b-doi" in [i.slug for i in report.issues]
    # and the DOI as given comes back on a second import: nothing changes.
    again = import_references([source], data_dir)
    assert {e.status for e in again.entries} == {"unchanged"} and again.written == []


def test_duplicates_are_flagged_and_linked_not_merged(data_dir: Path) -> None:
    import_references([FIXTURES / "refs.bib"], data_dir)
    graph = _imported(data_dir)
    first, second = URIRef(STUDY + "mergel-2013"), URIRef(STUDY + "mergel-2013-b")
    assert (first, RDF.type, URIRef(GOVSM + "Study")) in graph
    assert (second, RDF.type, URIRef(GOVSM + "Study")) in graph
    assert (first, OWL.sameAs, second) in graph
    issues = list(graph.subjects(URIRef(GOVSM + "issueKind"), URIRef(GOVSM + "duplicateEntry")))
    assert len(issues) == 1
    assert set(graph.objects(issues[0], URIRef(GOVSM + "concerns"))) == {first, second}


def test_a_duplicate_across_files_and_of_a_hand_written_study(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "review"
    folder.mkdir(parents=True)
    hand = folder / "references.ttl"
    hand.write_text(
        "@prefix govsm: <https://w3id.org/govsm/ontology#> .\n"
        "@prefix bibo: <http://purl.org/ontology/bibo/> .\n"
        "<https://w3id.org/govsm/id/study/mergel-2013> a govsm:Study ;\n"
        '    bibo:doi "10.1016/j.giq.2013.05.015" .\n'
    )
    import_references([FIXTURES / "refs.json"], folder)
    graph = _imported(folder)
    # The hand-written study keeps its IRI: imported ones take others, and all three
    # (hand-written, DOI twin, title twin) are one group.
    assert (URIRef(STUDY + "mergel-2013"), DCTERMS.identifier, None) not in graph
    issues = list(graph.subjects(URIRef(GOVSM + "issueKind"), URIRef(GOVSM + "duplicateEntry")))
    assert len(issues) == 1
    concerned = {
        str(s).removeprefix(STUDY) for s in graph.objects(issues[0], URIRef(GOVSM + "concerns"))
    }
    assert concerned == {"mergel-2013", "mergel-2013-b", "mergel-2013-c"}
    assert hand.read_text().count("govsm:Study") == 1  # the hand-written file untouched


def test_the_same_entry_in_two_files_is_skipped(data_dir: Path) -> None:
    report = import_references([FIXTURES / "refs.bib", FIXTURES / "refs.ris"], data_dir)
    assert report.count("added") == 4
    assert report.count("skipped") == 4
    assert all("refs.bib" in e.reason for e in report.entries if e.status == "skipped")


def test_importing_twice_changes_nothing(data_dir: Path) -> None:
    import_references([FIXTURES / "refs.bib"], data_dir)
    before = {n: (data_dir / n).read_bytes() for n in (REFERENCES_FILE, DATA_QUALITY_FILE)}
    report = import_references([FIXTURES / "refs.bib"], data_dir)
    assert report.written == []
    assert [e.status for e in report.entries] == ["unchanged"] * 4
    assert {n: (data_dir / n).read_bytes() for n in before} == before
    # Another format of the same entries is the same import too.
    assert import_references([FIXTURES / "refs.json"], data_dir).written == []


def test_a_changed_entry_updates_only_its_study(tmp_path: Path, data_dir: Path) -> None:
    source = _copy(tmp_path, "refs.bib")
    import_references([source], data_dir)
    before = _imported(data_dir)
    source.write_text(source.read_text().replace("{Platforms} for citizen", "Platforms for all"))
    report = import_references([source], data_dir)
    assert {e.key: e.status for e in report.entries} == {
        "berg2020book": "unchanged",
        "berg2020platforms": "updated",
        "mergel2013copy": "unchanged",
        "mergel2013social": "unchanged",
    }
    after = _imported(data_dir)
    paper = URIRef(STUDY + "van-der-berg-2020-b")
    _both, gone, new = graph_diff(to_isomorphic(before), to_isomorphic(after))
    assert set(gone) == {(paper, DCTERMS.title, Literal("Platforms for citizen services"))}
    assert set(new) == {(paper, DCTERMS.title, Literal("Platforms for all services"))}


def test_entries_of_another_file_stay(tmp_path: Path, data_dir: Path) -> None:
    import_references([FIXTURES / "refs.bib"], data_dir)
    other = tmp_path / "more.ris"
    other.write_text(
        "TY  - JOUR\nID  - mergel2016\nAU  - Mergel, Ines\nTI  - Social media institutionalization"
        "\nPY  - 2016\nT2  - Government Information Quarterly\nER  - \n"
    )
    report = import_references([other], data_dir)
    assert [(e.key, e.status, e.study) for e in report.entries] == [
        ("mergel2016", "added", STUDY + "mergel-2016")
    ]
    graph = _imported(data_dir)
    assert len(set(graph.subjects(RDF.type, URIRef(GOVSM + "Study")))) == 5


ODD = """[
  {"id": "hub", "type": "webpage", "author": [{"literal": "Novin Hub"}],
   "URL": "https://example.org/a page"},
  {"id": "damaged", "type": "article-journal", "title": "Damaged",
   "author": [{"family": "Roe", "given": "R."}], "DOI": "10.1002 /asi.21344"}
]"""


def test_the_written_turtle_validates(tmp_path: Path, data_dir: Path) -> None:
    odd = tmp_path / "odd.json"
    odd.write_text(ODD)  # no title, a URL with a space, a damaged DOI: issues, valid data
    report = import_references([FIXTURES / "refs.bib", odd], data_dir)
    assert {(i.slug, i.kind) for i in report.issues} == {
        ("hub-nd-title", "incompleteRecord"),
        ("hub-nd-url", "malformedIdentifier"),
        ("roe-nd-doi", "malformedIdentifier"),
        ("mergel-2013-duplicate", "duplicateEntry"),
    }
    assert import_references([FIXTURES / "refs.bib", odd], data_dir).written == []
    report = validate_files(
        tmp_path / "project",
        BACKGROUND,
        data_dir / REFERENCES_FILE,
        data_dir / DATA_QUALITY_FILE,
        checks=False,
    )
    assert report.violations == [], [str(r) for r in report.violations]
    # Warnings the data earns: no reference text (a BibTeX entry is not a printed entry),
    # no DOI or no venue where the entry has none; nothing about issues or persons.
    shapes = {r.shape.rsplit("#", 1)[-1] for r in report.warnings}
    assert "StudyShape-referenceText-minCount" in shapes  # the validation did run
    assert shapes <= {
        "StudyShape-referenceText-minCount",
        "StudyShape-doi-minCount",
        "StudyShape-publishedIn-minCount",
        "StudyShape-hasPublicationYear-minCount",
        "StudyShape-title-minCount",
        "DataQualityIssueShape-hasQuote-minCount",  # an incomplete record quotes nothing
    }, shapes


BAD = [
    ("bad.bib", "@article{good, title={A}, author={B, C}, year=2020}\n\n@article{broken,\n"
     "  title = {Unclosed\n  year = 2020\n", "line 3 (broken)"),
    ("bad.bib", "@article{twice, title={A}, author={B, C}}\n@article{twice, title={D}}\n",
     "line 2 (twice)"),
    ("bad.ris", "TY  - JOUR\nID  - ok\nTI  - A\nER  - \n\nTY  - JOUR\nID  - open\nTI  - B\n",
     "line 6"),
    ("bad.ris", "TY  - JOUR\nTI  - A\nER  - \nstray text\n", "line 4"),
    ("bad.json", '[{"id": "a", "type": "book", "title": "A"},\n {"id": "b", "type": }]',
     "line 2"),
    ("bad.json", '[{"id": "a", "type": "book"}, {"title": "no id"}]', "entry 2"),
    ("bad.txt", "not a reference file", None),
]  # fmt: skip


@pytest.mark.parametrize(("name", "text", "where"), BAD)
def test_malformed_input_names_file_and_entry_and_writes_nothing(
    tmp_path: Path, data_dir: Path, name: str, text: str, where: str | None
) -> None:
    import_references([FIXTURES / "refs.bib"], data_dir)
    before = {p.name: p.read_bytes() for p in data_dir.iterdir()}
    bad = tmp_path / name
    bad.write_text(text)
    with pytest.raises(ImportFailure) as caught:
        import_references([FIXTURES / "refs.ris", bad], data_dir)
    assert caught.value.file == str(bad)
    assert caught.value.where == where
    assert str(bad) in str(caught.value)
    assert {p.name: p.read_bytes() for p in data_dir.iterdir()} == before


def test_one_key_for_two_different_entries_is_an_error(tmp_path: Path, data_dir: Path) -> None:
    other = tmp_path / "other.ris"
    other.write_text("TY  - JOUR\nID  - berg2020book\nAU  - Else, Someone\nTI  - Else\nER  - \n")
    with pytest.raises(ImportFailure, match="citation key also used") as caught:
        import_references([FIXTURES / "refs.bib", other], data_dir)
    assert caught.value.where == "line 1 (berg2020book)"
    assert list(data_dir.iterdir()) == []


def test_an_entry_without_author_or_title(tmp_path: Path, data_dir: Path) -> None:
    source = tmp_path / "web.json"
    source.write_text('[{"id": "page", "type": "webpage", "author": [{"family": "Hub"}]}]')
    import_references([source], data_dir)
    graph = _imported(data_dir)
    issue = URIRef("https://w3id.org/govsm/id/data-quality/hub-nd-title")
    assert graph.value(issue, URIRef(GOVSM + "issueKind")) == URIRef(GOVSM + "incompleteRecord")


def test_an_entry_without_any_author_is_skipped_with_its_reason(
    tmp_path: Path, data_dir: Path
) -> None:
    source = tmp_path / "anon.bib"
    source.write_text("@misc{anon2021, title = {Guidance}, year = 2021}\n")
    report = import_references([source], data_dir)
    (entry,) = report.entries
    assert (entry.key, entry.status, entry.where) == ("anon2021", "skipped", "line 1 (anon2021)")
    assert "no author" in entry.reason
    assert (URIRef(STUDY + "anon2021-2021"), None, None) not in _imported(data_dir)


def test_a_ris_record_without_id_gets_a_derived_key(tmp_path: Path, data_dir: Path) -> None:
    source = tmp_path / "noid.ris"
    source.write_text(
        "TY  - JOUR\nAU  - Mergel, Ines\nTI  - Social media institutionalization\n"
        "PY  - 2016\nER  - \n"
    )
    (entry,) = import_references([source], data_dir).entries
    assert (entry.key, entry.status) == ("mergel-2016-social-media-institutionalization", "added")
    (again,) = import_references([source], data_dir).entries
    assert again.status == "unchanged"


def test_importing_into_the_review_folder_keeps_it_valid(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "social-media-service-delivery"
    shutil.copytree(REPO / "data" / "social-media-service-delivery", folder)
    hand = {p.name: p.read_bytes() for p in folder.iterdir()}
    report = import_references([FIXTURES / "refs.bib"], folder)
    # Hand-written IRIs are not taken (mergel-2013 is the review's own entry) and its
    # venue is linked to, not described again (two titles would be a violation).
    assert STUDY + "mergel-2013" not in {e.study for e in report.entries}
    text = (folder / REFERENCES_FILE).read_text()
    assert "venue/government-information-quarterly> ;" in text
    assert "<https://w3id.org/govsm/id/venue/government-information-quarterly>\n" not in text
    assert {n: (folder / n).read_bytes() for n in hand} == hand
    result = validate_files(tmp_path / "project", *sorted(folder.glob("*.ttl")))
    assert result.violations == [], [str(r) for r in result.violations]
