"""Every prefix declared or used in a Turtle or SPARQL file agrees with kg/prefixes.py."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from kg.prefixes import PREFIXES

EXCLUDED_DIRS = {".venv", "dist", ".git", "node_modules", "__pycache__", ".pytest_cache"}
# Vendored third-party files, copied unchanged with their own prefixes: the W3C suites
# (mf:, rdft:, ...) and the pinned vocabularies (owl2xml:, dcat:'s own dct:, ...).
VENDORED = (Path("tests") / "w3c", Path("tests") / "vocab")
_DECL = re.compile(r"^\s*(?:@prefix|PREFIX)\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.I | re.M)
# A prefixed name in use: name:local, not inside an IRI or a string.
_USE = re.compile(r"(?<![\w<\"'/#:.-])([A-Za-z][\w-]*):(?=[A-Za-z0-9_\\])")
_IRI_OR_STRING = re.compile(
    r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'|<[^>\s]*>'
)
_COMMENT = re.compile(r"(?m)#.*$")
# Words followed by a colon that are not prefixes.
_NOT_PREFIXES = {"http", "https", "urn", "mailto", "file"}


def _files(root: Path) -> list[Path]:
    return sorted(
        p
        for p in root.rglob("*")
        if p.suffix in {".ttl", ".rq"}
        and p.is_file()
        and not EXCLUDED_DIRS.intersection(p.relative_to(root).parts)
        and not any(p.relative_to(root).is_relative_to(v) for v in VENDORED)
    )


def _strip(text: str) -> str:
    text = _IRI_OR_STRING.sub(" ", text)
    return _COMMENT.sub("", text)


def test_there_are_files_to_check(repo_root: Path) -> None:
    assert len(_files(repo_root)) > 10


@pytest.mark.parametrize("name", sorted(PREFIXES))
def test_prefix_table_iris_are_absolute(name: str) -> None:
    assert re.match(r"^https?://", PREFIXES[name])


def test_declared_prefixes_agree_with_the_table(repo_root: Path) -> None:
    problems = []
    for path in _files(repo_root):
        for name, iri in _DECL.findall(path.read_text(encoding="utf-8")):
            rel = path.relative_to(repo_root)
            if name not in PREFIXES:
                problems.append(f"{rel}: prefix {name or '(empty)'}: <{iri}> not in the table")
            elif PREFIXES[name] != iri:
                problems.append(f"{rel}: {name}: <{iri}> but the table says <{PREFIXES[name]}>")
    assert not problems, "\n".join(problems)


def test_used_prefixes_are_in_the_table(repo_root: Path) -> None:
    problems = []
    for path in _files(repo_root):
        text = path.read_text(encoding="utf-8")
        body = _DECL.sub(" ", text)
        used = {m for m in _USE.findall(_strip(body))} - _NOT_PREFIXES
        for name in sorted(used - set(PREFIXES)):
            problems.append(f"{path.relative_to(repo_root)}: uses undeclared prefix {name}:")
    assert not problems, "\n".join(problems)
