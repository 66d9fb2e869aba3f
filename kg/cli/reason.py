"""``govsm reason``: HermiT on the ontology, its alignments and optional instance data."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kg.cli import exits, options
from kg.cli.exits import FAILED, OK, USAGE, fail
from kg.cli.options import ProjectDir
from kg.config import ConfigError
from kg.stages.reason import reason, render

OntologyDir = Annotated[
    Path | None, typer.Option(help="Folder of govsm.ttl (default the project's ontology/).")
]
Extra = Annotated[
    list[Path] | None, typer.Option(help="Extra ontology files (TBox) to reason with.")
]
Abox = Annotated[
    list[Path] | None, typer.Option(help="Instance data files to check for consistency.")
]
OwnClasses = Annotated[
    bool,
    typer.Option(
        "--own-classes",
        help="Check each of the ontology's own classes for satisfiability instead of"
        " classifying everything (for large --extra vocabularies).",
    ),
]


@exits.documented(
    {
        OK: "consistent, every class satisfiable",
        FAILED: "inconsistent, or a class is unsatisfiable",
        USAGE: "Java is missing, or a file cannot be read or is refused (a JSON-LD context"
        " named by URL, an XML DOCTYPE, an import the catalog does not map to a local file)",
    }
)
def reason_command(
    ontology_dir: OntologyDir = None,
    extra: Extra = None,
    abox: Abox = None,
    own_classes: OwnClasses = False,
    project_dir: ProjectDir = None,
) -> None:
    """Check the ontology, its alignments and optional data with HermiT."""
    try:
        ontology = options.project(None, None, ontology_dir, project_dir).ontology
    except ConfigError as exc:
        fail(str(exc), USAGE)
    report = reason(
        ontology,
        extra_files=extra or (),
        abox_files=abox or (),
        classify=not own_classes,
        own_classes=own_classes,
    )
    typer.echo(render(report))
    if report.java is None or report.load_error is not None:
        raise typer.Exit(USAGE)
    if not report.ok:
        raise typer.Exit(FAILED)
