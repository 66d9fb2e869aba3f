"""The options several commands share (where the sources are, which engine and rule set),
and the project they describe."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kg.config import Project
from kg.rdf.engine import ENGINES

Base = Annotated[
    str, typer.Option("--base", help="Base IRI of the graph (instance IRIs are rewritten to it).")
]
Engine = Annotated[str, typer.Option("--engine", help=f"RDF engine: {', '.join(ENGINES)}.")]
Rules = Annotated[
    str,
    typer.Option(
        "--rules",
        help="Rule set to derive with, from queries/derive/*.rq headers; auto (the default): "
        "assessment when the data has context assessments, else evidence-majority.",
    ),
]
Data = Annotated[
    list[Path] | None, typer.Option("--data", help="Data folder (repeatable; default data/).")
]
Shapes = Annotated[
    Path | None, typer.Option("--shapes", help="SHACL shapes folder (default shapes/).")
]
Ontology = Annotated[
    Path | None, typer.Option("--ontology", help="Ontology folder (default ontology/).")
]


def project(data: list[Path] | None, shapes: Path | None, ontology: Path | None) -> Project:
    """The project the --data, --shapes and --ontology options name (defaults: the repo's)."""
    return Project(data_dirs=tuple(data or ()), shapes_dir=shapes, ontology_dir=ontology)
