"""``govsm reason`` as a typer sub-app, for the main CLI to mount (``app.add_typer``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kg.stages.reason import reason, render

app = typer.Typer(add_completion=False)


@app.command("reason")
def reason_command(
    ontology_dir: Annotated[Path, typer.Option(help="Folder of govsm.ttl.")] = Path("ontology"),
    extra: Annotated[
        list[Path] | None, typer.Option(help="Extra ontology files (TBox) to reason with.")
    ] = None,
    abox: Annotated[
        list[Path] | None, typer.Option(help="Instance data files to check for consistency.")
    ] = None,
    own_classes: Annotated[
        bool,
        typer.Option(
            "--own-classes",
            help="Check each of the ontology's own classes for satisfiability instead of"
            " classifying everything (for large --extra vocabularies).",
        ),
    ] = False,
) -> None:
    """Check the ontology, its alignments and optional data with HermiT.

    Exits 1 if it is inconsistent or any class is unsatisfiable, 2 if Java is missing
    or the reasoner could not run.
    """
    report = reason(
        ontology_dir,
        extra_files=extra or (),
        abox_files=abox or (),
        classify=not own_classes,
        own_classes=own_classes,
    )
    typer.echo(render(report))
    if report.java is None:
        raise typer.Exit(2)
    if not report.ok:
        raise typer.Exit(1)
