"""The options several commands share (where the sources are, which engine and rule set),
and the project they describe."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from kg.config import PROJECT_ENV, Project, choose_project
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
ProjectDir = Annotated[
    Path | None,
    typer.Option(
        "--project",
        envvar=PROJECT_ENV,
        show_envvar=True,
        help="Project folder: its data/ and, if it has them, its own ontology/, shapes/, "
        "queries/, templates/ (the package's otherwise). Default: the current directory "
        "if it has a data/ folder with Turtle files, else the package's first review.",
    ),
]
# The project govsm import writes into and govsm export reads: never the package's review.
TargetProject = Annotated[
    Path,
    typer.Option(
        "--project",
        envvar=PROJECT_ENV,
        show_envvar=True,
        help="The project folder (govsm init); default: the current directory.",
    ),
]
Data = Annotated[
    list[Path] | None,
    typer.Option("--data", help="Data folder (repeatable; default the project's data/)."),
]
NoReason = Annotated[bool, typer.Option("--no-reason", help="Skip the OWL reasoner.")]
Shapes = Annotated[
    Path | None, typer.Option("--shapes", help="SHACL shapes folder (default the project's).")
]
Ontology = Annotated[
    Path | None, typer.Option("--ontology", help="Ontology folder (default the project's).")
]


def project(
    data: list[Path] | None,
    shapes: Path | None,
    ontology: Path | None,
    root: Path | None = None,
) -> Project:
    """The project of --project (or GOVSM_PROJECT, or the rule of kg.config.project_root)
    with the --data, --shapes and --ontology overrides; ConfigError (exit 2) naming each
    folder it needs that does not exist."""
    chosen = choose_project(root)
    overrides = replace(
        chosen, data_dirs=tuple(data or ()), shapes_dir=shapes, ontology_dir=ontology
    )
    return overrides.check()


def output(given: Path | None, project: Project, default: str = "dist") -> Path:
    """An output (or build) folder: the option's, else ``default`` in the project's
    workspace (its folder, or the current directory for the package's own review)."""
    return given if given is not None else project.workspace / default


def build_output(given: Path | None, root: Path | None, name: str) -> Path:
    """A file or folder of a build: ``given``, else ``name`` in the dist/ of the project
    --project (or GOVSM_PROJECT, or the current directory's rule) names, as govsm build
    writes it; ConfigError if the project folder does not exist."""
    return given if given is not None else choose_project(root).workspace / "dist" / name
