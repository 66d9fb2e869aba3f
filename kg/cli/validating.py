"""``govsm validate``: the validation stage alone, incremental by default (the editing
loop's run, kg.validation.incremental, which a build does not need: a module apart, so
that ``govsm build`` does not import it; kg.cli.app imports a command's module only
when it runs)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from kg.build import pipeline
from kg.cli import exits, options
from kg.cli.exits import FAILED, OK, USAGE, fail
from kg.cli.options import Base, Data, Engine, Ontology, ProjectDir, Shapes
from kg.cli.output import console, err, log, print_warnings
from kg.config import Project
from kg.prefixes import DEFAULT_BASE
from kg.rdf.load import load, unread_note
from kg.validation import VALIDATORS, ValidationReport
from kg.validation import validate as run_validation
from kg.validation.incremental import CacheBusy, validate_incremental

Validator = Annotated[
    str,
    typer.Option(
        "--validator",
        help="fast (SHACL compiled to SPARQL on pyoxigraph) or pyshacl (the reference).",
    ),
]
Incremental = Annotated[
    bool,
    typer.Option(
        "--incremental/--full",
        help="Re-check only what the files changed since the last run can affect "
        "(fast validator, oxigraph engine; cache in .govsm-cache/validate/); --full "
        "validates everything without the cache.",
    ),
]
Cache = Annotated[
    Path | None,
    typer.Option("--cache", help="Cache folder (default .govsm-cache/validate/ where dist/ goes)."),
]


@exits.documented(
    {OK: "the data conforms", FAILED: "a violation", USAGE: "a parse error or a bad option"}
)
@exits.on_library_errors
def validate(
    base: Base = DEFAULT_BASE,
    engine: Engine = "oxigraph",
    data: Data = None,
    shapes: Shapes = None,
    ontology: Ontology = None,
    project_dir: ProjectDir = None,
    validator: Validator = "fast",
    incremental: Incremental = True,
    cache: Cache = None,
) -> None:
    """Check the data against the SHACL shapes and the check queries."""
    if validator not in VALIDATORS:
        fail(f"unknown validator {validator!r} (one of {', '.join(VALIDATORS)})", USAGE)
    project = options.project(data, shapes, ontology, project_dir)
    unread = unread_note(project)
    if unread is not None:
        log(f"warning: {unread}")
    report = None
    if validator == "fast" and engine == "oxigraph" and incremental:
        report = _validate_with_cache(project, base, cache)
    if report is None:
        report = run_validation(load(project, base, engine), project, validator)
    for note in report.notes:
        err.print(f"[yellow]note: {note}[/]", highlight=False)
    if not report.conforms:
        raise pipeline.ValidationFailed(report)
    print_warnings(report)
    console.print(f"[green]conforms[/] ({len(report.warnings)} warning(s))")


def _validate_with_cache(
    project: Project, base: str, cache: Path | None
) -> ValidationReport | None:
    """The incremental validation's report, or None (after a warning) when its cache
    cannot be used: locked by another run, or not writable."""
    try:
        outcome = validate_incremental(project, base, cache)
    except (CacheBusy, OSError) as exc:
        err.print(
            "[yellow]warning: validation cache unusable, validating without it "
            f"({escape(str(exc))})[/]"
        )
        return None
    err.print(f"[dim]{outcome.summary()}[/]", highlight=False)
    return outcome.report
