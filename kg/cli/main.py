"""govsm: build, check, query and trace the GovSM knowledge graph.

Exit codes: 0 ok; 1 a validation violation, a reasoning failure or a mismatch with the
reported classifications; 2 a parse error or a usage error (unknown query, rule set or
label, missing or unknown parameter).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape as esc
from rich.table import Table as RichTable
from rich.tree import Tree

from kg.build import pipeline
from kg.config import BuildOptions, ConfigError, Project
from kg.prefixes import DEFAULT_BASE
from kg.rdf.engine import ENGINES, EngineError
from kg.rdf.load import ParseError, load
from kg.sparql.files import QueryError
from kg.stages.query import (
    FORMATS,
    compact,
    declared_data,
    parse_params,
    resolve,
    run,
    to_delimited,
    to_json,
)
from kg.stages.reason import ReasonReport
from kg.stages.reason import render as render_reasoning
from kg.stages.report import Table
from kg.stages.trace import Trace, UnknownLabel, trace
from kg.stages.verify import VerifyReport
from kg.validation import (
    VALIDATORS,
    WARNING,
    CacheBusy,
    ValidationReport,
    render_text,
    validate_incremental,
)
from kg.validation import compact as compact_shape
from kg.validation import validate as run_validation

app = typer.Typer(help=__doc__, no_args_is_help=True, add_completion=False, rich_markup_mode=None)


def _console(stderr: bool = False) -> Console:
    # Off a terminal (pipes, CI logs) rich would wrap at 80 columns: the table needs more.
    probe = Console(stderr=stderr)
    wide = None if probe.is_terminal or os.environ.get("COLUMNS") else 160
    return Console(stderr=stderr, width=wide)


console = _console()
err = _console(stderr=True)

Base = Annotated[
    str, typer.Option("--base", help="Base IRI of the graph (instance IRIs are rewritten to it).")
]
Engine = Annotated[str, typer.Option("--engine", help=f"RDF engine: {', '.join(ENGINES)}.")]
Rules = Annotated[
    str, typer.Option("--rules", help="Rule set to derive with (from queries/derive/*.rq headers).")
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


def _project(data: list[Path] | None, shapes: Path | None, ontology: Path | None) -> Project:
    return Project(data_dirs=tuple(data or ()), shapes_dir=shapes, ontology_dir=ontology)


def _fail(message: str, code: int) -> NoReturn:
    err.print(f"[bold red]error:[/] {message}", highlight=False)
    raise typer.Exit(code)


def _usage_errors(func):  # noqa: ANN001, ANN202 - decorator
    """Map library errors to exit codes: parse/usage errors 2, stage failures 1."""
    import functools

    @functools.wraps(func)
    def wrapper(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        try:
            return func(*args, **kwargs)
        except ParseError as exc:
            _fail(f"parse error: {exc}", 2)
        except (QueryError, ConfigError, EngineError) as exc:
            _fail(str(exc), 2)
        except pipeline.ValidationFailed as exc:
            print_validation(exc.report)
            _fail("validation failed: the graph does not conform; dist/ untouched", 1)
        except pipeline.ReasoningFailed as exc:
            print_reasoning(exc.report)
            _fail("reasoning failed; dist/ untouched", 1)
        except pipeline.VerifyFailed as exc:
            print_differences(exc.report)
            _fail(f"{exc}; dist/ untouched", 1)

    return wrapper


# --- rendering -------------------------------------------------------------------------


def print_table(table: Table, title: str = "Classification of sub-factors") -> None:
    """The classification table, with rich."""
    out = RichTable(title=title, show_lines=False)
    for heading in table.headings:
        out.add_column(heading, overflow="fold")
    for row in table.rows:
        style = None if row[table.headings.index("Match")] == "yes" else "red"
        out.add_row(*row, style=style)
    console.print(out)


def print_differences(report: VerifyReport) -> None:
    """Differences between derived and reported classifications."""
    out = RichTable(title="Derived vs reported: differences", header_style="bold red")
    for heading in ("Rule", "Sub-factor", "Context", "Derived", "Reported", "Words", "Status"):
        out.add_column(heading)
    for d in report.differences:
        out.add_row(
            d.rule,
            d.label,
            compact_iri(d.context),
            d.derived or "—",
            d.reported or "—",
            d.reported_words or "",
            d.status,
        )
    err.print(out)


def compact_iri(iri: str) -> str:
    from rdflib import URIRef

    return compact(URIRef(iri))


def print_validation(report: ValidationReport) -> None:
    """Every violation in full (focus node, path, source file, message, shape), as plain
    lines: a table would cut long IRIs and messages in a narrow terminal or a CI log."""
    err.print(render_text(report, warnings="none"), markup=False, highlight=False)


def print_warnings(report: ValidationReport) -> None:
    """Warnings grouped by shape and message, with how many nodes each concerns."""
    summary = report.summary(WARNING)
    if not summary:
        return
    out = RichTable(title=f"Warnings by shape ({len(report.warnings)})", header_style="bold yellow")
    for heading in ("Shape", "Message", "Nodes"):
        out.add_column(heading, overflow="fold")
    for shape, message, count in summary:
        out.add_row(compact_shape(shape), message, str(count))
    console.print(out)


def print_reasoning(report: ReasonReport) -> None:
    err.print(render_reasoning(report))


def print_trace(result: Trace) -> None:
    """The provenance chain as a tree; text from the data is escaped, never read as markup."""
    root = Tree(
        f"[bold]{esc(result.label)}[/] ({compact_iri(result.subfactor)}), "
        f"factor: {esc(result.factor)}"
    )
    if not result.classifications:
        root.add("[yellow]no derived classification (no rule fired for this sub-factor)[/]")
    for c in result.classifications:
        node = root.add(
            f"[bold]{esc(c.direction)}[/] in {esc(c.context_label or compact_iri(c.context))} — "
            f"classification {compact_iri(c.iri)}"
        )
        node.add(f"rule: {compact_iri(c.rule)} — {esc(c.rule_title or '')}")
        if c.assessment:
            a = c.assessment
            an = node.add(
                f"assessment {compact_iri(a.iri)}: "
                f"condition [bold]{esc(a.status)}[/] ({esc(a.basis)})"
            )
            if a.justification:
                an.add(f"justification: {esc(a.justification)}")
            for q in a.quotes:
                an.add(f'quote ({esc(a.section or "?")}): "{esc(q)}"')
        ev = node.add(f"evidence items: {len(c.evidence)}")
        for e in c.evidence:
            item = ev.add(
                f"{compact_iri(e.iri)} — {esc(e.basis)}"
                + (f", indicates {esc(e.indicates)}" if e.indicates else "")
                + (f", section {esc(e.section)}" if e.section else "")
            )
            if e.quote:
                item.add(f'"{esc(e.quote)}"')
            if e.source:
                s = e.source
                authors = "; ".join(s.authors) if s.authors else "(authors not listed)"
                doi = f" doi:{s.doi}" if s.doi else ""
                item.add(
                    f"source: {esc(authors)} ({s.year or 'n.d.'}). "
                    f"{esc(s.title or compact_iri(s.iri))}.{esc(doi)}"
                )
    console.print(root)


# --- commands --------------------------------------------------------------------------


SiteOption = Annotated[
    bool | None,
    typer.Option(
        "--site/--no-site",
        help="Write the static site dist/site/ with a page per resource always / no site "
        "(default: resource pages only up to 20,000 resources; above it the site-level "
        "pages, resource pages served by govsm serve --on-demand).",
    ),
]


@app.command()
@_usage_errors
def build(
    base: Base = DEFAULT_BASE,
    engine: Engine = "oxigraph",
    rules: Rules = "assessment",
    out: Annotated[Path, typer.Option("--out", help="Output folder, replaced atomically.")] = Path(
        "dist"
    ),
    no_reason: Annotated[bool, typer.Option("--no-reason", help="Skip the OWL reasoner.")] = False,
    data: Data = None,
    shapes: Shapes = None,
    ontology: Ontology = None,
    site: SiteOption = None,
) -> None:
    """Load, validate, reason, derive, verify and publish into dist/ (atomically)."""
    options = BuildOptions(
        base=base, engine=engine, rules=rules, out=out, reason=not no_reason, site=site
    )
    result = pipeline.build(_project(data, shapes, ontology), options, log=_log)
    assert result.table is not None
    print_table(result.table)
    written = ", site/" if (out / "site").is_dir() else ""
    console.print(
        f"[green]built[/] {out}/: govsm.nq, govsm.ttl, report.md, report.html, index.html{written}"
    )


@app.command()
@_usage_errors
def publish(
    base: Base = DEFAULT_BASE,
    engine: Engine = "oxigraph",
    rules: Rules = "assessment",
    out: Annotated[Path, typer.Option("--out", help="Output folder, replaced atomically.")] = Path(
        "dist"
    ),
    data: Data = None,
    shapes: Shapes = None,
    ontology: Ontology = None,
    site: SiteOption = None,
) -> None:
    """Rebuild dist/ and its linked-data site dist/site/ from the sources (load, validate,
    derive, verify, publish; the OWL reasoner is skipped, `govsm build` runs it)."""
    options = BuildOptions(base=base, engine=engine, rules=rules, out=out, reason=False, site=site)
    pipeline.build(_project(data, shapes, ontology), options, log=_log)
    site = out / "site"
    if not site.is_dir():
        console.print(f"[green]published[/] {out}/: dumps and reports, no static site")
        return
    pages = sum(1 for _ in site.rglob("*.html"))
    on_demand = "" if (site / "id").is_dir() else " (resource pages: govsm serve --on-demand)"
    console.print(
        f"[green]published[/] {site}/: {pages} HTML pages, dumps, VoID, ontology{on_demand}"
    )


def _log(message: str) -> None:
    style = "yellow" if message.startswith("warning") else "dim"
    err.print(f"[{style}]{message}[/]", highlight=False)


@app.command()
@_usage_errors
def validate(
    base: Base = DEFAULT_BASE,
    engine: Engine = "oxigraph",
    data: Data = None,
    shapes: Shapes = None,
    ontology: Ontology = None,
    validator: Annotated[
        str,
        typer.Option(
            "--validator",
            help="fast (SHACL compiled to SPARQL on pyoxigraph) or pyshacl (the reference).",
        ),
    ] = "fast",
    incremental: Annotated[
        bool,
        typer.Option(
            "--incremental/--full",
            help="Re-check only what the files changed since the last run can affect "
            "(fast validator, oxigraph engine; cache in .govsm-cache/validate/); --full "
            "validates everything without the cache.",
        ),
    ] = True,
    cache: Annotated[
        Path | None,
        typer.Option("--cache", help="Cache folder (default .govsm-cache/validate/)."),
    ] = None,
) -> None:
    """Check the data against the SHACL shapes and the check queries (exit 1 on a violation)."""
    if validator not in VALIDATORS:
        _fail(f"unknown validator {validator!r} (one of {', '.join(VALIDATORS)})", 2)
    project = _project(data, shapes, ontology)
    report = None
    if validator == "fast" and engine == "oxigraph" and incremental:
        try:
            outcome = validate_incremental(project, base, cache)
        except (CacheBusy, OSError) as exc:  # locked by another run, or not writable
            err.print(
                f"[yellow]warning: validation cache unusable, validating without it ({exc})[/]"
            )
        else:
            report = outcome.report
            err.print(f"[dim]{outcome.summary()}[/]", highlight=False)
    if report is None:
        report = run_validation(load(project, base, engine), project, validator)
    for note in report.notes:
        err.print(f"[yellow]note: {note}[/]", highlight=False)
    if not report.conforms:
        raise pipeline.ValidationFailed(report)
    print_warnings(report)
    console.print(f"[green]conforms[/] ({len(report.warnings)} warning(s))")


def _mount_reason() -> None:
    """``govsm reason`` is the reasoning stage's own command (kg.cli.reason)."""
    from kg.cli.reason import reason_command

    app.command("reason")(reason_command)


_mount_reason()


def _mount_push() -> None:
    """``govsm push`` lives in kg.cli.push (the Graph Store upload and its checks)."""
    from kg.cli.push import push_command

    app.command("push")(push_command)


_mount_push()


@app.command()
@_usage_errors
def derive(
    base: Base = DEFAULT_BASE,
    engine: Engine = "oxigraph",
    rules: Rules = "assessment",
    data: Data = None,
    ontology: Ontology = None,
) -> None:
    """Run a rule set and show the classifications it derives (nothing is written)."""
    options = BuildOptions(base=base, engine=engine, rules=rules)
    project = _project(data, None, ontology)
    loaded, rule_list, derivations = pipeline.load_and_derive(project, options)
    for d in derivations:
        console.print(f"{d.rule.stem}: {d.classifications} classifications, {d.triples} triples")
    from kg.stages.report import classification_table

    rule = rule_list[0].iri(base) if len(rule_list) == 1 else None
    print_table(classification_table(loaded.engine, project.queries, rule))


@app.command()
@_usage_errors
def verify(
    base: Base = DEFAULT_BASE,
    engine: Engine = "oxigraph",
    rules: Rules = "assessment",
    data: Data = None,
    ontology: Ontology = None,
) -> None:
    """Compare derived classifications with the reported ones (exit 1 on any difference)."""
    options = BuildOptions(base=base, engine=engine, rules=rules)
    project = _project(data, None, ontology)
    loaded, rule_list, _ = pipeline.load_and_derive(project, options)
    from kg.stages.verify import verify as run_verify

    report = run_verify(loaded.engine, rule_list, base, project.queries)
    if not report.ok:
        raise pipeline.VerifyFailed(report)
    console.print(f"[green]all {report.compared} classifications match the reported ones[/]")


@app.command()
@_usage_errors
def query(
    name: Annotated[
        str, typer.Argument(help="Query name (in queries/cq, checks, derive, verify) or FILE.rq.")
    ],
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="name=value (repeatable).")
    ] = None,
    format: Annotated[
        str, typer.Option("--format", help=f"One of {', '.join(FORMATS)}.")
    ] = "table",  # noqa: A002
    base: Base = DEFAULT_BASE,
    engine: Engine = "oxigraph",
    rules: Rules = "assessment",
    data: Data = None,
    ontology: Ontology = None,
    endpoint: Annotated[
        str | None,
        typer.Option("--endpoint", help="Run on this remote SPARQL endpoint (no local build)."),
    ] = None,
    auth: Annotated[
        str | None,
        typer.Option(
            "--auth",
            help="basic|digest for --endpoint; credentials from GOVSM_ENDPOINT_USER/_PASSWORD.",
        ),
    ] = None,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds for a remote query (client and engine).")
    ] = 60.0,
    server: Annotated[
        str, typer.Option("--server", help="Remote engine kind (auto, virtuoso, fuseki, ...).")
    ] = "auto",
) -> None:
    """Run a catalogue query (parameters bound safely, never pasted into the text), locally
    or with --endpoint on a remote SPARQL engine (exit 3 when the remote fails)."""
    if format not in FORMATS:
        _fail(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}", 2)
    project = _project(data, None, ontology)
    target = resolve(name, project.queries)
    params = parse_params(param or [])
    from kg.sparql.files import bind_parameters

    bind_parameters(target, params)  # usage errors before the (slower) load
    if endpoint is not None:
        from kg.remote.client import RemoteError, query_endpoint

        try:
            result = query_endpoint(endpoint, target, params, auth, timeout, server)
        except RemoteError as exc:
            _fail(esc(str(exc)), 2 if exc.usage else 3)
    else:
        extra = tuple(project.root / d for d in declared_data(target))
        if extra and not data:
            project = _project([project.root / "data", *extra], None, ontology)
        loaded, _, _ = pipeline.load_and_derive(
            project, BuildOptions(base=base, engine=engine, rules=rules)
        )
        result = run(loaded.engine, target, params)
    if format == "json":
        typer.echo(to_json(result.rows), nl=False)
    elif format in ("csv", "tsv"):
        typer.echo(to_delimited(result.rows, "," if format == "csv" else "\t"), nl=False)
    else:
        out = RichTable(title=target.title)
        for v in result.rows.variables:
            out.add_column(v, overflow="fold")
        for row in result.rows.rows:
            out.add_row(*(compact(t) for t in row))
        console.print(out)
        console.print(f"[dim]{len(result.rows.rows)} row(s)[/]")


@app.command(name="trace")
@_usage_errors
def trace_command(
    name: Annotated[str, typer.Argument(help="Sub-factor label (pref or alt, any case) or IRI.")],
    base: Base = DEFAULT_BASE,
    engine: Engine = "oxigraph",
    rules: Rules = "assessment",
    data: Data = None,
    ontology: Ontology = None,
) -> None:
    """Why does a sub-factor have its classification? Rule, assessment, evidence, sources."""
    project = _project(data, None, ontology)
    loaded, _, _ = pipeline.load_and_derive(
        project, BuildOptions(base=base, engine=engine, rules=rules)
    )
    try:
        result = trace(loaded.engine, project.queries, name)
    except UnknownLabel as exc:
        _fail(str(exc), 2)
    print_trace(result)


@app.command()
def serve(
    host: Annotated[str, typer.Option("--host", help="Address to bind.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port (0 picks a free one).")] = 8000,
    dist: Annotated[
        Path, typer.Option("--dist", help="Build output folder; its site/ is served.")
    ] = Path("dist"),
    base: Annotated[
        str,
        typer.Option("--base", help="Base IRI the site was built with (its path is also served)."),
    ] = DEFAULT_BASE,
    access_log: Annotated[
        bool, typer.Option("--access-log", help="Print one line per request.")
    ] = False,
    sparql: Annotated[
        bool,
        typer.Option("--sparql/--no-sparql", help="Serve the SPARQL endpoint at /sparql."),
    ] = True,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Longest a query may run, in seconds.")
    ] = 30.0,
    max_rows: Annotated[
        int, typer.Option("--max-rows", help="Result rows (or triples) returned at most.")
    ] = 10_000,
    max_body: Annotated[
        int, typer.Option("--max-body", help="Largest request body accepted, in bytes.")
    ] = 1_000_000,
    max_concurrent: Annotated[
        int, typer.Option("--max-concurrent", help="Queries one client may run at once.")
    ] = 4,
    workers: Annotated[
        int, typer.Option("--workers", help="Worker processes evaluating queries.")
    ] = 2,
    queries: Annotated[
        Path | None,
        typer.Option(
            "--queries", help="Catalogue of named queries (default: the project's queries/cq)."
        ),
    ] = None,
    on_demand: Annotated[
        bool,
        typer.Option(
            "--on-demand",
            help="Render resource pages missing from dist/site from dist/govsm.nq "
            "(builds too large for a static site).",
        ),
    ] = False,
) -> None:
    """Serve dist/site as linked data (content negotiation, 303 for resources) and the
    read-only SPARQL endpoint at /sparql over dist/govsm.nq, with its limits."""
    from kg.web.server import make_server

    site = dist / "site"
    pages = None
    if on_demand:
        from kg.web.site.ondemand import OnDemandSite

        if not (dist / "govsm.nq").is_file():
            _fail(f"{dist}/govsm.nq not found: run `govsm build` first", 2)
        pages = OnDemandSite.from_nquads(dist / "govsm.nq", base, Project().queries)
    elif not (site / "index.html").is_file():
        _fail(f"{site}/index.html not found: run `govsm build` first", 2)
    service = None
    store_missing = sparql and not (dist / "govsm.nq").is_file()
    if sparql and not store_missing:
        from kg.web.endpoint.limits import Limits
        from kg.web.endpoint.service import SparqlService

        try:
            limits = Limits(
                timeout_s=timeout,
                max_rows=max_rows,
                max_body_bytes=max_body,
                max_concurrent_per_client=max_concurrent,
                workers=workers,
            )
        except ValueError as exc:
            _fail(f"bad limit: {exc}", 2)
        try:
            if queries is not None and not queries.is_dir():
                _fail(f"{queries} is not a folder of .rq queries", 2)
            service = SparqlService(dist, limits, base, queries_dir=queries)
        except (FileNotFoundError, RuntimeError) as exc:
            _fail(str(exc), 2)
    from kg.sparql.files import QueryError

    try:
        server = make_server(site, host, port, base, access_log, service, pages)
    except OSError as exc:
        if service is not None:
            service.close()
        _fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", 2)
    except QueryError as exc:  # a catalogue query whose header or text is wrong
        if service is not None:
            service.close()
        _fail(f"query catalogue: {exc}", 2)
    console.print(
        f"serving {site}/ on [bold]{server.url}[/] (Ctrl-C stops)", highlight=False, soft_wrap=True
    )
    if store_missing:
        err.print(
            f"[bold yellow]warning:[/] {dist}/govsm.nq not found: no SPARQL endpoint "
            "(run `govsm build`)",
            highlight=False,
        )
    if service is not None:
        console.print(
            f"SPARQL endpoint: {server.url}sparql ({len(service.graphs)} graphs, "
            f"{service.triples} triples; timeout {timeout:g} s, {max_rows} rows, "
            f"{workers} workers)",
            highlight=False,
            soft_wrap=True,
        )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    app()
