"""``govsm query -p`` reads prefixed names by the build's base, as the HTTP API does:
``rule:…`` and ``id:…`` name IRIs under ``--base``."""

from __future__ import annotations

import csv
import io

from typer.testing import CliRunner

from kg.cli.app import app


def test_prefixed_parameters_follow_the_base() -> None:
    base = "http://example.org/review/"
    result = CliRunner().invoke(
        app,
        [
            "query",
            "classification-table",
            "-p",
            "rule=rule:classification-from-assessment",
            "--base",
            base,
            "--format",
            "csv",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(rows) == 16
    assert {row["rule"] for row in rows} == {base + "rule/classification-from-assessment"}
    assert all(row["derivedDirection"] in ("driver", "preventer") for row in rows)
