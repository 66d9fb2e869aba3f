"""End to end on the real review data (skipped when it is absent)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli.app import app

ROOT = Path(__file__).resolve().parents[1]
REAL = ROOT / "data" / "social-media-service-delivery"
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason="real review data not present")
runner = CliRunner()


def test_build_reproduces_the_reported_table(tmp_path: Path) -> None:
    args = ["build", "--out", str(tmp_path / "dist")]
    if shutil.which("java") is None:
        args.append("--no-reason")
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    report = (tmp_path / "dist" / "report.md").read_text()
    rows = [line for line in report.splitlines() if line.startswith("| ") and "Factor" not in line]
    assert len(rows) == 16
    assert all("| yes |" in row for row in rows)
    assert "| infrastructural | legal infrastructure | preventer | preventer |" in report
    assert "| infrastructural | technical infrastructure | driver | driver |" in report


def test_trace_legal_infrastructure() -> None:
    result = runner.invoke(app, ["trace", "legal infrastructure"])
    assert result.exit_code == 0, result.output
    out = " ".join(result.output.split())
    assert "preventer" in out and "rule:classification-from-assessment" in out
    assert "id:assessment/iran/legal-infrastructure" in out


def test_every_catalogue_query_runs_with_table_format() -> None:
    result = runner.invoke(app, ["query", "classification-table", "--format", "csv"])
    assert result.exit_code == 0, result.output
    assert len(result.output.strip().splitlines()) == 17
