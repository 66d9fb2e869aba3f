"""The commands that ask the graph: a catalogue query (locally or on a remote engine) and
the provenance trace of a sub-factor."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

import typer
from rich.markup import escape as esc
from rich.table import Table as RichTable
from rich.tree import Tree

from kg.build import pipeline
from kg.cli import exits, options
from kg.cli.exits import OK, REMOTE, USAGE, fail
from kg.cli.options import Base, Data, Engine, Ontology, ProjectDir, Rules
from kg.cli.output import compact_iri, console
from kg.config import DEFAULT_RULES, BuildOptions
from kg.prefixes import DEFAULT_BASE, for_base
from kg.remote.client import RemoteError, query_endpoint
from kg.sparql.files import bind_parameters
from kg.stages.query import (
    FORMATS,
    QueryResult,
    compact,
    declared_data,
    parse_params,
    resolve,
    run,
    to_delimited,
    to_json,
)
from kg.stages.trace import ClassificationStep, ConfidenceStep, Trace, UnknownLabel, trace

Name = Annotated[
    str, typer.Argument(help="Query name (in queries/cq, checks, derive, verify) or FILE.rq.")
]
Params = Annotated[list[str] | None, typer.Option("--param", "-p", help="name=value (repeatable).")]
Format = Annotated[str, typer.Option("--format", help=f"One of {', '.join(FORMATS)}.")]
Endpoint = Annotated[
    str | None,
    typer.Option("--endpoint", help="Run on this remote SPARQL endpoint (no local build)."),
]
Auth = Annotated[
    str | None,
    typer.Option(
        "--auth",
        help="basic|digest for --endpoint; credentials from GOVSM_ENDPOINT_USER/_PASSWORD.",
    ),
]
Timeout = Annotated[
    float, typer.Option("--timeout", help="Seconds for a remote query (client and engine).")
]
Server = Annotated[
    str, typer.Option("--server", help="Remote engine kind (auto, virtuoso, fuseki, ...).")
]


@exits.documented(
    {
        OK: "the query ran (no rows is an answer too)",
        USAGE: "unknown query or format; missing, unknown or malformed parameter; a parse error",
        REMOTE: "the remote engine failed (--endpoint)",
    }
)
@exits.on_library_errors
def query(
    name: Name,
    param: Params = None,
    output_format: Format = "table",
    base: Base = DEFAULT_BASE,
    engine: Engine = "oxigraph",
    rules: Rules = DEFAULT_RULES,
    data: Data = None,
    ontology: Ontology = None,
    project_dir: ProjectDir = None,
    endpoint: Endpoint = None,
    auth: Auth = None,
    timeout: Timeout = 60.0,
    server: Server = "auto",
) -> None:
    """Run a catalogue query (parameters bound safely, never pasted into the text), locally
    or with --endpoint on a remote SPARQL engine."""
    if output_format not in FORMATS:
        fail(f"unknown format {output_format!r}; choose one of {', '.join(FORMATS)}", USAGE)
    project = options.project(data, None, ontology, project_dir)
    target = resolve(name, project.queries)
    params = parse_params(param or [])
    prefixes = for_base(base)  # id:… and rule:… name IRIs under the build's base
    bind_parameters(target, params, prefixes)  # usage errors before the (slower) load
    if endpoint is not None:
        try:
            result = query_endpoint(endpoint, target, params, auth, timeout, server, prefixes)
        except RemoteError as exc:
            fail(str(exc), USAGE if exc.usage else REMOTE)
    else:
        # declared folders are the project's if it has them, else the package's (examples/)
        extra = tuple(project.find(d) for d in declared_data(target))
        if extra and not data:
            project = replace(project, data_dirs=(*project.data, *extra)).check()
        loaded, _, _ = pipeline.load_and_derive(
            project, BuildOptions(base=base, engine=engine, rules=rules), standard_view=True
        )
        result = run(loaded.engine, target, params, prefixes)
    _print_result(result, output_format)


def _print_result(result: QueryResult, output_format: str) -> None:
    """SPARQL JSON results, CSV or TSV on stdout as they are; a table with compact IRIs."""
    if output_format == "json":
        typer.echo(to_json(result.rows), nl=False)
    elif output_format in ("csv", "tsv"):
        typer.echo(to_delimited(result.rows, "," if output_format == "csv" else "\t"), nl=False)
    else:
        out = RichTable(title=result.query.title)
        for v in result.rows.variables:
            out.add_column(v, overflow="fold")
        for row in result.rows.rows:
            out.add_row(*(compact(t) for t in row))
        console.print(out)
        console.print(f"[dim]{len(result.rows.rows)} row(s)[/]")


@exits.documented(
    {OK: "traced", USAGE: "unknown label (the closest ones are listed) or a parse error"}
)
@exits.on_library_errors
def trace_command(
    name: Annotated[str, typer.Argument(help="Sub-factor label (pref or alt, any case) or IRI.")],
    base: Base = DEFAULT_BASE,
    engine: Engine = "oxigraph",
    rules: Rules = DEFAULT_RULES,
    data: Data = None,
    ontology: Ontology = None,
    project_dir: ProjectDir = None,
) -> None:
    """Why does a sub-factor have its classification? Rule, assessment, evidence, sources."""
    project = options.project(data, None, ontology, project_dir)
    loaded, _, _ = pipeline.load_and_derive(
        project, BuildOptions(base=base, engine=engine, rules=rules)
    )
    try:
        result = trace(loaded.engine, project.queries, name)
    except UnknownLabel as exc:
        fail(str(exc), USAGE)
    print_trace(result)


def print_trace(result: Trace) -> None:
    """The provenance chain as a tree; text from the data is escaped, never read as markup."""
    root = Tree(
        f"[bold]{esc(result.label)}[/] ({compact_iri(result.subfactor)}), "
        f"factor: {esc(result.factor or '(none)')}"
    )
    if not result.classifications:
        root.add("[yellow]no derived classification (no rule fired for this sub-factor)[/]")
    for c in result.classifications:
        _add_classification(root, c)
    console.print(root)


def _where(c: ClassificationStep) -> str:
    """Where a classification holds: in its context, or for the whole review."""
    if c.context is None:
        return "for the whole review"
    return f"in {c.context_label or compact_iri(c.context)}"


def _add_classification(root: Tree, c: ClassificationStep) -> None:
    """One classification: its rule, the assessment behind it, its evidence and sources."""
    node = root.add(
        f"[bold]{esc(c.direction)}[/] {esc(_where(c))} — classification {compact_iri(c.iri)}"
    )
    node.add(f"rule: {compact_iri(c.rule)} — {esc(c.rule_title or '')}")
    if c.assessment:
        a = c.assessment
        an = node.add(
            f"assessment {compact_iri(a.iri)}: condition [bold]{esc(a.status)}[/] ({esc(a.basis)})"
        )
        if a.justification:
            an.add(f"justification: {esc(a.justification)}")
        for q in a.quotes:
            an.add(f'quote ({esc(a.section or "?")}): "{esc(q)}"')
    if c.confidence is not None:
        _add_confidence(node, c.confidence)
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


def _add_confidence(node: Tree, confidence: ConfidenceStep) -> None:
    """The GRADE-CERQual profile: the overall confidence, each component assessment (the
    one in force marked), and the other rule sets' directions."""
    cn = node.add(f"confidence (GRADE-CERQual): [bold]{esc(confidence.overall)}[/]")
    if confidence.explanation:
        cn.add(esc(confidence.explanation))
    for part in confidence.components:
        by = f"rule {compact_iri(part.rule)}" if part.rule else f"reviewer {part.agent or '?'}"
        mark = "in force" if part.in_force else "overridden"
        pn = cn.add(f"{esc(part.component)}: [bold]{esc(part.level)}[/] ({esc(by)}; {mark})")
        if part.explanation:
            pn.add(esc(part.explanation))
    for check in confidence.robustness:
        other = f": {esc(check.direction)}" if check.direction else ""
        cn.add(f"robustness: {compact_iri(check.rule)} — {esc(check.result)}{other}")
