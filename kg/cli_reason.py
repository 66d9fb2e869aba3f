"""``govsm reason`` as a typer sub-app, for the main CLI to mount (``app.add_typer``)."""

from __future__ import annotations

from pathlib import Path

import typer

from kg.reason import reason, render

app = typer.Typer(add_completion=False)


@app.command("reason")
def reason_command(
    ontology_dir: Path = typer.Option(Path("ontology"), help="Folder holding govsm.ttl."),
    extra: list[Path] = typer.Option([], help="Extra ontology files (TBox) to reason with."),
    abox: list[Path] = typer.Option([], help="Instance data files to check for consistency."),
) -> None:
    """Check the ontology, its alignments and optional data with HermiT.

    Exits 1 if it is inconsistent or any class is unsatisfiable, 2 if Java is missing
    or the reasoner could not run.
    """
    report = reason(ontology_dir, extra_files=extra, abox_files=abox)
    typer.echo(render(report))
    if report.java is None:
        raise typer.Exit(2)
    if not report.ok:
        raise typer.Exit(1)
