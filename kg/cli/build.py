"""The commands that run the build pipeline, whole (build, publish) or in part (derive,
verify; validate has a module of its own, kg.cli.validating)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from kg.build import pipeline
from kg.cli import exits, nanopub, options
from kg.cli.exits import FAILED, OK, USAGE
from kg.cli.options import Base, Data, Engine, NoReason, Ontology, ProjectDir, Rules, Shapes
from kg.cli.output import console, log, print_table, print_timings
from kg.config import DEFAULT_RULES, BuildOptions
from kg.prefixes import DEFAULT_BASE
from kg.stages.report import classification_table
from kg.stages.verify import summary as verify_summary
from kg.stages.verify import verify as run_verify
from kg.web.site import has_resource_pages

Out = Annotated[
    Path | None,
    typer.Option(
        "--out",
        help="Output folder, replaced atomically (default: dist/ in the project folder, or "
        "in the current directory when building the package's own review).",
    ),
]
Site = Annotated[
    bool | None,
    typer.Option(
        "--site/--no-site",
        help="Write the static site dist/site/ with a page per resource always / no site "
        "(default: resource pages only up to 3,000 resources; above it the site-level "
        "pages, and govsm serve renders resource pages on demand).",
    ),
]
StoreOption = Annotated[
    bool | None,
    typer.Option(
        "--store/--no-store",
        help="Write govsm serve's query store dist/store/ (pyoxigraph on disk) always / "
        "never (default: when govsm serve would read it, i.e. when a copy of the graph "
        "per worker would not fit in memory; else govsm serve makes it if it needs it).",
    ),
]
ShowTimings = Annotated[
    bool,
    typer.Option(
        "--timings",
        help="Print a table of every stage's seconds (sub-stages of publishing and the "
        "site included); a one-line summary is always printed.",
    ),
]


@exits.on_library_errors
def build(
    base: Base = DEFAULT_BASE,
    engine: Engine = "oxigraph",
    rules: Rules = DEFAULT_RULES,
    out: Out = None,
    no_reason: NoReason = False,
    data: Data = None,
    shapes: Shapes = None,
    ontology: Ontology = None,
    project_dir: ProjectDir = None,
    site: Site = None,
    store: StoreOption = None,
    nanopub_key: nanopub.KeyFile = None,
    nanopub_profile: nanopub.ProfileFile = None,
    nanopub_orcid: nanopub.Orcid = None,
    nanopub_name: nanopub.Name = None,
    timings: ShowTimings = False,
) -> None:
    """Load, validate, reason, derive, verify and publish into dist/ (atomically)."""
    key = nanopub.signing_key(nanopub_key, nanopub_profile, nanopub_orcid, nanopub_name)
    project = options.project(data, shapes, ontology, project_dir)
    out = options.output(out, project)
    build_options = BuildOptions(
        base=base,
        engine=engine,
        rules=rules,
        out=out,
        reason=not no_reason,
        site=site,
        nanopub=key,
        store=store,
    )
    result = pipeline.build(project, build_options, log=log)
    assert result.table is not None
    with result.timings.stage("terminal"):
        print_table(result.table)
    log(result.timings.summary(), soft_wrap=True)
    if timings:
        print_timings(result.timings)
    written = ", site/" if (out / "site").is_dir() else ""
    written += ", nanopubs/" if (out / "nanopubs").is_dir() else ""
    console.print(
        f"[green]built[/] {out}/: govsm.nq, govsm.ttl, report.md, report.html, index.html{written}"
    )


@exits.on_library_errors
def publish(
    base: Base = DEFAULT_BASE,
    engine: Engine = "oxigraph",
    rules: Rules = DEFAULT_RULES,
    out: Out = None,
    data: Data = None,
    shapes: Shapes = None,
    ontology: Ontology = None,
    project_dir: ProjectDir = None,
    site: Site = None,
) -> None:
    """Rebuild dist/ and its linked-data site dist/site/ from the sources (load, validate,
    derive, verify, publish; the OWL reasoner is skipped, `govsm build` runs it)."""
    project = options.project(data, shapes, ontology, project_dir)
    out = options.output(out, project)
    build_options = BuildOptions(
        base=base, engine=engine, rules=rules, out=out, reason=False, site=site
    )
    pipeline.build(project, build_options, log=log)
    site_dir = out / "site"
    if not site_dir.is_dir():
        console.print(f"[green]published[/] {out}/: dumps and reports, no static site")
        return
    pages = sum(1 for _ in site_dir.rglob("*.html"))
    on_demand = "" if has_resource_pages(site_dir) else " (resource pages: on demand, govsm serve)"
    console.print(
        f"[green]published[/] {site_dir}/: {pages} HTML pages, dumps, VoID, ontology, "
        f"shapes{on_demand}"
    )


@exits.on_library_errors
def derive(
    base: Base = DEFAULT_BASE,
    engine: Engine = "oxigraph",
    rules: Rules = DEFAULT_RULES,
    data: Data = None,
    ontology: Ontology = None,
    project_dir: ProjectDir = None,
) -> None:
    """Run a rule set and show the classifications it derives (nothing is written)."""
    project = options.project(data, None, ontology, project_dir)
    loaded, rule_list, derivations = pipeline.load_and_derive(
        project, BuildOptions(base=base, engine=engine, rules=rules)
    )
    for d in derivations:
        console.print(f"{d.rule.stem}: {d.classifications} classifications, {d.triples} triples")
    rule = rule_list[0].iri(base) if len(rule_list) == 1 else None
    print_table(classification_table(loaded.engine, project.queries, rule))


@exits.documented(
    {
        OK: "every classification matches",
        FAILED: "a difference (a table of differences is printed)",
        USAGE: "a parse error or a bad option",
    }
)
@exits.on_library_errors
def verify(
    base: Base = DEFAULT_BASE,
    engine: Engine = "oxigraph",
    rules: Rules = DEFAULT_RULES,
    data: Data = None,
    ontology: Ontology = None,
    project_dir: ProjectDir = None,
) -> None:
    """Compare derived classifications with the reported ones."""
    project = options.project(data, None, ontology, project_dir)
    loaded, rule_list, _ = pipeline.load_and_derive(
        project, BuildOptions(base=base, engine=engine, rules=rules)
    )
    report = run_verify(loaded.engine, rule_list, base, project.queries)
    if not report.ok:
        raise pipeline.VerifyFailed(report)
    console.print(f"[green]{escape(verify_summary(report))}[/]")
