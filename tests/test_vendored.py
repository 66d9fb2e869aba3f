"""The tests need nothing outside the repository but the paper's text: the W3C suites and
pinned vocabularies they read are vendored in tests/w3c/ and tests/vocab/, each folder with
its sources and licence, and the vocabularies are the bytes their SOURCES.md records."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
VENDORED = sorted([*(TESTS / "w3c").iterdir(), TESTS / "vocab"])
# A path built on the folder beside the repository (a path join with, or a string
# starting with, that folder's name).
_SHARED_PATH = re.compile(r"""/\s*["']shared["']|["']\.\./shared""")
_SUM = re.compile(r"^([0-9a-f]{64})  (\S+)$", re.M)


def test_the_vendored_folders_are_there() -> None:
    names = {p.relative_to(TESTS).as_posix() for p in VENDORED}
    assert names == {"w3c/rdf-canon", "w3c/shacl-core", "w3c/sparql11-protocol", "vocab"}


@pytest.mark.parametrize("folder", VENDORED, ids=lambda p: p.name)
def test_each_vendored_folder_says_where_it_comes_from_and_its_licence(folder: Path) -> None:
    for name in ("SOURCES.md", "LICENCE.md"):
        assert (folder / name).is_file(), f"{folder / name} missing"
    assert re.search(r"\b[0-9a-f]{40}\b", (folder / "SOURCES.md").read_text()), "no commit"


def test_each_vendored_vocabulary_is_the_recorded_file_with_its_licence() -> None:
    vocab = TESTS / "vocab"
    sums = dict((name, digest) for digest, name in _SUM.findall((vocab / "SOURCES.md").read_text()))
    files = {p.name for p in vocab.iterdir()} - {"SOURCES.md", "LICENCE.md"}
    assert files == set(sums), files ^ set(sums)
    licences = (vocab / "LICENCE.md").read_text(encoding="utf-8")
    for name in sorted(files):
        assert hashlib.sha256((vocab / name).read_bytes()).hexdigest() == sums[name], name
        assert f"| `{name}` |" in licences, f"{name}: no licence entry"


def test_only_the_paper_is_read_from_beside_the_repository() -> None:
    readers = sorted(
        p.relative_to(TESTS).as_posix()
        for p in TESTS.rglob("*.py")
        if _SHARED_PATH.search(p.read_text(encoding="utf-8"))
    )
    # conftest.py: PAPER, ../shared/paper/meta-synthesis.txt (the paper_path fixture)
    assert readers == ["conftest.py"], readers
