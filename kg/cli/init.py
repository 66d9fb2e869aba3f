"""``govsm init``: a new review project."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kg.cli import exits
from kg.cli.exits import OK, USAGE
from kg.cli.output import console
from kg.importers.scaffold import init_project


@exits.documented({OK: "written", USAGE: "no title, a bad slug, or the review's folder exists"})
@exits.on_library_errors
def init_command(
    folder: Annotated[Path, typer.Argument(help="The project folder (created if absent).")],
    title: Annotated[str, typer.Option("--title", help="The review's title.")],
    slug: Annotated[
        str | None,
        typer.Option("--slug", help="The review's IRI segment (default: from the title)."),
    ] = None,
) -> None:
    """Start a review: FOLDER/data/SLUG/ with the review, an empty taxonomy and a README;
    it validates and builds as it is (govsm build --project FOLDER)."""
    made = init_project(folder, title, slug)
    for path in made.files:
        console.print(f"wrote {path}")
    console.print(
        f"review {made.review}; next: govsm import REFERENCES CODINGS --project {folder}, "
        f"then govsm build --project {folder}"
    )
