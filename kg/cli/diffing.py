"""``govsm diff``: what changed between two builds or releases (kg.stages.diff)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kg.cli import exits
from kg.cli.exits import OK, USAGE, fail
from kg.cli.output import console
from kg.stages.diff import DiffError, as_csv, as_text, as_turtle, diff, read_side

FORMATS = {"text": as_text, "csv": as_csv, "ttl": as_turtle}


@exits.documented(
    {
        OK: "compared (no change is an answer too)",
        USAGE: "a side with no govsm.nq, a file that is not N-Quads, an unknown format, or an "
        "output that cannot be written",
    }
)
def diff_command(
    old: Annotated[
        Path, typer.Argument(help="The earlier build or release folder (or its govsm.nq).")
    ],
    new: Annotated[
        Path, typer.Argument(help="The later build or release folder (or its govsm.nq).")
    ],
    fmt: Annotated[str, typer.Option("--format", help=f"One of {', '.join(FORMATS)}.")] = "text",
    out: Annotated[
        Path | None, typer.Option("-o", "--out", help="Write to this file (default: the terminal).")
    ] = None,
) -> None:
    """The studies, evidence items, quotes, context assessments and derived
    classifications added, removed or changed between two builds, with what changed (a
    quote's words, an assessment's status, the direction a classification moved to), as
    text, CSV or RDF (schema.org actions, Turtle)."""
    if fmt not in FORMATS:
        fail(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}", USAGE)
    try:
        text = FORMATS[fmt](diff(read_side(old), read_side(new)))
    except DiffError as exc:
        fail(str(exc), USAGE)
    if out is None:
        console.print(text, end="", highlight=False, markup=False, soft_wrap=True)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"{out}: cannot write it ({exc.strerror})", USAGE)
