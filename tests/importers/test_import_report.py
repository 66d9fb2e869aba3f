"""What `govsm import` says of coded evidence: per file, the items added, updated,
unchanged and removed since the previous import of that file, and each selection (or
highlight) it skipped, with why."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.importing import qdpx_of
from typer.testing import CliRunner

from kg.cli.app import app

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "acceptance"
runner = CliRunner()


def _govsm(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def project(tmp_path: Path) -> Path:
    _govsm("init", str(tmp_path / "p"), "--title", "Chatbots")
    _govsm("import", str(FIXTURES / "refs.bib"), "--project", str(tmp_path / "p"))
    return tmp_path / "p"


def _counts(output: str, name: str) -> tuple[int, ...]:
    line = next(x for x in output.splitlines() if name in x and "evidence item(s)" in x)
    found = re.search(r"(\d+) added, (\d+) updated, (\d+) unchanged, (\d+) removed", line)
    assert found, line
    return tuple(int(n) for n in found.groups())


def test_added_unchanged_updated_removed(project: Path, tmp_path: Path) -> None:
    coding = tmp_path / "coding.csv"
    text = (FIXTURES / "coding.csv").read_text(encoding="utf-8")
    coding.write_text(text, encoding="utf-8")
    assert _counts(_govsm("import", str(coding), "--project", str(project)), "coding") == (
        11,
        0,
        0,
        0,
    )
    assert _counts(_govsm("import", str(coding), "--project", str(project)), "coding") == (
        0,
        0,
        11,
        0,
    )
    rows = text.splitlines()
    last = rows.pop()  # the only coding of its study and sub-factor: its item goes
    assert last.startswith("10.1145/3543434.3543480,Organisational,Staff skills")
    changed = [r.replace("Trust,Barrier,", "Trust,Facilitator,") for r in rows]
    assert changed != rows
    coding.write_text("\n".join(changed) + "\n", encoding="utf-8")
    assert _counts(_govsm("import", str(coding), "--project", str(project)), "coding") == (
        0,
        1,
        9,
        1,
    )


def test_selections_that_are_not_evidence_are_named(project: Path, tmp_path: Path) -> None:
    """A selection coded with a direction only is skipped, and the report says which."""
    qde = (FIXTURES / "qdpx" / "project.qde").read_text(encoding="utf-8")
    usability = '<CodeRef targetGUID="cccccccc-1000-4000-8000-000000000004"/>'
    first = qde.index(usability)
    qde = qde[:first] + qde[first:].replace(
        usability, '<CodeRef targetGUID="cccccccc-1000-4000-8000-000000000012"/>', 1
    )
    target = qdpx_of(FIXTURES / "qdpx", tmp_path / "coding.qdpx", qde)
    output = _govsm("import", str(target), "--project", str(project))
    assert _counts(output, "coding.qdpx") == (10, 0, 0, 0)
    skipped = [x for x in output.splitlines() if x.startswith("skipped")]
    assert len(skipped) == 1
    # the entry from its line on, unwrapped (the console wraps it where the temporary path's
    # length puts the console's width)
    entry = " ".join(output[output.index(skipped[0]) :].split())
    assert "selection dddddddd-1000-4000-8000-000000000001: coded with no sub-factor" in entry
