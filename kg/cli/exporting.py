"""``govsm export``: a review's coded evidence as the CSV or ``.qdpx`` that ``govsm import``
reads (kg.importers.export)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kg.cli import exits, options
from kg.cli.exits import OK, USAGE, fail
from kg.cli.importing import review_folder
from kg.cli.output import console
from kg.importers.export import KINDS, losses, read_export, write_export
from kg.importers.project import read_settings
from kg.importers.refmodel import ImportFailure


@exits.documented(
    {
        OK: "written (evidence items not exported are listed, with the reason)",
        USAGE: "an unknown kind, no review folder, a folder with no RDF or no evidence item "
        "to export, or an output that cannot be written (nothing written)",
    }
)
@exits.on_library_errors
def export_command(
    kind: Annotated[str, typer.Argument(help=f"What to write: {', '.join(KINDS)}.")],
    out: Annotated[Path, typer.Option("-o", "--out", help="The file to write.")],
    project: options.TargetProject = Path("."),
    data: options.Data = None,
    review: Annotated[
        str | None, typer.Option("--review", help="The review's folder name under data/.")
    ] = None,
) -> None:
    """Export the coded evidence of a review as a CSV (the columns govsm import reads:
    study, factor, subfactor, direction, quote, location, coder, basis, start, end) or a
    REFI-QDA .qdpx (codes Factors/Direction, a text source per study built from its
    quotes), so that importing it into a project with the same references gives the same
    evidence. --data reads the named folders instead of the project's review; with
    --project, the .qdpx names its top-level codes as the project's govsm-import.toml
    [refi-qda] conventions say."""
    if kind not in KINDS:
        fail(f"unknown export kind {kind!r}: one of {', '.join(KINDS)}", USAGE)
    try:
        if data:
            folders, settings = ([d / review for d in data] if review else list(data)), {}
        else:
            folders, settings = [review_folder(project, review)], read_settings(project)
        export = read_export(folders)
        write_export(export, kind, out, settings)
    except ImportFailure as exc:
        fail(f"{exc}; nothing written", USAGE)
    for item, reason in export.skipped:
        console.print(f"not exported {item}: {reason}", highlight=False, markup=False)
    for line in losses(export, kind):
        console.print(f"not carried: {line}", highlight=False, markup=False)
    studies = len({row.study for row in export.rows})
    console.print(
        f"wrote {out}: {len(export.rows)} row(s) from {studies} stud(ies); "
        f"{len(export.skipped)} evidence item(s) not exported",
        highlight=False,
        markup=False,
    )
