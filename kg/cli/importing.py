"""``govsm import``: files reviewers' tools write, into a review's data folder."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kg.cli import exits, options
from kg.cli.exits import OK, USAGE, fail
from kg.cli.output import console
from kg.importers.project import SUFFIXES, read_settings, run_import
from kg.importers.refmodel import ImportFailure


def review_folder(project: Path, review: str | None) -> Path:
    """The data folder of the review to import into: PROJECT/data/REVIEW, or the only
    review folder there is; a usage error otherwise."""
    data = project / "data"
    folders = sorted(d for d in data.iterdir() if d.is_dir()) if data.is_dir() else []
    if review is not None:
        folder = data / review
        if folder not in folders:
            fail(f"no review folder {folder} (govsm init makes one)", USAGE)
        return folder
    if len(folders) != 1:
        found = ", ".join(d.name for d in folders) or "none"
        fail(f"{data}: choose the review with --review (review folders: {found})", USAGE)
    return folders[0]


@exits.documented(
    {
        OK: "imported (the lines say what was added, updated, unchanged or skipped)",
        USAGE: "a malformed file (file, line or entry, reason; nothing written), a file "
        "of a kind not read, a bad govsm-import.toml (file and key), or no review folder "
        "to import into",
    }
)
def import_command(
    files: Annotated[
        list[Path],
        typer.Argument(
            help="References (.bib, .ris, .json), a code book (.qdc, or a CSV/XLSX taxonomy), "
            "coded evidence (.qdpx, or a CSV/XLSX of coded quotes)."
        ),
    ],
    project: options.TargetProject = Path("."),
    review: Annotated[
        str | None, typer.Option("--review", help="The review's folder name under data/.")
    ] = None,
) -> None:
    """Import references (BibTeX, RIS, CSL-JSON), code books (a REFI-QDA .qdc; a CSV/XLSX
    with the columns factor, subfactor, synonyms, definition) and coded evidence (a CSV/XLSX
    with the columns study, factor, subfactor, direction, quote, location, coder; a
    REFI-QDA .qdpx) into a review's folder, in that order, all or nothing; the same file
    twice changes nothing, a changed file updates what it describes. The .qdpx/.qdc
    conventions can be set in PROJECT/govsm-import.toml ([refi-qda])."""
    unread = [f for f in files if f.suffix.lower() not in SUFFIXES]
    if unread:
        fail(
            f"not a file govsm imports ({', '.join(SUFFIXES)}): {', '.join(map(str, unread))}",
            USAGE,
        )
    missing = [f for f in files if not f.is_file()]
    if missing:
        fail(f"no such file: {', '.join(map(str, missing))}", USAGE)
    folder = review_folder(project, review)
    try:
        lines = run_import(files, folder, read_settings(project))
    except ImportFailure as exc:
        fail(f"{exc}; nothing written", USAGE)
    for line in lines:
        console.print(line, highlight=False, markup=False)
