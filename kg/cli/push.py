"""``govsm push``: the command over kg.remote.push (mounted by kg.cli.main)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape as esc
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table as RichTable

from kg.prefixes import DEFAULT_BASE
from kg.remote.client import AUTH_SCHEMES, SERVERS, Remote, RemoteError, credentials_from_env
from kg.remote.push import (
    BLANK_NODE_MODES,
    DEFAULT_CHUNK,
    GraphStore,
    GraphUpload,
    PushError,
    PushReport,
    RemoteFailure,
    default_graph_store,
    push,
)

# Exit code of a remote failure (HTTP error, timeout, refused connection).
REMOTE_FAILURE = 3


def count_table(report: PushReport, only_mismatches: bool = False) -> RichTable:
    """Triple counts per graph, local and remote."""
    out = RichTable(title="Triples per graph: local vs remote")
    for heading, justify in (("Graph", "left"), ("Local", "right"), ("Remote", "right")):
        out.add_column(heading, justify=justify, overflow="fold")  # type: ignore[arg-type]
    out.add_column("", justify="left")
    for row in report.counts:
        if only_mismatches and row.ok:
            continue
        out.add_row(
            esc(row.graph),
            str(row.local),
            str(row.remote),
            "ok" if row.ok else "[bold red]MISMATCH[/]",
            style=None if row.ok else "red",
        )
    out.add_row("total", str(report.triples), str(sum(r.remote for r in report.counts)), "")
    return out


def push_command(
    endpoint: Annotated[
        str,
        typer.Option("--endpoint", help="SPARQL query endpoint URL (used to verify the counts)."),
    ],
    graph_store: Annotated[
        str | None,
        typer.Option(
            "--graph-store",
            help="Graph Store Protocol URL, where it differs from the endpoint's usual one "
            "(Virtuoso /sparql-graph-crud-auth, Fuseki /DS/data, GraphDB "
            "/repositories/ID/rdf-graphs/service, Neptune /sparql/gsp/).",
        ),
    ] = None,
    auth: Annotated[
        str | None,
        typer.Option(
            "--auth",
            help=f"HTTP auth scheme ({', '.join(AUTH_SCHEMES)}); credentials come from "
            "GOVSM_ENDPOINT_USER and GOVSM_ENDPOINT_PASSWORD.",
        ),
    ] = None,
    source: Annotated[
        Path, typer.Option("--from", help="N-Quads file with the named graphs to push.")
    ] = Path("dist/govsm.nq"),
    chunk_size: Annotated[
        int, typer.Option("--chunk-size", help="Triples per request (graphs without blank nodes).")
    ] = DEFAULT_CHUNK,
    blank_nodes: Annotated[
        str,
        typer.Option(
            "--blank-nodes",
            help="keep: blank nodes stay blank, each graph with blank nodes sent whole; "
            "skolemize: BASE.well-known/genid/LABEL IRIs.",
        ),
    ] = "keep",
    base: Annotated[
        str, typer.Option("--base", help="Base IRI for skolem IRIs (--blank-nodes skolemize).")
    ] = DEFAULT_BASE,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Seconds per HTTP request before giving up.")
    ] = 300.0,
    server: Annotated[
        str, typer.Option("--server", help=f"Engine kind: {', '.join(SERVERS)}.")
    ] = "auto",
    prune: Annotated[
        bool,
        typer.Option(
            "--prune",
            help="Delete remote graphs under the same BASE graph/ namespace that this push "
            "does not contain (left by an earlier push); without it they are only listed.",
        ),
    ] = False,
) -> None:
    """Upload every named graph to a SPARQL engine (Graph Store Protocol PUT: a second push
    replaces, never duplicates) and verify the triple count of each graph afterwards.

    Exit codes: 0 pushed and verified; 1 a count differs (a table is printed); 2 usage
    error or unreadable input; 3 the remote failed (HTTP error, timeout, refused)."""
    from kg.cli.main import console, err

    def fail(message: str, code: int) -> typer.Exit:
        err.print(f"[bold red]error:[/] {esc(message)}", highlight=False)
        return typer.Exit(code)

    if blank_nodes not in BLANK_NODE_MODES:
        raise fail(f"--blank-nodes must be one of {', '.join(BLANK_NODE_MODES)}", 2)
    try:
        credentials = credentials_from_env(auth)
        remote = Remote(endpoint, credentials, timeout=timeout, server=server)
        store_url = graph_store or default_graph_store(endpoint, credentials is not None)
        store = GraphStore(store_url, credentials, timeout=timeout)
    except (RemoteError, PushError) as exc:
        raise fail(str(exc), 2) from exc
    if not source.is_file():
        raise fail(f"{source} not found: run `govsm build` first (or pass --from FILE.nq)", 2)

    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("triples"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=False,
    )
    task: list[int] = []

    def prepared(uploads: list[GraphUpload]) -> None:
        total = sum(u.triples for u in uploads)
        task.append(progress.add_task(f"pushing {len(uploads)} graphs", total=total))

    def step(graph: str, sent: int, _in_graph: int) -> None:
        progress.update(task[0], advance=sent, description=f"… {graph.rsplit('/', 1)[-1]}")

    err.print(f"graph store: {store_url}", highlight=False)
    try:
        with progress:
            report = push(
                source,
                store,
                remote,
                chunk_size=chunk_size,
                blank_nodes=blank_nodes,
                base=base,
                progress=step,
                on_prepared=prepared,
                prune=prune,
            )
            progress.update(task[0], description="pushed")
    except RemoteFailure as exc:
        raise fail(str(exc), REMOTE_FAILURE) from exc
    except PushError as exc:
        raise fail(str(exc), 2) from exc

    if not report.ok:
        err.print(count_table(report, only_mismatches=True))
        raise fail(
            f"{sum(not r.ok for r in report.counts)} graph(s) differ between local and remote", 1
        )
    console.print(count_table(report))
    for name in report.pruned:
        err.print(f"[yellow]deleted[/] stale remote graph {esc(name)}", highlight=False)
    stale = [name for name in report.stale if name not in report.pruned]
    if stale:
        err.print(
            f"[yellow]warning:[/] {len(stale)} graph(s) under {esc(report.graph_prefix or '')} "
            "are on the remote but not in this push (an earlier push's; queries see them): "
            + ", ".join(esc(n) for n in stale)
            + "; `--prune` deletes them",
            highlight=False,
        )
    console.print(
        f"[green]pushed[/] {len(report.counts)} graphs, {report.triples} triples "
        f"({report.bytes_sent / 1e6:.2f} MB in {report.requests} requests) in "
        f"{report.upload_seconds:.2f} s; counts verified in {report.verify_seconds:.2f} s",
        highlight=False,
    )
