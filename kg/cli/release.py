"""``govsm release VERSION``: a versioned, checksummed bundle of a build (kg.build.release)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from kg.build import release as releasing
from kg.cli import exits, options
from kg.cli.exits import FAILED, OK, USAGE
from kg.cli.options import Base, Data, Engine, NoReason, Ontology, ProjectDir, Rules, Shapes
from kg.cli.output import console, log
from kg.config import DEFAULT_RULES, BuildOptions
from kg.prefixes import DEFAULT_BASE

Version = Annotated[
    str, typer.Argument(help="The release's semantic version, e.g. 1.0.0 or 0.2.0-rc.1.")
]
Releases = Annotated[
    Path | None,
    typer.Option(
        "--releases",
        help="Folder of the releases (default: dist/releases/ in the project folder); "
        "the release goes to its VERSION/ subfolder.",
    ),
]


@exits.documented(
    {
        OK: "released",
        FAILED: "the build failed (validation, reasoning or verification)",
        USAGE: "a bad or existing version, a parse error or a bad option",
    }
)
@exits.on_library_errors
def release_command(
    version: Version,
    base: Base = DEFAULT_BASE,
    engine: Engine = "oxigraph",
    rules: Rules = DEFAULT_RULES,
    no_reason: NoReason = False,
    data: Data = None,
    shapes: Shapes = None,
    ontology: Ontology = None,
    project_dir: ProjectDir = None,
    releases: Releases = None,
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            help="The release date, YYYY-MM-DD (default: SOURCE_DATE_EPOCH's, else today's, UTC).",
        ),
    ] = None,
) -> None:
    """Build the project and write release VERSION into dist/releases/VERSION/ (atomically;
    a version never changes): RDFC-1.0 canonical N-Quads, Turtle, an RO-Crate
    (ro-crate-metadata.json) and SHA256SUMS; and an entry in CHANGELOG.md beside dist/."""
    releasing.check_version(version)  # before the build
    when = releasing.release_date(date)
    project = options.project(data, shapes, ontology, project_dir)
    folder = options.output(releases, project, "dist/releases")
    # a release publishes files, not govsm serve's store (never reproducible)
    build_options = BuildOptions(
        base=base, engine=engine, rules=rules, reason=not no_reason, store=False
    )
    made = releasing.release(project, build_options, version, folder, when, log=log)
    changelog = project.workspace / releasing.CHANGELOG
    if releasing.add_to_changelog(changelog, version, releasing.changelog_entry(made, when)):
        log(f"changelog: {changelog} (entry {version} added)")
    else:
        log(f"changelog: {changelog} has an entry for {version} already: left as it is")
    console.print(f"[green]released[/] {made.version} in {made.folder}/: {', '.join(made.files)}")
