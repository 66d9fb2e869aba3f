"""REFI-QDA projects (kg.importers.refiqda): reading a hand-made .qdpx, writing one that
validates against the pinned REFI-QDA Project XSD, the round trip, the refusals (entity
bombs, external entities, unbounded or escaping archives), position errors, and the
default mapping to evidence records."""

from __future__ import annotations

import dataclasses
import hashlib
import zipfile
from pathlib import Path

import pytest
from lxml import etree

from kg.importers.refiqda import (
    Code,
    QdaProject,
    RefiQdaError,
    Selection,
    TextSource,
    map_evidence,
    nest_codes,
    qdpx_bytes,
    read_qdc,
    read_qdpx,
    write_qdpx,
)
from kg.importers.refmodel import ImportFailure
from kg.importers.safe import InputError, Limits

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "importers"
SMALL = FIXTURES / "refiqda-small"
XSD = (
    Path(__file__).resolve().parents[2] / "kg" / "importers" / "refiqda" / "schema" / "Project.xsd"
)
SRC1 = "aaaaaaaa-0000-4000-8000-000000000001"
SRC2 = "aaaaaaaa-0000-4000-8000-000000000002"
SEL = "dddddddd-0000-4000-8000-00000000000"  # + 1..4
STUDIES = {"mergel2016": "mergel-2016", "10.1016/J.GIQ.2020.101234": "smith-2020"}


def zip_project(path: Path, qde: bytes, sources: dict[str, bytes] | None = None) -> Path:
    """A .qdpx at ``path`` from a project.qde and ``sources/NAME`` members."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("project.qde", qde)
        for name, data in (sources or {}).items():
            archive.writestr(f"sources/{name}", data)
    return path


def small_qdpx(tmp_path: Path, qde: bytes | None = None) -> Path:
    """The hand-made project of tests/fixtures/importers/refiqda-small as a .qdpx."""
    sources = {p.name: p.read_bytes() for p in sorted((SMALL / "sources").iterdir())}
    qde = qde if qde is not None else (SMALL / "project.qde").read_bytes()
    return zip_project(tmp_path / "small.qdpx", qde, sources)


def edited(old: str, new: str) -> bytes:
    """project.qde with one edit (the edit must apply)."""
    text = (SMALL / "project.qde").read_text(encoding="utf-8")
    assert old in text
    return text.replace(old, new, 1).encode("utf-8")


@pytest.fixture
def small(tmp_path: Path) -> QdaProject:
    return read_qdpx(small_qdpx(tmp_path))


# --- reading -------------------------------------------------------------------------


def test_reads_the_code_tree(small: QdaProject) -> None:
    factors, direction = small.codes
    assert (factors.name, factors.codable) == ("Factors", False)
    assert [f.name for f in factors.children] == ["Organisational", "Technological"]
    organisational = factors.children[0]
    assert organisational.description == "Inside the government organisation."
    assert [c.name for c in organisational.children] == ["Staff capacity", "Policies"]
    assert factors.children[1].children[0].color == "#336699"
    assert [c.name for c in direction.children] == ["Facilitator", "Barrier"]


def test_reads_sources_verbatim_and_selections_in_characters(small: QdaProject) -> None:
    one, two = small.sources
    assert (one.guid, one.name, two.name) == (SRC1, "mergel2016.txt", "10.1016/j.giq.2020.101234")
    assert "\r\n" in one.text and "\U0001f600" in one.text and one.text.startswith("Café")
    quotes = [small.source(s.source).text[s.start : s.end] for s in small.selections]
    assert quotes == [
        "staff lack the skills to run accounts",
        "Clear policies made adoption easier",
        "Users found the tools hard to use",  # after the emoji: characters, not bytes
        "usability as the main barrier",
    ]
    first, second = small.selections[:2]
    # the braced upper-case CodeRef is normalised to the code's GUID
    assert first.codes == (
        "cccccccc-0000-4000-8000-000000000003",
        "cccccccc-0000-4000-8000-000000000009",
    )
    assert (first.coder, first.created) == (
        "bbbbbbbb-0000-4000-8000-000000000001",
        "2026-11-02T10:00:00Z",
    )
    # no creatingUser on the selection: its first coding's
    assert (second.coder, second.created) == (
        "bbbbbbbb-0000-4000-8000-000000000002",
        "2026-11-03T09:30:00Z",
    )


def test_reads_a_codebook_file(small: QdaProject) -> None:
    assert read_qdc(SMALL / "codebook.qdc") == small.codes


def test_a_byte_order_mark_is_not_text(tmp_path: Path) -> None:
    text = "\ufeffBarriers were many."
    qde = edited('startPosition="22" endPosition="51"', 'startPosition="0" endPosition="8"')
    sources = {p.name: p.read_bytes() for p in (SMALL / "sources").iterdir()}
    sources[f"{SRC2}.txt"] = text.encode("utf-8")
    project = read_qdpx(zip_project(tmp_path / "bom.qdpx", qde, sources))
    sel = project.selections[-1]
    assert project.source(SRC2).text[sel.start : sel.end] == "Barriers"


# --- writing and the round trip --------------------------------------------------------


def test_round_trip(small: QdaProject, tmp_path: Path) -> None:
    out = write_qdpx(small, tmp_path / "out.qdpx")
    assert read_qdpx(out) == small


def test_writing_is_reproducible(small: QdaProject, tmp_path: Path) -> None:
    first = qdpx_bytes(small)
    again = qdpx_bytes(read_qdpx(write_qdpx(small, tmp_path / "a.qdpx")))
    assert first == again


def test_what_we_write_validates_against_the_refi_qda_xsd(
    small: QdaProject, tmp_path: Path
) -> None:
    schema = etree.XMLSchema(etree.parse(str(XSD)))
    with zipfile.ZipFile(write_qdpx(small, tmp_path / "out.qdpx")) as archive:
        names = archive.namelist()
        document = etree.fromstring(archive.read("project.qde"))
    assert names == ["project.qde", f"sources/{SRC1}.txt", f"sources/{SRC2}.txt"]
    assert schema.validate(document), schema.error_log
    # the check is not vacuous: the same document without a required attribute fails
    del document.find(".//{urn:QDA-XML:project:1.0}Code").attrib["isCodable"]
    assert not schema.validate(document)


def test_the_writer_refuses_what_the_xsd_rejects(small: QdaProject, tmp_path: Path) -> None:
    first = dataclasses.replace(small.selections[0], created="2 November 2026")
    project = dataclasses.replace(small, selections=(first, *small.selections[1:]))
    with pytest.raises(RefiQdaError, match="project.qde line .*: not valid REFI-QDA: .*dateTime"):
        write_qdpx(project, tmp_path / "bad.qdpx")
    assert not (tmp_path / "bad.qdpx").exists()
    with pytest.raises(RefiQdaError, match="cannot be written"):
        write_qdpx(small, tmp_path / "no-such-folder" / "x.qdpx")


# sha256 of ../shared/refi-qda/Project.xsd (QDA-XML Project 1.0, 18 March 2019), recorded
# here so that the check needs nothing beside the repository.
SHARED_XSD_SHA256 = "a2cc1ffb4ab1c07c51d6c78e69f2c9968458a9f0ad3b317ddde27f1e86f15a15"


def test_the_pinned_xsd_is_the_shared_one() -> None:
    assert hashlib.sha256(XSD.read_bytes()).hexdigest() == SHARED_XSD_SHA256


def test_a_written_project_from_scratch_round_trips(tmp_path: Path) -> None:
    code = Code(guid="11111111-2222-4333-8444-555555555555", name="Factors", codable=False)
    source = TextSource(guid="21111111-2222-4333-8444-555555555555", name="x", text="a\nb é")
    project = QdaProject(
        name="Scratch",
        codes=(code,),
        sources=(source,),
        selections=(
            Selection("31111111-2222-4333-8444-555555555555", source.guid, 2, 5, (code.guid,)),
        ),
    )
    assert read_qdpx(write_qdpx(project, tmp_path / "s.qdpx")) == project


def test_the_writer_refuses_what_would_not_validate(small: QdaProject, tmp_path: Path) -> None:
    bad = dataclasses.replace(small, sources=(dataclasses.replace(small.sources[0], guid="A"),))
    with pytest.raises(RefiQdaError, match="selection"):  # its selections lost their source
        write_qdpx(bad, tmp_path / "bad.qdpx")
    alone = TextSource(guid="A", name="a", text="t")
    with pytest.raises(RefiQdaError, match="text source A: is not a GUID"):
        write_qdpx(QdaProject(name="p", sources=(alone,)), tmp_path / "bad.qdpx")
    assert not (tmp_path / "bad.qdpx").exists()


# --- refusals: XML ---------------------------------------------------------------------

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE Project [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<Project xmlns="urn:QDA-XML:project:1.0" name="&lol9;"/>
"""


def test_a_billion_laughs_project_is_refused(tmp_path: Path) -> None:
    path = zip_project(tmp_path / "bomb.qdpx", BILLION_LAUGHS)
    with pytest.raises(RefiQdaError) as caught:
        read_qdpx(path)
    error = caught.value
    assert isinstance(error, ImportFailure) and isinstance(error, ImportError)
    assert (error.file, error.element) == (str(path), "member 'project.qde'")
    assert "DOCTYPE" in error.reason


def test_a_doctype_is_refused_in_any_encoding(tmp_path: Path) -> None:
    utf16 = BILLION_LAUGHS.replace(b'version="1.0"?>', b'version="1.0" encoding="UTF-16"?>')
    path = zip_project(tmp_path / "bomb16.qdpx", utf16.decode().encode("utf-16"))
    with pytest.raises(RefiQdaError, match="refused: the XML declares a DOCTYPE"):
        read_qdpx(path)


def test_an_external_entity_is_refused_and_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    xxe = (
        f'<?xml version="1.0"?><!DOCTYPE Project [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
        '<Project xmlns="urn:QDA-XML:project:1.0" name="&x;"/>'
    ).encode()
    with pytest.raises(RefiQdaError, match="DOCTYPE") as caught:
        read_qdpx(zip_project(tmp_path / "xxe.qdpx", xxe))
    assert "TOP-SECRET" not in str(caught.value)
    codebook = tmp_path / "xxe.qdc"
    codebook.write_bytes(xxe.replace(b"urn:QDA-XML:project:1.0", b"urn:QDA-XML:codebook:1.0"))
    with pytest.raises(RefiQdaError, match="DOCTYPE"):
        read_qdc(codebook)


def test_malformed_xml_names_the_line(tmp_path: Path) -> None:
    qde = b'<?xml version="1.0"?>\n<Project xmlns="urn:QDA-XML:project:1.0" name="x">\n'
    qde += b"<Users>\n</Project>"
    with pytest.raises(RefiQdaError, match=r"member 'project.qde', line 4: not well-formed"):
        read_qdpx(zip_project(tmp_path / "bad.qdpx", qde))


def test_another_xml_document_is_not_a_project(tmp_path: Path) -> None:
    with pytest.raises(RefiQdaError, match="not a REFI-QDA project"):
        read_qdpx(zip_project(tmp_path / "x.qdpx", b"<html/>"))
    with pytest.raises(RefiQdaError, match="not a REFI-QDA code book"):
        read_qdc(SMALL / "project.qde")


# --- refusals: the archive -------------------------------------------------------------


@pytest.mark.parametrize("name", ["/etc/passwd", "../outside.txt", "sources/../../x", "C:/x"])
def test_escaping_member_names_are_refused(tmp_path: Path, name: str) -> None:
    path = small_qdpx(tmp_path)
    with zipfile.ZipFile(path, "a") as archive:
        archive.writestr(zipfile.ZipInfo(name), b"x")
    with pytest.raises(RefiQdaError, match="refused: an absolute path|refused: a '..'"):
        read_qdpx(path)


def test_too_many_members_are_refused(tmp_path: Path) -> None:
    path = small_qdpx(tmp_path)
    assert read_qdpx(path, Limits(max_members=3)).name == "Small review"
    with pytest.raises(InputError, match="3 archive members, more than 2"):
        read_qdpx(path, Limits(max_members=2))


def test_a_member_decompressing_past_the_limit_is_refused(tmp_path: Path) -> None:
    bomb = b"\0" * (4 * 2**20)  # 4 MiB of zeros: a few KiB compressed
    path = zip_project(tmp_path / "zipbomb.qdpx", (SMALL / "project.qde").read_bytes())
    with zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(f"sources/{SRC1}.txt", bomb)
    assert path.stat().st_size < 64 * 1024
    with pytest.raises(RefiQdaError, match="decompresses past the size limit"):
        read_qdpx(path, Limits(max_member_bytes=2**20))
    with pytest.raises(RefiQdaError, match="decompresses past the size limit"):
        read_qdpx(path, Limits(max_total_bytes=2**20))


def test_not_a_zip_and_no_project_are_errors(tmp_path: Path) -> None:
    text = tmp_path / "plain.qdpx"
    text.write_text("not a zip", encoding="utf-8")
    with pytest.raises(RefiQdaError, match="not a readable zip archive"):
        read_qdpx(text)
    empty = tmp_path / "empty.qdpx"
    with zipfile.ZipFile(empty, "w") as archive:
        archive.writestr("sources/a.txt", b"a")
    with pytest.raises(RefiQdaError, match="the archive has no project.qde"):
        read_qdpx(empty)


def test_a_source_that_is_not_utf8_is_an_error(tmp_path: Path) -> None:
    qde = (SMALL / "project.qde").read_bytes()
    sources = {f"{SRC1}.txt": "Café".encode("latin-1"), f"{SRC2}.txt": b"x" * 60}
    with pytest.raises(RefiQdaError, match=rf"member 'sources/{SRC1}.txt': not UTF-8 text"):
        read_qdpx(zip_project(tmp_path / "latin.qdpx", qde, sources))


def test_a_selection_on_a_source_without_its_text_is_named(tmp_path: Path) -> None:
    qde = (SMALL / "project.qde").read_bytes()
    path = zip_project(tmp_path / "nosrc.qdpx", qde, {f"{SRC1}.txt": b"x" * 200})
    with pytest.raises(RefiQdaError) as caught:
        read_qdpx(path)
    assert caught.value.element == f"selection {SEL}4"  # the selection on the missing text
    assert caught.value.reason == (
        f"its source {SRC2} has no plain text: sources/{SRC2}.txt is not in the archive"
    )


def test_a_text_outside_the_archive_is_not_read(tmp_path: Path) -> None:
    qde = edited(
        f'plainTextPath="internal://{SRC2}.txt"', 'plainTextPath="absolute:///etc/hostname"'
    )
    with pytest.raises(RefiQdaError, match="outside the archive"):
        read_qdpx(small_qdpx(tmp_path, qde))


# --- position errors -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("positions", "reason"),
    [
        ('startPosition="22" endPosition="77"', "positions 22-77 fall outside"),  # text is 76
        ('startPosition="-1" endPosition="51"', "positions -1-51 fall outside"),
        ('startPosition="40" endPosition="30"', "positions 40-30 fall outside"),
        ('startPosition="22" endPosition="fifty"', "endPosition 'fifty' is not an integer"),
    ],
)
def test_positions_outside_the_text_name_the_selection(
    tmp_path: Path, positions: str, reason: str
) -> None:
    qde = edited('startPosition="22" endPosition="51"', positions)
    with pytest.raises(RefiQdaError) as caught:
        read_qdpx(small_qdpx(tmp_path, qde))
    assert caught.value.element == f"selection {SEL}4"
    assert reason in caught.value.reason


def test_the_last_character_is_inside(tmp_path: Path) -> None:
    qde = edited('startPosition="22" endPosition="51"', 'startPosition="22" endPosition="76"')
    project = read_qdpx(small_qdpx(tmp_path, qde))
    assert project.source(SRC2).text[22:76].endswith("unclear.\n")


def test_a_selection_on_a_missing_source_or_code_is_an_error(small: QdaProject) -> None:
    lost = dataclasses.replace(small.selections[0], source="ffffffff-0000-4000-8000-000000000000")
    project = dataclasses.replace(small, selections=(lost, *small.selections[1:]))
    with pytest.raises(RefiQdaError, match=f"selection {SEL}1: its source ffffffff"):
        qdpx_bytes(project)
    with pytest.raises(RefiQdaError, match=f"selection {SEL}1: its source ffffffff"):
        map_evidence(project, STUDIES)


def test_a_coding_with_an_unknown_code_is_an_error(tmp_path: Path) -> None:
    qde = edited(
        'targetGUID="cccccccc-0000-4000-8000-000000000004"',
        'targetGUID="cccccccc-0000-4000-8000-0000000000ff"',
    )
    with pytest.raises(RefiQdaError, match=f"selection {SEL}2: coded with cccccccc.*code book"):
        read_qdpx(small_qdpx(tmp_path, qde))


# --- the default mapping to evidence records -------------------------------------------


def test_the_default_mapping(small: QdaProject) -> None:
    mapped = map_evidence(small, STUDIES)
    assert mapped.skipped == ()
    got = [
        (r.study, r.factor, r.subfactor, r.direction, r.quote, r.start, r.end, r.coder)
        for r in mapped.records
    ]
    assert got == [
        ("mergel-2016", "Organisational", "Policies", "driver",
         "Clear policies made adoption easier", 60, 95, "Ben Coder"),
        ("mergel-2016", "Organisational", "Staff capacity", "preventer",
         "staff lack the skills to run accounts", 20, 57, "Ana Coder"),
        ("mergel-2016", "Technological", "Usability", None,
         "Users found the tools hard to use", 99, 132, "Ana Coder"),
        ("smith-2020", "Technological", "Usability", "preventer",
         "usability as the main barrier", 22, 51, "Ben Coder"),
    ]  # fmt: skip
    assert [r.selection for r in mapped.records] == [f"{SEL}2", f"{SEL}1", f"{SEL}3", f"{SEL}4"]


def test_without_studies_the_source_name_is_the_key(small: QdaProject) -> None:
    studies = sorted({r.study for r in map_evidence(small).records})
    assert studies == ["10.1016/j.giq.2020.101234", "mergel2016"]


def test_a_source_named_after_no_reference_is_an_error(small: QdaProject) -> None:
    with pytest.raises(RefiQdaError, match=f"selection {SEL}4: its source '10.1016"):
        map_evidence(small, {"mergel2016": "mergel-2016"})
    mapped = map_evidence(
        small, {"mergel2016": "m"}, {"sources": {"10.1016/j.giq.2020.101234": "s"}}
    )
    assert [r.study for r in mapped.records] == ["m", "m", "m", "s"]


def _renamed(project: QdaProject, names: dict[str, str]) -> QdaProject:
    def rename(code: Code) -> Code:
        children = tuple(rename(c) for c in code.children)
        return dataclasses.replace(code, name=names.get(code.name, code.name), children=children)

    return dataclasses.replace(project, codes=tuple(rename(c) for c in project.codes))


def test_conventions_are_overridable(small: QdaProject) -> None:
    project = _renamed(small, {"Factors": "Themes", "Direction": "Effect", "Barrier": "Hindrance"})
    with pytest.raises(RefiQdaError, match="no top-level code 'Factors'"):
        map_evidence(project, STUDIES)
    mapping = {
        "factors": "themes",
        "direction": "Effect",
        "directions": {"driver": ["facilitator"], "preventer": ["hindrance"]},
    }
    mapped = map_evidence(project, STUDIES, mapping)
    assert [r.direction for r in mapped.records] == ["driver", "preventer", None, "preventer"]
    with pytest.raises(RefiQdaError, match="mapping key 'factor': unknown"):
        map_evidence(small, STUDIES, {"factor": "Themes"})


def test_an_unknown_direction_word_names_the_code(small: QdaProject) -> None:
    project = _renamed(small, {"Barrier": "Sometimes"})
    with pytest.raises(
        RefiQdaError, match="code cccccccc-0000-4000-8000-000000000009: 'Sometimes'"
    ):
        map_evidence(project, STUDIES)


def test_two_directions_on_one_selection_is_an_error(small: QdaProject) -> None:
    first = small.selections[0]
    both = dataclasses.replace(first, codes=(*first.codes, "cccccccc-0000-4000-8000-000000000008"))
    project = dataclasses.replace(small, selections=(both, *small.selections[1:]))
    with pytest.raises(RefiQdaError, match=f"selection {SEL}1: coded with more than one direction"):
        map_evidence(project, STUDIES)


def test_selections_without_a_subfactor_are_skipped(small: QdaProject) -> None:
    factor_only = dataclasses.replace(
        small.selections[2], codes=("cccccccc-0000-4000-8000-000000000005",)
    )
    project = dataclasses.replace(
        small, selections=(*small.selections[:2], factor_only, small.selections[3])
    )
    mapped = map_evidence(project, STUDIES)
    assert mapped.skipped == ((f"{SEL}3", "coded with no sub-factor"),)
    assert len(mapped.records) == 3


def test_a_subcode_of_a_subfactor_counts_as_the_subfactor(small: QdaProject) -> None:
    deeper = Code(guid="cccccccc-0000-4000-8000-0000000000aa", name="Digital skills")
    factors, direction = small.codes
    organisational = factors.children[0]
    staff = dataclasses.replace(organisational.children[0], children=(deeper,))
    organisational = dataclasses.replace(
        organisational, children=(staff, organisational.children[1])
    )
    factors = dataclasses.replace(factors, children=(organisational, factors.children[1]))
    first = dataclasses.replace(small.selections[0], codes=(deeper.guid,))
    project = dataclasses.replace(
        small, codes=(factors, direction), selections=(first, *small.selections[1:])
    )
    record = next(r for r in map_evidence(project, STUDIES).records if r.selection == f"{SEL}1")
    assert (record.factor, record.subfactor, record.direction) == (
        "Organisational",
        "Staff capacity",
        None,
    )


def test_the_mapping_is_the_same_after_a_round_trip(small: QdaProject, tmp_path: Path) -> None:
    again = read_qdpx(write_qdpx(small, tmp_path / "again.qdpx"))
    assert map_evidence(again, STUDIES) == map_evidence(small, STUDIES)


# --- a code book another program wrote -------------------------------------------------

TAGUETTE = FIXTURES / "taguette" / "codebook.qdc"


def test_reads_a_taguette_codebook(small: QdaProject) -> None:
    codes = read_qdc(TAGUETTE)
    assert len(codes) == 10 and all(not c.children for c in codes)  # Taguette's tags are flat
    assert codes[0] == Code(guid="09f199a3-e585-5a27-9e8f-01297118a553", name="Factors")
    # nested by their dotted paths, they are the tree of the hand-made project
    factors, direction, interesting = nest_codes(codes)
    names = lambda code: (code.name, [names(c) for c in code.children])  # noqa: E731
    assert [names(factors), names(direction)] == [names(c) for c in small.codes]
    assert interesting.name == "interesting"
    assert factors.children[0].guid == "b54029f5-cc14-5546-b20a-26cb80da80f1"  # kept


def test_a_taguette_style_project_maps_with_the_separator(small: QdaProject) -> None:
    flat = []
    for code, _, parent in small.all_codes():
        path = code.name if parent is None else f"{parent.name}.{code.name}"
        flat.append(dataclasses.replace(code, name=path, children=()))
    # two levels of prefixes: paths of the sub-factors need the factor's own path
    full = {c.guid: c for c in flat}
    for code, depth, parent in small.all_codes():
        if depth == 2:
            grand = next(p for c, _, p in small.all_codes() if c.guid == parent.guid)
            full[code.guid] = dataclasses.replace(
                full[code.guid], name=f"{grand.name}.{parent.name}.{code.name}"
            )
    project = dataclasses.replace(small, codes=tuple(full[c.guid] for c in flat))
    unnested = map_evidence(project, STUDIES)  # flat: no code sits under "Factors"
    assert unnested.records == () and len(unnested.skipped) == 4
    assert map_evidence(project, STUDIES, {"separator": "."}) == map_evidence(small, STUDIES)
