"""XLSX spreadsheets (kg.importers.tables): a coded-evidence or taxonomy workbook gives what
the same CSV gives; the sheet named like the file, else the first; errors name file, sheet
and row; a hostile workbook (an entity in its XML, too many members) is refused before
openpyxl parses it."""

from __future__ import annotations

import csv
import io
import zipfile
from pathlib import Path

import openpyxl
import pytest

from kg.importers.project import plan_import, run_import
from kg.importers.refmodel import ImportFailure
from kg.importers.safe import InputError, Limits
from kg.importers.scaffold import init_project
from kg.importers.tables import read_table

BIB = """@article{mergel2016,
  author = {Mergel, Ines},
  title = {Social media institutionalization},
  journal = {Government Information Quarterly},
  year = {2016},
}
"""
CODING = """study,factor,subfactor,direction,quote,location,coder,start,end
mergel2016,Organisational,Policies,facilitator,a written policy helped,Findings,Ana,12,35
mergel2016,Technological,Usability,barrier,"citizens could not ""find"" it",Results,Ben,,
"""
TAXONOMY = """factor,subfactor,synonyms,definition
Organisational,Policies,rules;guidelines,Written rules for social media use.
"""


def workbook(path: Path, sheets: dict[str, str]) -> Path:
    """An .xlsx at ``path`` with one sheet per CSV text (numbers as numbers)."""
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, text in sheets.items():
        sheet = book.create_sheet(title)
        for row in csv.reader(io.StringIO(text)):
            sheet.append([int(v) if v.isdigit() else (v or None) for v in row])
    book.save(path)
    return path


def _project(tmp_path: Path, name: str) -> Path:
    folder = init_project(tmp_path / name, "A review", "a-review").folder
    bib = tmp_path / "refs.bib"
    bib.write_text(BIB, encoding="utf-8")
    run_import([bib], folder)
    return folder


def test_a_workbook_imports_as_its_csv(tmp_path: Path) -> None:
    one, two = _project(tmp_path, "one"), _project(tmp_path, "two")
    (tmp_path / "csv").mkdir()
    (tmp_path / "xlsx").mkdir()
    codes_csv, coding_csv = tmp_path / "csv" / "codes.csv", tmp_path / "csv" / "coding.csv"
    codes_csv.write_text(TAXONOMY, encoding="utf-8")
    coding_csv.write_text(CODING, encoding="utf-8")
    codes_xlsx = workbook(tmp_path / "xlsx" / "codes.xlsx", {"Sheet1": TAXONOMY})
    # a first sheet of notes; the sheet named like the file holds the codings
    coding_xlsx = workbook(
        tmp_path / "xlsx" / "coding.xlsx", {"Notes": "anything\n", "Coding": CODING}
    )
    run_import([codes_csv, coding_csv], one)
    run_import([codes_xlsx, coding_xlsx], two)
    names = sorted(p.name for p in one.glob("*-imported*.ttl"))
    assert names == sorted(p.name for p in two.glob("*-imported*.ttl"))
    assert "taxonomy-imported-codes.ttl" in names and "evidence-imported-coding.ttl" in names
    for name in names:
        assert (one / name).read_bytes() == (two / name).read_bytes(), name


def test_an_error_names_file_sheet_and_row(tmp_path: Path) -> None:
    folder = _project(tmp_path, "p")
    bad = workbook(
        tmp_path / "bad.xlsx",
        {"Codes": CODING.replace("citizens", "", 1).replace('""find"" it', "")},
    )
    bad = workbook(
        tmp_path / "bad.xlsx",
        {"Codes": CODING.replace('"citizens could not ""find"" it"', "")},
    )
    with pytest.raises(ImportFailure) as caught:
        plan_import([bad], folder)
    assert str(caught.value) == f"{bad}: sheet 'Codes', row 3: the quote is empty"


def test_a_workbook_with_an_entity_is_refused_before_parsing(tmp_path: Path) -> None:
    good = workbook(tmp_path / "good.xlsx", {"Sheet1": TAXONOMY})
    hostile = tmp_path / "hostile.xlsx"
    laughs = (
        b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">'
        b'<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>\n'
    )
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(hostile, "w") as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":  # openpyxl writes strings inline
                body = data.split(b"?>", 1)[-1]  # the XML declaration, if any, goes first
                data = laughs + body.replace(b"Policies", b"&lol2;")
            out.writestr(info, data)
    with pytest.raises(InputError) as caught:
        read_table(hostile)
    assert caught.value.where == "member 'xl/worksheets/sheet1.xml'"
    assert "DOCTYPE" in caught.value.reason
    with pytest.raises(InputError, match="archive members"):
        read_table(good, Limits(max_members=3))


def test_a_file_that_is_no_workbook_is_an_error(tmp_path: Path) -> None:
    fake = tmp_path / "fake.xlsx"
    fake.write_text("factor\nA\n", encoding="utf-8")
    with pytest.raises(ImportFailure, match="fake.xlsx: not a readable zip archive"):
        read_table(fake)
    notbook = tmp_path / "notbook.xlsx"
    with zipfile.ZipFile(notbook, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(ImportFailure, match="notbook.xlsx: not a readable XLSX workbook"):
        read_table(notbook)


def test_a_workbook_taguette_wrote_reads_as_its_csv() -> None:
    folder = Path(__file__).resolve().parents[1] / "fixtures" / "importers" / "taguette"
    xlsx, csv_ = read_table(folder / "highlights.xlsx"), read_table(folder / "highlights.csv")
    assert xlsx.header == csv_.header == ("id", "document", "tag", "content")
    assert [values for _, values in xlsx.rows] == [values for _, values in csv_.rows]
    assert xlsx.rows[0][0].endswith("row 2") and csv_.rows[0][0] == "line 2"
