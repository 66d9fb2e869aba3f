"""A data folder that gives nothing to load is a usage error naming it (exit 2, the
previous dist/ left whole); files the load does not read are named."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli.app import app
from kg.config import ConfigError, Project
from kg.prefixes import DEFAULT_BASE
from kg.rdf.load import discover_sources, unread_files

REPO = Path(__file__).resolve().parents[1]


def _project(data: Path) -> Project:
    return Project(root=REPO, data_dirs=(data,))


def test_a_missing_folder_is_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        discover_sources(_project(tmp_path / "nowhere"), DEFAULT_BASE)


def test_an_empty_folder_is_named(tmp_path: Path) -> None:
    (tmp_path / ".hidden").write_text("x", encoding="utf-8")
    with pytest.raises(ConfigError, match="is empty"):
        discover_sources(_project(tmp_path), DEFAULT_BASE)


def test_a_folder_without_rdf_lists_what_it_holds(tmp_path: Path) -> None:
    (tmp_path / "refs.bib").write_text("@article{a,}", encoding="utf-8")
    (tmp_path / "codes.csv").write_text("study,quote\n", encoding="utf-8")
    listed = r"not read: codes\.csv \(not RDF\), refs\.bib \(not RDF\)"
    with pytest.raises(ConfigError, match=r"holds no RDF file .*" + listed):
        discover_sources(_project(tmp_path), DEFAULT_BASE)


def test_files_beside_the_rdf_that_are_not_read_are_listed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)
    review = next(p for p in data.iterdir() if p.is_dir())
    (review / "codes.csv").write_text("study,quote\n", encoding="utf-8")
    assert unread_files(_project(data)) == [review / "codes.csv"]  # README.md is documentation


@pytest.mark.parametrize("kind", ["missing", "empty", "bib only"])
def test_build_exits_2_and_leaves_dist_whole(tmp_path: Path, kind: str) -> None:
    out = tmp_path / "dist"
    out.mkdir()
    (out / "govsm.nq").write_text("previous\n", encoding="utf-8")
    data = tmp_path / "data"
    if kind != "missing":
        data.mkdir()
    if kind == "bib only":
        (data / "refs.bib").write_text("@article{a,}", encoding="utf-8")
    result = CliRunner().invoke(
        app, ["build", "--data", str(data), "--out", str(out), "--no-reason"]
    )
    assert result.exit_code == 2, result.output
    assert str(data) in result.output
    assert (out / "govsm.nq").read_text(encoding="utf-8") == "previous\n"
